"""Multi-step flows in the database, on SQLite and real PostgreSQL: restart, expiry, compare-and-set."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import column, event, insert, select, table
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.services.conversations import ConversationMemory, Flow, JSONValue, StaleFlow
from bot.storage import ConversationState, SessionFactory, create_engine, session_factory
from bot.storage.columns import PortableJSON, UTCDateTime
from bot.storage.migrate import alembic_config, current_revision, head_revision, upgrade_engine
from tests.storage.conftest import fresh_postgres_database

CHAT = "telegram:42"


class Clock:
    """A settable clock."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Database:
    """Two engines on one database: two bot processes as far as the database can tell."""

    first: AsyncEngine
    second: AsyncEngine

    def sessions(self) -> SessionFactory:
        """Sessions of the first process."""
        return session_factory(self.first)


@pytest.fixture(params=["sqlite", "postgresql"])
async def blank(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    """An empty database on SQLite (a file) or PostgreSQL (fresh, on the test server)."""
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'motcua.db'}"
        first, second = create_engine(url), create_engine(url)
        try:
            yield Database(first, second)
        finally:
            await first.dispose()
            await second.dispose()
        return
    postgres_url: str = request.getfixturevalue("postgres_url")
    async with fresh_postgres_database(postgres_url, prefix="flows") as first:
        second = create_engine(first.url)
        try:
            yield Database(first, second)
        finally:
            await second.dispose()


@pytest.fixture
async def db(blank: Database) -> Database:
    """The same, upgraded to head."""
    await upgrade_engine(blank.first)
    return blank


async def test_a_flow_survives_a_restart_and_resumes_at_its_step(db: Database) -> None:
    data: dict[str, JSONValue] = {"code": "000.00.24.H57-250722-0001", "seen": ["Hộ tịch", None], "ok": 1}
    started = await ConversationMemory(db.sessions()).start_flow(CHAT, "theodoi", "phone", data)
    restarted = ConversationMemory(session_factory(db.second))
    flow = await restarted.flow(CHAT)
    assert flow is not None
    assert (flow.name, flow.step, dict(flow.data)) == ("theodoi", "phone", data)
    assert flow.version == started.version
    assert flow.expires_at == started.expires_at
    assert await restarted.flow("telegram:43") is None


async def test_advance_merges_data_moves_the_step_and_renews_the_lifetime(db: Database) -> None:
    clock = Clock()
    memory = ConversationMemory(db.sessions(), clock=clock)
    flow = await memory.start_flow(CHAT, "chidao", "title", {"by": "u1"}, ttl=timedelta(minutes=10))
    clock.now += timedelta(minutes=9)
    moved = await memory.advance(flow, "body", {"title": "Họp giao ban"})
    assert moved.version == flow.version + 1
    assert moved.expires_at == clock.now + timedelta(minutes=10)
    assert await memory.flow(CHAT) == moved
    assert dict(moved.data) == {"by": "u1", "title": "Họp giao ban"}
    clock.now += timedelta(minutes=9)
    assert (await memory.flow(CHAT)) == moved


async def test_a_flow_expires_and_an_expired_flow_cannot_be_advanced_or_ended(db: Database) -> None:
    clock = Clock()
    memory = ConversationMemory(db.sessions(), clock=clock)
    flow = await memory.start_flow(CHAT, "danhgia", "rating", ttl=timedelta(minutes=5))
    clock.now += timedelta(minutes=5)
    assert await memory.flow(CHAT) is None
    with pytest.raises(StaleFlow):
        await memory.advance(flow, "comment", {"rating": 5})
    with pytest.raises(StaleFlow):
        await memory.end_flow(flow)


async def test_a_stale_advance_is_refused_across_two_processes(db: Database) -> None:
    one = ConversationMemory(db.sessions())
    two = ConversationMemory(session_factory(db.second))
    await one.start_flow(CHAT, "theodoi", "phone", {"code": "X"})
    read_by_one, read_by_two = await one.flow(CHAT), await two.flow(CHAT)
    assert read_by_one is not None and read_by_one == read_by_two
    await one.advance(read_by_one, "done", {"phone4": "1234"})
    with pytest.raises(StaleFlow):
        await two.advance(read_by_one, "done", {"phone4": "9999"})
    with pytest.raises(StaleFlow):
        await two.end_flow(read_by_one)
    now = await two.flow(CHAT)
    assert now is not None and now.step == "done" and now.data["phone4"] == "1234"


