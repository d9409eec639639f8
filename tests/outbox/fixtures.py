"""Outbox test fixtures, loaded with ``pytest_plugins``: databases, a fake clock, senders on the fakes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.adapters.telegram.sender import TelegramSender
from bot.adapters.zalo.sender import ZaloSender
from bot.config import TelegramConfig, ZaloConfig
from bot.messages import Platform
from bot.outbox import Sender
from bot.storage import SessionFactory, create_engine, session_factory
from bot.storage.migrate import upgrade_engine
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.zalo_api import FakeZalo
from tests.outbox.support import FakeClock
from tests.storage.conftest import fresh_postgres_database


@pytest.fixture
def clock() -> FakeClock:
    """A clock a minute ahead of real time, so rows enqueued with the real default are already due."""
    return FakeClock(datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=1))


@pytest.fixture(params=["sqlite", "postgresql"])
async def sessions(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[SessionFactory]:
    """A database at the latest migration: a SQLite file, then a fresh PostgreSQL database."""
    if request.param == "sqlite":
        engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'motcua.db'}")
        try:
            await upgrade_engine(engine)
            yield session_factory(engine)
        finally:
            await engine.dispose()
        return
    postgres_url = request.getfixturevalue("postgres_url")
    async with fresh_postgres_database(postgres_url, "jobs") as engine:
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
async def senders(fake: FakeTelegram, zalo: FakeZalo) -> AsyncIterator[dict[Platform, Sender]]:
    """The real senders, over real HTTP to the fakes."""
    telegram = TelegramSender.create(
        TelegramConfig(token=fake.token, base_url=fake.base_url, base_file_url=fake.base_file_url)
    )
    zalo_sender = ZaloSender.create(ZaloConfig(token=zalo.token, base_url=zalo.base_url))
    await telegram.start()
    await zalo_sender.start()
    try:
        yield {Platform.TELEGRAM: telegram, Platform.ZALO: zalo_sender}
    finally:
        await telegram.close()
        await zalo_sender.close()
