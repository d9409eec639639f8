"""The outbox worker over real databases and real HTTP to the fake Telegram and Zalo APIs."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.messages import Button, ChatRef, Platform, Reply
from bot.outbox import FAILED, PENDING, SENT, OutboxStore, Sender, enqueue
from bot.services.conversations import ConversationMemory
from bot.storage import DossierSubscription, OutboxMessage, SessionFactory
from tests.fakes.telegram_api import FakeTelegram, Fault
from tests.fakes.zalo_api import FakeZalo
from tests.fakes.zalo_api import Fault as ZaloFault
from tests.outbox.support import FakeClock, add_subscription, make_worker, with_outbox

pytest_plugins = ["tests.outbox.fixtures"]

TG_CHAT = ChatRef(Platform.TELEGRAM, "111")
ZALO_CHAT = ChatRef(Platform.ZALO, "a1b2c3d4e5f6a7b8c9d0")
NOTICE = Reply(
    "Hồ sơ <b>000.00.24.H57-250722-0001</b> đã có kết quả.",
    buttons=(Button("Đánh giá", "rate:000.00.24.H57-250722-0001"), Button("Hủy theo dõi", "unsub:1")),
)


async def put(sessions: SessionFactory, key: str, chat: ChatRef, reply: Reply = NOTICE, **kw: object) -> bool:
    """Enqueue one message in its own transaction."""
    async with sessions() as session, session.begin():
        return await enqueue(session, key=key, chat=chat, reply=reply, kind="dossier.ready", **kw)  # type: ignore[arg-type]


async def row(sessions: SessionFactory, key: str) -> OutboxMessage:
    """The outbox row with ``key``."""
    async with sessions() as session:
        return (await session.execute(select(OutboxMessage).where(OutboxMessage.key == key))).scalar_one()


async def subscriptions(sessions: SessionFactory) -> list[tuple[str, bool]]:
    """(chat_id, active) of every subscription."""
    async with sessions() as session:
        result = await session.execute(
            select(DossierSubscription.chat_id, DossierSubscription.active).order_by(DossierSubscription.id)
        )
        return [(chat_id, active) for chat_id, active in result.all()]


async def test_enqueue_twice_with_one_key_makes_one_row(sessions: SessionFactory) -> None:
    assert await put(sessions, "k1", TG_CHAT) is True
    assert await put(sessions, "k1", TG_CHAT, Reply("khác")) is False
    async with sessions() as session:
        rows = (await session.execute(select(OutboxMessage))).scalars().all()
    assert [(r.key, r.status, r.attempts) for r in rows] == [("k1", PENDING, 0)]


async def test_drain_delivers_to_telegram_and_zalo_and_remembers_choices(
    sessions: SessionFactory,
    senders: dict[Platform, Sender],
    fake: FakeTelegram,
    zalo: FakeZalo,
    clock: FakeClock,
) -> None:
    fake.add_chat(111)
    zalo.add_chat(ZALO_CHAT.chat_id)
    memory = ConversationMemory(sessions)
    await put(sessions, "tg", TG_CHAT)
    await put(sessions, "zl", ZALO_CHAT)
    worker = make_worker(sessions, senders, clock, choices=memory)
    assert await worker.drain() == 2
    [tg] = fake.messages_to(111)
    assert tg.text == "Hồ sơ 000.00.24.H57-250722-0001 đã có kết quả."
    assert tg.parse_mode == "HTML"
    assert tg.buttons == [("Đánh giá", "rate:000.00.24.H57-250722-0001"), ("Hủy theo dõi", "unsub:1")]
    [zl] = zalo.messages_to(ZALO_CHAT.chat_id)
    assert zl.text.endswith("\n\n1. Đánh giá\n2. Hủy theo dõi")
    assert "<b>" not in zl.text
    sent_tg, sent_zl = await row(sessions, "tg"), await row(sessions, "zl")
    assert (sent_tg.status, sent_tg.message_id, sent_tg.attempts) == (SENT, str(tg.message_id), 1)
    assert (sent_zl.status, sent_zl.message_id) == (SENT, zl.message_id)
    assert sent_tg.sent_at == clock.now
    # "2" on Zalo now picks the second button of the notification.
    assert await memory.recall(ZALO_CHAT.key) == ["rate:000.00.24.H57-250722-0001", "unsub:1"]
    assert await worker.drain() == 0


async def test_429_waits_for_retry_after_then_sends(
    sessions: SessionFactory, senders: dict[Platform, Sender], fake: FakeTelegram, clock: FakeClock
) -> None:
    fake.add_chat(111)
    fake.inject("sendMessage", Fault.too_many_requests(7))
    await put(sessions, "k", TG_CHAT)
    worker = make_worker(sessions, senders, clock)
    assert await worker.drain() == 1
    waiting = await row(sessions, "k")
    assert waiting.status == PENDING and waiting.error is not None and "429" in waiting.error
    assert waiting.due_at == clock.now + timedelta(seconds=7)
    assert fake.messages_to(111) == []
    clock.advance(6)
    assert await worker.drain() == 0
    clock.advance(1)
    assert await worker.drain() == 1
    done = await row(sessions, "k")
    assert (done.status, done.attempts) == (SENT, 2)
    assert len(fake.messages_to(111)) == 1


async def test_server_errors_back_off_exponentially_then_send(
    sessions: SessionFactory, senders: dict[Platform, Sender], fake: FakeTelegram, clock: FakeClock
) -> None:
    fake.add_chat(111)
    fake.inject("sendMessage", Fault.server_error(502), times=2)
    await put(sessions, "k", TG_CHAT)
    worker = make_worker(sessions, senders, clock)
    waits = []
    for _ in range(2):
        assert await worker.drain() == 1
        waiting = await row(sessions, "k")
        assert waiting.status == PENDING
        waits.append((waiting.due_at - clock.now).total_seconds())
        clock.advance(waits[-1])
    # Base 4 s, doubled per attempt, jitter 0 (the lower half of the ceiling).
    assert waits == [2.0, 4.0]
    assert await worker.drain() == 1
    assert (await row(sessions, "k")).status == SENT


async def test_zalo_rate_limit_and_server_error_are_retried(
    sessions: SessionFactory, senders: dict[Platform, Sender], zalo: FakeZalo, clock: FakeClock
) -> None:
    zalo.add_chat(ZALO_CHAT.chat_id)
    zalo.inject("sendMessage", ZaloFault.rate_limited())
    zalo.inject("sendMessage", ZaloFault.server_error())
    await put(sessions, "k", ZALO_CHAT)
    worker = make_worker(sessions, senders, clock)
    for expected_error in ("429", "500"):
        assert await worker.drain() == 1
        waiting = await row(sessions, "k")
        assert waiting.status == PENDING and expected_error in (waiting.error or "")
        clock.advance(3600)
    assert await worker.drain() == 1
    assert (await row(sessions, "k")).status == SENT
    assert len(zalo.messages_to(ZALO_CHAT.chat_id)) == 1


async def test_blocked_recipient_fails_with_reason_and_loses_its_subscription(
    sessions: SessionFactory,
    senders: dict[Platform, Sender],
    fake: FakeTelegram,
    zalo: FakeZalo,
    clock: FakeClock,
) -> None:
    fake.add_chat(111)
    fake.block(111)
    zalo.add_chat(ZALO_CHAT.chat_id)
    zalo.block(ZALO_CHAT.chat_id)
    await add_subscription(sessions, Platform.TELEGRAM, "111")
    await add_subscription(sessions, Platform.ZALO, ZALO_CHAT.chat_id)
    await add_subscription(sessions, Platform.TELEGRAM, "222")
    await put(sessions, "tg", TG_CHAT)
    await put(sessions, "zl", ZALO_CHAT)
    assert await make_worker(sessions, senders, clock).drain() == 2
    tg, zl = await row(sessions, "tg"), await row(sessions, "zl")
    assert tg.status == FAILED and "blocked" in (tg.error or "")
    assert zl.status == FAILED and "blocked" in (zl.error or "")
    assert await subscriptions(sessions) == [("111", False), (ZALO_CHAT.chat_id, False), ("222", True)]


async def test_migrated_group_gets_the_message_at_its_new_id(
    sessions: SessionFactory, senders: dict[Platform, Sender], fake: FakeTelegram, clock: FakeClock
) -> None:
    old, new = -1001, -1009999
    fake.add_chat(old, "group")
    fake.add_chat(new, "supergroup")
    fake.inject("sendMessage", Fault.migrated(new), chat_id=old, times=None)
    group = ChatRef(Platform.TELEGRAM, str(old), is_group=True)
    await add_subscription(sessions, Platform.TELEGRAM, str(old))
    await put(sessions, "first", group)
    await put(sessions, "second", group, Reply("Thông báo thứ hai"), due_at=clock.now + timedelta(hours=1))
    worker = make_worker(sessions, senders, clock)
    assert await worker.drain() == 2  # the refused try, then the send to the new id
    [sent] = fake.messages_to(new)
    assert sent.text.startswith("Hồ sơ")
    moved = await row(sessions, "first")
    assert (moved.status, moved.chat_id, moved.attempts) == (SENT, str(new), 1)
    # The chat's waiting rows and its subscriptions follow it.
    assert (await row(sessions, "second")).chat_id == str(new)
    assert await subscriptions(sessions) == [(str(new), True)]


async def test_gives_up_after_max_attempts(
    sessions: SessionFactory, senders: dict[Platform, Sender], fake: FakeTelegram, clock: FakeClock
) -> None:
    fake.add_chat(111)
    fake.inject("sendMessage", Fault.server_error(), times=None)
    await put(sessions, "k", TG_CHAT)
    worker = make_worker(sessions, senders, clock, with_outbox(max_attempts=3))
    for _ in range(3):
        assert await worker.drain() == 1
        clock.advance(3600)
    failed = await row(sessions, "k")
    assert (failed.status, failed.attempts) == (FAILED, 3)
    assert (failed.error or "").startswith("gave up:")
    assert await worker.drain() == 0
    stats = await worker.store.stats(kind="dossier.ready")
    assert stats.failed == 1 and stats.failure_reasons == {failed.error: 1}


async def test_a_crash_between_send_and_mark_sends_again_after_the_lease(
    sessions: SessionFactory, senders: dict[Platform, Sender], fake: FakeTelegram, clock: FakeClock
) -> None:
    fake.add_chat(111)
    await put(sessions, "k", TG_CHAT, ref="000.00.24.H57-250722-0001")
    dead = OutboxStore(sessions, lease_seconds=60, clock=clock)
    [claimed] = await dead.claim(10, [Platform.TELEGRAM])
    await senders[Platform.TELEGRAM].send(claimed.chat, claimed.reply)  # ...and the worker dies here
    worker = make_worker(sessions, senders, clock)
    clock.advance(59)
    assert await worker.drain() == 0  # still leased
    clock.advance(1)
    assert await worker.drain() == 1
    assert len(fake.messages_to(111)) == 2  # at-least-once: the in-flight message went twice
    done = await row(sessions, "k")
    assert (done.status, done.attempts) == (SENT, 2)
    stats = await worker.store.stats(ref="000.00.24.H57-250722-0001")
    assert (stats.sent, stats.possible_duplicates, stats.pending) == (1, 1, 0)
    # The dead worker's late mark cannot overwrite the newer claim's outcome.
    assert await dead.mark_retry(claimed, "late") == ""
    assert (await row(sessions, "k")).status == SENT


async def test_platform_without_sender_keeps_rows_pending_and_says_so_once(
    sessions: SessionFactory,
    senders: dict[Platform, Sender],
    zalo: FakeZalo,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    zalo.add_chat(ZALO_CHAT.chat_id)
    await put(sessions, "tg", TG_CHAT)
    await put(sessions, "zl", ZALO_CHAT)
    worker = make_worker(sessions, {Platform.ZALO: senders[Platform.ZALO]}, clock)
    with caplog.at_level(logging.WARNING, logger="bot.outbox.worker"):
        assert await worker.drain() == 1
        clock.advance(3600)
        assert await worker.drain() == 0
    assert (await row(sessions, "tg")).status == PENDING
    warnings = [r.getMessage() for r in caplog.records if "no sender" in r.getMessage()]
    assert warnings == ["outbox: messages for telegram wait, but no sender is configured for it"]


async def test_long_text_goes_in_parts_with_buttons_on_the_last(
    sessions: SessionFactory,
    senders: dict[Platform, Sender],
    fake: FakeTelegram,
    zalo: FakeZalo,
    clock: FakeClock,
) -> None:
    fake.add_chat(111)
    zalo.add_chat(ZALO_CHAT.chat_id)
    long = Reply("\n\n".join(f"Đoạn {i}: " + "giấy tờ cần nộp " * 30 for i in range(12)), NOTICE.buttons)
    await put(sessions, "tg", TG_CHAT, long)
    await put(sessions, "zl", ZALO_CHAT, long)
    assert await make_worker(sessions, senders, clock).drain() == 2
    parts = fake.messages_to(111)
    assert len(parts) == 2 and not parts[0].buttons and len(parts[1].buttons) == 2
    zalo_parts = zalo.messages_to(ZALO_CHAT.chat_id)
    assert len(zalo_parts) >= 3 and all(len(p.text) <= 2000 for p in zalo_parts)
    assert zalo_parts[-1].text.endswith("2. Hủy theo dõi")
    assert (await row(sessions, "tg")).message_id == str(parts[1].message_id)


class GatedSender:
    """A Sender that holds every send until ``release`` is set (to stop the worker mid-send)."""

    def __init__(self) -> None:
        self.started = asyncio.Event()
        self.release = asyncio.Event()
        self.sent: list[ChatRef] = []

    async def send(self, chat: ChatRef, reply: Reply) -> str:
        """Wait for the gate, then count the send."""
        self.started.set()
        await self.release.wait()
        self.sent.append(chat)
        return f"m{len(self.sent)}"

    async def edit(self, chat: ChatRef, message_id: str, reply: Reply) -> None:
        """Not used here: edits are tested in test_outbox_edits."""
        raise AssertionError("no edits expected")


async def test_stop_finishes_and_marks_the_send_in_flight_and_claims_no_more(
    sessions: SessionFactory, clock: FakeClock
) -> None:
    gate = GatedSender()
    await put(sessions, "a", TG_CHAT)
    await put(sessions, "b", TG_CHAT, Reply("thứ hai"))
    worker = make_worker(sessions, {Platform.TELEGRAM: gate}, clock)
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run(stop))
    await asyncio.wait_for(gate.started.wait(), 3)
    stop.set()
    gate.release.set()
    await asyncio.wait_for(task, 3)
    assert (await row(sessions, "a")).status == SENT
    # The second message waits for the per-chat limit; stopping gives it back unsent and uncounted.
    second = await row(sessions, "b")
    assert (second.status, second.attempts, second.lease_until) == (PENDING, 0, None)
    assert len(gate.sent) == 1


async def test_wake_sends_at_once_instead_of_after_the_idle_poll(
    sessions: SessionFactory, senders: dict[Platform, Sender], fake: FakeTelegram, clock: FakeClock
) -> None:
    fake.add_chat(111)
    worker = make_worker(sessions, senders, clock, with_outbox(idle_poll_seconds=3600))
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run(stop))
    try:
        await asyncio.wait_for(worker.wait_idle(), 3)  # the first claim found nothing; now it waits
        await put(sessions, "k", TG_CHAT)
        worker.wake()
        await fake.wait_messages(111, 1)
    finally:
        stop.set()
        await asyncio.wait_for(task, 3)
    assert task.exception() is None
    assert (await row(sessions, "k")).status == SENT
