"""Procedure questions: free text and /tim search, /thutuc by code, pressed choices, and card sections."""

from __future__ import annotations

from bot import texts
from bot.messages import Incoming, Reply
from bot.routing import Command, Router, StrayNumber
from bot.services import Services
from bot.services.unanswered import fold_question
from handlers.card_sections import (
    SECTION_PREFIX,
    SECTIONS,
    parse_section_payload,
    render_section,
    section_buttons,
)
from handlers.cards import (
    CHOICE_PREFIX,
    QUERY_MAX,
    one_line,
    render_none,
    tidy,
)
from handlers.choices import render_choices
from handlers.followups import current_procedure, followup_kinds, followup_replies
from handlers.report import log_question
from handlers.short_card import render_short_card
from knowledge.model import Procedure

router: Router[Services] = Router()

CODE_ECHO_MAX = 60


def card_reply(proc: Procedure, svc: Services) -> Reply:
    """A reply holding the short card of one procedure, with a button for each of its sections."""
    return Reply(
        text=render_short_card(proc, portal_url=svc.config.centre.portal_url), buttons=section_buttons(proc)
    )


async def answer(query: str, svc: Services, channel: str = "", *, group: bool = False) -> list[Reply]:
    """Search the catalogue and answer with a card, choices, or an honest "I don't know".

    Each question answered is logged (outcome and procedure, never the text; see :mod:`handlers.report`).
    """
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
            await log_question(svc, channel, "none")
        return [render_none(result, svc.config.centre)]
    procs = [svc.procedures.get(hit.code) or Procedure(code=hit.code, name=hit.name) for hit in result.hits]
    if result.answer == "confident" or len(procs) == 1:
        rating = await log_question(svc, channel, "confident", procs[0], rate=not group)
        return [card_reply(procs[0], svc), *rating]
    await log_question(svc, channel, "choices")
    return [render_choices(procs, question=fold_question(query))]


@router.text()
async def free_text(msg: Incoming, svc: Services) -> list[Reply]:
    """Treat any other text as a procedure question."""
    if not msg.addressed:
        return []
    # A few words about the card just shown ("phí bao nhiêu") are answered from it, not searched.
    kinds = followup_kinds(msg.text)
    if kinds and (proc := await current_procedure(msg.chat.key, svc)) is not None:
        return followup_replies(proc, kinds, svc)
    return await answer(msg.text, svc, msg.chat.platform.value, group=msg.chat.is_group)


@router.stray_number()
async def stray_number(msg: Incoming, svc: Services, number: StrayNumber) -> list[Reply]:
    """A number that picks nothing: which numbers the list holds, or that there is no list."""
    if number.choices:
        return [Reply(text=texts.number_out_of_range(number.choices))]
    return [Reply(text=texts.NO_LIST_TO_PICK)]


@router.command("tim", "timkiem")
async def find(msg: Incoming, svc: Services, command: Command) -> list[Reply]:
    """Search for the words after /tim, or ask what to search."""
    return await answer(command.args, svc, msg.chat.platform.value, group=msg.chat.is_group)


@router.command("thutuc", "ma")
async def by_code(msg: Incoming, svc: Services, command: Command) -> list[Reply]:
    """Show the card of the procedure whose code follows /thutuc."""
    return await card_by_code(command.args, svc)


async def card_by_code(args: str, svc: Services) -> list[Reply]:
    """The card of the procedure whose code starts ``args``, or a clear "not found"."""
    words = tidy(args).split()
    if not words:
        return [Reply(text=texts.ASK_FOR_CODE)]
    proc = _typed_procedure(words[0], svc)
    if proc is None:
        return [Reply(text=texts.unknown_code(one_line(words[0], CODE_ECHO_MAX)))]
    return [card_reply(proc, svc)]


def _typed_procedure(word: str, svc: Services) -> Procedure | None:
    code = word.strip(".,;:()[]<>\"'")
    return svc.procedures.get(code) if code else None


@router.payload(CHOICE_PREFIX)
async def chosen(msg: Incoming, svc: Services) -> list[Reply]:
    """Open the card of a procedure the user picked from choices."""
    code = (msg.payload or "").partition(":")[2]
    proc = svc.procedures.get(code) if code else None
    if proc is None:
        return [Reply(text=texts.CHOICE_EXPIRED)]
    return [card_reply(proc, svc)]


def section_replies(proc: Procedure, section: str, svc: Services) -> list[Reply]:
    """One section of a card, one message per part; the last offers the other sections."""
    if section not in SECTIONS:
        buttons = section_buttons(proc)
        return [
            Reply(
                text=texts.SECTION_KEY_UNKNOWN if buttons else texts.SECTION_BUTTON_UNKNOWN, buttons=buttons
            )
        ]
    parts = render_section(proc, section, portal_url=svc.config.centre.portal_url)
    # The card's own list, in its order: a number means the same section for as long as the list lasts.
    last = Reply(text=parts[-1], buttons=section_buttons(proc))
    return [*(Reply(text=part) for part in parts[:-1]), last]


@router.payload(SECTION_PREFIX)
async def section_pressed(msg: Incoming, svc: Services) -> list[Reply]:
    """Open the section a card's button names, for the procedure it names."""
    parsed = parse_section_payload(msg.payload or "")
    if parsed is None:
        return [Reply(text=texts.SECTION_BUTTON_UNKNOWN)]
    section, code = parsed
    proc = svc.procedures.get(code)
    if proc is None:
        return [Reply(text=texts.section_procedure_gone(one_line(code, CODE_ECHO_MAX)))]
    return section_replies(proc, section, svc)


@router.command(*SECTIONS)
async def section_command(msg: Incoming, svc: Services, command: Command) -> list[Reply]:
    """``/giayto CODE`` and the like: a section typed as a command (the terminal's way to the buttons)."""
    words = tidy(command.args).split()
    if not words:
        # Without a code, the section of the card the chat is looking at, when there is one.
        current = await current_procedure(msg.chat.key, svc)
        if current is not None:
            return section_replies(current, command.name, svc)
        return [Reply(text=texts.ask_section_code(command.name))]
    proc = _typed_procedure(words[0], svc)
    if proc is None:
        return [Reply(text=texts.unknown_code(one_line(words[0], CODE_ECHO_MAX)))]
    return section_replies(proc, command.name, svc)
