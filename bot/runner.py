"""Serve every configured channel until asked to stop: the body of ``motcua run``."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, Protocol

from bot import eventloop
from bot.adapters import ChannelError
from bot.adapters.dossier_api import add_dossier_api
from bot.adapters.dossier_pull import DossierPullClient
from bot.adapters.http_server import DedupKey, HttpServer, WebhookHandler
from bot.adapters.telegram.channel import TELEGRAM_AUTH_HEADER, TelegramChannel, telegram_update_id
from bot.adapters.telegram.sender import TelegramSender
from bot.adapters.zalo.channel import ZALO_AUTH_HEADER, ZaloChannel, zalo_event_id
from bot.adapters.zalo.sender import ZaloSender
from bot.app import Core, build_core
from bot.config import Config, TelegramConfig, ZaloConfig
from bot.messages import Platform
from bot.outbox import Sender
from bot.outbox.worker import OutboxWorker
from bot.services.dossiers.feed import DossierPuller
from jobs.directives import DirectiveJobs
from jobs.dossier_late import late_job
from jobs.knowledge import knowledge_jobs
from jobs.scheduler import IntervalJob, add_interval_job, create_scheduler

log = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_SETUP = 2
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
MSG_NO_CHANNEL = (
    "Chưa cấu hình kênh nào để phục vụ: đặt [telegram] token hoặc [zalo] token trong tệp cấu hình, "
    "hoặc biến môi trường MOTCUA_TELEGRAM_TOKEN / MOTCUA_ZALO_TOKEN."
)


class Channel(Protocol):
    """A platform channel the runner starts and stops."""

    async def start(self) -> None:
        """Begin receiving and answering."""

    async def stop(self) -> None:
        """Stop receiving, finish what is in flight, release resources."""


JobFactory = Callable[[Core], Iterable[IntervalJob]]
"""Builds, from the core, the jobs the scheduler runs (dossier pull, late-dossier check...)."""


class OutboxSender(Sender, Protocol):
    """A sender the runner opens before the worker starts and closes after it stopped."""

    async def start(self) -> None:
        """Open connections."""

    async def close(self) -> None:
        """Release connections."""


def build_senders(config: Config) -> dict[Platform, OutboxSender]:
    """An outbox sender for every enabled platform, each over its own HTTP client."""
    senders: dict[Platform, OutboxSender] = {}
    if config.telegram.enabled:
        senders[Platform.TELEGRAM] = TelegramSender.create(config.telegram)
    if config.zalo.enabled:
        senders[Platform.ZALO] = ZaloSender.create(config.zalo)
    return senders


class Background:
    """The outbox worker and the scheduler of one serving process, started and stopped together."""

    def __init__(self, core: Core, jobs: Iterable[IntervalJob] = ()) -> None:
        self.senders = build_senders(core.config)
        self.worker = OutboxWorker(
            core.sessions,
            self.senders,
            core.config.outbox,
            choices=core.services.conversations,
            on_recipient=core.outbox.recipient_changed,
        )
        self._outbox = core.outbox
        self.scheduler: Any = create_scheduler(core.config.timezone)
        self._jobs = list(jobs)
        self.directive_jobs: DirectiveJobs | None = None
        if core.services.directives is not None:
            self.directive_jobs = DirectiveJobs(
                core.services.directives, self.scheduler, timezone=core.config.timezone
            )
            self._jobs += self.directive_jobs.jobs()
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._opened: list[OutboxSender] = []

    async def start(self) -> None:
        """Open the senders, start delivering, arm the scheduled jobs."""
        for sender in self.senders.values():
            await sender.start()
            self._opened.append(sender)
        self._stop.clear()
        self._outbox.wake_on_commit(self.worker.wake)
        self._task = asyncio.create_task(self.worker.run(self._stop))
        for job in self._jobs:
            add_interval_job(self.scheduler, job.id, job.func, job.seconds)
        if self.directive_jobs is not None:
            # Re-arm from the database; what fell due while the bot was down is published now, once.
            await _quietly("directive schedules", self.directive_jobs.sync())
        self.scheduler.start()
        log.info("outbox: delivering for %s", ", ".join(p.value for p in self.senders) or "no platform")

    async def stop(self) -> None:
        """Stop the scheduler, let the worker finish and mark its sends in flight, close the senders."""
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        self._stop.set()
        if self._task is not None:
            await _quietly("outbox worker", self._task)
            self._task = None
        self._outbox.stop_waking(self.worker.wake)
        for sender in reversed(self._opened):
            await _quietly(type(sender).__name__, sender.close())
        self._opened.clear()


LATE_CHECK_SECONDS = 60.0


class DossierFeeds:
    """The dossier jobs of a serving process: the late check, the pull source, and its HTTP client."""

    def __init__(self, core: Core) -> None:
        self.jobs: list[IntervalJob] = []
        self._client: DossierPullClient | None = None
        service = core.services.dossiers
        if service is None:
            return
        self.jobs.append(IntervalJob("dossier-late", late_job(service), LATE_CHECK_SECONDS))
        settings = core.config.dossiers
        if settings.pull_url:
            self._client = DossierPullClient(settings.pull_url, settings.pull_token)
            puller = DossierPuller(self._client.fetch, service.applier("pull"), core.sessions)
            self.jobs.append(IntervalJob("dossier-pull", puller.pull_once, settings.pull_interval_seconds))

    async def close(self) -> None:
        """Release the pull source's connections."""
        if self._client is not None:
            await self._client.close()


