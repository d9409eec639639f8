"""The feedback inbox: residents' feedback for the person's units (admins: all), newest first, with an
answer form; answers go through the feedback service, which sends them to the resident's chat."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from aiohttp import web

from bot.adapters.web import CONFIG_KEY, SERVICES_KEY
from bot.adapters.web.console.auth import STAFF, console, guarded
from bot.adapters.web.console.render import page
from bot.services.feedback import FeedbackService, FilingError
from bot.services.feedback.model import AnswerOutcome, FeedbackView
from bot.services.web_login import ConsoleSession
from bot.texts import web_console as say

FILTERS = ("open", "overdue", "answered", "")
SHOWN = 200


def _service(request: web.Request) -> FeedbackService:
    found = request.app[SERVICES_KEY].feedback
    if found is None:
        raise web.HTTPNotFound()
    return found


def visible(current: ConsoleSession, item: FeedbackView) -> bool:
    """Admins see every item; others those of their own unit or the units they lead."""
    if current.actor.is_admin:
        return True
    return item.unit_id is not None and (
        item.unit_id == current.unit_id or item.unit_id in current.actor.unit_ids
    )


def _own(current: ConsoleSession) -> set[int]:
    return {current.unit_id} if current.unit_id is not None else set()


async def _page(
    request: web.Request, current: ConsoleSession, *, notice: str = "", error: str = "", status: int = 200
) -> web.Response:
    chosen = request.query.get("status", "open")
    chosen = chosen if chosen in FILTERS else "open"
    service = _service(request)
    # Narrowed in the query, so a unit's items are not crowded out by the newest of all units.
    units = None if current.actor.is_admin else {*current.actor.unit_ids, *_own(current)}
    found = [item for item in await service.items(chosen, limit=SHOWN, units=units) if visible(current, item)]
    zone = ZoneInfo(request.app[CONFIG_KEY].timezone)
    now = console(request).logins.clock()
    rows = [
        (item, item.created_at.astimezone(zone).strftime("%d/%m/%Y %H:%M"), item.overdue(now))
        for item in found
    ]
    return page(
        request,
        current,
        "console/feedback.html",
        status=status,
        rows=rows,
        chosen=chosen,
        notice=notice,
        error=error,
    )


@guarded(STAFF)
async def inbox(request: web.Request, current: ConsoleSession) -> web.Response:
    """The inbox, filtered by status (open by default)."""
    return await _page(request, current)


@guarded(STAFF)
async def answer(request: web.Request, current: ConsoleSession) -> web.Response:
    """Answer one item; the service checks the unit and that it is still open."""
    raw = request.match_info["id"]
    if not raw.isdigit() or len(raw) > 12:
        raise web.HTTPNotFound()
    posted = (await request.post()).get("answer", "")
    text = posted.replace("\x00", "") if isinstance(posted, str) else ""
    try:
        result = await _service(request).answer(current.actor, int(raw), text)
    except FilingError:
        return await _page(request, current, error=say.FEEDBACK_EMPTY, status=400)
    if result.outcome is AnswerOutcome.ANSWERED and result.view is not None:
        return await _page(request, current, notice=say.FEEDBACK_SENT.format(number=result.view.number))
    status = 403 if result.outcome in (AnswerOutcome.NOT_YOURS, AnswerOutcome.NOT_STAFF) else 409
    return await _page(
        request, current, error=say.FEEDBACK_REFUSED.get(result.outcome.value, ""), status=status
    )


def register(app: web.Application) -> None:
    """Add the inbox's routes."""
    app.router.add_get("/console/feedback", inbox)
    app.router.add_post("/console/feedback/{id}/answer", answer)
