"""Edits through the outbox: real databases, the real Telegram sender against the fake, a fake clock."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.messages import Button, ChatRef, Platform, Reply
from bot.outbox import FAILED, PENDING, SENT, Sender, enqueue, enqueue_edit
from bot.outbox.store import EDIT_WAIT_SECONDS, SUPERSEDED
from bot.storage import OutboxMessage, SessionFactory
from bot.storage.columns import utcnow
from tests.fakes.telegram_api import FakeTelegram, Fault, SentMessage
from tests.fakes.zalo_api import FakeZalo
from tests.outbox.support import FakeClock, make_worker

pytest_plugins = ["tests.outbox.fixtures"]

TG_CHAT = ChatRef(Platform.TELEGRAM, "111")
ZALO_CHAT = ChatRef(Platform.ZALO, "a1b2c3d4e5f6a7b8c9d0")
ACK = (Button("Đã nhận", "ack:12"),)
DIRECTIVE = Reply("<b>Chỉ đạo số 12</b>: rà soát hồ sơ trễ hạn.", buttons=ACK)


def acked(*names: str) -> Reply:
    """The directive as it shows once ``names`` acknowledged it."""
    return Reply(DIRECTIVE.text + "\n\nĐã nhận: " + ", ".join(names) + ".", buttons=ACK)


async def put(sessions: SessionFactory, key: str, chat: ChatRef = TG_CHAT, **kw: object) -> None:
    """Enqueue the directive in its own transaction."""
    async with sessions() as session, session.begin():
        assert await enqueue(session, key=key, chat=chat, reply=DIRECTIVE, kind="directive", ref="12", **kw)  # type: ignore[arg-type]


async def put_edit(
    sessions: SessionFactory, key: str, reply: Reply, *, of_key: str = "d", chat: ChatRef = TG_CHAT
) -> bool:
    """Enqueue an edit of ``of_key`` in its own transaction."""
    async with sessions() as session, session.begin():
        return await enqueue_edit(
            session, key=key, chat=chat, of_key=of_key, reply=reply, kind="directive", ref="12"
        )


async def row(sessions: SessionFactory, key: str) -> OutboxMessage:
    """The outbox row with ``key``."""
    async with sessions() as session:
        return (await session.execute(select(OutboxMessage).where(OutboxMessage.key == key))).scalar_one()


def current(fake: FakeTelegram, message_id: str | None) -> SentMessage:
    """The fake's message as it is now."""
    assert message_id is not None
    message = fake.message(111, int(message_id))
    assert message is not None
    return message


async def test_edit_after_send_changes_the_message_and_keeps_its_buttons(
    sessions: SessionFactory, senders: dict[Platform, Sender], fake: FakeTelegram, clock: FakeClock
) -> None:
    fake.add_chat(111)
    await put(sessions, "d")
    worker = make_worker(sessions, senders, clock)
    assert await worker.drain() == 1
    assert await put_edit(sessions, "e1", acked("Nguyễn Văn An")) is True
    assert await put_edit(sessions, "e1", acked("khác")) is False  # idempotent by key
    assert await worker.drain() == 1
    original = await row(sessions, "d")
    message = current(fake, original.message_id)
    assert message.text.endswith("Đã nhận: Nguyễn Văn An.")
    assert message.buttons == [("Đã nhận", "ack:12")]
    assert len(fake.sent) == 1
    edit = await row(sessions, "e1")
    assert (edit.status, edit.message_id, edit.attempts) == (SENT, original.message_id, 1)
    # The report counts the directive once: edits are not deliveries.
    stats = await worker.store.stats(ref="12")
    assert (stats.sent, stats.total) == (1, 1)


async def test_edit_enqueued_before_the_original_is_sent_waits_then_applies(
    sessions: SessionFactory, senders: dict[Platform, Sender], fake: FakeTelegram, clock: FakeClock
) -> None:
    fake.add_chat(111)
    later = clock.now + timedelta(hours=1)
    await put(sessions, "d", due_at=later)
    await put_edit(sessions, "e1", acked("Nguyễn Văn An"))
    worker = make_worker(sessions, senders, clock)
    assert await worker.drain() == 1  # the edit looked, and went back to wait
    waiting = await row(sessions, "e1")
    assert (waiting.status, waiting.attempts) == (PENDING, 0)
    assert waiting.due_at == later + timedelta(seconds=EDIT_WAIT_SECONDS)
    assert fake.calls_of("editMessageText") == [] and fake.sent == []
    clock.advance(3600)
    assert await worker.drain() == 1  # the original
    clock.advance(EDIT_WAIT_SECONDS)
    assert await worker.drain() == 1  # now the edit
    message = current(fake, (await row(sessions, "d")).message_id)
    assert message.text.endswith("Đã nhận: Nguyễn Văn An.") and message.buttons == [("Đã nhận", "ack:12")]
    assert (await row(sessions, "e1")).status == SENT


