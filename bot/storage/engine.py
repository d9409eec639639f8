"""The async engine and session factory; SQLite gets WAL, foreign keys and a busy timeout."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import Session

SessionFactory = async_sessionmaker[AsyncSession]

SQLITE_BUSY_TIMEOUT_MS = 5000


def sqlite_path(url: str | URL) -> Path | None:
    """Return the database file of a SQLite URL, or None (not SQLite, or in memory)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return None
    database = parsed.database or ""
    if database in ("", ":memory:") or database.startswith("file:"):
        return None
    return Path(database)


def create_engine(url: str | URL, *, echo: bool = False) -> AsyncEngine:
    """Create the async engine for ``url``; for a SQLite file, create its folder and tune the connection."""
    parsed = make_url(url)
    # Parameters hold notice texts, phone hashes and conversation state: never in a log or an error text,
    # even with ``echo``.
    if parsed.get_backend_name() != "sqlite":
        return create_async_engine(parsed, echo=echo, pool_pre_ping=True, hide_parameters=True)
    path = sqlite_path(parsed)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(
        parsed, echo=echo, hide_parameters=True, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
    )
    event.listen(engine.sync_engine, "connect", tune_sqlite)
    return engine


def tune_sqlite(dbapi_connection: Any, connection_record: Any) -> None:
    """Set WAL, synchronous=NORMAL, foreign keys and the busy timeout on a new SQLite connection."""
    cursor = dbapi_connection.cursor()
    try:
        # WAL lets the bot read while an import writes; NORMAL is durable enough under WAL.
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    finally:
        cursor.close()


def session_factory(engine: AsyncEngine) -> SessionFactory:
    """Return the session factory every service uses (objects stay usable after commit)."""
    # A Session class of its own, so listeners on it (the outbox's wake after commit) see this factory only.
    own = type("FactorySession", (Session,), {})
    return async_sessionmaker(engine, expire_on_commit=False, sync_session_class=own)


def session_class(sessions: SessionFactory) -> type[Session]:
    """The synchronous Session class behind ``sessions``: the target for session events of that factory."""
    found = sessions.kw.get("sync_session_class")
    if not isinstance(found, type) or not issubclass(found, Session) or found is Session:
        raise TypeError("listen on a factory from bot.storage.session_factory, not on every Session")
    return found


async def begin_write(session: AsyncSession) -> None:
    """Take SQLite's write lock at the start of a read-then-write transaction (no-op elsewhere).

    In WAL mode a transaction that read first and then writes fails at once with "database is
    locked" if another connection wrote in between; taking the lock first makes it wait instead.
    """
    if session.get_bind().dialect.name == "sqlite":
        await session.execute(text("BEGIN IMMEDIATE"))
