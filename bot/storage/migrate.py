"""Run Alembic programmatically: upgrade to head, report the current revision, check the schema."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.storage.engine import SessionFactory, create_engine, session_factory

# The project is installed editable, so the repo-root folder sits two levels above this package.
MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"


class SchemaNotCurrent(Exception):  # noqa: N818 - reads better at the call site than "...Error"
    """The database is not at the latest migration (empty, behind, or ahead of this code)."""

    def __init__(self, current: str | None, head: str) -> None:
        super().__init__(f"database schema is at {current or 'nothing'}, this code needs {head}")
        self.current = current
        self.head = head


def alembic_config() -> AlembicConfig:
    """Return an Alembic configuration pointing at the project's migrations, from any cwd."""
    if not (MIGRATIONS_DIR / "env.py").is_file():
        raise FileNotFoundError(f"migrations not found at {MIGRATIONS_DIR}")
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return cfg


def head_revision() -> str:
    """Return the newest migration revision this code knows."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, "no migrations found"
    return head


async def upgrade_engine(engine: AsyncEngine, revision: str = "head") -> None:
    """Upgrade the database behind ``engine`` to ``revision`` in one transaction."""
    cfg = alembic_config()
    async with engine.begin() as conn:
        await conn.run_sync(_upgrade, cfg, revision)


def _upgrade(connection: Connection, cfg: AlembicConfig, revision: str) -> None:
    cfg.attributes["connection"] = connection
    command.upgrade(cfg, revision)


async def current_revision(engine: AsyncEngine) -> str | None:
    """Return the revision the database is at, or None for an empty database."""
    async with engine.connect() as conn:
        return await conn.run_sync(lambda sync: MigrationContext.configure(sync).get_current_revision())


async def check_schema(engine: AsyncEngine) -> None:
    """Raise :class:`SchemaNotCurrent` unless the database is exactly at head."""
    current = await current_revision(engine)
    head = head_revision()
    if current != head:
        raise SchemaNotCurrent(current, head)


def upgrade(url: str, revision: str = "head") -> None:
    """Upgrade the database at ``url`` to ``revision`` (creates a SQLite file and its folder)."""
    asyncio.run(_run_upgrade(url, revision))


async def _run_upgrade(url: str, revision: str) -> None:
    engine = create_engine(url)
    try:
        await upgrade_engine(engine, revision)
    finally:
        await engine.dispose()


def current(url: str) -> str | None:
    """Return the revision the database at ``url`` is at, or None."""
    return asyncio.run(_run_current(url))


async def _run_current(url: str) -> str | None:
    engine = create_engine(url)
    try:
        return await current_revision(engine)
    finally:
        await engine.dispose()


@contextlib.asynccontextmanager
async def current_sessions(url: str, *, echo: bool = False) -> AsyncIterator[SessionFactory]:
    """Open the database for a command, refusing to go on (SchemaNotCurrent) unless the schema is current."""
    engine = create_engine(url, echo=echo)
    try:
        await check_schema(engine)
        yield session_factory(engine)
    finally:
        await engine.dispose()