async def test_several_pending_edits_collapse_to_the_newest(
    sessions: SessionFactory, senders: dict[Platform, Sender], fake: FakeTelegram, clock: FakeClock
) -> None:
    fake.add_chat(111)
    await put(sessions, "d")
    worker = make_worker(sessions, senders, clock)
    await worker.drain()
    await put_edit(sessions, "e1", acked("An"))
    await put_edit(sessions, "e2", acked("An", "Bình"))
    await put_edit(sessions, "e3", acked("An", "Bình", "Chi"))
    assert await worker.drain() == 3
    [call] = fake.calls_of("editMessageText")
    assert call.status == 200
    message = current(fake, (await row(sessions, "d")).message_id)
    assert message.text.endswith("Đã nhận: An, Bình, Chi.")
    for key in ("e1", "e2"):
        older = await row(sessions, key)
        assert (older.status, older.error) == (SENT, SUPERSEDED)
    assert (await row(sessions, "e3")).error is None


async def test_an_older_edit_retried_after_a_newer_one_was_applied_is_superseded(
    sessions: SessionFactory, senders: dict[Platform, Sender], fake: FakeTelegram, clock: FakeClock
) -> None:
    fake.add_chat(111)
    await put(sessions, "d")
    worker = make_worker(sessions, senders, clock)
    await worker.drain()
    await put_edit(sessions, "e1", acked("An"))
    fake.inject("editMessageText", Fault.too_many_requests(5))
    assert await worker.drain() == 1
    assert (await row(sessions, "e1")).status == PENDING
    await put_edit(sessions, "e2", acked("An", "Bình"))
    clock.advance(5)
    # e2 is due first (e1 waits for its retry_after), so it is applied first; e1 must not undo it.
    assert await worker.drain() == 2
    message = current(fake, (await row(sessions, "d")).message_id)
    assert message.text.endswith("Đã nhận: An, Bình.")
    assert (await row(sessions, "e1")).error == SUPERSEDED
    assert [c.status for c in fake.calls_of("editMessageText")] == [429, 200]


async def test_not_modified_counts_as_success(
    sessions: SessionFactory, senders: dict[Platform, Sender], fake: FakeTelegram, clock: FakeClock
) -> None:
    fake.add_chat(111)
    await put(sessions, "d")
    worker = make_worker(sessions, senders, clock)
    await worker.drain()
    await put_edit(sessions, "e1", DIRECTIVE)
    assert await worker.drain() == 1
    [call] = fake.calls_of("editMessageText")
    assert call.status == 400
    edit = await row(sessions, "e1")
    assert (edit.status, edit.attempts, edit.error) == (SENT, 1, None)


async def test_edit_of_a_failed_original_fails_with_its_reason(
    sessions: SessionFactory, senders: dict[Platform, Sender], fake: FakeTelegram, clock: FakeClock
) -> None:
    fake.add_chat(111)
    fake.block(111)
    await put(sessions, "d")
    await put_edit(sessions, "e1", acked("An"))
    assert await make_worker(sessions, senders, clock).drain() == 2
    edit = await row(sessions, "e1")
    assert edit.status == FAILED
    assert edit.error == "original failed: 403: Forbidden: bot was blocked by the user"
    assert fake.calls_of("editMessageText") == []


async def test_edit_of_an_unknown_key_fails(
    sessions: SessionFactory, senders: dict[Platform, Sender], fake: FakeTelegram, clock: FakeClock
) -> None:
    fake.add_chat(111)
    await put_edit(sessions, "e1", acked("An"), of_key="no-such-row")
    assert await make_worker(sessions, senders, clock).drain() == 1
    edit = await row(sessions, "e1")
    assert (edit.status, edit.error) == (FAILED, "original message not found")


async def test_zalo_edits_are_not_queued_and_a_stray_one_fails_at_once(
    sessions: SessionFactory,
    senders: dict[Platform, Sender],
    zalo: FakeZalo,
    clock: FakeClock,
) -> None:
    zalo.add_chat(ZALO_CHAT.chat_id)
    await put(sessions, "d", ZALO_CHAT)
    assert await put_edit(sessions, "e1", acked("An"), chat=ZALO_CHAT) is False
    # A row written some other way (an older build, a hand-made fix) is refused by the worker, not retried.
    now = utcnow()
    async with sessions() as session, session.begin():
        session.add(
            OutboxMessage(
                key="stray",
                platform="zalo",
                chat_id=ZALO_CHAT.chat_id,
                is_group=False,
                kind="directive",
                ref="12",
                payload={"text": "Đã nhận: An.", "buttons": [], "edit_of": "d"},
                status=PENDING,
                attempts=0,
                due_at=now,
                created_at=now,
            )
        )
    assert await make_worker(sessions, senders, clock).drain() == 2
    async with sessions() as session:
        keys = set((await session.execute(select(OutboxMessage.key))).scalars())
    assert keys == {"d", "stray"}
    stray = await row(sessions, "stray")
    assert (stray.status, stray.attempts) == (FAILED, 1)
    assert stray.error == "unsupported: zalo cannot edit messages"
    assert [c.method for c in zalo.calls] == ["sendMessage"]
