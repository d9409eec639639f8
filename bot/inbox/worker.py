"""The inbox worker: claims stored updates (a chat's next only once its previous is done) and hands
each to its platform's channel, then marks it done.

At start it takes back the claims of a process that died (see :meth:`InboxStore.take_back`), so what
was stored but not handled is handled at once. While running it renews its claims' lease (the
heartbeat other processes judge it alive by) and prunes done rows kept long enough to refuse the
platforms' redeliveries.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import timedelta
from typing import Any

from bot.inbox.store import Claimed, Finished, InboxStore
from bot.messages import Platform

log = logging.getLogger(__name__)

Handler = Callable[[dict[str, Any]], Awaitable[None]]

KEEP_DONE = timedelta(hours=48)
"""How long a done row (its de-duplication key) is kept: longer than Telegram keeps an update (24 h)."""
PRUNE_EVERY_SECONDS = 600.0
RETRY_SECONDS = 1.0
MAX_ATTEMPTS = 5
"""Claims after which an update that never finished (it kept killing its process) is given up."""


class InboxWorker:
    """Hands stored updates to their channels, up to ``concurrency`` at once, one at a time per chat."""

    def __init__(
        self,
        store: InboxStore,
        handlers: Mapping[Platform, Handler],
        *,
        concurrency: int = 32,
        idle_seconds: float = 0.5,
        keep_done: timedelta = KEEP_DONE,
        max_attempts: int = MAX_ATTEMPTS,
    ) -> None:
        self.store = store
        self._handlers = dict(handlers)
        self._concurrency = concurrency
        self._idle = idle_seconds
        self._keep_done = keep_done
        self._max_attempts = max_attempts
        self._wake = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()
        self._finished: list[Finished] = []
        self.handled = 0
        self._kept = False
        store.on_kept(self._on_kept)

    def _on_kept(self) -> None:
        self._kept = True
        self.wake()

    def wake(self) -> None:
        """Look for claimable updates now (a new one was stored, or a chat's previous one is done)."""
        self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        """Take back dead claims, then hand out updates until ``stop`` is set; finish those in hand."""
        await self._take_back(stop)
        upkeep = asyncio.create_task(self._upkeep(stop))
        try:
            while not stop.is_set():
                self._wake.clear()
                free = self._concurrency - len(self._tasks)
                claimed = await self._claim(free)
                for item in claimed:
                    task = asyncio.create_task(self._handle(item))
                    self._tasks.add(task)
                    task.add_done_callback(self._task_done)
                if free > 0 and len(claimed) == free:
                    continue
                await _first(self._wake, stop, self._idle)
        finally:
            if self._tasks:
                await asyncio.gather(*self._tasks, return_exceptions=True)
            await self._flush()
            upkeep.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await upkeep

    async def _take_back(self, stop: asyncio.Event) -> None:
        """Take back dead claims before anything else, however long the database takes to answer."""
        while not stop.is_set():
            try:
                await self.store.take_back()
                return
            except Exception as exc:
                log.error("inbox: taking back claims failed with %s; retrying", type(exc).__name__)
                await _first(stop, stop, RETRY_SECONDS)

    async def _claim(self, limit: int) -> list[Claimed]:
        """Mark what was handled since the last round done and claim more, in one transaction."""
        finished, self._finished = self._finished, []
        # Just stored here: something is there to claim, no need to look first.
        kept, self._kept = self._kept, False
        try:
            claimed = await self.store.claim(limit, self._handlers, finished=finished, probe=not kept)
        except Exception as exc:  # the database is down: try again after a pause, never stop
            self._finished[:0] = finished
            log.error("inbox: claiming failed with %s; retrying", type(exc).__name__)
            await asyncio.sleep(RETRY_SECONDS)
            return []
        self.handled += len(finished)
        return claimed

    async def _flush(self) -> None:
        """Mark done what was handled since the last claim (the worker is stopping)."""
        finished, self._finished = self._finished, []
        try:
            self.handled += await self.store.done_many(finished)
        except Exception as exc:
            # Left claimed: taken back at the next start (or by another process after the lease).
            log.error("inbox: %d update(s) not marked done (%s)", len(finished), type(exc).__name__)

    def _task_done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        self.wake()

    async def _handle(self, item: Claimed) -> None:
        error = ""
        if item.attempts > self._max_attempts:
            error = f"gave up after {item.attempts - 1} unfinished attempts"
            log.error("inbox: %s update %s %s", item.platform.value, item.update_id, error)
        else:
            try:
                await self._handlers[item.platform](item.body)
            except Exception as exc:
                # The channel answers its own errors; this is a bug. The type only: messages quote text.
                error = type(exc).__name__
                log.error("inbox: %s update %s failed with %s", item.platform.value, item.update_id, error)
        self._finished.append((item, error))

    async def _upkeep(self, stop: asyncio.Event) -> None:
        """Renew the claims' lease a few times per lease; prune done rows now and then."""
        beat = max(self.store.lease.total_seconds() / 3, 0.05)
        since_prune = PRUNE_EVERY_SECONDS
        while not stop.is_set():
            try:
                await self.store.heartbeat()
                if since_prune >= PRUNE_EVERY_SECONDS:
                    since_prune = 0.0
                    await self.store.prune(self._keep_done)
            except Exception as exc:
                log.error("inbox: upkeep failed with %s", type(exc).__name__)
            await _first(stop, stop, beat)
            since_prune += beat


async def _first(event: asyncio.Event, stop: asyncio.Event, within: float) -> None:
    """Return when ``event`` or ``stop`` is set, or after ``within`` seconds."""
    waits = {asyncio.ensure_future(event.wait()), asyncio.ensure_future(stop.wait())}
    try:
        await asyncio.wait(waits, timeout=within, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for wait in waits:
            wait.cancel()
