"""The migrated SQLite database most tests start from, as fixtures modules import by name.

Not in tests/conftest.py: the outbox tests load their own ``sessions`` (SQLite and PostgreSQL) as a
plugin, and a conftest fixture of the same name would take precedence over it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.storage import SessionFactory, create_engine, session_factory
from bot.storage.migrate import upgrade_engine


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    """The URL of a SQLite file in the test's folder."""
    return f"sqlite+aiosqlite:///{tmp_path / 'motcua.db'}"


@pytest.fixture
async def sessions(db_url: str) -> AsyncIterator[SessionFactory]:
    """A session factory over a database upgraded to head."""
    engine = create_engine(db_url)
    await upgrade_engine(engine)
    try:
        yield session_factory(engine)
    finally:
        await engine.dispose()
