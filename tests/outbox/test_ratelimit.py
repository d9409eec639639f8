"""The outbox rate limiter on a fake clock: global, per chat, per Telegram group per minute."""

from __future__ import annotations

import asyncio
import itertools
from datetime import UTC, datetime

from bot.config import OutboxConfig
from bot.messages import ChatRef, Platform
from bot.outbox.ratelimit import PlatformLimits, RateLimiter
from tests.outbox.support import FakeClock, with_outbox


def limiter(clock: FakeClock, config: OutboxConfig | None = None) -> RateLimiter:
    """A limiter with the given (default: production) ceilings on the fake clock."""
    return RateLimiter.from_config(config or OutboxConfig(), clock=clock.monotonic, sleep=clock.sleep)


def fake_clock() -> FakeClock:
    """A fresh fake clock."""
    return FakeClock(datetime(2026, 1, 1, tzinfo=UTC))


async def send_times(clock: FakeClock, rl: RateLimiter, chats: list[ChatRef]) -> list[float]:
    """When (seconds from the start) each acquire returned, acquiring one after another."""
    start = clock.monotonic()
    times = []
    for chat in chats:
        await rl.acquire(chat)
        times.append(round(clock.monotonic() - start, 6))
    return times


async def test_global_limit_spaces_distinct_chats_evenly() -> None:
    clock = fake_clock()
    chats = [ChatRef(Platform.TELEGRAM, str(n)) for n in range(31)]
    times = await send_times(clock, limiter(clock), chats)
    assert times == [round(n / 30, 6) for n in range(31)]


async def test_per_chat_limit_allows_one_a_second() -> None:
    clock = fake_clock()
    chat = ChatRef(Platform.ZALO, "abc")
    other = ChatRef(Platform.ZALO, "def")
    rl = limiter(clock)
    times = await send_times(clock, rl, [chat, chat, chat])
    assert times == [0.0, 1.0, 2.0]
    # Another chat is not held back by the first one's limit, only by the global 20/s spacing.
    assert 0 < rl.try_acquire(other) <= 1 / 20 + 1e-9
    clock.advance(1 / 20)
    assert rl.try_acquire(other) == 0


async def test_group_limit_is_twenty_in_any_minute() -> None:
    clock = fake_clock()
    group = ChatRef(Platform.TELEGRAM, "-100", is_group=True)
    times = await send_times(clock, limiter(clock), [group] * 22)
    # One a second (per chat) for the first twenty, then the window is full until a minute has passed.
    assert times[:20] == [float(n) for n in range(20)]
    assert times[20:] == [60.0, 61.0]


async def test_platforms_have_separate_buckets() -> None:
    clock = fake_clock()
    rl = limiter(clock, with_outbox(telegram_per_second=1.0, zalo_per_second=1.0))
    assert rl.try_acquire(ChatRef(Platform.TELEGRAM, "1")) == 0
    assert rl.try_acquire(ChatRef(Platform.ZALO, "1")) == 0
    assert rl.try_acquire(ChatRef(Platform.TELEGRAM, "2")) == 1.0


async def test_a_pause_holds_the_chat_back() -> None:
    clock = fake_clock()
    rl = limiter(clock)
    chat = ChatRef(Platform.TELEGRAM, "7")
    rl.pause(chat, 12)
    assert await send_times(clock, rl, [chat]) == [12.0]


async def test_concurrent_acquires_never_exceed_the_ceiling() -> None:
    clock = fake_clock()
    rl = RateLimiter(
        {Platform.TELEGRAM: PlatformLimits(per_second=30.0, per_chat_per_second=1.0)},
        clock=clock.monotonic,
        sleep=clock.sleep,
    )
    chats = [ChatRef(Platform.TELEGRAM, str(n)) for n in range(1000)]
    start = clock.monotonic()
    taken: list[float] = []

    async def one(chat: ChatRef) -> None:
        await rl.acquire(chat)
        taken.append(clock.monotonic() - start)

    await asyncio.gather(*(one(chat) for chat in chats))
    taken.sort()
    # A 1,000-recipient broadcast runs at the ceiling: 30 a second, never more in any second.
    assert len(taken) == 1000
    assert 999 / 30 - 1e-6 <= taken[-1] <= 999 / 30 + 1.0
    assert all(b - a >= 1 / 30 - 1e-9 for a, b in itertools.pairwise(taken))


async def test_unknown_platform_is_not_limited() -> None:
    clock = fake_clock()
    rl = limiter(clock)
    console = ChatRef(Platform.CONSOLE, "me")
    assert [rl.try_acquire(console) for _ in range(5)] == [0.0] * 5
