"""Group commit in the push API: waiting requests share one transaction, each answered on its own."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.adapters.dossier_api import GroupCommit
from bot.services.dossiers.events import DossierEventIn, Status
from bot.services.dossiers.service import DossierService
from bot.services.dossiers.views import ApplyResult
from bot.storage import SessionFactory, create_engine, session_factory
from bot.storage.migrate import upgrade_engine
from tests.adapters.test_dossier_api import (  # noqa: F401 - api is a fixture
    Api,
    api,
    event,
    receipt,
    render,
)
from tests.databases import db_url, sessions  # noqa: F401 - fixtures the api fixture needs

CODE = "000.00.24.H57-250722-0001"
T0 = datetime(2025, 7, 22, 1, 0, tzinfo=UTC)


class CountingService:
    """The real service, counting its transactions (one per apply call)."""

    def __init__(self, service: DossierService) -> None:
        self.service = service
        self.calls: list[int] = []

    async def apply(self, events: list[DossierEventIn]) -> ApplyResult:
        """Apply as the push API does, remembering how many events went in."""
        self.calls.append(len(events))
        return await self.service.apply(events, source="push")


@pytest.fixture
async def counting(tmp_path: Path) -> AsyncIterator[CountingService]:
    """A migrated SQLite file behind a counting service."""
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'motcua.db'}")
    await upgrade_engine(engine)
    factory: SessionFactory = session_factory(engine)
    try:
        yield CountingService(DossierService(factory, hash_key="k", render_notice=render))
    finally:
        await engine.dispose()


def status(event_id: str, minutes: int, state: Status = Status.IN_PROGRESS) -> DossierEventIn:
    """A status change of the one dossier, ``minutes`` after its receipt."""
    return DossierEventIn(event_id, CODE, state, T0 + timedelta(minutes=minutes))


async def test_requests_waiting_together_share_one_transaction_and_each_gets_its_own_counts(
    counting: CountingService,
) -> None:
    commits = GroupCommit(counting.apply)
    await commits.submit([DossierEventIn("r", CODE, Status.RECEIVED, T0)])
    requests = [
        [status("a", 10)],
        [status("b", 20), status("a", 10)],  # "a" again: a duplicate of the request before it
        [status("old", 5)],  # older than "a": recorded, status unchanged
        [status("c", 30, Status.READY)],
    ]
    answers = await asyncio.gather(*(commits.submit(events) for events in requests))
    # The first request took the only slot; the other three waited and went in as one transaction.
    assert counting.calls == [1, 1, 4]
    assert [(a.applied, a.duplicates, a.stale) for a in answers] == [
        (1, 0, 0),
        (1, 1, 0),
        (1, 0, 1),
        (1, 0, 0),
    ]
    view = await counting.service.lookup(CODE)
    assert view is not None and view.status is Status.READY and len(view.history) == 5


async def test_a_failed_transaction_fails_only_the_requests_in_it(counting: CountingService) -> None:
    broken = 0

    async def flaky(events: list[DossierEventIn]) -> ApplyResult:
        nonlocal broken
        if any(e.event_id == "boom" for e in events):
            broken += 1
            raise OSError("disk full")
        return await counting.apply(events)

    commits = GroupCommit(flaky)
    first = asyncio.ensure_future(commits.submit([DossierEventIn("r", CODE, Status.RECEIVED, T0)]))
    together = [commits.submit([status("boom", 1)]), commits.submit([status("x", 2)])]
    results = await asyncio.gather(first, *together, return_exceptions=True)
    assert isinstance(results[0], ApplyResult) and results[0].applied == 1
    assert isinstance(results[1], OSError) and isinstance(results[2], OSError)
    assert broken == 1
    # Resent on its own, the innocent request goes through.
    assert (await commits.submit([status("x", 2)])).applied == 1


async def test_concurrent_single_event_requests_over_http_are_all_applied_once(api: Api) -> None:  # noqa: F811
    assert (await api.post(receipt())).status == 200
    bodies = [event(f"s-{n}", "in_progress", f"2025-07-22T09:{n:02d}:00+07:00") for n in range(30)]
    responses = await asyncio.gather(*(api.post(body) for body in [*bodies, bodies[0]]))
    answers = [await r.json() for r in responses]
    assert all(r.status == 200 for r in responses)
    assert sum(a["applied"] for a in answers) == 30 and sum(a["duplicates"] for a in answers) == 1
    assert await api.counts() == (1, 31)
