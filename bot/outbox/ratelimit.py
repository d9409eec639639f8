"""Per-platform send limits for the outbox: global, per chat, and per Telegram group per minute.

A message may go when every bucket that applies to it allows; :meth:`RateLimiter.acquire` waits
(asyncio) until then and takes one slot from each in the same step, so concurrent senders never
overshoot. The global and per-chat limits are spacings (one message every ``1/rate`` seconds, no
bursts): a 1,000-recipient broadcast runs at the ceiling, evenly, instead of bursting into 429s.
Telegram's group limit is a sliding window (at most N in any 60 seconds), which is what Telegram counts.

:meth:`RateLimiter.pause` holds back one chat, or a whole platform: a 429 may come from Telegram's
global limit, and then every send of the bot must wait ``retry_after``, not only the refused chat's.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.config import OutboxConfig
from bot.messages import ChatRef, Platform

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]

# Per-chat state is forgotten once idle this long (seconds), so a broadcast leaves no lasting memory.
_IDLE_FORGET = 120.0
_PRUNE_EVERY = 1024


class Spacing:
    """At most one event every ``1/rate`` seconds (rate <= 0: unlimited)."""

    __slots__ = ("interval", "next_at")

    def __init__(self, rate: float) -> None:
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self.next_at = float("-inf")

    def wait(self, now: float) -> float:
        """Seconds until the next event is allowed (0 when it is now)."""
        return max(self.next_at - now, 0.0)

    def take(self, now: float) -> None:
        """Record an event at ``now``."""
        self.next_at = max(self.next_at, now) + self.interval

    def delay(self, until: float) -> None:
        """Allow nothing before ``until``."""
        self.next_at = max(self.next_at, until)

    def idle(self, now: float) -> bool:
        """True when the spacing no longer constrains anything."""
        return self.next_at + _IDLE_FORGET < now


class Window:
    """At most ``limit`` events in any ``period`` seconds (limit <= 0: unlimited)."""

    __slots__ = ("events", "limit", "period")

    def __init__(self, limit: int, period: float) -> None:
        self.limit = limit
        self.period = period
        self.events: deque[float] = deque()

    def wait(self, now: float) -> float:
        """Seconds until the next event is allowed (0 when it is now)."""
        if self.limit <= 0:
            return 0.0
        while self.events and self.events[0] + self.period <= now:
            self.events.popleft()
        if len(self.events) < self.limit:
            return 0.0
        return self.events[0] + self.period - now

    def take(self, now: float) -> None:
        """Record an event at ``now``."""
        if self.limit > 0:
            self.events.append(now)

    def idle(self, now: float) -> bool:
        """True when every recorded event has left the window."""
        return not self.events or self.events[-1] + self.period <= now


@dataclass(frozen=True, slots=True)
class PlatformLimits:
    """The ceilings of one platform (0: no limit)."""

    per_second: float = 0.0
    per_chat_per_second: float = 0.0
    group_per_minute: int = 0


def limits_from_config(config: OutboxConfig) -> dict[Platform, PlatformLimits]:
    """The configured ceilings of each platform (the console has none)."""
    return {
        Platform.TELEGRAM: PlatformLimits(
            config.telegram_per_second,
            config.telegram_per_chat_per_second,
            int(config.telegram_group_per_minute),
        ),
        Platform.ZALO: PlatformLimits(config.zalo_per_second, config.zalo_per_chat_per_second, 0),
    }


class RateLimiter:
    """The send limits of every platform; ``clock`` and ``sleep`` are injectable for tests."""

    def __init__(
        self,
        limits: dict[Platform, PlatformLimits],
        *,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._limits = limits
        self._clock = clock
        self._sleep = sleep
        self._global = {platform: Spacing(limit.per_second) for platform, limit in limits.items()}
        self._chats: dict[str, Spacing] = {}
        self._groups: dict[str, Window] = {}
        self._paused: dict[Platform, float] = {}
        self._takes = 0

    @classmethod
    def from_config(
        cls, config: OutboxConfig, *, clock: Clock = time.monotonic, sleep: Sleep = asyncio.sleep
    ) -> RateLimiter:
        """A limiter with the configured ceilings."""
        return cls(limits_from_config(config), clock=clock, sleep=sleep)

    def try_acquire(self, chat: ChatRef) -> float:
        """Take a slot for ``chat`` if every bucket allows now and return 0; else the seconds to wait."""
        now = self._clock()
        buckets = self._buckets(chat)
        wait = max((bucket.wait(now) for bucket in buckets), default=0.0)
        wait = max(wait, self._paused.get(chat.platform, now) - now)
        if wait > 0:
            return wait
        for bucket in buckets:
            bucket.take(now)
        self._takes += 1
        if self._takes % _PRUNE_EVERY == 0:
            self._prune(now)
        return 0.0

    async def acquire(self, chat: ChatRef, *, max_wait: float | None = None) -> float:
        """Wait until a message may be sent to ``chat`` and take its slot (0 returned).

        With ``max_wait``: waiting longer than that in all is not done; the wait still ahead is returned, and
        no slot taken (a slot another sender took first makes the wait longer than first said).
        """
        deadline = None if max_wait is None else self._clock() + max_wait
        while (wait := self.try_acquire(chat)) > 0:
            if deadline is not None and wait > deadline - self._clock():
                return wait
            await self._sleep(wait)
        return 0.0

    def pause(self, target: ChatRef | Platform, seconds: float) -> None:
        """Send nothing more to a chat, or to a whole platform, for ``seconds`` (a 429's retry_after)."""
        until = self._clock() + seconds
        if isinstance(target, Platform):
            self._paused[target] = max(self._paused.get(target, until), until)
        else:
            self._chat(target).delay(until)

    def paused(self, platform: Platform) -> float:
        """Seconds until ``platform`` may be sent to again after a :meth:`pause` (0: not paused)."""
        return max(self._paused.get(platform, 0.0) - self._clock(), 0.0)

    def _buckets(self, chat: ChatRef) -> list[Spacing | Window]:
        limits = self._limits.get(chat.platform)
        if limits is None:
            return []
        buckets: list[Spacing | Window] = [self._global[chat.platform], self._chat(chat)]
        if chat.is_group and limits.group_per_minute > 0:
            window = self._groups.get(chat.key)
            if window is None:
                window = self._groups[chat.key] = Window(limits.group_per_minute, 60.0)
            buckets.append(window)
        return buckets

    def _chat(self, chat: ChatRef) -> Spacing:
        spacing = self._chats.get(chat.key)
        if spacing is None:
            limits = self._limits.get(chat.platform, PlatformLimits())
            spacing = self._chats[chat.key] = Spacing(limits.per_chat_per_second)
        return spacing

    def _prune(self, now: float) -> None:
        self._chats = {key: s for key, s in self._chats.items() if not s.idle(now)}
        self._groups = {key: w for key, w in self._groups.items() if not w.idle(now)}
