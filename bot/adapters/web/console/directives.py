"""Directives in the console: the list, compose (audience with a recipient-count preview, schedule,
acknowledgement), a report per recipient with CSV export, and cancel; all through the directive service,
which applies the same rules as ``/chidao`` and ``motcua directive``."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import datetime
from zoneinfo import ZoneInfo

from aiohttp import web

from bot import texts
from bot.adapters.web import CONFIG_KEY, SERVICES_KEY
from bot.adapters.web.console.auth import AUTHORS, guarded
from bot.adapters.web.console.directive_form import Filled, audience_of, choices, draft_of, filled
from bot.adapters.web.console.render import page
from bot.services.directives import DirectiveReport, DirectiveStateError, InvalidDirectiveError
from bot.services.people import PermissionDeniedError
from bot.services.web_login import ConsoleSession
from bot.texts import web_console as say

CSV_HEADERS = (
    "directive",
    "occurrence",
    "kind",
    "unit",
    "name",
    "platform",
    "chat_id",
    "status",
    "reason",
    "at",
)


def _zone(request: web.Request) -> ZoneInfo:
    return ZoneInfo(request.app[CONFIG_KEY].timezone)


def _directive_id(request: web.Request) -> int:
    raw = request.match_info["id"]
    if not raw.isdigit() or len(raw) > 18:
        raise web.HTTPNotFound()
    return int(raw)


@guarded(AUTHORS)
async def listing(request: web.Request, current: ConsoleSession) -> web.Response:
    """The newest directives this person may read."""
    found = await request.app[SERVICES_KEY].directives.reports.recent(current.actor, limit=50)
    zone = _zone(request)
    rows = [(view, view.created_at.astimezone(zone).strftime("%d/%m/%Y %H:%M")) for view in found]
    return page(request, current, "console/directives.html", rows=rows)


async def _compose_page(
    request: web.Request,
    current: ConsoleSession,
    values: Filled,
    *,
    error: str = "",
    preview: str = "",
    status: int = 200,
) -> web.Response:
    people = request.app[SERVICES_KEY].people
    own = current.actor.unit_ids
    mine = current.actor.is_admin
    units = {u.id: u.name for u in await people.units() if mine or u.id in own}
    groups = {
        g.id: g.title or g.chat.key for g in await people.groups() if g.active and (mine or g.unit_id in own)
    }
    persons = {p.id: p.name for p, _ in await people.directory() if p.active and (mine or p.unit_id in own)}
    return page(
        request,
        current,
        "console/compose.html",
        status=status,
        form=values,
        units=choices(units, values.units),
        groups=choices(groups, values.groups),
        persons=choices(persons, values.people),
        error=error,
        preview=preview,
    )


@guarded(AUTHORS)
async def compose(request: web.Request, current: ConsoleSession) -> web.Response:
    """The empty compose form."""
    return await _compose_page(request, current, Filled())


def _refusal(exc: Exception) -> str:
    if isinstance(exc, InvalidDirectiveError):
        field = say.DIRECTIVE_FIELDS.get(exc.field.split(".")[0], exc.field)
        return say.DIRECTIVE_INVALID.format(field=field, reason=texts.directive_reason(exc.reason, exc.value))
    if isinstance(exc, PermissionDeniedError):
        return say.DIRECTIVE_OUTSIDE
    return say.DIRECTIVE_STATE


@guarded(AUTHORS)
async def submit(request: web.Request, current: ConsoleSession) -> web.Response:
    """Preview the recipient count, or send (or schedule) the directive."""
    form = await request.post()
    values = filled(form)
    service = request.app[SERVICES_KEY].directives
    timezone = request.app[CONFIG_KEY].timezone
    try:
        if form.get("action") == "preview":
            if audience_of(values).empty:
                return await _compose_page(request, current, values, preview=say.PREVIEW_NOBODY)
            counted = await service.writing.preview(current.actor, audience_of(values))
            text = say.PREVIEW.format(
                chats=counted.chats,
                people=counted.people,
                groups=counted.groups,
                unreachable=counted.unreachable,
            )
            return await _compose_page(request, current, values, preview=text)
        submitted = await service.writing.submit(current.actor, draft_of(values, timezone))
    except (InvalidDirectiveError, PermissionDeniedError, DirectiveStateError) as exc:
        return await _compose_page(request, current, values, error=_refusal(exc), status=400)
    raise web.HTTPSeeOther(f"/console/directives/{submitted.directive.id}")


async def _report(request: web.Request, current: ConsoleSession) -> DirectiveReport:
    try:
        return await request.app[SERVICES_KEY].directives.reports.report(
            current.actor, _directive_id(request)
        )
    except PermissionDeniedError:
        raise web.HTTPForbidden() from None
    except DirectiveStateError:
        raise web.HTTPNotFound() from None


def _when(moment: object, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%H:%M %d/%m/%Y") if isinstance(moment, datetime) else ""


@guarded(AUTHORS)
async def report(request: web.Request, current: ConsoleSession) -> web.Response:
    """One directive: per unit, per chat and per person expected to acknowledge."""
    found = await _report(request, current)
    zone = _zone(request)
    chats = [(r, say.STATUS.get(r.status, r.status), _when(r.sent_at, zone)) for r in found.recipients]
    acks = [(a, _when(a.at, zone), say.ACK_HOW.get(a.how, a.how)) for a in found.acks]
    return page(request, current, "console/report.html", report=found, chats=chats, acks=acks)


@guarded(AUTHORS)
async def report_csv(request: web.Request, current: ConsoleSession) -> web.Response:
    """The report as CSV: one row per chat, then one per person expected to acknowledge."""
    found = await _report(request, current)
    zone = _zone(request)
    units = {u.unit_id: u.name for u in found.units}
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_HEADERS)
    view = found.directive
    for r in found.recipients:
        chat = r.chat
        row = (view.id, found.occurrence, "chat", units.get(r.unit_id, ""), r.name)
        writer.writerow(
            _cells(
                (
                    *row,
                    chat.platform.value if chat else "",
                    chat.chat_id if chat else "",
                    r.status,
                    r.reason,
                    _iso(r.sent_at, zone),
                )
            )
        )
    for a in found.acks:
        status = "acknowledged" if a.at is not None else "pending"
        writer.writerow(
            _cells(
                (
                    view.id,
                    found.occurrence,
                    "person",
                    units.get(a.unit_id, ""),
                    a.name,
                    "",
                    "",
                    status,
                    a.how,
                    _iso(a.at, zone),
                )
            )
        )
    # The byte-order mark tells Excel the file is UTF-8, so Vietnamese names open unmangled.
    response = web.Response(text="\ufeff" + buffer.getvalue(), content_type="text/csv", charset="utf-8")
    response.headers["Content-Disposition"] = f'attachment; filename="chi-dao-{view.id}.csv"'
    return response


def _iso(moment: object, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).isoformat() if isinstance(moment, datetime) else ""


_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""What a spreadsheet may read as the start of a formula (OWASP's list)."""


def _cells(values: Iterable[object]) -> list[object]:
    """Keep a spreadsheet from running a cell as a formula (names come from users)."""
    return [f"'{v}" if isinstance(v, str) and v.startswith(_FORMULA_STARTS) else v for v in values]


@guarded(AUTHORS)
async def cancel(request: web.Request, current: ConsoleSession) -> web.Response:
    """Cancel a directive (its author or an admin); waiting messages are not sent."""
    directive_id = _directive_id(request)
    try:
        await request.app[SERVICES_KEY].directives.publishing.cancel(current.actor, directive_id)
    except PermissionDeniedError:
        raise web.HTTPForbidden() from None
    except DirectiveStateError:
        raise web.HTTPNotFound() from None
    raise web.HTTPSeeOther(f"/console/directives/{directive_id}")


def register(app: web.Application) -> None:
    """Add the directive routes."""
    app.router.add_get("/console/directives", listing)
    app.router.add_get("/console/directives/new", compose)
    app.router.add_post("/console/directives/new", submit)
    app.router.add_get("/console/directives/{id}", report)
    app.router.add_get("/console/directives/{id}/csv", report_csv)
    app.router.add_post("/console/directives/{id}/cancel", cancel)
