"""Exactly one scheduler among the bot's processes (DESIGN §8): the leader holds an advisory lock.

On PostgreSQL each serving process is a candidate. The leader holds a session-level advisory lock
(``pg_try_advisory_lock``) on a connection of its own, kept open while it leads; the others try again
every ``retry_seconds``. When the leader dies its connection closes, PostgreSQL releases the lock, and
the next try of another candidate takes it. The leader also checks its connection at that pace, and
steps down when the check fails, so two processes never both believe they lead for long.

SQLite has one serving process per file (:mod:`bot.storage.process_lock`): that process always leads.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from sqlalchemy import text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

log = logging.getLogger(__name__)

LEADER_LOCK_KEY = 0x6D6F7463_75610001
"""The advisory lock key of the scheduler's leader ("motcua" and 1): one bigint for the whole database."""
DEFAULT_RETRY_SECONDS = 10.0
MIN_TIMEOUT_SECONDS = 5.0

OnChange = Callable[[bool], Awaitable[None]]

_TRY = text("SELECT pg_try_advisory_lock(:key)")
_HOLDING = text(
    "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted"
    " AND pid = pg_backend_pid())"
)
_UNLOCK = text("SELECT pg_advisory_unlock(:key)")


class Leadership:
    """Whether this process runs the scheduler, kept up to date until :meth:`stop`."""

    def __init__(
        self,
        url: str | URL | None,
        *,
        retry_seconds: float = DEFAULT_RETRY_SECONDS,
        key: int = LEADER_LOCK_KEY,
        on_change: OnChange | None = None,
    ) -> None:
        """``url`` of a PostgreSQL database to compete on; None: always the leader (one process)."""
        if retry_seconds <= 0:
            raise ValueError("retry_seconds must be positive")
        self._url = make_url(url) if url is not None else None
        self._retry = retry_seconds
        # A try or check may take longer than a short retry interval on a busy machine; a hung one ends.
        self._timeout = max(retry_seconds, MIN_TIMEOUT_SECONDS)
        self._key = key
        self._on_change = on_change
        self._leading = False
        self._engine: AsyncEngine | None = None
        self._conn: AsyncConnection | None = None
        self._task: asyncio.Task[None] | None = None
        self._stop = asyncio.Event()

    @classmethod
    def for_engine(
        cls,
        engine: AsyncEngine,
        *,
        retry_seconds: float = DEFAULT_RETRY_SECONDS,
        on_change: OnChange | None = None,
    ) -> Leadership:
        """Compete on ``engine``'s database when it is PostgreSQL; otherwise always lead."""
        url = engine.url if engine.dialect.name == "postgresql" else None
        return cls(url, retry_seconds=retry_seconds, on_change=on_change)

    @property
    def is_leader(self) -> bool:
        """True while this process holds the leadership (the metric "is this process the leader")."""
        return self._leading

    async def start(self) -> None:
        """Make a first try at once (so a lone process leads from the start), then keep trying."""
        self._stop.clear()
        if self._url is None:
            await self._change(True)
            return
        # Its own engine without a pool: closing the connection really ends the session and its lock.
        self._engine = create_async_engine(self._url, poolclass=NullPool)
        await self._step()
        self._task = asyncio.create_task(self._keep())

    async def stop(self) -> None:
        """Stop competing; a leader unlocks and closes its connection, so another takes over at once."""
        self._stop.set()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._conn is not None:
            with contextlib.suppress(Exception):
                await self._conn.execute(_UNLOCK, {"key": self._key})
        await self._drop()
        if self._leading:
            await self._change(False)
        if self._engine is not None:
            await self._engine.dispose()
            self._engine = None

    async def _keep(self) -> None:
        while not self._stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), self._retry)
            if not self._stop.is_set():
                await self._step()

    async def _step(self) -> None:
        """One try to lead, or, while leading, one check that the lock is still held."""
        try:
            held = await asyncio.wait_for(self._check() if self._conn else self._try(), self._timeout)
        except Exception as exc:  # a lost connection, a timeout: not leading until a try succeeds
            log.warning("leadership: %s failed (%s)", "check" if self._conn else "try", type(exc).__name__)
            held = False
        if not held:
            await self._drop()
        if held != self._leading:
            await self._change(held)

    async def _try(self) -> bool:
        assert self._engine is not None
        conn = await self._engine.connect()
        try:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            got = bool(await conn.scalar(_TRY, {"key": self._key}))
        except BaseException:
            await _close(conn)
            raise
        if got:
            self._conn = conn
        else:
            await _close(conn)
        return got

    async def _check(self) -> bool:
        assert self._conn is not None
        return bool(await self._conn.scalar(_HOLDING))

    async def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            await _close(conn)

    async def _change(self, leading: bool) -> None:
        self._leading = leading
        log.info("leadership: this process %s the scheduler", "runs" if leading else "no longer runs")
        if self._on_change is not None:
            try:
                await self._on_change(leading)
            except Exception as exc:  # the callback's failure must not end the campaign
                log.error("leadership: change handler failed with %s", type(exc).__name__)


async def _close(conn: AsyncConnection) -> None:
    """Close, and if the connection is broken, throw it away rather than fail."""
    with contextlib.suppress(Exception):
        await conn.invalidate()
    with contextlib.suppress(Exception):
        await conn.close()
