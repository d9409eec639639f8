"""A 429 pauses the whole platform: the worker over real databases and the fake Telegram, on a fake clock."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.config import OutboxConfig
from bot.messages import ChatRef, Platform, Reply
from bot.outbox import PENDING, SENT, Sender, enqueue
from bot.outbox.ratelimit import RateLimiter
from bot.storage import OutboxMessage, SessionFactory
from tests.fakes.telegram_api import FakeTelegram, Fault, SendLimits
from tests.fakes.zalo_api import FakeZalo
from tests.outbox.support import FakeClock, make_worker, with_outbox

pytest_plugins = ["tests.outbox.fixtures"]

ZALO_CHAT = ChatRef(Platform.ZALO, "a1b2c3d4e5f6a7b8c9d0")


def tg(n: int) -> ChatRef:
    """Telegram private chat ``n``."""
    return ChatRef(Platform.TELEGRAM, str(n))


async def put(sessions: SessionFactory, key: str, chat: ChatRef) -> None:
    """Enqueue one directive message in its own transaction."""
    async with sessions() as session, session.begin():
        await enqueue(
            session, key=key, chat=chat, reply=Reply(f"Chỉ đạo số 7 ({key})"), kind="directive", ref="7"
        )


async def rows(sessions: SessionFactory) -> dict[str, OutboxMessage]:
    """Every outbox row by key."""
    async with sessions() as session:
        return {r.key: r for r in (await session.execute(select(OutboxMessage))).scalars()}


async def test_a_429_pauses_every_send_on_the_platform_and_nothing_is_lost(
    sessions: SessionFactory,
    senders: dict[Platform, Sender],
    fake: FakeTelegram,
    zalo: FakeZalo,
    clock: FakeClock,
) -> None:
    for n in range(1, 6):
        fake.add_chat(n)
        await put(sessions, f"t{n}", tg(n))
    zalo.add_chat(ZALO_CHAT.chat_id)
    await put(sessions, "z", ZALO_CHAT)
    # The 429 answers chat 2, but it is the bot's overall limit: chats 3 to 5 must wait too.
    fake.inject("sendMessage", Fault.too_many_requests(5), chat_id=2)
    worker = make_worker(sessions, senders, clock, with_outbox(batch_size=1))
    assert await worker.drain() == 3  # t1 sent, t2 refused, then only Zalo may go
    assert worker.rate_limits == Counter({Platform.TELEGRAM: 1})
    assert worker.limiter.paused(Platform.TELEGRAM) == 5 and worker.limiter.paused(Platform.ZALO) == 0
    assert [m.chat_id for m in fake.sent] == [1]
    assert len(zalo.messages_to(ZALO_CHAT.chat_id)) == 1
    waiting = await rows(sessions)
    assert waiting["t2"].status == PENDING and waiting["t2"].due_at == clock.now + timedelta(seconds=5)
    assert all((waiting[f"t{n}"].status, waiting[f"t{n}"].attempts) == (PENDING, 0) for n in (3, 4, 5))
    clock.advance(4)
    assert await worker.drain() == 0
    assert len(fake.calls_of("sendMessage")) == 2
    clock.advance(1)
    assert await worker.drain() == 4
    assert sorted(m.chat_id for m in fake.sent) == [1, 2, 3, 4, 5]  # each once: nothing lost or doubled
    done = await rows(sessions)
    assert all(r.status == SENT for r in done.values())
    stats = await worker.store.stats(ref="7")
    assert (stats.sent, stats.rate_limited) == (6, 1)


class PauseWatch:
    """Delegates to the real sender and notes how long the platform was still paused at each send's start."""

    def __init__(self, inner: Sender) -> None:
        self.inner = inner
        self.limiter: RateLimiter | None = None
        self.paused_at_start: list[float] = []

    async def send(self, chat: ChatRef, reply: Reply) -> str:
        """Note the pause left, then send for real."""
        assert self.limiter is not None
        self.paused_at_start.append(self.limiter.paused(chat.platform))
        return await self.inner.send(chat, reply)

    async def edit(self, chat: ChatRef, message_id: str, reply: Reply) -> None:
        """Edit for real."""
        await self.inner.edit(chat, message_id, reply)


