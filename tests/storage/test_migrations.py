"""Migrations: empty to head on a real SQLite file (and PostgreSQL when present), matching the models."""

from __future__ import annotations

import asyncio
import sqlite3
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.services.conversations import ConversationMemory
from bot.services.procedures import ImportSummary, import_procedures, load_index
from bot.storage import ConversationState, create_engine, session_factory
from bot.storage.migrate import (
    SchemaNotCurrent,
    check_schema,
    current,
    current_revision,
    head_revision,
    upgrade,
    upgrade_engine,
)
from bot.storage.models import Base
from knowledge.model import Procedure


def test_upgrade_creates_the_file_its_folder_and_reaches_head(tmp_path: Path) -> None:
    db = tmp_path / "nested" / "folder" / "motcua.db"
    url = f"sqlite+aiosqlite:///{db}"
    assert current(url) is None
    upgrade(url)
    assert db.is_file()
    assert current(url) == head_revision()
    with sqlite3.connect(db) as conn:
        tables = {row[0] for row in conn.execute("select name from sqlite_master where type = 'table'")}
        assert {"procedures", "conversation_state", "alembic_version"} <= tables
        assert conn.execute("pragma journal_mode").fetchone() == ("wal",)


def test_upgrade_twice_is_harmless(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'x.db'}"
    upgrade(url)
    upgrade(url)
    assert current(url) == head_revision()


def test_upgrade_works_from_another_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    upgrade("sqlite+aiosqlite:///relative/x.db")
    assert (tmp_path / "relative" / "x.db").is_file()


async def _diff(engine: AsyncEngine) -> list[object]:
    async with engine.connect() as conn:
        return await conn.run_sync(
            lambda sync: compare_metadata(
                MigrationContext.configure(sync, opts={"compare_type": True}), Base.metadata
            )
        )


async def test_migrated_schema_matches_the_models(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}")
    try:
        await upgrade_engine(engine)
        assert await _diff(engine) == []
    finally:
        await engine.dispose()


async def test_check_schema_refuses_an_empty_database_and_accepts_head(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}")
    try:
        with pytest.raises(SchemaNotCurrent) as caught:
            await check_schema(engine)
        assert caught.value.current is None
        assert caught.value.head == head_revision()
        await upgrade_engine(engine)
        await check_schema(engine)
    finally:
        await engine.dispose()


async def test_sqlite_connections_enforce_foreign_keys_and_wait_when_busy(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}")
    try:
        async with engine.connect() as conn:
            assert (await conn.execute(text("pragma foreign_keys"))).scalar() == 1
            assert (await conn.execute(text("pragma busy_timeout"))).scalar() == 5000
    finally:
        await engine.dispose()


async def test_datetimes_come_back_aware_in_utc_and_naive_ones_are_refused(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}")
    try:
        await upgrade_engine(engine)
        sessions = session_factory(engine)
        hanoi = datetime(2026, 1, 2, 7, 30, tzinfo=timezone(timedelta(hours=7)))
        async with sessions.begin() as session:
            session.add(ConversationState(chat_key="c", choices=["a"], expires_at=hanoi))
        async with sessions() as session:
            row = await session.get(ConversationState, "c")
        assert row is not None
        assert row.expires_at == hanoi
        assert row.expires_at.tzinfo is UTC
        assert row.expires_at.hour == 0
        with pytest.raises(Exception, match="naive datetime"):
            async with sessions.begin() as session:
                session.add(ConversationState(chat_key="d", choices=[], expires_at=datetime(2026, 1, 1)))
    finally:
        await engine.dispose()


async def test_postgresql_upgrades_to_head_and_matches_the_models(postgres_engine: AsyncEngine) -> None:
    await upgrade_engine(postgres_engine)
    assert await current_revision(postgres_engine) == head_revision()
    assert await _diff(postgres_engine) == []
    query = text(
        "select column_name, data_type from information_schema.columns where table_name = 'procedures'"
    )
    async with postgres_engine.connect() as conn:
        kinds = {str(name): str(kind) for name, kind in (await conn.execute(query)).all()}
    assert kinds["data"] == "jsonb"
    assert kinds["updated_at"] == "timestamp with time zone"


async def test_postgresql_import_is_idempotent_and_choices_persist(postgres_engine: AsyncEngine) -> None:
    await upgrade_engine(postgres_engine)
    sessions = session_factory(postgres_engine)
    procs = [Procedure(code=f"1.{i:06d}", name=f"Thủ tục số {i}", field="Hộ tịch") for i in range(1200)]
    assert await import_procedures(sessions, procs) == ImportSummary(imported=1200)
    procs[7] = replace(procs[7], name="Đăng ký khai sinh")
    assert await import_procedures(sessions, procs) == ImportSummary(updated=1, unchanged=1199)
    assert (await load_index(sessions)).get(procs[7].code) == procs[7]
    await ConversationMemory(sessions).remember("telegram:9", ["a", "b"])
    assert await ConversationMemory(sessions).recall("telegram:9") == ["a", "b"]
    memory = ConversationMemory(sessions)
    for round_ in range(3):
        await asyncio.gather(*(memory.remember(f"telegram:1{round_}", [f"p:{i}"]) for i in range(20)))
        assert len(await memory.recall(f"telegram:1{round_}")) == 1
