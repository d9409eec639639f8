"""The outbox's way in and its Outbox object: one batched insert, a wake after commit, the recipient hooks."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app import build_outbox
from bot.messages import Button, ChatRef, Platform, Reply
from bot.outbox import Outbox, Outgoing, RecipientChange, enqueue_many, payload_to_reply
from bot.storage import ChatGroup, DossierSubscription, OutboxMessage, SessionFactory, Unit
from bot.storage.columns import utcnow
from bot.storage.engine import session_class
from tests.outbox.support import add_subscription

pytest_plugins = ["tests.outbox.fixtures"]

TG = ChatRef(Platform.TELEGRAM, "111")
ZALO = ChatRef(Platform.ZALO, "a1b2c3")
NOTICE = Reply("Hồ sơ đã có kết quả.", (Button("Đánh giá", "rate:1"),))


async def keys(sessions: SessionFactory) -> list[tuple[str, str]]:
    """(key, chat id) of every row, in insertion order."""
    async with sessions() as session:
        rows = await session.execute(
            select(OutboxMessage.key, OutboxMessage.chat_id).order_by(OutboxMessage.id)
        )
        return [(key, chat_id) for key, chat_id in rows.all()]


async def test_enqueue_many_inserts_a_batch_once_and_counts_only_new_rows(sessions: SessionFactory) -> None:
    # More rows than one statement takes, a key given twice, and a key already in the table.
    messages = [
        Outgoing(f"k{n}", ChatRef(Platform.TELEGRAM, str(n)), NOTICE, "dossier.ready") for n in range(250)
    ]
    async with sessions() as session, session.begin():
        assert await enqueue_many(session, messages[:1]) == 1
    async with sessions() as session, session.begin():
        again = [*messages, Outgoing("k7", ZALO, Reply("khác"), "dossier.ready")]
        assert await enqueue_many(session, again) == 249
    stored = await keys(sessions)
    assert len(stored) == 250
    assert stored[:3] == [("k0", "0"), ("k1", "1"), ("k2", "2")]
    assert ("k7", "7") in stored
    async with sessions() as session:
        payload = await session.scalar(select(OutboxMessage.payload).where(OutboxMessage.key == "k249"))
    assert payload is not None and payload_to_reply(payload) == NOTICE


async def test_an_edit_for_a_platform_without_edits_is_left_out(sessions: SessionFactory) -> None:
    async with sessions() as session, session.begin():
        queued = await enqueue_many(
            session,
            [
                Outgoing("tg:edit", TG, NOTICE, "directive.acks", edit_of="tg"),
                Outgoing("zl:edit", ZALO, NOTICE, "directive.acks", edit_of="zl"),
            ],
        )
    assert queued == 1
    assert await keys(sessions) == [("tg:edit", "111")]


async def test_the_outbox_wakes_after_a_commit_that_queued_and_only_then(sessions: SessionFactory) -> None:
    woken: list[str] = []
    outbox = Outbox(sessions)
    outbox.wake_on_commit(lambda: woken.append("worker"))
    async with sessions() as session, session.begin():
        await enqueue_many(session, [Outgoing("a", TG, NOTICE, "dossier.ready")])
        # A worker woken now would find nothing: the row is not committed yet.
        assert woken == []
    assert woken == ["worker"]

    # Nothing new (the key is taken), a rolled-back enqueue, and a commit without enqueuing: no wake.
    async with sessions() as session, session.begin():
        assert await enqueue_many(session, [Outgoing("a", TG, NOTICE, "dossier.ready")]) == 0
    with pytest.raises(RuntimeError):
        async with sessions() as session, session.begin():
            await enqueue_many(session, [Outgoing("b", TG, NOTICE, "dossier.ready")])
            raise RuntimeError("the change failed")
    await add_subscription(sessions, Platform.TELEGRAM, "111")
    assert woken == ["worker"]
    assert await keys(sessions) == [("a", "111")]

    outbox.stop_waking(woken.append)
    outbox.stop_waking(outbox.stop_waking)  # unknown: ignored


async def test_the_root_registers_each_features_recipient_hook(sessions: SessionFactory) -> None:
    await add_subscription(sessions, Platform.TELEGRAM, "-100")
    async with sessions() as session, session.begin():
        unit = Unit(name="Bộ phận một cửa", tags=[], created_at=utcnow())
        session.add(unit)
        await session.flush()
        session.add(ChatGroup(platform="telegram", chat_id="-100", unit_id=unit.id, created_at=utcnow()))
    outbox = build_outbox(sessions)
    async with sessions() as session, session.begin():
        await outbox.recipient_changed(
            session, RecipientChange(Platform.TELEGRAM, "-100", "migrated", "-1009")
        )
    async with sessions() as session:
        subscribed = (
            await session.execute(select(DossierSubscription.chat_id, DossierSubscription.active))
        ).all()
        group = await session.scalar(select(ChatGroup.chat_id))
    assert [tuple(row) for row in subscribed] == [("-1009", True)]
    assert group == "-1009"


def test_only_a_factory_of_its_own_can_be_watched() -> None:
    shared = async_sessionmaker(class_=AsyncSession)
    with pytest.raises(TypeError):
        session_class(shared)
