"""Outbox test fixtures (imported by the outbox tests): databases, a fake clock, senders on the fakes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.adapters.senders import TelegramSender, ZaloSender
from bot.config import OutboxConfig, TelegramConfig, ZaloConfig
from bot.messages import Platform
from bot.services.outbox import OutboxStore, Sender
from bot.storage import Dossier, DossierSubscription, SessionFactory, create_engine, session_factory
from bot.storage.migrate import upgrade_engine
from jobs.outbox import OutboxWorker
from jobs.ratelimit import RateLimiter
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.zalo_api import FakeZalo
from tests.storage.conftest import fresh_postgres_database


class FakeClock:
    """Wall time (UTC) and a monotonic clock that move only when told; ``sleep`` moves both."""

    def __init__(self, start: datetime) -> None:
        self.now = start
        self.mono = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> datetime:
        return self.now

    def monotonic(self) -> float:
        """The monotonic reading."""
        return self.mono

    def advance(self, seconds: float) -> None:
        """Move both clocks forward."""
        self.now += timedelta(seconds=seconds)
        self.mono += seconds

    async def sleep(self, seconds: float) -> None:
        """Record the wait and let the time pass at once."""
        self.slept.append(seconds)
        self.advance(seconds)


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


OUTBOX = OutboxConfig(lease_seconds=60, max_attempts=4, batch_size=10, idle_poll_seconds=0.05)


def make_worker(
    sessions: SessionFactory,
    senders: dict[Platform, Sender],
    clock: FakeClock,
    config: OutboxConfig = OUTBOX,
    **kwargs: object,
) -> OutboxWorker:
    """A worker on the fake clock: no jitter (backoff is exactly half its ceiling) and no real waiting."""
    store = OutboxStore(
        sessions,
        lease_seconds=config.lease_seconds,
        max_attempts=config.max_attempts,
        backoff_base=4.0,
        clock=clock,
        jitter=lambda: 0.0,
    )
    limiter = RateLimiter.from_config(config, clock=clock.monotonic, sleep=clock.sleep)
    return OutboxWorker(
        sessions,
        senders,
        config,
        clock=clock,
        limiter=limiter,
        store=store,
        **kwargs,  # type: ignore[arg-type]
    )


async def add_subscription(
    sessions: SessionFactory, platform: Platform, chat_id: str, code: str = "000.00.24.H57-250722-0001"
) -> None:
    """A dossier and one active subscription of ``chat_id`` to it."""
    now = datetime.now(UTC)
    async with sessions() as session, session.begin():
        if await session.get(Dossier, code) is None:
            session.add(Dossier(code=code, received_at=now, status="received", status_at=now, updated_at=now))
            await session.flush()
        session.add(
            DossierSubscription(
                dossier_code=code, platform=platform.value, chat_id=chat_id, user_id="1", created_at=now
            )
        )


def with_outbox(**changes: object) -> OutboxConfig:
    """The test outbox settings with some changed."""
    return replace(OUTBOX, **changes)  # type: ignore[arg-type]
