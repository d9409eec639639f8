"""The dossier push API: the one-stop information system posts status events to the bot's aiohttp server.

``POST {path}`` takes one event object or ``{"events": [...]}`` (1 to 500) with ``Authorization: Bearer
<token>``. A request is all-or-nothing: any invalid event answers 422 naming every bad field and applies
nothing, so the sender can fix and resend; an ``event_id`` already used for an event with other content
answers 409 naming the ids, and applies nothing either. Events are committed before the 200 answer.
The contract is described by ``openapi/dossier-events.json``, served at ``GET {path}/openapi.json``.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any

from aiohttp import web
from sqlalchemy.exc import SQLAlchemyError

from bot.adapters.http_server import HttpServer
from bot.adapters.json_body import MalformedJSONError, read_json
from bot.services.dossiers.events import (
    DossierEventIn,
    EventIdConflictError,
    InvalidEventError,
    parse_event,
)
from bot.services.dossiers.views import ApplyResult

log = logging.getLogger(__name__)

OPENAPI_FILE = Path(__file__).resolve().parent / "openapi" / "dossier-events.json"
MAX_EVENTS = 500
MAX_BODY_BYTES = 1024 * 1024
_READ_CHUNK = 64 * 1024

ApplyEvents = Callable[[list[DossierEventIn]], Awaitable[ApplyResult]]
"""``DossierService.apply`` bound to ``source="push"``."""

MAX_GROUP_EVENTS = 1000
_Request = tuple[list[DossierEventIn], "asyncio.Future[ApplyResult]"]


class GroupCommit:
    """Applies the events of requests waiting for the database together, in one transaction (group commit).

    The information system sends one event per status change, so most requests carry one event; each
    transaction costs far more than its events. Requests queue here; whoever gets one of the
    ``concurrency`` slots applies everything waiting at the front (up to ``max_events``) in one call and
    answers every request from the per-event outcomes. Every waiter keeps taking turns until its own
    events are done, so nothing waits for a background task. One failed call fails only its group.
    """

    def __init__(
        self, apply: ApplyEvents, *, concurrency: int = 1, max_events: int = MAX_GROUP_EVENTS
    ) -> None:
        self._apply = apply
        self._slots = asyncio.Semaphore(max(1, concurrency))
        self._max_events = max_events
        self._waiting: deque[_Request] = deque()
        self._alone: set[asyncio.Future[ApplyResult]] = set()
        """Requests to apply on their own: each held an event whose id conflicted in a merged group."""

    async def submit(self, events: list[DossierEventIn]) -> ApplyResult:
        """Apply one request's events (perhaps with others'); its own counts."""
        future: asyncio.Future[ApplyResult] = asyncio.get_running_loop().create_future()
        self._waiting.append((events, future))
        try:
            while not future.done():
                async with self._slots:
                    if not future.done():
                        await self._run(self._take())
        except asyncio.CancelledError:
            # The client went away: its events are left out of any group not yet taken.
            future.cancel()
            raise
        return future.result()

    def _take(self) -> list[_Request]:
        group: list[_Request] = []
        size = 0
        while self._waiting:
            events, future = self._waiting[0]
            if future.done():
                self._alone.discard(future)
                self._waiting.popleft()
                continue
            if group and (future in self._alone or size + len(events) > self._max_events):
                break
            group.append(self._waiting.popleft())
            size += len(events)
            if future in self._alone:
                self._alone.discard(future)
                break
        return group

    async def _run(self, group: list[_Request]) -> None:
        merged = [event for events, _ in group for event in events]
        try:
            result = await self._apply(merged)
            if len(group) > 1 and len(result.outcomes) != len(merged):
                raise RuntimeError("apply did not report per-event outcomes: requests cannot share it")
        except EventIdConflictError as exc:
            self._refuse(group, exc)
            return
        except Exception as exc:
            for _, future in group:
                if not future.done():
                    future.set_exception(exc)
            return
        start = 0
        for events, future in group:
            if not future.done():
                future.set_result(result if len(group) == 1 else result.part(start, start + len(events)))
            start += len(events)

    def _refuse(self, group: list[_Request], exc: EventIdConflictError) -> None:
        """Fail a lone request that reused an id; in a merged group, find out which request did.

        Nothing of the group was applied: it goes back to the front of the queue in its order, each
        request holding an offending event marked to run on its own (its conflict may be with another
        request of the group, which then goes first, as it came first).
        """
        if len(group) == 1:
            if not group[0][1].done():
                group[0][1].set_exception(exc)
            return
        offending = set(exc.positions)
        start = 0
        for events, future in group:
            if offending.intersection(range(start, start + len(events))):
                self._alone.add(future)
            start += len(events)
        self._waiting.extendleft(reversed(group))


def openapi_document() -> bytes:
    """The OpenAPI file exactly as it is served."""
    return OPENAPI_FILE.read_bytes()


def _error(status: int, message: str, **headers: str) -> web.Response:
    return web.json_response({"error": message}, status=status, headers=headers or None)


def _conflict(exc: EventIdConflictError) -> web.Response:
    ids = list(exc.event_ids)
    message = "event_id already used for an event with different content: " + ", ".join(ids)
    return web.json_response({"error": message, "event_ids": ids}, status=409)


def _field_errors(errors: list[dict[str, Any]]) -> web.Response:
    return web.json_response({"errors": errors}, status=422)


def parse_body(
    body: Any, *, max_events: int = MAX_EVENTS
) -> tuple[list[DossierEventIn], list[dict[str, Any]]]:
    """Validate a decoded body (one event or ``{"events": [...]}``): the events, or every field error."""
    if not isinstance(body, dict):
        return [], [{"index": None, "field": "", "reason": "the body must be a JSON object"}]
    if "events" not in body:
        raws: list[Any] = [body]
    else:
        extra = sorted(k for k in body if k != "events")
        if extra:
            reason = "an envelope has only 'events'; unexpected: " + ", ".join(map(str, extra[:5]))
            return [], [{"index": None, "field": "", "reason": reason}]
        listed = body["events"]
        if not isinstance(listed, list) or not 1 <= len(listed) <= max_events:
            reason = f"must be a list of 1 to {max_events} events"
            return [], [{"index": None, "field": "events", "reason": reason}]
        raws = listed
    events: list[DossierEventIn] = []
    errors: list[dict[str, Any]] = []
    for index, raw in enumerate(raws):
        if not isinstance(raw, Mapping):
            errors.append({"index": index, "field": "", "reason": "an event must be a JSON object"})
            continue
        try:
            events.append(parse_event(raw))
        except InvalidEventError as exc:
            errors.extend({"index": index, "field": e.field, "reason": e.reason} for e in exc.errors)
    return events, errors


async def _read_limited(request: web.Request, limit: int) -> bytes | None:
    """Read the body, or None as soon as it is longer than ``limit`` (chunked bodies included)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        chunk = await request.content.read(_READ_CHUNK)
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)


