"""``/tra-cuu?q=``: the chat's search on a page. Confident: the card's page; choices: links; none: why.

Like the chat, each question is counted (outcome and procedure, never the text) and a question the
catalogue could not answer joins the unanswered list for staff.
"""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from bot import texts
from bot.adapters.web import CONFIG_KEY, SERVICES_KEY
from bot.adapters.web.limits import PerMinute, client_address
from bot.adapters.web.pages import pages
from bot.adapters.web.public.links import onward
from bot.adapters.web.public.markup import to_html
from bot.services import Services
from bot.services.public_links import page_path
from bot.services.report.questions import Outcome
from bot.texts import web as site_say
from bot.texts import web_public as say

SEARCHES_KEY: web.AppKey[PerMinute] = web.AppKey("searches_per_address")
"""Searches per network address and minute, as many as the chat's messages: each may add a row staff read."""
QUERY_MAX = 1000
"""As in the chat: longer questions are refused before any search."""
ECHO_MAX = 120
CHANNEL = "web"


@dataclass(frozen=True, slots=True)
class Choice:
    """One procedure offered among choices."""

    code: str
    name: str
    path: str
    level: str = ""


async def search(request: web.Request) -> web.Response:
    """Search results for ``q``, or the card of the one procedure it surely means."""
    svc, config = request.app[SERVICES_KEY], request.app[CONFIG_KEY]
    typed = request.query.get("q", "")
    if len(typed) > QUERY_MAX:
        return _page(request, typed[:QUERY_MAX], message=texts.too_long(QUERY_MAX))
    query = " ".join(typed.split())
    if not query:
        return _page(request, "", message=texts.ASK_WHAT_TO_SEARCH)
    if not request.app[SEARCHES_KEY].allow(client_address(request)):
        return _page(request, query, message=say.SEARCH_TOO_FAST, status=429)
    result = await svc.procedures.search(query, limit=config.search.max_choices)
    if result.answer == "none" or not result.hits:
        if result.reason == "no_match":
            await svc.unanswered.record(query, "none")
            await _count(svc, "none")
        return _page(request, query, message=_none(result.reason, query, svc))
    if result.answer == "confident" or len(result.hits) == 1:
        hit = result.hits[0]
        proc = svc.procedures.get(hit.code)
        await _count(svc, "confident", hit.code, proc.agency if proc is not None else "")
        raise web.HTTPSeeOther(page_path(hit.code))
    await _count(svc, "choices")
    choices = [
        Choice(hit.code, hit.name or hit.code, page_path(hit.code), _level(svc, hit.code))
        for hit in result.hits
    ]
    return _page(request, query, choices=choices)


def _level(svc: Services, code: str) -> str:
    """The procedure's level ("Cấp xã"), which tells apart choices of the same name."""
    proc = svc.procedures.get(code)
    return proc.level if proc is not None else ""


def _none(reason: str, query: str, svc: Services) -> str:
    if reason == "chitchat":
        return texts.CHITCHAT
    if reason == "empty":
        return texts.ASK_WHAT_TO_SEARCH
    if reason == "too_long":
        return texts.too_long(QUERY_MAX)
    return say.no_match(query[:ECHO_MAX], svc.config.centre)


async def _count(svc: Services, outcome: Outcome, code: str = "", agency: str = "") -> None:
    if svc.questions is not None:
        await svc.questions.record(CHANNEL, outcome, code, agency)


def _page(
    request: web.Request,
    query: str,
    *,
    message: str = "",
    choices: list[Choice] | None = None,
    status: int = 200,
) -> web.Response:
    config = request.app[CONFIG_KEY]
    return pages(request).response(
        "public/search.html",
        status=status,
        say=say,
        site=site_say,
        query=query,
        choices=choices or [],
        message_html=to_html(message) if message else "",
        onward=onward(config),
    )
