"""The inbox store on SQLite and PostgreSQL: duplicates refused, one claim per chat, take-back, pruning."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.inbox import CLAIMED, DONE, PENDING, Envelope, InboxStore, inbox_stats
from bot.messages import Platform
from bot.storage import InboxUpdate, SessionFactory

TG = Platform.TELEGRAM


def envelope(update_id: int, chat: int | None) -> Envelope:
    """A Telegram envelope (the body is what the store keeps, untouched)."""
    found = Envelope.of(TG, str(update_id), None if chat is None else str(chat), {"update_id": update_id})
    assert found is not None
    return found


async def statuses(sessions: SessionFactory) -> dict[str, str]:
    """Update id -> status."""
    async with sessions() as session:
        rows = (await session.execute(select(InboxUpdate.update_id, InboxUpdate.status))).all()
    return {row.update_id: row.status for row in rows}


async def test_the_database_refuses_a_duplicate_also_from_a_new_process(sessions: SessionFactory) -> None:
    first = InboxStore(sessions)
    assert await first.keep([envelope(1, 10), envelope(2, 10)]) == [True, True]
    assert await first.keep([envelope(2, 10), envelope(3, 11)]) == [False, True]
    # Another process (or this one after a restart) sees the same rows.
    assert await InboxStore(sessions).keep_one(envelope(1, 10)) is False
    # The same id on another platform is another update.
    other = Envelope.of(Platform.ZALO, "1", "z", {})
    assert other is not None and await first.keep_one(other) is True
    async with sessions() as session:
        bodies = (
            await session.execute(select(InboxUpdate.body).where(InboxUpdate.platform == "telegram"))
        ).scalars()
        assert sorted(b["update_id"] for b in bodies) == [1, 2, 3]


async def test_a_chats_next_update_waits_until_the_previous_is_done(sessions: SessionFactory) -> None:
    store = InboxStore(sessions)
    await store.keep([envelope(1, 10), envelope(2, 10), envelope(3, 11), envelope(4, 10), envelope(5, None)])
    first = await store.claim(10, [TG])
    assert [c.update_id for c in first] == ["1", "3", "5"]
    # Nothing more for chat 10 while update 1 is claimed, from this process or another.
    assert await store.claim(10, [TG]) == []
    assert await InboxStore(sessions).claim(10, [TG]) == []
    assert await store.done(first[0])
    [second] = await store.claim(10, [TG])
    assert second.update_id == "2" and second.body == {"update_id": 2}
    assert await store.claim(10, [Platform.ZALO]) == []
    assert await store.done(second)
    assert [c.update_id for c in await store.claim(10, [TG])] == ["4"]
    assert (await statuses(sessions))["1"] == DONE


async def test_take_back_at_start_and_a_stale_owner_loses_its_mark(sessions: SessionFactory) -> None:
    dead = InboxStore(sessions, owner="dead", lease_seconds=0.0)
    await dead.keep([envelope(1, 10), envelope(2, 10)])
    [held] = await dead.claim(10, [TG])
    assert (await statuses(sessions))["1"] == CLAIMED
    fresh = InboxStore(sessions, owner="fresh")
    # SQLite: every claim at start is a dead process's; PostgreSQL: this one's lease (0 s) ran out.
    assert await fresh.take_back() == 1
    assert (await statuses(sessions))["1"] == PENDING
    [again] = await fresh.claim(10, [TG])
    assert again.update_id == "1" and again.attempts == 2
    # The dead owner's late mark is refused: the row is someone else's now.
    assert not await dead.done(held)
    assert await fresh.done(again)


async def test_a_live_owners_claim_is_not_taken_back_on_postgresql_before_its_lease(
    sessions: SessionFactory,
) -> None:
    alive = InboxStore(sessions, owner="alive", lease_seconds=60.0)
    await alive.keep([envelope(1, 10)])
    await alive.claim(10, [TG])
    other = InboxStore(sessions, owner="other")
    taken = await other.take_back()
    dialect = "sqlite" if "sqlite" in str(sessions.kw["bind"].url) else "postgresql"
    assert taken == (1 if dialect == "sqlite" else 0)
    assert await alive.heartbeat() == (0 if dialect == "sqlite" else 1)


async def test_prune_keeps_open_rows_and_recent_done_ones(sessions: SessionFactory) -> None:
    now = datetime.now(UTC)
    old = InboxStore(sessions, clock=lambda: now - timedelta(days=3))
    await old.keep([envelope(1, 10), envelope(2, 11), envelope(3, 12)])
    claimed = await old.claim(10, [TG])
    await old.done(claimed[0])
    # Claimed 3 days ago and never done: open, so kept whatever its age.
    store = InboxStore(sessions)
    assert await store.prune(timedelta(hours=48)) == 1
    assert set(await statuses(sessions)) == {"2", "3"}


async def test_stats_count_what_is_not_done_and_its_age(sessions: SessionFactory) -> None:
    now = datetime.now(UTC)
    store = InboxStore(sessions, clock=lambda: now - timedelta(seconds=90))
    async with sessions() as session:
        empty = await inbox_stats(session)
    assert (empty.depth, empty.oldest_age_seconds) == (0, 0.0)
    await store.keep([envelope(1, 10), envelope(2, 10), envelope(3, 11)])
    [first, _] = await store.claim(10, [TG])
    await store.done(first)
    async with sessions() as session:
        stats = await inbox_stats(session, now=now)
    assert stats.depth == 2
    assert 89 <= stats.oldest_age_seconds <= 91


def test_an_update_id_too_long_is_no_envelope_and_a_long_chat_orders_alone() -> None:
    assert Envelope.of(TG, "9" * 200, "1", {}) is None
    assert Envelope.of(TG, "", "1", {}) is None
    lonely = Envelope.of(TG, "5", "x" * 500, {})
    assert lonely is not None and lonely.chat_key == "telegram#5"


async def test_concurrent_keeps_share_commits_and_still_refuse_duplicates(sessions: SessionFactory) -> None:
    store = InboxStore(sessions)
    # 300 arrivals at once, every update twice: one transaction holds many of them.
    results = await asyncio.gather(*(store.keep_one(envelope(n % 150, n % 7)) for n in range(300)))
    assert sum(results) == 150
    assert len(await statuses(sessions)) == 150


async def test_a_body_with_nul_characters_is_stored_without_them(sessions: SessionFactory) -> None:
    # PostgreSQL's JSONB refuses NUL: the update must still be stored, or the platform retries forever.
    body = {"update_id": 9, "message": {"text": "a\x00b", "chat": {"id": 1}}}
    found = Envelope.of(TG, "9", "1", body)
    assert found is not None
    assert await InboxStore(sessions).keep_one(found)
    async with sessions() as session:
        stored = (await session.execute(select(InboxUpdate.body))).scalar_one()
    assert stored["message"]["text"] == "ab"
