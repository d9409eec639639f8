"""The pull source end to end: the real aiohttp client against the loopback fake, the real service."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.adapters.dossier_pull import DossierPullClient
from bot.messages import Reply
from bot.services.dossiers.events import DossierNotice, Status
from bot.services.dossiers.feed import DossierPuller, PullPage
from bot.services.dossiers.service import DossierService
from bot.storage import DossierEvent, SessionFactory, SyncCursor, create_engine, session_factory
from tests.databases import db_url, sessions
from tests.fakes.dossier_source import Failure, FakeDossierSource

# Fixtures, imported by name so pytest finds them here.
__all__ = ["db_url", "sessions"]

CODE = "000.00.24.H57-250722-{:04d}"
PHONE = "0987654321"


def render(notice: DossierNotice) -> Reply:
    """A neutral notice renderer."""
    return Reply(f"{notice.kind.value} {notice.code}")


def event(n: int, status: str = "received", day: int = 22, **extra: Any) -> dict[str, Any]:
    """Event ``n`` about dossier ``n`` (or ``extra['code']``)."""
    body: dict[str, Any] = {
        "event_id": f"pull-{n}",
        "code": CODE.format(n),
        "status": status,
        "occurred_at": f"2025-07-{day:02d}T08:00:00+07:00",
        "agency": "UBND xã Hòa Bình",
        "due_at": "2025-07-30",
    }
    body.update(extra)
    return body


@pytest.fixture
def service(sessions: SessionFactory) -> DossierService:
    """The real dossier service."""
    return DossierService(sessions, hash_key="k", render_notice=render)


@pytest.fixture
async def source() -> AsyncIterator[FakeDossierSource]:
    """The fake remote system, three events a page."""
    async with FakeDossierSource(page_size=3) as fake:
        yield fake


@pytest.fixture
async def client(source: FakeDossierSource) -> AsyncIterator[DossierPullClient]:
    """The real pull client pointed at the fake."""
    pull = DossierPullClient(source.url, source.token, timeout=5.0)
    try:
        yield pull
    finally:
        await pull.close()


def puller(
    client: DossierPullClient, service: DossierService, sessions: SessionFactory, **kw: Any
) -> DossierPuller:
    """The puller as the composition root builds it."""
    return DossierPuller(client.fetch, service.applier("pull"), sessions, **kw)


async def stored_events(sessions: SessionFactory) -> dict[str, str]:
    """event_id -> source of every recorded event."""
    async with sessions() as session:
        rows = await session.execute(select(DossierEvent.event_id, DossierEvent.source))
        return {event_id: source for event_id, source in rows}


async def saved_cursor(sessions: SessionFactory, name: str = "pull") -> str | None:
    """The cursor row's value, None before the first save."""
    async with sessions() as session:
        row = await session.get(SyncCursor, name)
        return row.cursor if row is not None else None


async def test_pages_are_fetched_while_has_more_and_the_cursor_is_saved(
    source: FakeDossierSource, client: DossierPullClient, service: DossierService, sessions: SessionFactory
) -> None:
    source.events.extend(event(n) for n in range(1, 8))
    report = await puller(client, service, sessions).pull_once()
    assert (report.pages, report.received, report.applied, report.invalid, report.error) == (3, 7, 7, 0, "")
    assert source.cursors_asked == [None, "p3", "p6"]
    assert await saved_cursor(sessions) == "p7" == report.cursor
    assert set((await stored_events(sessions)).values()) == {"pull"}
    view = await service.lookup(CODE.format(7))
    assert view is not None and view.agency == "UBND xã Hòa Bình"


async def test_a_second_run_with_nothing_new_applies_nothing_then_new_events_follow(
    source: FakeDossierSource, client: DossierPullClient, service: DossierService, sessions: SessionFactory
) -> None:
    job = puller(client, service, sessions)
    source.events.extend(event(n) for n in range(1, 4))
    await job.pull_once()
    idle = await job.pull_once()
    assert (idle.pages, idle.received, idle.applied, idle.error) == (1, 0, 0, "")
    assert source.cursors_asked[-1] == "p3"
    source.events.append(event(1, "ready", day=24, event_id="pull-1-ready"))
    update = await job.pull_once()
    assert (update.received, update.applied, update.duplicates) == (1, 1, 0)
    view = await service.lookup(CODE.format(1))
    assert view is not None and view.status == Status.READY
    assert await saved_cursor(sessions) == "p4"


async def test_invalid_events_are_skipped_counted_and_never_block_the_others(
    source: FakeDossierSource,
    client: DossierPullClient,
    service: DossierService,
    sessions: SessionFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    source.events.extend(
        [
            event(1, phone=PHONE),
            event(2, code="000.00.24.H57-2507-0002"),
            "not an object",
            event(4, status="finished", phone="12"),
            event(5),
        ]
    )
    report = await puller(client, service, sessions).pull_once()
    assert (report.received, report.applied, report.invalid, report.error) == (5, 2, 3, "")
    assert set(await stored_events(sessions)) == {"pull-1", "pull-5"}
    assert await saved_cursor(sessions) == "p5"
    ours = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("bot.services.dossiers."))
    assert "event 1 skipped: invalid code" in ours
    assert "event 2 skipped: not an object" in ours
    assert "event 0 skipped: invalid phone, status" in ours  # the second page starts again at 0
    assert PHONE not in ours and "finished" not in ours


