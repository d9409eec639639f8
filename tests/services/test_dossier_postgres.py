"""The dossier service on real PostgreSQL: concurrent duplicates and concurrent events of one dossier."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot.messages import Reply
from bot.services.dossiers.events import LOCAL_TZ, DossierEventIn, DossierNotice, Status
from bot.services.dossiers.service import DossierService
from bot.storage import DossierEvent, DossierSubscription, OutboxMessage, SessionFactory, session_factory
from bot.storage.migrate import upgrade_engine
from tests.storage.conftest import fresh_postgres_database

CODE = "000.00.24.H57-250722-0001"
T0 = datetime(2025, 7, 22, 8, 0, tzinfo=LOCAL_TZ)


def render(notice: DossierNotice) -> Reply:
    """A neutral renderer for tests."""
    return Reply(text=f"{notice.kind.value}|{notice.code}")


@pytest.fixture
async def pg_sessions(postgres_url: str) -> AsyncIterator[SessionFactory]:
    async with fresh_postgres_database(postgres_url, prefix="dossiers") as engine:
        await upgrade_engine(engine)
        yield session_factory(engine)


def received(event_id: str = "r") -> DossierEventIn:
    return DossierEventIn(
        event_id=event_id, code=CODE, status=Status.RECEIVED, occurred_at=T0, due_at=T0 + timedelta(days=3)
    )


async def test_the_same_event_applied_twice_at_once_is_applied_once(pg_sessions: SessionFactory) -> None:
    services = [DossierService(pg_sessions, hash_key="k", render_notice=render) for _ in range(2)]
    await services[0].apply([received()], source="push")
    async with pg_sessions.begin() as session:
        session.add(
            DossierSubscription(
                dossier_code=CODE, platform="zalo", chat_id="z1", user_id="z1", created_at=T0, active=True
            )
        )
    statuses = [Status.IN_PROGRESS, Status.SUPPLEMENT_REQUESTED, Status.IN_PROGRESS, Status.READY]
    for hour, status in enumerate(statuses, start=1):
        same = DossierEventIn(
            event_id=f"e{hour}", code=CODE, status=status, occurred_at=T0 + timedelta(hours=hour)
        )
        results = await asyncio.gather(*(s.apply([same], source="push") for s in services))
        assert sorted((r.applied, r.duplicates, r.notices) for r in results) == [(0, 1, 0), (1, 0, 1)]
    async with pg_sessions() as session:
        events = await session.scalar(select(func.count()).select_from(DossierEvent))
        notices = list(await session.scalars(select(OutboxMessage.key).order_by(OutboxMessage.id)))
    assert events == 5
    assert notices == [f"dossier:e{hour}:zalo:z1" for hour in range(1, 5)]


async def test_a_new_dossier_created_by_two_requests_at_once(pg_sessions: SessionFactory) -> None:
    services = [DossierService(pg_sessions, hash_key="k", render_notice=render) for _ in range(4)]
    results = await asyncio.gather(*(s.apply([received()], source="push") for s in services))
    assert sorted(r.applied for r in results) == [0, 0, 0, 1]
    assert sorted(r.duplicates for r in results) == [0, 1, 1, 1]
    assert sum(r.created for r in results) == 1


async def test_different_events_of_one_dossier_at_once_keep_the_newest(pg_sessions: SessionFactory) -> None:
    services = [DossierService(pg_sessions, hash_key="k", render_notice=render) for _ in range(6)]
    await services[0].apply([received()], source="push")
    statuses = [Status.IN_PROGRESS, Status.SUPPLEMENT_REQUESTED, Status.IN_PROGRESS, Status.READY]
    events = [
        DossierEventIn(event_id=f"e{i}", code=CODE, status=s, occurred_at=T0 + timedelta(hours=i + 1))
        for i, s in enumerate(statuses)
    ]
    results = await asyncio.gather(
        *(svc.apply([e], source="push") for svc, e in zip(services, events, strict=False))
    )
    assert sum(r.applied for r in results) == 4
    view = await services[0].lookup(CODE)
    assert view is not None
    assert view.status is Status.READY
    assert len(view.history) == 5


async def test_stats_count_the_same_on_postgresql(pg_sessions: SessionFactory) -> None:
    from bot.services.dossiers.stats import dossier_stats
    from tests.services.test_dossier_stats import JULY_FROM, JULY_TO, NOW, figures, load_stats_data

    await load_stats_data(pg_sessions)
    stats = await dossier_stats(pg_sessions, now=NOW, date_from=JULY_FROM, date_to=JULY_TO)
    assert figures(stats.total) == (7, 2, 1, 1, 2, 1, 4, 3)
    assert [figures(a) for a in stats.agencies] == [(3, 1, 0, 0, 1, 0, 2, 1), (4, 1, 1, 1, 1, 1, 2, 2)]


async def test_two_batches_creating_the_same_dossiers_in_opposite_orders(pg_sessions: SessionFactory) -> None:
    codes = [f"000.00.24.H57-250722-{n:04d}" for n in range(1, 31)]

    def batch(prefix: str, order: list[str]) -> list[DossierEventIn]:
        return [
            DossierEventIn(event_id=f"{prefix}-{code}", code=code, status=Status.RECEIVED, occurred_at=T0)
            for code in order
        ]

    services = [DossierService(pg_sessions, hash_key="k", render_notice=render) for _ in range(2)]
    results = await asyncio.gather(
        services[0].apply(batch("a", codes), source="import"),
        services[1].apply(batch("b", codes[::-1]), source="import"),
    )
    assert [r.applied for r in results] == [30, 30]
    assert sum(r.created for r in results) == 30
