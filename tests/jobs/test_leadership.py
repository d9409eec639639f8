"""Exactly one scheduler on real PostgreSQL: one leader among candidates, and a takeover when it dies."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.app import build_core
from bot.app.leader import Leadership
from bot.app.serving import Background
from bot.config import Config, DatabaseConfig
from bot.storage import create_engine
from bot.storage.migrate import upgrade_engine
from jobs.scheduler import IntervalJob
from tests.storage.conftest import fresh_postgres_database

RETRY = 0.2
TAKEOVER = 30.0
"""The bound the design promises; with RETRY this short a takeover takes well under a second."""
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
async def database(postgres_url: str) -> AsyncIterator[AsyncEngine]:
    """A fresh PostgreSQL database (leadership is per database)."""
    async with fresh_postgres_database(postgres_url, "leader") as engine:
        yield engine


def _url(engine: AsyncEngine) -> str:
    return engine.url.render_as_string(hide_password=False)


async def _until(check: Callable[[], bool], within: float = TAKEOVER) -> float:
    """Seconds until ``check()`` holds; fails after ``within``."""
    start = time.monotonic()
    while not check():
        assert time.monotonic() - start < within, "not within the bound"
        await asyncio.sleep(0.02)
    return time.monotonic() - start


async def _leader_pid(engine: AsyncEngine) -> int | None:
    async with engine.connect() as conn:
        found = await conn.scalar(text("SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted"))
    return int(found) if found is not None else None


async def test_one_of_two_candidates_leads_and_the_other_takes_over(database: AsyncEngine) -> None:
    changes: list[tuple[str, bool]] = []

    def noting(name: str) -> Callable[[bool], Awaitable[None]]:
        async def note(leading: bool) -> None:
            changes.append((name, leading))

        return note

    a = Leadership(_url(database), retry_seconds=RETRY, on_change=noting("a"))
    b = Leadership(_url(database), retry_seconds=RETRY, on_change=noting("b"))
    await a.start()
    await b.start()
    try:
        assert (a.is_leader, b.is_leader) == (True, False)
        await asyncio.sleep(RETRY * 3)
        assert (a.is_leader, b.is_leader) == (True, False)  # the others keep trying, in vain
        # The leader's connection dies (as when its process is killed): the lock goes with it.
        pid = await _leader_pid(database)
        assert pid is not None
        async with database.connect() as conn:
            await conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            await conn.commit()
        await _until(lambda: b.is_leader)
        await _until(lambda: not a.is_leader)
        await asyncio.sleep(RETRY * 3)
        assert (a.is_leader, b.is_leader) == (False, True)
    finally:
        await b.stop()
        await a.stop()
    assert changes[:1] == [("a", True)]
    assert ("b", True) in changes and ("a", False) in changes
    assert changes[-1] == ("a", False) or changes[-1] == ("b", False)


async def test_stopping_the_leader_hands_over(database: AsyncEngine) -> None:
    a = Leadership(_url(database), retry_seconds=RETRY)
    b = Leadership(_url(database), retry_seconds=RETRY)
    await a.start()
    await b.start()
    try:
        assert a.is_leader and not b.is_leader
        await a.stop()
        assert not a.is_leader
        await _until(lambda: b.is_leader)
    finally:
        await b.stop()
    assert await _leader_pid(database) is None


CANDIDATE = """
import asyncio, sys
from bot.app.leader import Leadership

async def main():
    leadership = Leadership(sys.argv[1], retry_seconds=0.2)
    await leadership.start()
    print("leading" if leadership.is_leader else "waiting", flush=True)
    await asyncio.Event().wait()

asyncio.run(main())
"""


async def test_a_killed_leader_process_is_replaced(database: AsyncEngine) -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        CANDIDATE,
        _url(database),
        stdout=asyncio.subprocess.PIPE,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    here = Leadership(_url(database), retry_seconds=RETRY)
    try:
        assert proc.stdout is not None
        line = await asyncio.wait_for(proc.stdout.readline(), 60)
        assert line.decode().strip() == "leading"
        await here.start()
        assert not here.is_leader
        proc.send_signal(signal.SIGKILL)
        await asyncio.wait_for(proc.wait(), 30)
        took = await _until(lambda: here.is_leader)
        assert took < TAKEOVER
    finally:
        await here.stop()
        if proc.returncode is None:
            proc.kill()
            await proc.wait()


async def test_only_the_leaders_jobs_run_and_a_follower_takes_them_over(database: AsyncEngine) -> None:
    await upgrade_engine(database)
    config = Config(database=DatabaseConfig(url=_url(database), leader_retry_seconds=RETRY))
    runs: dict[str, int] = {"a": 0, "b": 0}
    reloads: dict[str, int] = {"a": 0, "b": 0}

    def counting(table: dict[str, int], name: str) -> Callable[[], Awaitable[None]]:
        async def run() -> None:
            table[name] += 1

        return run

    async with AsyncExitStack() as stack:
        backgrounds = {}
        for name in ("a", "b"):
            core = await stack.enter_async_context(build_core(config))
            jobs = [
                IntervalJob("count", counting(runs, name), 0.05),
                IntervalJob("reload", counting(reloads, name), 0.05, every_process=True),
            ]
            backgrounds[name] = Background(core, jobs)
            await backgrounds[name].start()
        try:
            first, second = backgrounds["a"], backgrounds["b"]
            assert first.leadership.is_leader and not second.leadership.is_leader
            await _until(lambda: runs["a"] >= 3 and reloads["b"] >= 3)
            assert runs["b"] == 0  # the follower's database jobs never ran; its own reload did
            await first.stop()
            settled = runs["a"]
            await _until(lambda: runs["b"] >= 3)
            assert runs["a"] == settled
            assert second.leadership.is_leader
        finally:
            for background in backgrounds.values():
                await background.stop()


async def test_on_sqlite_the_one_process_always_leads(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'motcua.db'}")
    seen: list[bool] = []

    async def note(leading: bool) -> None:
        seen.append(leading)

    leadership = Leadership.for_engine(engine, retry_seconds=RETRY, on_change=note)
    await leadership.start()
    assert leadership.is_leader
    await leadership.stop()
    await engine.dispose()
    assert seen == [True, False] and not leadership.is_leader
