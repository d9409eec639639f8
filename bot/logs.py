"""Libraries that would log message bodies, personal data or secrets are held at a level where they do not.

Used by ``motcua run`` (:func:`bot.runner.protect_logs`) and by every other ``motcua`` command, whatever
``log_level`` says: the promise that no body and no personal data reaches a log holds at DEBUG too.
"""

from __future__ import annotations

import logging

LIBRARY_FLOORS = (
    # httpx logs every request URL (with the token) at INFO; PTB logs whole updates and request
    # parameters at DEBUG; aiohttp's access log adds nothing the webhook route does not log itself.
    ("httpx", logging.WARNING),
    ("httpcore", logging.WARNING),
    ("hpack", logging.WARNING),
    ("telegram", logging.INFO),
    ("aiohttp.access", logging.WARNING),
    # The database drivers and SQLAlchemy log statements with their parameters (notice texts, phone
    # hashes, conversation state) at DEBUG and INFO.
    ("aiosqlite", logging.WARNING),
    ("asyncpg", logging.WARNING),
    ("sqlalchemy", logging.WARNING),
    # asyncio's debug messages show handles and tasks with their arguments.
    ("asyncio", logging.INFO),
)
"""Each library and the least level its records need to be logged."""


class LibraryFloor(logging.Filter):
    """Drops a library's records below its floor, even if something lowers that library's logger level."""

    def filter(self, record: logging.LogRecord) -> bool:
        """False for a record of a listed library below its floor."""
        for name, floor in LIBRARY_FLOORS:
            if record.name == name or record.name.startswith(name + "."):
                return record.levelno >= floor
        return True


class NoRequestText(logging.Filter):
    """Keeps only the error's type from aiohttp's server errors: their traceback quotes the request line.

    A request line too long to read (a question in ``/tra-cuu?q=``) is logged at ERROR with its start.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """Replace the traceback by the exception's type name; keep the record."""
        if record.exc_info and record.exc_info[0] is not None:
            record.msg = f"{record.getMessage()} ({record.exc_info[0].__name__})"
            record.args = None
        record.exc_info = None
        record.exc_text = None
        return True


SERVER_LOGGERS = ("aiohttp.server", "aiohttp.web")


def quiet_libraries() -> None:
    """Raise each listed library's logger to its floor and filter every root handler the same way."""
    for name in SERVER_LOGGERS:
        server = logging.getLogger(name)
        if not any(isinstance(f, NoRequestText) for f in server.filters):
            server.addFilter(NoRequestText())
    for name, floor in LIBRARY_FLOORS:
        logger = logging.getLogger(name)
        logger.setLevel(max(floor, logger.getEffectiveLevel()))
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, LibraryFloor) for f in handler.filters):
            handler.addFilter(LibraryFloor())
