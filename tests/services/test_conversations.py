"""Numbered choices kept in the database: they survive a restart and expire.

Each test runs twice on SQLite: through the async engine, and with the per-message statements on
:class:`SqliteDirect`'s threads as ``motcua run`` has them.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from bot.services.conversations import ConversationMemory
from bot.storage import SessionFactory, create_engine, session_factory
from bot.storage.sqlite_direct import SqliteDirect


@pytest.fixture(params=["async engine", "direct"])
async def direct(request: pytest.FixtureRequest, db_url: str) -> AsyncIterator[SqliteDirect | None]:
    """None (the async engine only), or the dedicated-thread path on the same file."""
    if request.param == "async engine":
        yield None
        return
    direct = SqliteDirect(db_url)
    try:
        yield direct
    finally:
        await direct.aclose()


class Clock:
    """A settable clock."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


async def test_choices_survive_a_new_engine(
    direct: SqliteDirect | None, sessions: SessionFactory, db_url: str
) -> None:
    await ConversationMemory(sessions, direct=direct).remember(
        "telegram:1", ["proc:1.001193", "proc:1.000656"]
    )
    restarted = create_engine(db_url)
    try:
        memory = ConversationMemory(session_factory(restarted))
        assert await memory.recall("telegram:1") == ["proc:1.001193", "proc:1.000656"]
        assert await memory.recall("telegram:2") == []
    finally:
        await restarted.dispose()


async def test_choices_expire_after_the_ttl(direct: SqliteDirect | None, sessions: SessionFactory) -> None:
    clock = Clock()
    memory = ConversationMemory(sessions, ttl=timedelta(minutes=30), clock=clock, direct=direct)
    await memory.remember("zalo:a", ["x", "y"])
    clock.now += timedelta(minutes=29)
    assert await memory.recall("zalo:a") == ["x", "y"]
    clock.now += timedelta(minutes=1)
    assert await memory.recall("zalo:a") == []


async def test_remembering_again_replaces_and_extends(
    direct: SqliteDirect | None, sessions: SessionFactory
) -> None:
    clock = Clock()
    memory = ConversationMemory(sessions, ttl=timedelta(minutes=30), clock=clock, direct=direct)
    await memory.remember("c", ["a"])
    clock.now += timedelta(minutes=20)
    await memory.remember("c", ["b", "c"])
    clock.now += timedelta(minutes=20)
    assert await memory.recall("c") == ["b", "c"]


async def test_an_empty_list_forgets(direct: SqliteDirect | None, sessions: SessionFactory) -> None:
    memory = ConversationMemory(sessions, direct=direct)
    await memory.remember("c", ["a"])
    await memory.remember("c", [])
    assert await memory.recall("c") == []
    await memory.remember("never-seen", [])
    assert await memory.recall("never-seen") == []


async def test_purge_deletes_only_expired_rows(direct: SqliteDirect | None, sessions: SessionFactory) -> None:
    clock = Clock()
    memory = ConversationMemory(sessions, ttl=timedelta(minutes=30), clock=clock, direct=direct)
    await memory.remember("old", ["a"])
    clock.now += timedelta(minutes=20)
    await memory.remember("new", ["b"])
    clock.now += timedelta(minutes=15)
    assert await memory.purge_expired() == 1
    clock.now -= timedelta(minutes=35)
    assert await memory.recall("old") == []
    assert await memory.recall("new") == ["b"]


def test_ttl_must_be_positive(sessions: SessionFactory) -> None:
    with pytest.raises(ValueError, match="ttl"):
        ConversationMemory(sessions, ttl=timedelta(0))


async def test_concurrent_first_choices_for_one_chat_do_not_collide(
    direct: SqliteDirect | None, sessions: SessionFactory
) -> None:
    memory = ConversationMemory(sessions, direct=direct)
    for round_ in range(5):
        chat = f"telegram:{round_}"
        await asyncio.gather(*(memory.remember(chat, [f"p:{i}"]) for i in range(20)))
        assert len(await memory.recall(chat)) == 1


async def test_the_question_of_shown_choices_is_settled_once(
    direct: SqliteDirect | None, sessions: SessionFactory
) -> None:
    clock = Clock()
    memory = ConversationMemory(sessions, ttl=timedelta(minutes=30), clock=clock, direct=direct)
    await memory.remember("c", ["p:1", "p:2"], "cap giay phep xay dung")
    state = await memory.state("c")
    assert (state.choices, state.question) == (("p:1", "p:2"), "cap giay phep xay dung")
    # Expired choices keep their question until the next message settles it.
    clock.now += timedelta(minutes=31)
    assert (await memory.state("c")).question == "cap giay phep xay dung"
    assert not await memory.settle("c", "another question")
    results = await asyncio.gather(*(memory.settle("c", "cap giay phep xay dung") for _ in range(5)))
    assert sorted(results) == [False] * 4 + [True]
    assert (await memory.state("c")).question == ""
    # New choices without a question, and forgetting, leave none behind.
    await memory.remember("c", ["p:3"], "lam cccd")
    await memory.remember("c", ["aud:all"])
    assert (await memory.state("c")).question == ""
    await memory.remember("c", ["p:3"], "lam cccd")
    await memory.forget("c")
    assert (await memory.state("c")).question == ""
