"""The pull feed: fetch dossier events page by page from a remote system, apply them, keep the cursor.

The remote contract is ours (its HTTP side is ``bot/adapters/dossier_pull.py``):
``GET {pull_url}?cursor=<opaque>`` answers ``{"events": [...], "cursor": "<next>", "has_more": bool}``.
The cursor is saved in ``sync_cursors`` after each page is applied, so a failure leaves it where it was
and the next run fetches the page again; applying is idempotent by event id, so a page applied twice
changes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bot.services.dossiers.events import DossierEventIn, InvalidEventError, parse_event
from bot.services.dossiers.service import ApplyEvents, apply_leaving_out_reused_ids
from bot.storage import SessionFactory, SyncCursor
from bot.storage.engine import begin_write

log = logging.getLogger(__name__)

DEFAULT_MAX_PAGES = 50


class PullError(Exception):
    """The remote system could not give a page; the message never contains the token or event data."""


class PullTransientError(PullError):
    """Timeout, network failure, 5xx, 408 or 429: the next run may succeed."""


class PullPermanentError(PullError):
    """The remote refused the request (4xx: wrong token, wrong URL): fix the configuration."""


class PullProtocolError(PullError):
    """The answer is not the documented JSON shape."""


@dataclass(frozen=True, slots=True)
class PullPage:
    """One page from the remote: raw events (validated later, one by one), the next cursor, more to come."""

    events: Sequence[Any]
    cursor: str
    has_more: bool


Fetch = Callable[[str], Awaitable[PullPage]]
"""Fetch the page after ``cursor`` ("" for the beginning); raises :class:`PullError`."""


@dataclass(frozen=True, slots=True)
class PullReport:
    """What one run did."""

    pages: int = 0
    received: int = 0
    applied: int = 0
    duplicates: int = 0
    stale: int = 0
    invalid: int = 0
    cursor: str = ""
    """The cursor saved at the end of the run (unchanged when nothing could be fetched)."""
    more: bool = False
    """The remote still had pages when the run stopped at its page limit."""
    error: str = ""
    """Why the run stopped early (empty when it did not)."""


class DossierPuller:
    """Pull pages while the remote has more (at most ``max_pages`` per run), apply, then save the cursor."""

    def __init__(
        self,
        fetch: Fetch,
        apply: ApplyEvents,
        sessions: SessionFactory,
        name: str = "pull",
        *,
        max_pages: int = DEFAULT_MAX_PAGES,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self._fetch = fetch
        self._apply = apply
        self._sessions = sessions
        self._name = name
        self._max_pages = max_pages
        self._clock = clock or (lambda: datetime.now(UTC))

    async def cursor(self) -> str:
        """The saved cursor ("" before the first page)."""
        async with self._sessions() as session:
            row = await session.get(SyncCursor, self._name)
            return row.cursor if row is not None else ""

    async def pull_once(self) -> PullReport:
        """One run: never raises; a failure is reported and leaves the cursor at the last applied page."""
        counts = {"pages": 0, "received": 0, "applied": 0, "duplicates": 0, "stale": 0, "invalid": 0}
        try:
            cursor = await self.cursor()
        except Exception as exc:
            log.error("dossier pull %s: cannot read the cursor: %s", self._name, type(exc).__name__)
            return PullReport(error=f"cursor: {type(exc).__name__}")
        more, error = False, ""
        while True:
            if counts["pages"] >= self._max_pages:
                more = True
                break
            try:
                page = await self._fetch(cursor)
            except PullError as exc:
                error = str(exc) or type(exc).__name__
                log.warning("dossier pull %s: fetch failed (%s): %s", self._name, type(exc).__name__, error)
                break
            except Exception as exc:  # a bug in the fetcher must not stop the scheduler
                error = type(exc).__name__
                log.error("dossier pull %s: fetch failed unexpectedly: %s", self._name, error)
                break
            counts["pages"] += 1
            counts["received"] += len(page.events)
            events = self._validate(page.events, counts)
            try:
                if events:
                    result, refused = await apply_leaving_out_reused_ids(self._apply, events)
                    if refused:
                        counts["invalid"] += len(refused)
                        log.warning(
                            "dossier pull %s: %d event(s) skipped: event_id reused with other content",
                            self._name,
                            len(refused),
                        )
                    counts["applied"] += result.applied
                    counts["duplicates"] += result.duplicates
                    counts["stale"] += result.stale
                if page.cursor != cursor:
                    await self._save_cursor(page.cursor)
            except Exception as exc:  # database down: keep the cursor, the next run applies the page again
                error = f"apply: {type(exc).__name__}"
                log.error("dossier pull %s: page not applied: %s", self._name, type(exc).__name__)
                break
            moved = page.cursor != cursor
            cursor = page.cursor
            if not page.has_more:
                break
            if not moved:
                error = "the remote said has_more without moving the cursor"
                log.warning("dossier pull %s: %s", self._name, error)
                break
        report = PullReport(**counts, cursor=cursor, more=more, error=error)
        log.info(
            "dossier pull %s: %d page(s), %d event(s): %d applied, %d duplicate(s), %d stale, %d invalid%s",
            self._name,
            report.pages,
            report.received,
            report.applied,
            report.duplicates,
            report.stale,
            report.invalid,
            "; more to fetch" if more else "",
        )
        return report

    def _validate(self, raws: Sequence[Any], counts: dict[str, int]) -> list[DossierEventIn]:
        events: list[DossierEventIn] = []
        for index, raw in enumerate(raws):
            if not isinstance(raw, dict):
                counts["invalid"] += 1
                log.warning("dossier pull %s: event %d skipped: not an object", self._name, index)
                continue
            try:
                events.append(parse_event(raw))
            except InvalidEventError as exc:
                counts["invalid"] += 1
                # Field names only: values may be personal data.
                fields = ", ".join(sorted({e.field for e in exc.errors}))
                log.warning("dossier pull %s: event %d skipped: invalid %s", self._name, index, fields)
        return events

    async def _save_cursor(self, cursor: str) -> None:
        async with self._sessions.begin() as session:
            await begin_write(session)
            row = await session.get(SyncCursor, self._name)
            if row is None:
                session.add(SyncCursor(name=self._name, cursor=cursor, updated_at=self._clock()))
            else:
                row.cursor = cursor
                row.updated_at = self._clock()
