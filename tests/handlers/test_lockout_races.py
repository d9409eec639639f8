"""The verification lockout under 100 racing answers: no more guesses checked than the limit, no exception.

Each app is the real composition root (:func:`bot.app.build_core`); on PostgreSQL two of them share
the database, as two bot processes do. A checked guess is a read of the dossier's phone columns, seen
in the statements each engine runs.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from bot import texts
from bot.app import Core, build_core
from bot.config import Config, DatabaseConfig, DossierConfig
from bot.markup import to_plain
from bot.messages import ChatRef, Incoming, Platform
from bot.services.dossiers.events import DossierEventIn, Status
from bot.storage import create_engine
from bot.storage.migrate import upgrade_engine
from tests.storage.conftest import fresh_postgres_database

CODE = "000.00.24.H57-250722-0001"
PHONE = "0912345678"
LIMIT = 5
ANSWERS = 100
ROOT = Path(__file__).resolve().parents[2]
CHATS = 4
SETTINGS = DossierConfig(
    hash_key="race-key", lookups_per_minute=1000, verify_max_failures=LIMIT, lockout_minutes=15
)


class Checks:
    """Counts the phone reads (checked guesses) an engine runs."""

    def __init__(self) -> None:
        self.count = 0

    def watch(self, core: Core) -> None:
        """Count on ``core``'s engine from now on."""

        def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
            if "phone_last4" in statement and statement.lstrip().lower().startswith("select"):
                self.count += 1

        event.listen(core.engine.sync_engine, "before_cursor_execute", record)


async def _apps(url: str, count: int, stack: AsyncExitStack) -> list[Core]:
    config = Config(database=DatabaseConfig(url=url), dossiers=SETTINGS)
    return [await stack.enter_async_context(build_core(config)) for _ in range(count)]


async def _race(apps: list[Core]) -> tuple[int, list[str]]:
    """Open the flow in CHATS chats of one user, then send ANSWERS wrong answers over the apps at once."""
    chats = await _prepare(apps[0])
    checks = Checks()
    for app in apps:
        checks.watch(app)
    answers = [
        apps[i % len(apps)].dispatcher.dispatch(
            Incoming(chat=chats[i % CHATS], user_id="7", text=f"{1000 + i:04d}")
        )
        for i in range(ANSWERS)
    ]
    # No return_exceptions: one exception escaping dispatch fails the test.
    replies = await asyncio.gather(*answers)
    return checks.count, [to_plain(r.text) for answer in replies for r in answer]


async def _prepare(app: Core) -> list[ChatRef]:
    """A dossier with a phone, and the /theodoi flow open in CHATS private chats of one user."""
    now = datetime.now(UTC)
    await app.services.dossiers.apply(
        [
            DossierEventIn(
                event_id="r1",
                code=CODE,
                status=Status.RECEIVED,
                occurred_at=now - timedelta(hours=1),
                procedure_code="1.001193",
                procedure_name="Đăng ký khai sinh",
                received_at=now - timedelta(hours=1),
                due_at=now + timedelta(days=3),
                phone=PHONE,
            )
        ],
        source="test",
    )
    chats = [ChatRef(Platform.TELEGRAM, f"9{i}") for i in range(CHATS)]
    for chat in chats:
        [asked] = await app.dispatcher.dispatch(Incoming(chat=chat, user_id="7", text=f"/theodoi {CODE}"))
        assert "4 chữ số cuối" in to_plain(asked.text), asked.text
    return chats


def _assert_answered(checked: int, replies: list[str]) -> None:
    assert 1 <= checked <= LIMIT, checked
    assert len(replies) >= ANSWERS
    assert any("nhập sai nhiều lần" in r for r in replies), replies[:5]
    assert not any("Traceback" in r for r in replies)


async def test_racing_answers_on_sqlite_check_at_most_the_limit(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'motcua.db'}"
    engine = create_engine(url)
    await upgrade_engine(engine)
    await engine.dispose()
    async with AsyncExitStack() as stack:
        checked, replies = await _race(await _apps(url, 1, stack))
    _assert_answered(checked, replies)


@pytest.fixture
async def postgres_db(postgres_url: str) -> AsyncIterator[str]:
    """A fresh migrated PostgreSQL database; its URL."""
    async with fresh_postgres_database(postgres_url, "lockout") as engine:
        await upgrade_engine(engine)
        yield engine.url.render_as_string(hide_password=False)


async def test_racing_answers_over_two_apps_on_postgres_check_at_most_the_limit(postgres_db: str) -> None:
    async with AsyncExitStack() as stack:
        checked, replies = await _race(await _apps(postgres_db, 2, stack))
    _assert_answered(checked, replies)


HALF = """
import asyncio, sys
from sqlalchemy import event
from bot.app import build_core
from bot.config import Config, DatabaseConfig, DossierConfig
from bot.messages import ChatRef, Incoming, Platform

async def main(url, first, count, chats, limit):
    settings = DossierConfig(
        hash_key="race-key", lookups_per_minute=1000, verify_max_failures=limit, lockout_minutes=15
    )
    async with build_core(Config(database=DatabaseConfig(url=url), dossiers=settings)) as core:
        checked = 0

        def record(conn, cursor, statement, *args):
            nonlocal checked
            if "phone_last4" in statement and statement.lstrip().lower().startswith("select"):
                checked += 1

        event.listen(core.engine.sync_engine, "before_cursor_execute", record)
        print("ready", flush=True)
        sys.stdin.readline()
        answers = [
            core.dispatcher.dispatch(
                Incoming(
                    chat=ChatRef(Platform.TELEGRAM, f"9{i % chats}"), user_id="7", text=f"{1000 + i:04d}"
                )
            )
            for i in range(first, first + count)
        ]
        results = await asyncio.gather(*answers, return_exceptions=True)
        errors = sum(isinstance(r, BaseException) for r in results)
        print(f"{checked} {errors}", flush=True)

asyncio.run(main(sys.argv[1], *map(int, sys.argv[2:])))
"""


async def test_racing_answers_from_two_processes_on_postgres_check_at_most_the_limit(
    postgres_db: str,
) -> None:
    async with AsyncExitStack() as stack:
        [app] = await _apps(postgres_db, 1, stack)
        await _prepare(app)
    half = ANSWERS // 2
    procs = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            HALF,
            postgres_db,
            str(first),
            str(half),
            str(CHATS),
            str(LIMIT),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        for first in (0, half)
    ]
    try:
        for proc in procs:
            assert proc.stdout is not None
            assert (await asyncio.wait_for(proc.stdout.readline(), 120)).strip() == b"ready"
        for proc in procs:
            assert proc.stdin is not None
            proc.stdin.write(b"go\n")
            await proc.stdin.drain()
        outcomes = []
        for proc in procs:
            out, _ = await asyncio.wait_for(proc.communicate(), 120)
            assert proc.returncode == 0
            outcomes.append([int(n) for n in out.split()])
    finally:
        for proc in procs:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
    checked = sum(c for c, _ in outcomes)
    assert 1 <= checked <= LIMIT, outcomes
    assert [errors for _, errors in outcomes] == [0, 0]


def test_the_polite_retry_text_is_vietnamese() -> None:
    assert "gửi lại" in texts.TRY_AGAIN
