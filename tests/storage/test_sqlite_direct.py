"""SqliteDirect: whole statements on a read thread and a write thread, on the bot's SQLite file."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import Connection, text

from bot.services.conversations import ConversationMemory
from bot.storage import SessionFactory
from bot.storage.sqlite_direct import SqliteDirect
from tests.databases import db_url, sessions

__all__ = ["db_url", "sessions"]

CHAT = "telegram:42"


@pytest.fixture
async def direct(db_url: str) -> AsyncIterator[SqliteDirect]:
    """The direct path on the test's migrated file."""
    direct = SqliteDirect(db_url)
    try:
        yield direct
    finally:
        await direct.aclose()


def test_only_a_sqlite_file_gets_one(tmp_path: Path) -> None:
    assert SqliteDirect.for_url("postgresql+asyncpg://u:p@localhost/motcua") is None
    assert SqliteDirect.for_url("sqlite+aiosqlite:///:memory:") is None
    assert SqliteDirect.for_url("sqlite+aiosqlite://") is None
    with pytest.raises(ValueError, match="SQLite file"):
        SqliteDirect("sqlite+aiosqlite:///:memory:")


async def test_the_direct_read_sees_a_flow_the_async_engine_wrote_and_the_reverse(
    sessions: SessionFactory, direct: SqliteDirect
) -> None:
    plain = ConversationMemory(sessions)
    fast = ConversationMemory(sessions, direct=direct)
    await plain.start_flow(CHAT, "theodoi", "phone", {"code": "000.00.01.H01-261123-0001"})
    state = await fast.state(CHAT)
    assert state.flow is not None
    assert (state.flow.name, state.flow.step, dict(state.flow.data)) == (
        "theodoi",
        "phone",
        {"code": "000.00.01.H01-261123-0001"},
    )
    await fast.remember(CHAT, ["proc:1.001193", "proc:1.000656"])
    assert await plain.recall(CHAT) == ["proc:1.001193", "proc:1.000656"]
    # Remembering choices leaves the flow and its version alone.
    assert (await plain.flow(CHAT)) == state.flow
    await fast.forget(CHAT)
    assert await plain.recall(CHAT) == []


async def test_a_write_waiting_for_the_lock_does_not_hold_up_reads(
    db_url: str, sessions: SessionFactory, direct: SqliteDirect
) -> None:
    memory = ConversationMemory(sessions, direct=direct)
    await memory.remember(CHAT, ["a"])
    path = db_url.split("///", 1)[1]
    holder = sqlite3.connect(path, isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")  # another process holds SQLite's write lock
        writing = asyncio.create_task(memory.remember(CHAT, ["b"]))
        await asyncio.sleep(0.05)
        assert not writing.done()
        # The read thread answers while the write thread waits for the lock.
        assert await asyncio.wait_for(memory.recall(CHAT), 3) == ["a"]
        assert not writing.done()
    finally:
        holder.rollback()
        holder.close()
    await asyncio.wait_for(writing, 5)
    assert await memory.recall(CHAT) == ["b"]


async def test_a_failing_write_commits_nothing(sessions: SessionFactory, direct: SqliteDirect) -> None:
    def insert_then_fail(conn: Connection) -> None:
        conn.execute(
            text(
                "INSERT INTO conversation_state (chat_key, choices, expires_at, version)"
                " VALUES ('telegram:9', '[]', '2026-11-23 08:00:00.000000', 0)"
            )
        )
        raise RuntimeError("half-way")

    with pytest.raises(RuntimeError, match="half-way"):
        await direct.write(insert_then_fail)
    count = await direct.read(
        lambda conn: conn.execute(text("SELECT count(*) FROM conversation_state")).scalar_one()
    )
    assert count == 0


async def test_closing_finishes_the_queued_writes(db_url: str, sessions: SessionFactory) -> None:
    direct = SqliteDirect(db_url)
    memory = ConversationMemory(sessions, direct=direct)
    writes = [asyncio.create_task(memory.remember(f"zalo:{n}", [f"p:{n}"])) for n in range(20)]
    await asyncio.sleep(0)
    await direct.aclose()
    await asyncio.gather(*writes)
    plain = ConversationMemory(sessions)
    assert [await plain.recall(f"zalo:{n}") for n in range(20)] == [[f"p:{n}"] for n in range(20)]