async def test_a_broadcast_faster_than_the_platform_allows_delivers_everything_once(
    sessions: SessionFactory, senders: dict[Platform, Sender], fake: FakeTelegram, clock: FakeClock
) -> None:
    chats = list(range(1, 41))
    for n in chats:
        fake.add_chat(n)
        await put(sessions, f"t{n}", tg(n))
    # The platform takes 10 a second; the worker is configured (wrongly) for 100.
    fake.enable_limits(SendLimits(per_second=10, tolerance=0.0), clock=clock.monotonic)
    watch = PauseWatch(senders[Platform.TELEGRAM])
    config = with_outbox(batch_size=10, telegram_per_second=100.0)
    worker = make_worker(sessions, {Platform.TELEGRAM: watch}, clock, config)
    watch.limiter = worker.limiter
    for _ in range(100):
        await worker.drain()
        if all(r.status == SENT for r in (await rows(sessions)).values()):
            break
        clock.advance(max(worker.limiter.paused(Platform.TELEGRAM), 0.5))
    assert sorted(m.chat_id for m in fake.sent) == chats  # every chat once: nothing lost, nothing doubled
    assert fake.throttled and worker.rate_limits[Platform.TELEGRAM] == len(fake.throttled)
    # After each 429 no send started until the platform's pause was over (only those on their way got 429).
    assert len(watch.paused_at_start) == len(fake.calls_of("sendMessage"))
    assert all(left == 0 for left in watch.paused_at_start)
    assert len(fake.throttled) < len(chats)


async def test_a_long_wait_for_a_slot_gives_the_row_back_instead_of_holding_its_lease(
    sessions: SessionFactory, senders: dict[Platform, Sender], fake: FakeTelegram, clock: FakeClock
) -> None:
    fake.add_chat(1)
    await put(sessions, "t1", tg(1))
    worker = make_worker(sessions, senders, clock)  # lease 60 s: waits over 15 s are not held
    worker.limiter.pause(tg(1), 100)
    assert await worker.drain() == 1
    row = (await rows(sessions))["t1"]
    assert (row.status, row.attempts, row.lease_until) == (PENDING, 0, None)
    assert row.due_at == clock.now + timedelta(seconds=100)
    assert fake.calls_of("sendMessage") == [] and clock.slept == []
    clock.advance(100)
    assert await worker.drain() == 1
    assert (await rows(sessions))["t1"].status == SENT


def test_platform_pause_holds_every_chat_of_that_platform_only() -> None:
    clock = FakeClock(datetime(2026, 1, 1, tzinfo=UTC))
    rl = RateLimiter.from_config(OutboxConfig(), clock=clock.monotonic, sleep=clock.sleep)
    rl.pause(Platform.TELEGRAM, 3)
    rl.pause(Platform.TELEGRAM, 1)  # a shorter pause does not shorten a longer one
    assert rl.try_acquire(tg(1)) == 3 and rl.try_acquire(tg(2)) == 3
    assert rl.try_acquire(ZALO_CHAT) == 0
    assert rl.paused(Platform.TELEGRAM) == 3 and rl.paused(Platform.ZALO) == 0
    clock.advance(3)
    assert rl.paused(Platform.TELEGRAM) == 0 and rl.try_acquire(tg(1)) == 0


async def test_acquire_with_max_wait_returns_a_longer_wait_without_taking_a_slot() -> None:
    clock = FakeClock(datetime(2026, 1, 1, tzinfo=UTC))
    rl = RateLimiter.from_config(OutboxConfig(), clock=clock.monotonic, sleep=clock.sleep)
    rl.pause(Platform.TELEGRAM, 20)
    assert await rl.acquire(tg(1), max_wait=10) == 20
    assert clock.slept == []
    assert await rl.acquire(tg(1), max_wait=30) == 0
    assert clock.slept == [20]
