"""A lane per platform: a slow or rate-limited platform never holds up another's messages."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from bot.messages import ChatRef, Platform, Reply
from bot.outbox import SENT, Sender, enqueue
from bot.storage import OutboxMessage, SessionFactory
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.zalo_api import FakeZalo
from tests.fakes.zalo_api import Fault as ZaloFault
from tests.outbox.support import FakeClock, make_worker

pytest_plugins = ["tests.outbox.fixtures"]

ZALO_CHATS = [f"z{n:02d}" for n in range(15)]
TELEGRAM_CHATS = list(range(1, 6))


async def _queue(sessions: SessionFactory) -> None:
    """Zalo's notices first (the oldest due, more than a batch), then Telegram's."""
    chats = [ChatRef(Platform.ZALO, c) for c in ZALO_CHATS] + [
        ChatRef(Platform.TELEGRAM, str(n)) for n in TELEGRAM_CHATS
    ]
    for n, chat in enumerate(chats):
        async with sessions() as session, session.begin():
            await enqueue(session, key=f"k{n}", chat=chat, reply=Reply(f"thông báo {n}"), kind="test")


async def _statuses(sessions: SessionFactory) -> dict[str, str]:
    async with sessions() as session:
        rows = await session.execute(select(OutboxMessage.platform, OutboxMessage.status))
        return {f"{platform}:{n}": status for n, (platform, status) in enumerate(rows)}


async def test_telegram_goes_out_while_zalo_answers_slowly(
    sessions: SessionFactory,
    senders: dict[Platform, Sender],
    fake: FakeTelegram,
    zalo: FakeZalo,
    clock: FakeClock,
) -> None:
    for chat in ZALO_CHATS:
        zalo.add_chat(chat)
    for n in TELEGRAM_CHATS:
        fake.add_chat(n)
    zalo.inject("sendMessage", ZaloFault.slow(5.0), times=None)
    await _queue(sessions)
    worker = make_worker(sessions, senders, clock)
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run(stop))
    try:
        for n in TELEGRAM_CHATS:
            await fake.wait_messages(n, 1, within=10)
        # Every Telegram message is out while Zalo's first batch is still on the wire.
        assert zalo.sent == []
        assert len(zalo.calls_of("sendMessage")) == 0
        for chat in ZALO_CHATS:
            await zalo.wait_messages(chat, 1, within=30)
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)
    assert task.exception() is None
    assert set((await _statuses(sessions)).values()) == {SENT}


async def test_a_rate_limited_platform_pauses_only_its_own_lane(
    sessions: SessionFactory,
    senders: dict[Platform, Sender],
    fake: FakeTelegram,
    zalo: FakeZalo,
    clock: FakeClock,
) -> None:
    for chat in ZALO_CHATS:
        zalo.add_chat(chat)
    for n in TELEGRAM_CHATS:
        fake.add_chat(n)
    zalo.inject("sendMessage", ZaloFault.rate_limited(), times=None)
    await _queue(sessions)
    worker = make_worker(sessions, senders, clock)
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run(stop))
    try:
        for n in TELEGRAM_CHATS:
            await fake.wait_messages(n, 1, within=10)
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)
    assert task.exception() is None
    assert worker.rate_limits[Platform.ZALO] >= 1
    assert zalo.sent == []
