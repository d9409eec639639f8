"""The verification lockout under 100 racing answers: no more guesses checked than the limit, no exception.

Each app is the real composition root (:func:`bot.app.build_core`); on PostgreSQL two of them share
the database, as two bot processes do. A checked guess is a read of the dossier's phone columns, seen
in the statements each engine runs.
"""

from __future__ import annotations

import asyncio
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
    now = datetime.now(UTC)
    await apps[0].services.dossiers.apply(
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
        [asked] = await apps[0].dispatcher.dispatch(Incoming(chat=chat, user_id="7", text=f"/theodoi {CODE}"))
        assert "4 chữ số cuối" in to_plain(asked.text), asked.text
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


def test_the_polite_retry_text_is_vietnamese() -> None:
    assert "gửi lại" in texts.TRY_AGAIN
