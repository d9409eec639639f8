"""Directives once on a fresh PostgreSQL database: concurrent publishes, acknowledgements, the report."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from bot.messages import ChatRef, Platform
from bot.services.directives import AckOutcome, Audience
from bot.storage import OutboxMessage, session_factory
from bot.storage.migrate import upgrade_engine
from tests.services.test_directives import ADMIN, Clock, build_org, draft
from tests.storage.conftest import fresh_postgres_database


async def test_publish_ack_and_report_on_postgresql(postgres_url: str) -> None:
    async with fresh_postgres_database(postgres_url, "directives") as engine:
        await upgrade_engine(engine)
        sessions = session_factory(engine)
        org = await build_org(sessions, Clock())
        created = await org.directives.writing.create(
            ADMIN, draft(Audience(units=(org.unit_a,), groups=(org.group_a, org.group_b)))
        )

        results = await asyncio.gather(
            *(org.directives.publishing.publish(ADMIN, created.id) for _ in range(4))
        )

        assert sorted(r.queued for r in results) == [0, 0, 0, 6]
        async with sessions() as session:
            assert await session.scalar(select(func.count()).select_from(OutboxMessage)) == 6
        group = ChatRef(Platform.TELEGRAM, "-100", True)
        acks = await asyncio.gather(
            *(
                org.directives.acks.acknowledge(Platform.TELEGRAM, "12", group, how="keyword")
                for _ in range(3)
            )
        )
        assert sorted(a.outcome for a in acks) == [
            AckOutcome.ALREADY,
            AckOutcome.ALREADY,
            AckOutcome.RECORDED,
        ]
        report = await org.directives.reports.report(ADMIN, created.id)
        assert len(report.recipients) == 7 and report.stats.pending == 6
        assert [a.name for a in report.acks if a.at is not None] == ["Cán bộ 12"]