async def test_of_many_racing_advances_of_one_step_exactly_one_wins(db: Database) -> None:
    memories = [ConversationMemory(session_factory(e)) for e in (db.first, db.second)]
    flow = await memories[0].start_flow(CHAT, "so", "ask")

    async def answer(i: int) -> Flow | None:
        try:
            return await memories[i % 2].advance(flow, "confirm", {"n": i})
        except StaleFlow:
            return None

    results = await asyncio.gather(*(answer(i) for i in range(12)))
    winners = [r for r in results if r is not None]
    assert len(winners) == 1
    assert await memories[1].flow(CHAT) == winners[0]


async def test_racing_starts_for_a_new_chat_all_land_with_distinct_versions(db: Database) -> None:
    memories = [ConversationMemory(session_factory(e)) for e in (db.first, db.second)]
    flows = await asyncio.gather(*(memories[i % 2].start_flow(CHAT, "so", f"s{i}") for i in range(10)))
    assert sorted(f.version for f in flows) == list(range(1, 11))
    last = max(flows, key=lambda f: f.version)
    assert await memories[0].flow(CHAT) == last


async def test_starting_again_replaces_the_flow_and_outdates_what_was_read(db: Database) -> None:
    memory = ConversationMemory(db.sessions())
    old = await memory.start_flow(CHAT, "theodoi", "phone", {"code": "A"})
    new = await memory.start_flow(CHAT, "theodoi", "phone", {"code": "B"})
    assert new.version > old.version
    with pytest.raises(StaleFlow):
        await memory.advance(old, "done")
    assert (await memory.flow(CHAT)) == new


async def test_ending_by_chat_key_or_by_the_flow_read(db: Database) -> None:
    memory = ConversationMemory(db.sessions())
    assert await memory.end_flow(CHAT) is False
    flow = await memory.start_flow(CHAT, "so", "ask")
    assert await memory.end_flow(flow) is True
    assert await memory.flow(CHAT) is None
    assert await memory.end_flow(CHAT) is False
    again = await memory.start_flow(CHAT, "so", "ask")
    assert again.version > flow.version
    assert await memory.end_flow(CHAT) is True
    with pytest.raises(StaleFlow):
        await memory.end_flow(again)


async def test_choices_and_the_flow_are_independent(db: Database) -> None:
    memory = ConversationMemory(db.sessions())
    flow = await memory.start_flow(CHAT, "chidao", "audience")
    await memory.remember(CHAT, ["aud:all", "aud:group"])
    assert await memory.flow(CHAT) == flow
    await memory.remember(CHAT, [])
    assert await memory.flow(CHAT) == flow
    await memory.remember(CHAT, ["x"])
    await memory.end_flow(CHAT)
    assert await memory.recall(CHAT) == ["x"]


async def test_forgetting_choices_never_resets_the_version(db: Database) -> None:
    memory = ConversationMemory(db.sessions())
    first = await memory.start_flow(CHAT, "so", "ask")
    await memory.end_flow(first)
    await memory.remember(CHAT, [])
    second = await memory.start_flow(CHAT, "so", "ask")
    assert second.version > first.version + 1
    with pytest.raises(StaleFlow):
        await memory.advance(first, "confirm")


async def test_purge_keeps_a_row_whose_flow_is_alive(db: Database) -> None:
    clock = Clock()
    memory = ConversationMemory(db.sessions(), ttl=timedelta(minutes=5), clock=clock)
    await memory.remember("choices-only", ["a"])
    await memory.remember("both", ["a"])
    await memory.start_flow("both", "so", "ask", ttl=timedelta(hours=1))
    await memory.start_flow("flow-only", "so", "ask", ttl=timedelta(minutes=10))
    clock.now += timedelta(minutes=6)
    assert await memory.purge_expired() == 1
    clock.now += timedelta(minutes=5)
    assert await memory.purge_expired() == 1
    async with db.sessions()() as session:
        keys = (await session.scalars(select(ConversationState.chat_key))).all()
    assert keys == ["both"]
    assert await memory.flow("both") is not None


