"""One serving process per SQLite file (DESIGN §8): an OS lock on a file next to the database.

``motcua run`` and ``motcua chat`` hold ``<database>.lock`` with ``flock`` while they serve; a second one
on the same file is refused at once. The kernel drops the lock when the process ends, however it ends
(SIGKILL included), so a crash never blocks a restart. One-shot commands (imports, ``db upgrade``) take
no lock: SQLite's own locking keeps their writes safe beside a running bot. PostgreSQL needs none.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy.engine import URL

from bot.storage.engine import sqlite_path

LOCK_SUFFIX = ".lock"


class DatabaseInUseError(Exception):
    """Another process already serves from this SQLite file."""

    def __init__(self, database: Path, pid: int | None) -> None:
        super().__init__(f"{database} is in use by another process (pid {pid or '?'})")
        self.database = database
        self.pid = pid


def lock_path(database: Path) -> Path:
    """The lock file of a SQLite database: its name with ``.lock`` added, in the same folder."""
    return database.with_name(database.name + LOCK_SUFFIX)


@contextlib.contextmanager
def hold_database(url: str | URL) -> Iterator[Path | None]:
    """Hold the process lock of the SQLite file at ``url`` while the block runs; yield the lock file.

    Yields None (and locks nothing) for anything but a SQLite file. Raises :class:`DatabaseInUseError` when
    another process holds it.
    """
    database = sqlite_path(url)
    if database is None:
        yield None
        return
    path = lock_path(database.resolve())
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise DatabaseInUseError(database, _holder(fd)) from None
        # The holder's pid, for the refusal message only: the lock itself is the kernel's.
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        try:
            yield path
        finally:
            with contextlib.suppress(OSError):
                os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _holder(fd: int) -> int | None:
    """The pid the holder wrote into the lock file, if readable."""
    try:
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None
