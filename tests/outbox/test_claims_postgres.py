"""Several workers on PostgreSQL: concurrent claims never lease the same row (FOR UPDATE SKIP LOCKED)."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.messages import ChatRef, Platform, Reply
from bot.outbox import SENDING, Claimed, OutboxStore, enqueue
from bot.storage import OutboxMessage, create_engine, session_factory
from bot.storage.migrate import upgrade_engine
from tests.storage.conftest import fresh_postgres_database

ROWS = 300


@pytest.fixture
async def engines(postgres_url: str) -> AsyncIterator[tuple[AsyncEngine, AsyncEngine]]:
    """Two engines (two processes' connection pools) on one fresh database holding ROWS due messages."""
    async with fresh_postgres_database(postgres_url, "claims") as first:
        await upgrade_engine(first)
        sessions = session_factory(first)
        async with sessions() as session, session.begin():
            for n in range(ROWS):
                chat = ChatRef(Platform.TELEGRAM, str(1000 + n))
                await enqueue(session, key=f"k{n}", chat=chat, reply=Reply(f"Tin {n}"), kind="directive")
        second = create_engine(first.url)
        try:
            yield first, second
        finally:
            await second.dispose()


async def test_concurrent_workers_never_claim_the_same_row(engines: tuple[AsyncEngine, AsyncEngine]) -> None:
    stores = [OutboxStore(session_factory(engine), lease_seconds=60) for engine in engines for _ in range(3)]

    async def claim_all(store: OutboxStore) -> list[Claimed]:
        mine: list[Claimed] = []
        while batch := await store.claim(7, [Platform.TELEGRAM]):
            mine.extend(batch)
        return mine

    results = await asyncio.gather(*(claim_all(store) for store in stores))
    ids = Counter(item.id for claimed in results for item in claimed)
    assert len(ids) == ROWS
    assert max(ids.values()) == 1
    # Several workers really took part, and every row carries exactly one claim.
    assert sum(1 for claimed in results if claimed) >= 2
    async with session_factory(engines[0])() as session:
        statuses = (
            await session.execute(select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status))
        ).all()
        attempts = (await session.execute(select(func.max(OutboxMessage.attempts)))).scalar_one()
    assert [tuple(r) for r in statuses] == [(SENDING, ROWS)]
    assert attempts == 1
