"""Small per-message statements on a SQLite file, a whole statement per thread hand-off.

Through aiosqlite a statement costs five hand-offs between the event loop and the connection's
thread (cursor, execute, fetch, close, rollback), each waking a thread that then fights the loop for
the GIL; at a few hundred messages a second that cost more than the statements. Here a synchronous
engine on the same file runs a whole statement, transaction included, as one call in a thread of
its own: one for reads, one for writes, so a write waiting for SQLite's lock never holds up a read.

Only the hottest statements go this way (the conversation state read and the choices write); the
rest of the bot keeps the async engine. PostgreSQL has no threads to save and never uses this.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import TypeVar

from sqlalchemy import Connection, Engine, event
from sqlalchemy import create_engine as create_sync_engine
from sqlalchemy.engine import URL, make_url

from bot.storage.engine import SQLITE_BUSY_TIMEOUT_MS, sqlite_path, tune_sqlite

_T = TypeVar("_T")


class SqliteDirect:
    """A synchronous engine on a SQLite file with a read thread and a write thread."""

    def __init__(self, url: str | URL) -> None:
        parsed = make_url(url)
        if sqlite_path(parsed) is None:
            raise ValueError("SqliteDirect needs a SQLite file URL")
        self._engine: Engine = create_sync_engine(
            parsed.set(drivername="sqlite+pysqlite"),
            pool_size=2,
            max_overflow=0,
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
        )
        event.listen(self._engine, "connect", tune_sqlite)
        self._reader = ThreadPoolExecutor(max_workers=1, thread_name_prefix="motcua-sqlite-read")
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="motcua-sqlite-write")

    @classmethod
    def for_url(cls, url: str | URL) -> SqliteDirect | None:
        """One for a SQLite file URL; None for anything else (PostgreSQL, SQLite in memory)."""
        return cls(url) if sqlite_path(url) is not None else None

    async def read(self, work: Callable[[Connection], _T]) -> _T:
        """Run ``work`` on a connection in the read thread; the transaction is rolled back after."""
        return await asyncio.get_running_loop().run_in_executor(self._reader, partial(self._read, work))

    async def write(self, work: Callable[[Connection], _T]) -> _T:
        """Run ``work`` in one transaction in the write thread, committed unless it raises."""
        return await asyncio.get_running_loop().run_in_executor(self._writer, partial(self._write, work))

    def _read(self, work: Callable[[Connection], _T]) -> _T:
        with self._engine.connect() as conn:
            return work(conn)

    def _write(self, work: Callable[[Connection], _T]) -> _T:
        with self._engine.begin() as conn:
            return work(conn)

    async def aclose(self) -> None:
        """Let queued statements finish, then close the threads and the connections."""
        loop = asyncio.get_running_loop()
        for executor in (self._reader, self._writer):
            await loop.run_in_executor(None, executor.shutdown)
        self._engine.dispose()
