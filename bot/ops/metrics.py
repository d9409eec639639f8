"""The bot's Prometheus metrics, in a registry of their own per serving app (so apps and tests never clash).

Counted as they happen: updates received and handled per platform (where updates enter the core, the
dispatcher; duplicates where the webhook route refuses them), search answers by kind, the handling time,
outbox sends by result (429s as ``rate_limited``), and whether this process runs the scheduler. Read at
scrape time: the outbox backlog (through :func:`bot.outbox.backlog`) and the inbox backlog, from whatever
source the composition root registers with :meth:`Metrics.watch_inbox`.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4

from bot.messages import Incoming, Reply
from bot.outbox import backlog
from bot.storage import SessionFactory
from bot.storage.columns import utcnow

log = logging.getLogger(__name__)

CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4
"""The classic text format every Prometheus server reads."""
SOURCE_TIMEOUT = 2.0
ANSWER_KINDS = ("confident", "choices", "none")
SEND_RESULTS = ("sent", "rate_limited", "retry", "moved", "gone", "refused", "error")
HANDLING_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


@dataclass(frozen=True, slots=True)
class QueueBacklog:
    """How much waits in a queue (inbox or outbox) and how long the oldest item has waited, in seconds."""

    depth: int
    oldest_age_seconds: float


BacklogSource = Callable[[], Awaitable[QueueBacklog]]
"""Reads a backlog at scrape time (an inbox's or the outbox's)."""
Dispatch = Callable[[Incoming], Awaitable[list[Reply]]]


class Metrics:
    """Every metric of one serving app, and the text ``/metrics`` answers with."""

    def __init__(self, platforms: Iterable[str] = ()) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.updates_received = Counter(
            "motcua_updates_received", "Updates that reached the core, per platform", ["platform"], registry=r
        )
        self.updates_handled = Counter(
            "motcua_updates_handled", "Updates the core answered without an error", ["platform"], registry=r
        )
        self.updates_failed = Counter(
            "motcua_updates_failed", "Updates whose handling raised an error", ["platform"], registry=r
        )
        self.updates_duplicated = Counter(
            "motcua_updates_duplicated",
            "Updates refused as already received (a platform's redelivery)",
            ["platform"],
            registry=r,
        )
        self.handling_seconds = Histogram(
            "motcua_update_handling_seconds",
            "Time the core took to answer one update",
            ["platform"],
            buckets=HANDLING_BUCKETS,
            registry=r,
        )
        self.answers = Counter(
            "motcua_answers", "Procedure questions answered, by kind of answer", ["kind"], registry=r
        )
        self.sends = Counter(
            "motcua_outbox_sends",
            "Outbox sends and edits by result (rate_limited: the platform answered 429)",
            ["platform", "result"],
            registry=r,
        )
        self.outbox_depth = Gauge("motcua_outbox_depth", "Outbox messages pending or being sent", registry=r)
        self.outbox_oldest = Gauge(
            "motcua_outbox_oldest_due_age_seconds",
            "How long the oldest due outbox message has waited since it fell due (0: none)",
            registry=r,
        )
        self.inbox_depth = Gauge("motcua_inbox_depth", "Inbox updates not yet handled", registry=r)
        self.inbox_oldest = Gauge(
            "motcua_inbox_oldest_age_seconds",
            "How long the oldest unhandled inbox update has waited (0: none)",
            registry=r,
        )
        self.scheduler_leader = Gauge(
            "motcua_scheduler_leader", "1 when the scheduler runs in this process", registry=r
        )
        self._outbox: BacklogSource | None = None
        self._inbox: BacklogSource | None = None
        for kind in ANSWER_KINDS:
            self.answers.labels(kind)
        for platform in platforms:
            self.expect_platform(platform)

    def expect_platform(self, platform: str) -> None:
        """Show ``platform``'s series at 0 before its first update or send."""
        for counter in (self.updates_received, self.updates_handled, self.updates_failed):
            counter.labels(platform)
        self.updates_duplicated.labels(platform)
        for result in SEND_RESULTS:
            self.sends.labels(platform, result)

    # --- counted as it happens ---------------------------------------------------------------------

    def observe(self, dispatch: Dispatch) -> Dispatch:
        """``dispatch``, counting each update received, handled or failed, and timing it."""

        async def observed(msg: Incoming) -> list[Reply]:
            platform = msg.chat.platform.value
            self.updates_received.labels(platform).inc()
            started = time.perf_counter()
            try:
                replies = await dispatch(msg)
            except BaseException:
                self.updates_failed.labels(platform).inc()
                raise
            finally:
                self.handling_seconds.labels(platform).observe(time.perf_counter() - started)
            self.updates_handled.labels(platform).inc()
            return replies

        return observed

    def duplicated(self, platform: str) -> None:
        """Count one update refused as a duplicate."""
        self.updates_duplicated.labels(platform).inc()

    def answered(self, kind: str) -> None:
        """Count one search answer (``confident``, ``choices`` or ``none``)."""
        self.answers.labels(kind).inc()

    def sent(self, platform: str, result: str) -> None:
        """Count one outbox send or edit by its result (one of :data:`SEND_RESULTS`)."""
        self.sends.labels(platform, result).inc()

    def set_scheduler_leader(self, leader: bool) -> None:
        """Say whether the scheduler runs in this process (for the leadership election to call)."""
        self.scheduler_leader.set(1 if leader else 0)

    # --- read at scrape time -----------------------------------------------------------------------

    def watch_outbox(self, sessions: SessionFactory) -> None:
        """Read the outbox backlog from this database at each scrape."""
        self._outbox = outbox_backlog(sessions)

    def watch_inbox(self, source: BacklogSource) -> None:
        """Read the inbox backlog through ``source`` at each scrape (registered by the composition root)."""
        self._inbox = source

    async def render(self) -> bytes:
        """Refresh the backlogs, then the whole registry in Prometheus text format."""
        await _refresh(self._outbox, self.outbox_depth, self.outbox_oldest, "outbox")
        await _refresh(self._inbox, self.inbox_depth, self.inbox_oldest, "inbox")
        return generate_latest(self.registry)


def outbox_backlog(sessions: SessionFactory, clock: Callable[[], datetime] = utcnow) -> BacklogSource:
    """A source reading the outbox's depth and the age of its oldest due message."""

    async def read() -> QueueBacklog:
        now = clock()
        async with sessions() as session:
            found = await backlog(session, now)
        age = 0.0 if found.oldest_due is None else max((now - found.oldest_due).total_seconds(), 0.0)
        return QueueBacklog(found.depth, age)

    return read


async def _refresh(source: BacklogSource | None, depth: Gauge, oldest: Gauge, name: str) -> None:
    """Set the two gauges from ``source``; NaN when it cannot be read now (absent: left untouched)."""
    if source is None:
        return
    try:
        found = await asyncio.wait_for(source(), SOURCE_TIMEOUT)
    except Exception as exc:  # a scrape must answer even when the database does not
        log.warning("metrics: %s backlog not read (%s)", name, type(exc).__name__)
        depth.set(math.nan)
        oldest.set(math.nan)
        return
    depth.set(found.depth)
    oldest.set(found.oldest_age_seconds)
