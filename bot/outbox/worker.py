"""The outbox worker (DESIGN §5): claim due rows, send them within the rate limits, mark each outcome.

Delivery is at-least-once: a worker that dies between a send and its mark leaves the row leased; once
the lease runs out the row is claimed again and sent again, and ``attempts`` > 1 on the sent row counts
it as a possible duplicate. No database transaction is open while a message is on the wire.

A 429 (too many requests) pauses the whole platform for its ``retry_after``, not only the refused chat:
Telegram's global limit answers any chat with it. While a platform is paused, none of its rows are
claimed; rows already claimed that would get their send slot later than a quarter of the lease after
their claim (a pause, or the rows ahead of them in the batch) are given back (pending, due when the slot
comes, the attempt not counted) instead of being sent when their lease may be gone. 429s are
counted per platform in :attr:`OutboxWorker.rate_limits`, and per row in the outbox's stats.

Each platform has its own lane (DESIGN §8): :meth:`OutboxWorker.run` claims and sends every platform's
rows in a loop of its own, so a slow or rate-limited platform never holds up another's messages.

Edit rows (:func:`bot.outbox.queue.enqueue_edit`) wait, uncounted, until their original is sent; they
fail with the original's reason when it failed; the older of several edits of one message are closed
as superseded; a platform without edits fails them at once with the reason ``unsupported``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Mapping
from datetime import datetime, timedelta
from typing import Protocol

from bot.config import OutboxConfig
from bot.messages import ChatRef, Platform
from bot.outbox.core import RecipientHook
from bot.outbox.errors import (
    ChatMovedError,
    DeliveryError,
    PermanentDeliveryError,
    RateLimitedError,
    RecipientGoneError,
    RetryLaterError,
    Sender,
)
from bot.outbox.queue import EDITABLE_PLATFORMS, FAILED, PENDING, SENDING, SENT
from bot.outbox.ratelimit import RateLimiter
from bot.outbox.store import EDIT_WAIT_SECONDS, Claimed, OutboxStore
from bot.storage import SessionFactory
from bot.storage.columns import utcnow

log = logging.getLogger(__name__)

# A 429 without retry_after still pauses the platform this long (seconds).
_DEFAULT_PAUSE = 1.0

# How often (worker clock) the worker looks for rows of platforms it has no sender for, to say so once.
_ORPHAN_CHECK = timedelta(minutes=5)


class ChoiceMemory(Protocol):
    """Remembers the numbered choices shown in a chat, so "2" answers a notification on Zalo."""

    async def remember(self, chat_key: str, payloads: list[str]) -> None:
        """Store the payloads shown in ``chat_key``."""


class OutboxWorker:
    """Sends what the outbox holds, one batch at a time per platform, until stopped."""

    def __init__(
        self,
        sessions: SessionFactory,
        senders: Mapping[Platform, Sender],
        config: OutboxConfig,
        *,
        choices: ChoiceMemory | None = None,
        clock: Callable[[], datetime] = utcnow,
        limiter: RateLimiter | None = None,
        store: OutboxStore | None = None,
        on_recipient: RecipientHook | None = None,
    ) -> None:
        self._senders = dict(senders)
        self._config = config
        self._choices = choices
        self._clock = clock
        self.limiter = limiter or RateLimiter.from_config(config)
        self.store = store or OutboxStore(
            sessions,
            lease_seconds=config.lease_seconds,
            max_attempts=config.max_attempts,
            clock=clock,
            on_recipient=on_recipient,
        )
        self._stopping = asyncio.Event()
        self._warned: set[str] = set()
        self._orphans_checked: datetime | None = None
        # One lane per platform; with no sender at all, one empty lane still watches for orphans.
        self._lanes: tuple[Platform | None, ...] = tuple(self._senders) or (None,)
        self._wakes = {lane: asyncio.Event() for lane in self._lanes}
        self._idles = {lane: asyncio.Event() for lane in self._lanes}
        # Longer waits for a send slot give the row back rather than hold its lease.
        self._hold = max(config.lease_seconds / 4, 1.0)
        self.rate_limits: Counter[Platform] = Counter()
        """429 answers per platform since the worker started."""

    @property
    def idle(self) -> bool:
        """True while every lane of :meth:`run` waits for work (its last claim found nothing due)."""
        return all(event.is_set() for event in self._idles.values())

    async def wait_idle(self) -> None:
        """Return once every lane of :meth:`run` waits for work."""
        while not self.idle:
            await asyncio.gather(*(event.wait() for event in self._idles.values()))

    def wake(self) -> None:
        """Look for due rows now, not after ``idle_poll_seconds`` (the Outbox calls it after commits)."""
        for event in self._wakes.values():
            event.set()

    async def run(self, stop: asyncio.Event) -> None:
        """Deliver until ``stop`` is set, a lane per platform; batches in flight are finished and marked."""
        self._stopping.clear()
        watcher = asyncio.ensure_future(self._relay(stop))
        lanes = [asyncio.ensure_future(self._lane(lane, stop)) for lane in self._lanes]
        try:
            await asyncio.gather(*lanes)
        finally:
            for task in lanes:
                task.cancel()
            await asyncio.gather(*lanes, return_exceptions=True)
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher

    async def _lane(self, lane: Platform | None, stop: asyncio.Event) -> None:
        """One platform's claim loop: its batches wait for nobody else's."""
        wake, idle = self._wakes[lane], self._idles[lane]
        platforms = () if lane is None else (lane,)
        while not stop.is_set():
            # Cleared before the claim: a wake() during the batch is kept, so no enqueue is missed.
            wake.clear()
            try:
                claimed = await self.run_once(platforms)
            except Exception as exc:  # a database hiccup must not end delivery for good
                log.error("outbox: batch failed with %s; retrying", type(exc).__name__)
                claimed = 0
            if claimed:
                continue
            await self._check_orphans()
            idle.set()
            try:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(wake.wait(), self._config.idle_poll_seconds)
            finally:
                idle.clear()

    async def _relay(self, stop: asyncio.Event) -> None:
        await stop.wait()
        self._stopping.set()
        self.wake()

    async def drain(self, until_idle: bool = True) -> int:
        """Send every due row (one batch if not ``until_idle``); return how many rows were handled."""
        total = 0
        while True:
            handled = await self.run_once()
            total += handled
            if not handled or not until_idle:
                await self._check_orphans()
                return total

    async def run_once(self, platforms: Iterable[Platform] | None = None) -> int:
        """Claim one batch (of ``platforms``, default: all with a sender), deliver it; return its size."""
        if self._stopping.is_set():
            return 0
        wanted = self._senders if platforms is None else [p for p in platforms if p in self._senders]
        # A paused platform's rows stay in the table: claiming them now would only hold their leases.
        ready = [p for p in wanted if self.limiter.paused(p) <= 0]
        batch = await self.store.claim(self._config.batch_size, ready)
        if not batch:
            return 0
        claimed_at = self._clock()
        # One chat's messages go in order; different chats go concurrently.
        by_chat: dict[str, list[Claimed]] = {}
        for item in batch:
            by_chat.setdefault(item.chat.key, []).append(item)
        await asyncio.gather(*(self._deliver_chat(items, claimed_at) for items in by_chat.values()))
        return len(batch)

    async def _deliver_chat(self, items: list[Claimed], claimed_at: datetime) -> None:
        for item in items:
            try:
                await self._deliver(item, claimed_at)
            except Exception as exc:  # a bad row or a failed mark must not stop the chat's other rows
                log.error("outbox: row %s not handled (%s)", item.id, type(exc).__name__)

    async def _deliver(self, item: Claimed, claimed_at: datetime) -> None:
        sender = self._senders[item.chat.platform]
        chat = item.chat
        call: Callable[[], Awaitable[str]]
        if item.edit_of:
            target = await self._edit_target(item)
            if target is None:
                return
            chat, message_id = target

            async def call() -> str:
                await sender.edit(chat, message_id, item.reply)
                return message_id
        else:

            async def call() -> str:
                return await sender.send(chat, item.reply)

        # The wait for a send slot counts from the claim: the rows of a batch queue for the same slots, and
        # the last of them must not be sent after their lease ran out (another worker may hold them then).
        budget = self._hold - (self._clock() - claimed_at).total_seconds()
        wait = await self._acquire(chat, budget)
        if wait is None:
            await self.store.release(item)
            return
        if wait > 0:
            await self.store.postpone(item, self._clock() + timedelta(seconds=wait))
            return
        try:
            message_id = await call()
        except RetryLaterError as exc:
            if isinstance(exc, RateLimitedError):
                self._rate_limited(chat, exc.retry_after)
            elif exc.retry_after:
                self.limiter.pause(chat, exc.retry_after)
            status = await self.store.mark_retry(item, exc.reason, exc.retry_after)
            log.info("outbox: row %s to %s: %s; now %s", item.id, chat.key, exc.reason, status or "?")
        except ChatMovedError as exc:
            if item.edit_of:
                # The old group's messages stay behind, read-only: there is nothing to edit at the new id.
                await self.store.mark_failed(item, f"chat moved: {exc.reason}")
                return
            log.info("outbox: chat %s moved to %s", chat.key, exc.new_chat_id)
            await self.store.chat_moved(item, exc.new_chat_id, exc.reason)
            self.wake()
        except RecipientGoneError as exc:
            log.info("outbox: chat %s is gone (%s)", chat.key, exc.reason)
            await self.store.mark_failed(item, exc.reason, gone=True)
        except PermanentDeliveryError as exc:
            log.warning("outbox: row %s refused (%s)", item.id, exc.reason)
            await self.store.mark_failed(item, exc.reason)
        except DeliveryError as exc:
            await self.store.mark_retry(item, exc.reason)
        except Exception as exc:
            # An unexpected error is treated as transient; max_attempts still ends it.
            log.error("outbox: sending row %s failed with %s", item.id, type(exc).__name__)
            await self.store.mark_retry(item, f"error: {type(exc).__name__}")
        else:
            if item.edit_of:
                await self.store.mark_edited(item, message_id)
                return
            await self.store.mark_sent(item, message_id)
            payloads = [button.payload for button in item.reply.buttons]
            if payloads and self._choices is not None:
                await self._choices.remember(item.chat.key, payloads)

    async def _edit_target(self, item: Claimed) -> tuple[ChatRef, str] | None:
        """Where the edit goes (chat, message id); None when the row was closed or put off instead."""
        if item.chat.platform not in EDITABLE_PLATFORMS:
            await self.store.mark_failed(
                item, f"unsupported: {item.chat.platform.value} cannot edit messages"
            )
            return None
        target = await self.store.edit_target(item)
        if target.superseded:
            await self.store.mark_superseded(item)
        elif target.status == "":
            await self.store.mark_failed(item, "original message not found")
        elif target.status == FAILED:
            await self.store.mark_failed(item, f"original failed: {target.error}")
        elif target.status in (PENDING, SENDING):
            now = self._clock()
            after = max(target.due_at or now, now) if target.status == PENDING else now
            await self.store.postpone(item, after + timedelta(seconds=EDIT_WAIT_SECONDS))
        elif target.status == SENT and target.message_id and target.chat is not None:
            return target.chat, target.message_id
        else:
            await self.store.mark_failed(item, "original message has no message id")
        return None

    def _rate_limited(self, chat: ChatRef, retry_after: float | None) -> None:
        """A 429: pause the whole platform (and the chat) for the platform's wait, and count it."""
        seconds = retry_after if retry_after and retry_after > 0 else _DEFAULT_PAUSE
        self.limiter.pause(chat.platform, seconds)
        self.limiter.pause(chat, seconds)
        self.rate_limits[chat.platform] += 1
        log.warning("outbox: %s answered 429; every send to it waits %.1f s", chat.platform.value, seconds)

    async def _acquire(self, chat: ChatRef, budget: float) -> float | None:
        """Wait up to ``budget`` s for the rate limits: 0 (slot taken), a longer wait, None (stopping)."""
        wait = self.limiter.try_acquire(chat)
        if wait == 0:
            return 0.0
        if wait > budget:
            return wait
        if self._stopping.is_set():
            return None
        acquiring = asyncio.ensure_future(self.limiter.acquire(chat, max_wait=budget))
        stopping = asyncio.ensure_future(self._stopping.wait())
        try:
            await asyncio.wait({acquiring, stopping}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopping.cancel()
            if not acquiring.done():
                acquiring.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await acquiring
        if acquiring.done() and not acquiring.cancelled() and acquiring.exception() is None:
            return acquiring.result()
        return None

    async def _check_orphans(self) -> None:
        """Say once per platform that rows wait for a platform with no sender configured."""
        now = self._clock()
        if self._orphans_checked is not None and now - self._orphans_checked < _ORPHAN_CHECK:
            return
        self._orphans_checked = now
        try:
            waiting = await self.store.waiting_platforms()
        except Exception as exc:
            log.debug("outbox: could not check waiting platforms (%s)", type(exc).__name__)
            return
        for platform in sorted(waiting - {p.value for p in self._senders} - self._warned):
            self._warned.add(platform)
            log.warning("outbox: messages for %s wait, but no sender is configured for it", platform)
