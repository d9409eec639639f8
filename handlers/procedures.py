"""Procedure questions: free text and /tim search, /thutuc by code, and pressed choices."""

from __future__ import annotations

import re

from bot import texts
from bot.messages import Incoming, Reply
from bot.routing import Command, Router
from bot.services import Services
from bot.services.unanswered import fold_question
from handlers.cards import (
    CHOICE_PREFIX,
    QUERY_MAX,
    one_line,
    render_choices,
    render_none,
    tidy,
)
from handlers.short_card import render_short_card
from knowledge.model import Procedure

router: Router[Services] = Router()

_BARE_NUMBER = re.compile(r"^\s*\d{1,2}\s*[.)]?\s*$")
CODE_ECHO_MAX = 60


def card_reply(proc: Procedure, svc: Services) -> Reply:
    """A reply holding the short card of one procedure; its sections are one tap away."""
    return Reply(text=render_short_card(proc, portal_url=svc.config.centre.portal_url))


async def answer(query: str, svc: Services) -> list[Reply]:
    """Search the catalogue and answer with a card, choices, or an honest "I don't know"."""
    # Too-long messages are refused before any clean-up or search (see cards.QUERY_MAX).
    if len(query) > QUERY_MAX:
        return [Reply(text=texts.too_long(QUERY_MAX))]
    query = tidy(query)
    if not query:
        return [Reply(text=texts.ASK_WHAT_TO_SEARCH)]
    result = await svc.procedures.search(query, limit=svc.config.search.max_choices)
    if result.answer == "none" or not result.hits:
        # Small talk, empty and too-long messages are not questions the catalogue failed to answer.
        if result.reason == "no_match":
            await svc.unanswered.record(query, "none")
        return [render_none(result, svc.config.centre)]
    procs = [svc.procedures.get(hit.code) or Procedure(code=hit.code, name=hit.name) for hit in result.hits]
    if result.answer == "confident" or len(procs) == 1:
        return [card_reply(procs[0], svc)]
    return [render_choices(procs, question=fold_question(query))]


@router.text()
async def free_text(msg: Incoming, svc: Services) -> list[Reply]:
    """Treat any other text as a procedure question."""
    if not msg.addressed:
        return []
    if _BARE_NUMBER.match(msg.text):
        # The dispatcher turns a number into a choice when one is remembered; here none was.
        return [Reply(text=texts.CHOICE_EXPIRED)]
    return await answer(msg.text, svc)


@router.command("tim", "timkiem")
async def find(msg: Incoming, svc: Services, command: Command) -> list[Reply]:
    """Search for the words after /tim, or ask what to search."""
    return await answer(command.args, svc)


@router.command("thutuc", "ma")
async def by_code(msg: Incoming, svc: Services, command: Command) -> list[Reply]:
    """Show the card of the procedure whose code follows /thutuc."""
    return await card_by_code(command.args, svc)


async def card_by_code(args: str, svc: Services) -> list[Reply]:
    """The card of the procedure whose code starts ``args``, or a clear "not found"."""
    words = tidy(args).split()
    if not words:
        return [Reply(text=texts.ASK_FOR_CODE)]
    code = words[0].strip(".,;:()[]<>\"'")
    proc = svc.procedures.get(code) if code else None
    if proc is None:
        return [Reply(text=texts.unknown_code(one_line(words[0], CODE_ECHO_MAX)))]
    return [card_reply(proc, svc)]


@router.payload(CHOICE_PREFIX)
async def chosen(msg: Incoming, svc: Services) -> list[Reply]:
    """Open the card of a procedure the user picked from choices."""
    code = (msg.payload or "").partition(":")[2]
    proc = svc.procedures.get(code) if code else None
    if proc is None:
        return [Reply(text=texts.CHOICE_EXPIRED)]
    return [card_reply(proc, svc)]