def mount_dossier_api(server: HttpServer, core: Core) -> bool:
    """Serve the push API on ``server`` when a token is configured (the outbox wakes after each commit)."""
    service = core.services.dossiers
    settings = core.config.dossiers
    if service is None or not settings.api_token:
        return False
    apply = service.applier("push")
    # SQLite has one writer: queue the API's transactions rather than let them fight over the lock.
    concurrent = 4 if core.engine.dialect.name == "postgresql" else 1
    return add_dossier_api(
        server, path=settings.api_path, token=settings.api_token, apply=apply, concurrent_applies=concurrent
    )


def enabled_channels(config: Config) -> list[str]:
    """Names of the channels the configuration turns on."""
    names = []
    if config.telegram.enabled:
        names.append("telegram")
    if config.zalo.enabled:
        names.append("zalo")
    return names


async def run_channels(
    core: Core, stop: asyncio.Event, *, jobs: Iterable[IntervalJob] = (), outbox: bool = True
) -> None:
    """Start every configured channel (and the HTTP server for webhooks), serve until ``stop``, stop cleanly.

    With ``outbox`` the outbox worker delivers for the enabled platforms and the scheduler runs ``jobs``;
    on stop they end after the channels stopped taking new work (the worker finishes its sends in flight).
    Raises :class:`bot.adapters.ChannelError` when a channel cannot start; what had started is stopped.
    """
    config = core.config
    protect_logs(config)
    channels: list[Channel] = []
    # (settings, secret header, handler, de-duplication key, name) of every channel that can take a webhook.
    hooks: list[tuple[TelegramConfig | ZaloConfig, str, WebhookHandler, DedupKey, str]] = []
    if config.telegram.enabled:
        telegram = TelegramChannel(config.telegram, core.dispatcher.dispatch, timezone=config.timezone)
        channels.append(telegram)
        hooks.append((config.telegram, TELEGRAM_AUTH_HEADER, telegram.feed, telegram_update_id, "telegram"))
    if config.zalo.enabled:
        zalo = ZaloChannel(config.zalo, core.dispatcher.dispatch)
        channels.append(zalo)
        hooks.append((config.zalo, ZALO_AUTH_HEADER, zalo.feed, zalo_event_id, "zalo"))
    server: HttpServer | None = None
    for settings, header, handle, dedup_key, name in hooks:
        if settings.mode != "webhook":
            continue
        server = server or HttpServer(config.http.host, config.http.port)
        server.add_webhook(
            settings.webhook_path,
            secret_header=header,
            secret=settings.webhook_secret,
            handle=handle,
            dedup_key=dedup_key,
            name=name,
        )
    if not channels:
        log.warning("no channel configured; nothing to serve")
    started: list[Channel] = []
    feeds = DossierFeeds(core)
    services = core.services
    learning = knowledge_jobs(services.procedures, core.sessions, config.search, services.unanswered)
    background = Background(core, [*jobs, *feeds.jobs, *learning]) if outbox else None
    background_started = False
    if core.config.dossiers.api_token and core.services.dossiers is not None:
        server = server or HttpServer(config.http.host, config.http.port)
        mount_dossier_api(server, core)
    try:
        # The server listens before any webhook is registered, so the first delivery finds it.
        if server is not None:
            await server.start()
        for channel in channels:
            started.append(channel)
            await channel.start()
        if background is not None:
            background_started = True
            await background.start()
        log.info("serving %s", ", ".join(enabled_channels(config)) or "nothing")
        await stop.wait()
        log.info("stopping")
    finally:
        # Stop accepting webhooks first, so every update answered 200 is still processed.
        if server is not None:
            await _quietly("http server", server.stop())
        for channel in reversed(started):
            await _quietly(type(channel).__name__, channel.stop())
        # Last: what the channels enqueued while finishing still has a worker until here.
        if background is not None and background_started:
            await _quietly("outbox", background.stop())
        await _quietly("dossier feeds", feeds.close())
        log.info("stopped")


async def _quietly(name: str, stopping: Awaitable[None]) -> None:
    try:
        await stopping
    except Exception as exc:  # one channel failing to stop must not keep the others running
        log.error("%s did not stop cleanly: %s", name, type(exc).__name__)


def run(config: Config, *, jobs: JobFactory | None = None) -> int:
    """Serve until SIGTERM or SIGINT; return the process exit code (2 when no channel is configured).

    ``jobs`` builds the scheduled jobs from the core once it is up.
    """
    if not enabled_channels(config):
        print(MSG_NO_CHANNEL, file=sys.stderr)
        return EXIT_SETUP
    configure_logging(config)
    log.debug("event loop: %s", eventloop.loop_name())
    return eventloop.run(_serve(config, jobs))


async def _serve(config: Config, jobs: JobFactory | None = None) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    signals = (signal.SIGTERM, signal.SIGINT)
    for signum in signals:
        try:
            loop.add_signal_handler(signum, stop.set)
        except (NotImplementedError, RuntimeError):
            log.debug("signal %s cannot be handled on this platform", signum)
    try:
        async with build_core(config) as core:
            if core.services.procedures.count == 0:
                log.warning("the knowledge base is empty: run `motcua kb import` first")
            await run_channels(core, stop, jobs=jobs(core) if jobs is not None else ())
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
    """Redact secrets on every root handler and quiet the libraries that log bodies or URLs."""
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
    # httpx logs every request URL (with the token) at INFO; PTB logs whole updates and request
    # parameters at DEBUG; aiohttp's access log adds nothing the webhook route does not log itself.
    for name, floor in (
        ("httpx", logging.WARNING),
        ("httpcore", logging.WARNING),
        ("telegram", logging.INFO),
        ("aiohttp.access", logging.WARNING),
    ):
        logger = logging.getLogger(name)
        logger.setLevel(max(floor, logger.getEffectiveLevel()))
