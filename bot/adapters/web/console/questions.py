"""Questions the search could not answer, most frequent first; an admin attaches one as an alias of a
procedure (the search picks it up at its next reload, as after ``motcua kb alias add``)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from aiohttp import web

from bot.adapters.web import CONFIG_KEY, SERVICES_KEY
from bot.adapters.web.console.auth import ADMINS, STAFF, console, guarded
from bot.adapters.web.console.render import page
from bot.services.aliases import PHRASE_MAX, BadPhraseError, UnknownProcedureError
from bot.services.web_login import ConsoleSession
from bot.texts import web_console as say

SHOWN = 200
CODE_MAX = 64


async def _page(
    request: web.Request, current: ConsoleSession, *, notice: str = "", error: str = "", status: int = 200
) -> web.Response:
    found = (await request.app[SERVICES_KEY].unanswered.rows())[:SHOWN]
    zone = ZoneInfo(request.app[CONFIG_KEY].timezone)
    rows = [(row, row.last_seen.astimezone(zone).strftime("%d/%m/%Y")) for row in found]
    return page(
        request,
        current,
        "console/questions.html",
        status=status,
        rows=rows,
        may_attach=current.role in ADMINS,
        notice=notice,
        error=error,
    )


def _plain(text: str, longest: int) -> bool:
    """Non-empty printable text of at most ``longest`` characters (no NUL for PostgreSQL)."""
    return bool(text.strip()) and len(text) <= longest and text.isprintable()


@guarded(STAFF)
async def questions(request: web.Request, current: ConsoleSession) -> web.Response:
    """The unanswered questions."""
    return await _page(request, current)


@guarded(ADMINS)
async def attach(request: web.Request, current: ConsoleSession) -> web.Response:
    """Attach a question as an alias of a procedure (admins only, as for the command line)."""
    form = await request.post()
    phrase, code = form.get("phrase", ""), form.get("code", "")
    if not isinstance(phrase, str) or not isinstance(code, str) or not _plain(code, CODE_MAX):
        return await _page(request, current, error=say.ALIAS_NO_CODE, status=400)
    if not _plain(phrase, PHRASE_MAX):
        return await _page(request, current, error=say.ALIAS_BAD.format(max=PHRASE_MAX), status=400)
    try:
        alias, created = await console(request).aliases.add(current.actor, code.strip(), phrase)
    except UnknownProcedureError:
        return await _page(request, current, error=say.ALIAS_UNKNOWN.format(code=code.strip()), status=400)
    except BadPhraseError:
        return await _page(request, current, error=say.ALIAS_BAD.format(max=PHRASE_MAX), status=400)
    told = say.ALIAS_ADDED if created else say.ALIAS_EXISTS
    return await _page(request, current, notice=told.format(phrase=alias.phrase, code=alias.code))


def register(app: web.Application) -> None:
    """Add the unanswered questions' routes."""
    app.router.add_get("/console/questions", questions)
    app.router.add_post("/console/questions/alias", attach)