def test_flow_ttl_must_be_positive(tmp_path: Path) -> None:
    sessions = session_factory(create_engine(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}"))
    with pytest.raises(ValueError, match="ttl"):
        ConversationMemory(sessions, flow_ttl=timedelta(0))


async def test_migration_0002_keeps_pending_choices_both_ways(blank: Database) -> None:
    await upgrade_engine(blank.first, "0001")
    old_table = table(
        "conversation_state",
        column("chat_key"),
        column("choices", PortableJSON),
        column("expires_at", UTCDateTime()),
    )
    later = datetime.now(UTC) + timedelta(minutes=20)
    async with blank.first.begin() as conn:
        await conn.execute(insert(old_table).values(chat_key=CHAT, choices=["p:a", "p:b"], expires_at=later))
    await upgrade_engine(blank.first)
    memory = ConversationMemory(blank.sessions())
    assert await memory.recall(CHAT) == ["p:a", "p:b"]
    assert await memory.flow(CHAT) is None
    assert (await memory.start_flow(CHAT, "so", "ask")).version == 1

    async with blank.first.begin() as conn:
        await conn.run_sync(_downgrade, "0001")
    assert await current_revision(blank.first) == "0001"
    async with blank.first.connect() as conn:
        rows = (await conn.execute(select(old_table.c.chat_key, old_table.c.choices))).all()
    assert [tuple(r) for r in rows] == [(CHAT, ["p:a", "p:b"])]
    await upgrade_engine(blank.first)
    assert await current_revision(blank.first) == head_revision()


def _downgrade(connection: Connection, revision: str) -> None:
    cfg = alembic_config()
    cfg.attributes["connection"] = connection
    command.downgrade(cfg, revision)


async def test_a_step_shorter_than_a_second_still_lives_and_can_advance(db: Database) -> None:
    clock = Clock()
    memory = ConversationMemory(db.sessions(), clock=clock)
    flow = await memory.start_flow(CHAT, "so", "ask", ttl=timedelta(milliseconds=300))
    moved = await memory.advance(flow, "confirm")
    assert moved.ttl == timedelta(seconds=1)
    assert await memory.flow(CHAT) == moved


class Statements:
    """The SQL statements an engine runs, as the database receives them."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.seen: list[str] = []
        event.listen(engine.sync_engine, "before_cursor_execute", self._record)

    def _record(self, conn: Connection, cursor: object, statement: str, *args: object) -> None:
        self.seen.append(" ".join(statement.split()).upper())

    @property
    def writes(self) -> list[str]:
        """Statements that write or take a write lock."""
        return [s for s in self.seen if s.startswith(("INSERT", "UPDATE", "DELETE", "BEGIN IMMEDIATE"))]


async def test_forgetting_what_is_not_there_writes_nothing(db: Database) -> None:
    clock = Clock()
    memory = ConversationMemory(db.sessions(), ttl=timedelta(minutes=5), clock=clock)
    await memory.start_flow(CHAT, "subscribe", "ask_group")
    await memory.remember("expired", ["a"])
    clock.now += timedelta(minutes=6)
    statements = Statements(db.first)
    for chat in ("never-seen", CHAT, "expired"):
        await memory.remember(chat, [])
    assert statements.writes == []
    await memory.remember("live", ["b"])
    await memory.remember("live", [])
    assert await memory.recall("live") == []
    assert len(statements.writes) == 2


async def test_one_query_reads_the_choices_and_the_flow(db: Database) -> None:
    memory = ConversationMemory(db.sessions())
    await memory.remember(CHAT, ["p:1", "p:2"])
    flow = await memory.start_flow(CHAT, "subscribe", "ask_group", {"n": 1})
    statements = Statements(db.first)
    state = await memory.state(CHAT)
    assert len(statements.seen) == 1 and statements.seen[0].startswith("SELECT")
    assert state.choices == ("p:1", "p:2")
    assert state.flow == flow
    assert state.flow_stored
    await memory.end_flow(CHAT)
    assert (await memory.state(CHAT)).flow is None
    assert (await memory.state("never-seen")).choices == ()


async def test_racing_first_choices_of_one_chat_land_as_one_row(db: Database) -> None:
    first, second = ConversationMemory(db.sessions()), ConversationMemory(session_factory(db.second))
    for round_ in range(3):
        chat = f"zalo:{round_}"
        writers = [first, second] * 10
        await asyncio.gather(*(m.remember(chat, [f"p:{i}"]) for i, m in enumerate(writers)))
        [choices] = [await second.recall(chat)]
        assert len(choices) == 1 and choices[0].startswith("p:")
    await first.start_flow("zalo:0", "subscribe", "ask_group")
    await second.remember("zalo:0", ["x"])
    flow = await first.flow("zalo:0")
    assert flow is not None and flow.version == 1
    assert await first.recall("zalo:0") == ["x"]
