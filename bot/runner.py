"""Serve every configured channel until asked to stop: the process around the composition root.

What is served is built by :mod:`bot.app` (the core, then :class:`bot.app.serving.Serving`); this module
handles the process: signals, logging without secrets, and the exit code of ``motcua run``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import Iterable

from bot import eventloop
from bot.adapters import ChannelError
from bot.app import Core, build_core
from bot.app.serving import Serving
from bot.config import Config
from bot.logs import quiet_libraries
from bot.storage.process_lock import DatabaseInUseError, hold_database
from bot.texts import cli as say
from jobs.scheduler import IntervalJob

log = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_SETUP = 2
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


async def run_channels(core: Core, stop: asyncio.Event, *, jobs: Iterable[IntervalJob] = ()) -> None:
    """Start every configured channel (and the HTTP server for webhooks), serve until ``stop``, stop cleanly.

    The outbox worker delivers for the enabled platforms and the scheduler runs its jobs and ``jobs``;
    on stop they end after the channels stopped taking new work (the worker finishes its sends in flight).
    Raises :class:`bot.adapters.ChannelError` when a channel cannot start; what had started is stopped.
    """
    protect_logs(core.config)
    serving = Serving(core, jobs=jobs)
    try:
        await serving.start()
        served = [*core.config.channels, *(["web"] if core.config.http.web else [])]
        log.info("serving %s", ", ".join(served) or "nothing")
        await stop.wait()
        log.info("stopping")
    finally:
        await serving.stop()
        log.info("stopped")


def run(config: Config) -> int:
    """Serve until SIGTERM or SIGINT; return the process exit code (2 when there is nothing to serve)."""
    if not config.channels and not config.http.web:
        print(say.NO_CHANNEL, file=sys.stderr)
        return EXIT_SETUP
    configure_logging(config)
    log.debug("event loop: %s", eventloop.loop_name())
    return eventloop.run(_serve(config))


async def _serve(config: Config) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    signals = (signal.SIGTERM, signal.SIGINT)
    for signum in signals:
        try:
            loop.add_signal_handler(signum, stop.set)
        except (NotImplementedError, RuntimeError):
            log.debug("signal %s cannot be handled on this platform", signum)
    try:
        # The lock comes first: nothing of a second process on the same SQLite file may start.
        with hold_database(config.database.url):
            async with build_core(config) as core:
                if core.services.procedures.count == 0:
                    log.warning("the knowledge base is empty: run `motcua kb import` first")
                await run_channels(core, stop)
    except DatabaseInUseError as exc:
        print(in_use(exc), file=sys.stderr)
        return EXIT_FAILED
    except ChannelError as exc:
        log.error("%s", exc)
        return EXIT_FAILED
    except OSError as exc:
        # Typically the HTTP port is taken or not ours to bind.
        log.error("cannot start: %s", exc)
        return EXIT_FAILED
    finally:
        for signum in signals:
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.remove_signal_handler(signum)
    return EXIT_OK


def in_use(exc: DatabaseInUseError) -> str:
    """The refusal a second process on the same SQLite file prints."""
    return say.DATABASE_IN_USE.format(database=exc.database, pid=exc.pid or "?")


class RedactingFormatter(logging.Formatter):
    """Formats with another formatter, then blanks out secrets (the bot token sits in API URLs)."""

    def __init__(self, inner: logging.Formatter | None, secrets: Iterable[str]) -> None:
        super().__init__()
        self.inner = inner or logging.Formatter(LOG_FORMAT)
        self.secrets = sorted({s for s in secrets if s}, key=len, reverse=True)

    def format(self, record: logging.LogRecord) -> str:
        """Format the record, then redact."""
        text = self.inner.format(record)
        for secret in self.secrets:
            text = text.replace(secret, "<redacted>")
        return text


def configure_logging(config: Config) -> None:
    """Log at ``config.log_level`` to stderr, without secrets or message bodies."""
    level = logging.getLevelName(config.log_level.upper())
    level = level if isinstance(level, int) else logging.INFO
    root = logging.getLogger()
    if not root.handlers:
        logging.basicConfig(level=level, stream=sys.stderr, format=LOG_FORMAT)
    root.setLevel(level)
    protect_logs(config)


def protect_logs(config: Config) -> None:
    """Redact secrets on every root handler and quiet the libraries that log bodies, data or URLs."""
    secrets = (
        config.telegram.token,
        config.telegram.webhook_secret,
        config.zalo.token,
        config.zalo.webhook_secret,
    )
    for handler in logging.getLogger().handlers:
        current = handler.formatter
        inner = current.inner if isinstance(current, RedactingFormatter) else current
        handler.setFormatter(RedactingFormatter(inner, secrets))
    quiet_libraries()