async def test_a_5xx_keeps_the_cursor_and_the_next_run_catches_up(
    source: FakeDossierSource, client: DossierPullClient, service: DossierService, sessions: SessionFactory
) -> None:
    source.events.extend(event(n) for n in range(1, 8))
    source.fail_next(Failure(status=503, after=1))
    job = puller(client, service, sessions)
    failed = await job.pull_once()
    assert failed.error == "HTTP 503"
    assert (failed.pages, failed.applied, failed.cursor) == (1, 3, "p3")
    assert await saved_cursor(sessions) == "p3"
    caught_up = await job.pull_once()
    assert (caught_up.pages, caught_up.applied, caught_up.duplicates, caught_up.error) == (2, 4, 0, "")
    assert await saved_cursor(sessions) == "p7"
    assert len(await stored_events(sessions)) == 7


async def test_a_timeout_or_a_bad_page_is_reported_and_changes_nothing(
    source: FakeDossierSource, service: DossierService, sessions: SessionFactory
) -> None:
    source.events.extend(event(n) for n in range(1, 3))
    source.fail_next(Failure(status=200, hang=True), Failure(status=200, body=b"<html>proxy</html>"))
    impatient = DossierPullClient(source.url, source.token, timeout=0.2)
    try:
        job = puller(impatient, service, sessions)
        assert (await job.pull_once()).error == "timed out"
        assert (await job.pull_once()).error == "the page is not JSON"
        assert await saved_cursor(sessions) is None
        assert await stored_events(sessions) == {}
        assert (await job.pull_once()).applied == 2
    finally:
        await impatient.close()


async def test_a_wrong_token_is_a_permanent_error_and_nothing_moves(
    source: FakeDossierSource, service: DossierService, sessions: SessionFactory
) -> None:
    source.events.append(event(1))
    wrong = DossierPullClient(source.url, "not-the-token")
    try:
        report = await puller(wrong, service, sessions).pull_once()
    finally:
        await wrong.close()
    assert report.error == "HTTP 401"
    assert source.unauthorised == 1
    assert await saved_cursor(sessions) is None


async def test_a_database_failure_keeps_the_cursor_and_the_page_is_applied_again(
    source: FakeDossierSource, client: DossierPullClient, sessions: SessionFactory, tmp_path: Path
) -> None:
    source.events.extend(event(n) for n in range(1, 3))
    broken_engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'never-migrated.db'}")
    try:
        broken = DossierService(session_factory(broken_engine), hash_key="k", render_notice=render)
        report = await DossierPuller(client.fetch, broken.applier("pull"), sessions).pull_once()
    finally:
        await broken_engine.dispose()
    assert report.error == "apply: OperationalError"
    assert await saved_cursor(sessions) is None
    working = DossierService(sessions, hash_key="k", render_notice=render)
    assert (await DossierPuller(client.fetch, working.applier("pull"), sessions).pull_once()).applied == 2
    assert source.cursors_asked == [None, None]


async def test_a_run_stops_at_its_page_limit_and_the_next_one_continues(
    source: FakeDossierSource, client: DossierPullClient, service: DossierService, sessions: SessionFactory
) -> None:
    source.events.extend(event(n) for n in range(1, 8))
    job = puller(client, service, sessions, max_pages=2)
    first = await job.pull_once()
    assert (first.pages, first.applied, first.more, first.cursor) == (2, 6, True, "p6")
    second = await job.pull_once()
    assert (second.pages, second.applied, second.more, second.cursor) == (1, 1, False, "p7")


async def test_two_sources_keep_their_own_cursors(
    source: FakeDossierSource, client: DossierPullClient, service: DossierService, sessions: SessionFactory
) -> None:
    source.events.extend(event(n) for n in range(1, 3))
    await puller(client, service, sessions, name="huyen").pull_once()
    assert await saved_cursor(sessions, "huyen") == "p2"
    assert await saved_cursor(sessions, "pull") is None
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(SyncCursor)) == 1


async def test_a_remote_that_never_moves_its_cursor_cannot_loop(
    service: DossierService, sessions: SessionFactory
) -> None:
    asked: list[str] = []

    async def stuck(cursor: str) -> PullPage:
        asked.append(cursor)
        return PullPage(events=[], cursor="same", has_more=True)

    report = await DossierPuller(stuck, service.applier("pull"), sessions).pull_once()
    assert report.error.startswith("the remote said has_more")
    assert asked == ["", "same"]
    assert await saved_cursor(sessions) == "same"


async def test_a_reused_event_id_or_a_future_date_is_skipped_and_counted_and_the_feed_moves_on(
    source: FakeDossierSource,
    client: DossierPullClient,
    service: DossierService,
    sessions: SessionFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    source.events.extend([event(1), event(2), event(1, "ready", day=23), event(3, occurred_at="2199-01-01")])
    source.events.append(event(4))
    report = await puller(client, service, sessions).pull_once()
    assert (report.received, report.applied, report.invalid, report.error) == (5, 3, 2, "")
    assert report.cursor == await saved_cursor(sessions)
    assert sorted(await stored_events(sessions)) == ["pull-1", "pull-2", "pull-4"]
    view = await service.lookup(CODE.format(1))
    assert view is not None and view.status is Status.RECEIVED
    assert any("event_id reused with other content" in r.getMessage() for r in caplog.records)
