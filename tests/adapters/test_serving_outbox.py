"""A serving process and the outbox: rows queued before start and by a job are delivered (the job's
commit wakes the worker), notification buttons are remembered, and stop is clean."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import select

from bot import runner
from bot.app import build_core
from bot.config import Config, DatabaseConfig, HttpConfig, OutboxConfig, TelegramConfig
from bot.messages import Button, ChatRef, Platform, Reply
from bot.outbox import SENT, enqueue
from bot.storage import OutboxMessage, SessionFactory, create_engine, session_factory
from bot.storage.migrate import upgrade_engine
from jobs.scheduler import IntervalJob
from tests.adapters.test_telegram_runner import free_port
from tests.fakes.telegram_api import FakeTelegram


async def migrated(tmp_path: Path) -> str:
    """A migrated SQLite database; its URL."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'motcua.db'}"
    engine = create_engine(url)
    try:
        await upgrade_engine(engine)
    finally:
        await engine.dispose()
    return url


async def statuses(sessions: SessionFactory) -> dict[str, str]:
    """Status of every outbox row by key."""
    async with sessions() as session:
        rows = (await session.execute(select(OutboxMessage.key, OutboxMessage.status))).all()
    return {key: status for key, status in rows}


async def test_run_delivers_enqueued_rows_runs_jobs_and_stops_cleanly(
    fake: FakeTelegram, tmp_path: Path
) -> None:
    fake.add_chat(111)
    fake.add_chat(222)
    config = Config(
        database=DatabaseConfig(url=await migrated(tmp_path)),
        telegram=TelegramConfig(token=fake.token, base_url=fake.base_url, base_file_url=fake.base_file_url),
        http=HttpConfig(host="127.0.0.1", port=free_port()),
        # Only a wake can deliver the job's message quickly: the idle poll is an hour.
        outbox=OutboxConfig(idle_poll_seconds=3600),
    )
    stop = asyncio.Event()
    async with build_core(config) as core:
        async with core.sessions() as session, session.begin():
            await enqueue(
                session,
                key="before-start",
                chat=ChatRef(Platform.TELEGRAM, "111"),
                reply=Reply("Hồ sơ của bạn đã có kết quả.", (Button("Đánh giá", "rate:1"),)),
                kind="dossier.ready",
            )
        runs = 0

        async def pull() -> None:
            nonlocal runs
            runs += 1
            async with core.sessions() as session, session.begin():
                await enqueue(
                    session,
                    key="from-job",
                    chat=ChatRef(Platform.TELEGRAM, "222"),
                    reply=Reply("Hồ sơ cần bổ sung giấy tờ."),
                    kind="dossier.supplement",
                )

        job = IntervalJob("dossier-pull", pull, 0.05)
        task = asyncio.create_task(runner.run_channels(core, stop, jobs=[job]))
        try:
            [first] = await fake.wait_messages(111, 1)
            [second] = await fake.wait_messages(222, 1)
        finally:
            stop.set()
            await asyncio.wait_for(task, 5)
        assert task.exception() is None
        assert first.buttons == [("Đánh giá", "rate:1")]
        assert second.text == "Hồ sơ cần bổ sung giấy tờ."
        assert runs >= 1
        assert await statuses(session_factory(core.engine)) == {"before-start": SENT, "from-job": SENT}
        # Buttons of a notification are remembered, so a typed "1" picks them as on Zalo.
        assert await core.services.conversations.recall("telegram:111") == ["rate:1"]
