"""Inbox fixtures: a migrated database (SQLite file, then a fresh PostgreSQL database), the fakes."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from bot.messages import Incoming, Reply
from bot.routing import Dispatcher
from bot.storage import SessionFactory, create_engine, session_factory
from bot.storage.migrate import upgrade_engine
from tests.adapters.conftest import MemoryChoices, Services, fallback, router
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.zalo_api import FakeZalo
from tests.storage.conftest import fresh_postgres_database


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    """The URL of a SQLite file in the test's folder (a restarted app opens the same file)."""
    return f"sqlite+aiosqlite:///{tmp_path / 'motcua.db'}"


@pytest.fixture
async def sqlite_sessions(db_url: str) -> AsyncIterator[SessionFactory]:
    """A migrated SQLite file."""
    engine = create_engine(db_url)
    await upgrade_engine(engine)
    try:
        yield session_factory(engine)
    finally:
        await engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
async def sessions(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[SessionFactory]:
    """A migrated database: a SQLite file, then a fresh PostgreSQL database."""
    if request.param == "sqlite":
        engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'motcua.db'}")
        try:
            await upgrade_engine(engine)
            yield session_factory(engine)
        finally:
            await engine.dispose()
        return
    async with fresh_postgres_database(request.getfixturevalue("postgres_url"), "inbox") as engine:
        await upgrade_engine(engine)
        yield session_factory(engine)


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    """The fake Telegram Bot API."""
    async with FakeTelegram() as tg:
        yield tg


@pytest.fixture
async def zalo() -> AsyncIterator[FakeZalo]:
    """The fake Zalo Bot API."""
    async with FakeZalo() as fake_zalo:
        yield fake_zalo


@pytest.fixture
def services() -> Services:
    """What the test router was asked, in the order it was asked."""
    return Services()


@pytest.fixture
def answer(services: Services) -> Callable[[Incoming], Awaitable[list[Reply]]]:
    """A real Dispatcher over the adapters' test router."""
    return Dispatcher(router, services, MemoryChoices(), fallback).dispatch
