"""Recurring directives across a restart: armed from the database, a missed firing published once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from bot.messages import Platform
from bot.outbox import Outbox
from bot.services.directives import Audience, DirectiveDraft, ScheduleKind
from bot.services.people import Actor, PeopleService, Role
from bot.storage import OutboxMessage, SessionFactory, create_engine, session_factory
from bot.storage.migrate import upgrade_engine
from jobs.directives import DirectiveJobs
from jobs.scheduler import MISFIRE_GRACE_SECONDS, create_scheduler
from tests.directive_service import directive_service
from tests.storage.conftest import fresh_postgres_database

ADMIN = Actor.system()
VN = ZoneInfo("Asia/Ho_Chi_Minh")
# Monday 23 November 2026, 10:00 in Viet Nam.
START = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)


class Clock:
    """Wall time that moves only when told."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture(params=["sqlite", "postgresql"])
async def sessions(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[SessionFactory]:
    """A migrated SQLite file, or a fresh PostgreSQL database."""
    if request.param == "postgresql":
        async with fresh_postgres_database(
            request.getfixturevalue("postgres_url"), "directive_jobs"
        ) as engine:
            await upgrade_engine(engine)
            yield session_factory(engine)
        return
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'motcua.db'}")
    await upgrade_engine(engine)
    try:
        yield session_factory(engine)
    finally:
        await engine.dispose()


async def directive_rows(sessions: SessionFactory) -> int:
    """Outbox rows of directives."""
    async with sessions() as session:
        return int(
            (
                await session.execute(
                    select(func.count()).select_from(OutboxMessage).where(OutboxMessage.kind == "directive")
                )
            ).scalar_one()
        )


async def test_a_firing_missed_while_down_is_published_once_after_a_restart(sessions: SessionFactory) -> None:
    clock = Clock(START)
    people = PeopleService(sessions, clock=clock)
    unit = await people.create_unit(ADMIN, "Bộ phận một cửa")
    for n in (1, 2, 3):
        person = await people.create_person(ADMIN, f"Cán bộ {n}", Role.STAFF, unit_id=unit.id)
        await people.redeem((await people.invite(ADMIN, person.id)).code, Platform.TELEGRAM, str(n), str(n))
    service = directive_service(sessions, clock=clock)
    created = await service.writing.create(
        ADMIN,
        DirectiveDraft(
            title="Giao ban",
            body="Họp giao ban.",
            audience=Audience(units=(unit.id,)),
            schedule_kind=ScheduleKind.CRON,
            cron="thứ hai hằng tuần 07:30",
        ),
    )
    assert created.cron == "30 7 * * 1"
    await service.publishing.publish(ADMIN, created.id)

    # First run: the job is armed for next Monday 07:30, nothing is sent yet.
    first = create_scheduler("Asia/Ho_Chi_Minh")
    await DirectiveJobs(service, first).sync()
    job = first.get_job(f"directive:{created.id}")
    assert job.trigger.run_date == datetime(2026, 11, 30, 7, 30, tzinfo=VN)
    assert job.misfire_grace_time == MISFIRE_GRACE_SECONDS
    assert await directive_rows(sessions) == 0

    # "Stop" past the firing and come back two hours later with a new process.
    clock.now = datetime(2026, 11, 30, 9, 30, tzinfo=VN)
    restarted_service = directive_service(sessions, clock=clock)
    second = create_scheduler("Asia/Ho_Chi_Minh")
    woken: list[int] = []
    outbox = Outbox(sessions)
    outbox.wake_on_commit(lambda: woken.append(1))
    jobs = DirectiveJobs(restarted_service, second)
    await jobs.sync()
    assert await directive_rows(sessions) == 3
    assert woken == [1]
    # Re-armed for the Monday after; the old firing, its job and a repeated sync add nothing.
    rearmed = second.get_job(f"directive:{created.id}")
    assert rearmed.trigger.run_date == datetime(2026, 12, 7, 7, 30, tzinfo=VN)
    await jobs.sync()
    await rearmed.func()
    assert await directive_rows(sessions) == 3

    # The next Monday's firing publishes the next occurrence, once.
    clock.now = datetime(2026, 12, 7, 7, 30, tzinfo=VN)
    await second.get_job(f"directive:{created.id}").func()
    await jobs.sync()
    assert await directive_rows(sessions) == 6


async def test_cancelling_removes_the_job_at_the_next_sync(sessions: SessionFactory) -> None:
    clock = Clock(START)
    people = PeopleService(sessions, clock=clock)
    unit = await people.create_unit(ADMIN, "UBND xã")
    await people.create_person(ADMIN, "Cán bộ", Role.STAFF, unit_id=unit.id)
    service = directive_service(sessions, clock=clock)
    created = await service.writing.create(
        ADMIN,
        DirectiveDraft(
            title="Báo cáo",
            body="Báo cáo tuần.",
            audience=Audience(units=(unit.id,)),
            schedule_kind=ScheduleKind.CRON,
            cron="0 16 * * 5",
        ),
    )
    await service.publishing.publish(ADMIN, created.id)
    scheduler = create_scheduler("Asia/Ho_Chi_Minh")
    jobs = DirectiveJobs(service, scheduler)
    await jobs.sync()
    assert [j.id for j in scheduler.get_jobs()] == [f"directive:{created.id}"]
    await service.publishing.cancel(ADMIN, created.id)
    clock.now += timedelta(days=30)
    await jobs.sync()
    assert scheduler.get_jobs() == []
    assert await directive_rows(sessions) == 0
    assert {j.id for j in jobs.jobs()} == {"directive-sync", "directive-reminders"}


async def test_a_one_off_directive_becomes_sent_once_its_messages_left_the_outbox(
    sessions: SessionFactory,
) -> None:
    clock = Clock(START)
    people = PeopleService(sessions, clock=clock)
    unit = await people.create_unit(ADMIN, "Bộ phận một cửa")
    for n in (1, 2):
        person = await people.create_person(ADMIN, f"Cán bộ {n}", Role.STAFF, unit_id=unit.id)
        await people.redeem((await people.invite(ADMIN, person.id)).code, Platform.TELEGRAM, str(n), str(n))
    service = directive_service(sessions, clock=clock)
    draft = DirectiveDraft(
        title="Kiểm tra PCCC", body="Rà soát bình chữa cháy.", audience=Audience(units=(unit.id,))
    )
    created = await service.writing.create(ADMIN, draft)
    await service.publishing.publish(ADMIN, created.id)
    jobs = DirectiveJobs(service, create_scheduler("Asia/Ho_Chi_Minh"))
    await jobs.sync()
    assert (await service.reports.get(ADMIN, created.id)).status.value == "sending"
    # One message delivered, one failed for good: nothing waits any more.
    async with sessions.begin() as session:
        rows = (
            await session.execute(select(OutboxMessage).where(OutboxMessage.kind == "directive"))
        ).scalars()
        for row, status in zip(rows, ("sent", "failed"), strict=True):
            row.status = status
    await jobs.sync()
    assert (await service.reports.get(ADMIN, created.id)).status.value == "sent"
