"""The late check job: one apology per subscriber of an overdue open dossier, and failures contained."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.services.dossiers.events import DossierEventIn, Status
from bot.services.dossiers.service import DossierService
from bot.storage import DossierSubscription, OutboxMessage, SessionFactory, create_engine, session_factory
from jobs.dossier_late import check_late, late_job
from tests.databases import db_url, sessions
from tests.services.test_dossier_feed import render

# Fixtures, imported by name so pytest finds them here.
__all__ = ["db_url", "sessions"]

CODE = "000.00.24.H57-250722-0001"
NOW = datetime(2025, 7, 28, 3, 0, tzinfo=UTC)


async def test_an_overdue_dossier_is_apologised_for_once(sessions: SessionFactory) -> None:
    service = DossierService(sessions, hash_key="k", render_notice=render, clock=lambda: NOW)
    due = datetime(2025, 7, 25, 10, 0, tzinfo=UTC)
    await service.apply(
        [
            DossierEventIn(
                "e-1", CODE, Status.IN_PROGRESS, datetime(2025, 7, 22, 1, 0, tzinfo=UTC), due_at=due
            )
        ],
        source="push",
    )
    async with sessions.begin() as session:
        session.add(
            DossierSubscription(
                dossier_code=CODE, platform="telegram", chat_id="42", user_id="42", created_at=NOW
            )
        )
    assert await check_late(service) == 1
    assert await check_late(service) == 0
    async with sessions() as session:
        kinds = (await session.scalars(select(OutboxMessage.kind))).all()
    assert kinds == ["dossier.late"]


async def test_the_scheduled_wrapper_logs_a_failure_by_type_only(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'never-migrated.db'}")
    try:
        service = DossierService(session_factory(engine), hash_key="k", render_notice=render)
        with pytest.raises(Exception, match="no such table"):
            await check_late(service)
        await late_job(service)()
    finally:
        await engine.dispose()
    ours = [r for r in caplog.records if r.name == "jobs.dossier_late"]
    assert [(r.levelno, r.getMessage()) for r in ours] == [
        (logging.ERROR, "dossier late check failed: OperationalError")
    ]