def add_dossier_api(
    app_or_server: web.Application | HttpServer,
    *,
    path: str,
    token: str,
    apply: ApplyEvents,
    max_body_bytes: int = MAX_BODY_BYTES,
    max_events: int = MAX_EVENTS,
    concurrent_applies: int = 1,
) -> bool:
    """Mount ``POST {path}`` and ``GET {path}/openapi.json`` (before the server starts); False if off.

    An empty ``token`` turns the API off: nothing is mounted, so the path answers 404.
    ``concurrent_applies`` bounds the transactions in flight: SQLite has one writer, and writers racing
    for its lock wait in its busy handler (sleeping, then failing with "database is locked"); queueing
    them here is faster and never fails. On PostgreSQL a few (e.g. 4) may run at once.
    """
    if not token:
        log.info("dossier push API is off (no token configured)")
        return False
    app = app_or_server.app if isinstance(app_or_server, HttpServer) else app_or_server
    path = "/" + path.strip("/")
    expected = token.encode("utf-8")
    document = openapi_document()
    commits = GroupCommit(apply, concurrency=concurrent_applies)

    async def receive(request: web.Request) -> web.Response:
        scheme, _, given = request.headers.get("Authorization", "").strip().partition(" ")
        # Checked before the body is read, in constant time.
        authorised = hmac.compare_digest(given.strip().encode("utf-8"), expected)
        if scheme.lower() != "bearer" or not authorised:
            log.warning("dossier push API: missing or wrong token from %s", request.remote)
            return _error(401, "unauthorized", **{"WWW-Authenticate": "Bearer"})
        if request.content_type != "application/json":
            return _error(400, "the body must be application/json")
        if request.content_length is not None and request.content_length > max_body_bytes:
            return _error(413, f"the body is larger than {max_body_bytes} bytes")
        raw = await _read_limited(request, max_body_bytes)
        if raw is None:
            return _error(413, f"the body is larger than {max_body_bytes} bytes")
        try:
            body = read_json(raw)
        except MalformedJSONError:
            return _error(400, "malformed JSON")
        events, errors = parse_body(body, max_events=max_events)
        if errors:
            log.info("dossier push API: rejected %d event(s), %d field error(s)", len(events), len(errors))
            return _field_errors(errors)
        try:
            result = await commits.submit(events)
        except EventIdConflictError as exc:
            log.info("dossier push API: %d event id(s) reused with different content", len(exc.event_ids))
            return _conflict(exc)
        except (SQLAlchemyError, OSError, TimeoutError) as exc:
            log.error("dossier push API: %d event(s) not applied: %s", len(events), type(exc).__name__)
            return _error(503, "temporarily unavailable, retry later", **{"Retry-After": "5"})
        except Exception as exc:  # a bug must not leak details; the sender retries
            log.error("dossier push API: %d event(s) not applied: bug %s", len(events), type(exc).__name__)
            return _error(503, "temporarily unavailable, retry later", **{"Retry-After": "5"})
        log.info(
            "dossier push API: %d applied, %d duplicate(s), %d stale",
            result.applied,
            result.duplicates,
            result.stale,
        )
        return web.json_response(
            {"applied": result.applied, "duplicates": result.duplicates, "stale": result.stale}
        )

    async def openapi(request: web.Request) -> web.Response:
        return web.Response(body=document, content_type="application/json")

    app.router.add_post(path, receive)
    app.router.add_get(path + "/openapi.json", openapi)
    log.info("dossier push API mounted at %s", path)
    return True
