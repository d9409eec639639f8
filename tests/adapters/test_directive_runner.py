"""``motcua run`` with directives: a schedule due while the bot was down is published once at start,
reaches the Telegram fake through the real outbox worker, and a press on "Đã nhận" is recorded and
shown on the message.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot import runner
from bot.app import Core, build_core
from bot.config import Config, DatabaseConfig
from bot.messages import Platform
from bot.services.directives import Audience, DirectiveDraft, ScheduleKind, Urgency
from bot.services.people import Actor, PeopleService, Role
from bot.storage import Acknowledgement, Directive, create_engine, session_factory
from tests.adapters import test_telegram_runner
from tests.adapters.test_telegram_runner import config_for
from tests.directive_service import directive_service
from tests.fakes.telegram_api import FakeTelegram

STAFF = 801
database = test_telegram_runner.database


@asynccontextmanager
async def serving_core(config: Config) -> AsyncIterator[Core]:
    """The real core and ``run_channels`` (outbox worker and scheduler included), stopped on exit."""
    stop = asyncio.Event()
    async with build_core(config) as core:
        task = asyncio.create_task(runner.run_channels(core, stop))
        try:
            yield core
        finally:
            stop.set()
            await asyncio.wait_for(task, 5)


async def seed(url: str) -> int:
    """One unit, one staff member linked on Telegram, and a daily urgent directive last armed 3 days ago."""
    engine = create_engine(url)
    try:
        sessions = session_factory(engine)
        system = Actor.system()
        people = PeopleService(sessions)
        unit = await people.create_unit(system, "Bộ phận một cửa")
        person = await people.create_person(system, "Lê Văn Ba", Role.STAFF, unit_id=unit.id)
        code = await people.invite(system, person.id)
        await people.redeem(code.code, Platform.TELEGRAM, str(STAFF), str(STAFF))
        back_then = datetime.now(UTC) - timedelta(days=3)
        service = directive_service(sessions, clock=lambda: back_then)
        created = await service.writing.create(
            system,
            DirectiveDraft(
                title="Báo cáo đầu ngày",
                body="Gửi số hồ sơ tồn trước 9 giờ.",
                audience=Audience(units=(unit.id,)),
                urgency=Urgency.KHAN,
                ack_required=True,
                schedule_kind=ScheduleKind.CRON,
                cron="0 8 * * *",
            ),
        )
        await service.publishing.publish(system, created.id)
        return created.id
    finally:
        await engine.dispose()


async def test_a_missed_schedule_is_sent_once_at_start_and_a_button_ack_is_recorded(
    fake: FakeTelegram, database: DatabaseConfig
) -> None:
    directive_id = await seed(database.url)
    fake.add_chat(STAFF)
    async with serving_core(config_for(fake, database)) as core:
        [sent] = await fake.wait_messages(STAFF, 1, within=10)
        assert "Báo cáo đầu ngày" in sent.text
        assert (f"ack:{directive_id}") in [payload for _, payload in sent.buttons]

        fake.push_callback(STAFF, f"ack:{directive_id}", user_id=STAFF)
        await fake.wait_for(lambda: sent.edits, within=10)
        assert "Lê Văn Ba" in sent.text

        async with core.sessions() as session:
            [ack] = (await session.execute(select(Acknowledgement))).scalars().all()
            directive = (await session.execute(select(Directive))).scalar_one()
        assert ack.directive_id == directive_id and ack.how == "button"
        assert directive.next_run_at is not None and directive.next_run_at > datetime.now(UTC)
        assert await core.services.directives.publishing.run_due() == []
    # Published once: the three missed mornings collapse into one message.
    assert len([m for m in fake.messages_to(STAFF) if "Báo cáo đầu ngày" in m.text]) == 1
