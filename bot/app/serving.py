"""What one serving process runs, built from the core: channels, the HTTP server, the outbox and the jobs.

:class:`Serving` is the second half of the composition root (the first is :func:`bot.app.build_core`):
it builds every enabled channel (Telegram, Zalo), the bot's HTTP server (health, readiness and metrics,
the webhooks, the dossier push API), and the background work (the outbox worker with a sender per
platform, and the scheduler with the directive, dossier and knowledge jobs, run by the leader of the
processes sharing the database: :mod:`bot.app.leader`). ``motcua run`` and ``motcua chat`` both serve
through it, so they start the same channels.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any, Protocol

from bot.adapters.dossier_api import add_dossier_api
from bot.adapters.dossier_pull import DossierPullClient
from bot.adapters.http_server import DedupKey, HttpServer, WebhookHandler, WebhookStore
from bot.adapters.media import ImageHost, add_media_route, image_host
from bot.adapters.telegram.channel import (
    TELEGRAM_AUTH_HEADER,
    TelegramChannel,
    telegram_envelope,
    telegram_update_id,
)
from bot.adapters.telegram.sender import TelegramSender
from bot.adapters.web import mount_web
from bot.adapters.web.chat import outbox_sender
from bot.adapters.zalo.channel import ZALO_AUTH_HEADER, ZaloChannel, zalo_envelope, zalo_event_id
from bot.adapters.zalo.sender import ZaloSender
from bot.app.core import Core
from bot.app.leader import Leadership
from bot.config import Config, TelegramConfig, ZaloConfig
from bot.inbox import Envelope, InboxStore
from bot.inbox.worker import Handler, InboxWorker
from bot.messages import Platform
from bot.ops.metrics import CONTENT_TYPE, Metrics, inbox_backlog
from bot.ops.readiness import Readiness
from bot.ops.sends import counting
from bot.outbox import Sender
from bot.outbox.worker import OutboxWorker
from bot.reporting.digest import digest_content
from bot.services.dossiers.feed import DossierPuller
from bot.services.report.digest import Digest
from bot.services.report.media import MediaStore
from jobs.directives import DirectiveJobs
from jobs.dossier_late import late_job
from jobs.feedback import feedback_jobs
from jobs.knowledge import knowledge_jobs
from jobs.report import digest_jobs
from jobs.scheduler import IntervalJob, add_interval_job, create_scheduler

log = logging.getLogger(__name__)

LATE_CHECK_SECONDS = 60.0


class Channel(Protocol):
    """A platform channel the process starts and stops."""

    async def start(self) -> None:
        """Begin receiving and answering."""

    async def stop(self) -> None:
        """Stop receiving, finish what is in flight, release resources."""


class OutboxSender(Sender, Protocol):
    """A sender opened before the worker starts and closed after it stopped."""

    async def start(self) -> None:
        """Open connections."""

    async def close(self) -> None:
        """Release connections."""


def build_senders(config: Config, *, image_host: ImageHost | None = None) -> dict[Platform, OutboxSender]:
    """An outbox sender for every enabled platform, each over its own HTTP client."""
    senders: dict[Platform, OutboxSender] = {}
    if config.telegram.enabled:
        senders[Platform.TELEGRAM] = TelegramSender.create(config.telegram)
    if config.zalo.enabled:
        senders[Platform.ZALO] = ZaloSender.create(config.zalo, image_host=image_host)
    return senders


class Background:
    """The outbox worker and the scheduler of one serving process, started and stopped together."""

    def __init__(
        self,
        core: Core,
        jobs: Iterable[IntervalJob] = (),
        *,
        metrics: Metrics | None = None,
        senders: dict[Platform, OutboxSender] | None = None,
    ) -> None:
        """``senders``: more outbox senders, beside the platforms' (the web chat's)."""
        self.senders = {**build_senders(core.config, image_host=_image_host(core)), **(senders or {})}
        self.metrics = metrics or Metrics(core.config.channels)
        self.worker = OutboxWorker(
            core.sessions,
            counting(self.senders, self.metrics),
            core.config.outbox,
            choices=core.services.conversations,
            on_recipient=core.outbox.recipient_changed,
        )
        self._outbox = core.outbox
        # The leader's jobs (paused unless this process leads) and the jobs every process runs.
        self.scheduler: Any = create_scheduler(core.config.timezone)
        self.local: Any = create_scheduler(core.config.timezone)
        self.leadership = Leadership.for_engine(
            core.engine, retry_seconds=core.config.database.leader_retry_seconds, on_change=self._lead
        )
        self._jobs = list(jobs)
        self.directive_jobs = DirectiveJobs(
            core.services.directives, self.scheduler, timezone=core.config.timezone
        )
        self._jobs += self.directive_jobs.jobs()
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._opened: list[OutboxSender] = []

    async def start(self) -> None:
        """Open the senders, start delivering (woken after each commit that queued), arm the jobs."""
        for sender in self.senders.values():
            await sender.start()
            self._opened.append(sender)
        self._stop.clear()
        self._outbox.wake_on_commit(self.worker.wake)
        self._task = asyncio.create_task(self.worker.run(self._stop))
        for job in self._jobs:
            scheduler = self.local if job.every_process else self.scheduler
            add_interval_job(scheduler, job.id, job.func, job.seconds)
        self.scheduler.start(paused=True)
        self.local.start()
        await self.leadership.start()
        log.info("outbox: delivering for %s", ", ".join(p.value for p in self.senders) or "no platform")

    async def _lead(self, leading: bool) -> None:
        """Run the leader's jobs while this process leads (always, on SQLite), pause them otherwise."""
        self.metrics.set_scheduler_leader(leading)
        if not self.scheduler.running:
            return
        if not leading:
            self.scheduler.pause()
            return
        # Re-arm from the database; what fell due while no one led is published now, once.
        await quietly("directive schedules", self.directive_jobs.sync())
        self.scheduler.resume()

    async def stop(self) -> None:
        """Stop the schedulers, let the worker finish and mark its sends in flight, close the senders."""
        for scheduler in (self.scheduler, self.local):
            if scheduler.running:
                scheduler.shutdown(wait=False)
        await quietly("leadership", self.leadership.stop())
        self.metrics.set_scheduler_leader(False)
        self._stop.set()
        if self._task is not None:
            await quietly("outbox worker", self._task)
            self._task = None
        self._outbox.stop_waking(self.worker.wake)
        for sender in reversed(self._opened):
            await quietly(type(sender).__name__, sender.close())
        self._opened.clear()


def knowledge_scheduler(core: Core) -> Any:
    """A started scheduler running only the knowledge jobs, for a process that serves no channel."""
    scheduler = create_scheduler(core.config.timezone)
    services = core.services
    for job in knowledge_jobs(services.procedures, core.sessions, core.config.search, services.unanswered):
        add_interval_job(scheduler, job.id, job.func, job.seconds)
    scheduler.start()
    return scheduler


class Serving:
    """Every channel, the HTTP server and the background work of one process, built from the core.

    :meth:`start` starts them in the order that loses nothing (the server listens before a webhook is
    registered; the worker starts last); :meth:`stop` stops what started, in reverse: webhooks first, so
    every update answered 200 is still processed, and the worker last, so what the channels enqueued
    while finishing is still delivered.
    """

    def __init__(
        self, core: Core, *, jobs: Iterable[IntervalJob] = (), metrics: Metrics | None = None
    ) -> None:
        config = core.config
        self.metrics = metrics or Metrics(config.channels)
        self.readiness = Readiness(core.engine)
        self.server: HttpServer | None = None
        self.channel_names: list[str] = []
        self.inbox = InboxStore(core.sessions)
        self._handlers: dict[Platform, Handler] = {}
        self.channels = self._channels(core)
        self.inbox_worker = InboxWorker(self.inbox, self._handlers)
        self._inbox_stop = asyncio.Event()
        self._inbox_task: asyncio.Task[None] | None = None
        self._mount_dossier_api(core)
        web_senders: dict[Platform, OutboxSender] = {}
        if config.http.web:
            app = self._http(config).app
            mount_web(app, core.services, config, self.metrics.observe(core.dispatcher.dispatch))
            if (web_sender := outbox_sender(app)) is not None:
                web_senders[Platform.WEB] = web_sender
        self._mount_probes(core)
        if core.config.report.media_url and self.server is not None:
            add_media_route(self.server, MediaStore(core.sessions))
        self._pull: DossierPullClient | None = None
        scheduled = [*jobs, *self._dossier_jobs(core), *digest_jobs(_digest(core), MediaStore(core.sessions))]
        services = core.services
        scheduled += knowledge_jobs(services.procedures, core.sessions, config.search, services.unanswered)
        scheduled += feedback_jobs(services.feedback)
        self.background = Background(core, scheduled, metrics=self.metrics, senders=web_senders)
        self._started: list[Channel] = []
        self._server_started = False
        self._background_started = False

    def _channels(self, core: Core) -> list[Channel]:
        """Every enabled channel; one in webhook mode gets its route on the HTTP server."""
        config = core.config
        channels: list[Channel] = []
        # Received and handled are counted where updates enter the core; duplicates where the inbox
        # refuses them.
        dispatch = self.metrics.observe(core.dispatcher.dispatch)
        keep = self._keep
        if config.telegram.enabled:
            telegram = TelegramChannel(config.telegram, dispatch, timezone=config.timezone, keep=keep)
            channels.append(telegram)
            self.channel_names.append("telegram")
            self._handlers[Platform.TELEGRAM] = telegram.handle_stored
            store = self._store(telegram_envelope)
            self._webhook(
                config, config.telegram, TELEGRAM_AUTH_HEADER, telegram.feed, telegram_update_id, store
            )
        if config.zalo.enabled:
            zalo = ZaloChannel(config.zalo, dispatch, keep=keep)
            channels.append(zalo)
            self.channel_names.append("zalo")
            self._handlers[Platform.ZALO] = zalo.handle_stored
            self._webhook(
                config, config.zalo, ZALO_AUTH_HEADER, zalo.feed, zalo_event_id, self._store(zalo_envelope)
            )
        for name in self.channel_names:
            self.readiness.expect(name)
        return channels

    async def _keep(self, envelopes: Sequence[Envelope]) -> list[bool]:
        """Store polled updates in the inbox, counting the ones it already had."""
        fresh = await self.inbox.keep(envelopes)
        for envelope, new in zip(envelopes, fresh, strict=True):
            if not new:
                self.metrics.duplicated(envelope.platform.value)
        return fresh

    def _store(self, envelope: Callable[[dict[str, Any]], Envelope | None]) -> WebhookStore:
        """Store a webhook body in the inbox before the platform hears 200."""

        async def store(body: dict[str, Any]) -> bool | None:
            found = envelope(body)
            return None if found is None else await self.inbox.keep_one(found)

        return store

    def _webhook(
        self,
        config: Config,
        settings: TelegramConfig | ZaloConfig,
        header: str,
        handle: WebhookHandler,
        dedup_key: DedupKey,
        store: WebhookStore,
    ) -> None:
        if settings.mode != "webhook":
            return
        self._http(config).add_webhook(
            settings.webhook_path,
            secret_header=header,
            secret=settings.webhook_secret,
            handle=handle,
            dedup_key=dedup_key,
            name="telegram" if isinstance(settings, TelegramConfig) else "zalo",
            store=store,
        )

    def _http(self, config: Config) -> HttpServer:
        if self.server is None:
            self.server = HttpServer(config.http.host, config.http.port, on_duplicate=self.metrics.duplicated)
        return self.server

    def _mount_probes(self, core: Core) -> None:
        """/readyz and /metrics on the HTTP server, which runs whenever a channel or the web is served."""
        if self.channels:
            self._http(core.config)
        if self.server is None:
            return
        core.services.procedures.on_answer = self.metrics.answered
        self.metrics.watch_outbox(core.sessions)
        self.metrics.watch_inbox(inbox_backlog(core.sessions))
        self.server.add_probes(
            ready=self._ready,
            metrics=self.metrics.render,
            content_type=CONTENT_TYPE,
            networks=core.config.http.networks(),
        )

    async def _ready(self) -> tuple[bool, dict[str, Any]]:
        report = await self.readiness.check()
        return report.ready, report.as_json()

    def _mount_dossier_api(self, core: Core) -> None:
        """Serve the push API when a token is configured (the outbox wakes after each commit)."""
        service = core.services.dossiers
        settings = core.config.dossiers
        if service is None or not settings.api_token:
            return
        # SQLite has one writer: queue the API's transactions rather than let them fight over the lock.
        concurrent = 4 if core.engine.dialect.name == "postgresql" else 1
        add_dossier_api(
            self._http(core.config),
            path=settings.api_path,
            token=settings.api_token,
            apply=service.applier("push"),
            concurrent_applies=concurrent,
        )

    def _dossier_jobs(self, core: Core) -> list[IntervalJob]:
        """The late check and, with a pull URL, the pull feed over its own HTTP client."""
        service = core.services.dossiers
        if service is None:
            return []
        jobs = [IntervalJob("dossier-late", late_job(service), LATE_CHECK_SECONDS)]
        settings = core.config.dossiers
        if settings.pull_url:
            self._pull = DossierPullClient(settings.pull_url, settings.pull_token)
            puller = DossierPuller(self._pull.fetch, service.applier("pull"), core.sessions)
            jobs.append(IntervalJob("dossier-pull", puller.pull_once, settings.pull_interval_seconds))
        return jobs

    async def start(self) -> None:
        """Start the server, the channels, then the background work.

        Raises :class:`bot.adapters.ChannelError` when a channel cannot start; call :meth:`stop` anyway.
        """
        if not self.channels and self.server is None:
            log.warning("no channel configured and the web is off; nothing to serve")
        # The server listens before any webhook is registered, so the first delivery finds it.
        if self.server is not None:
            self._server_started = True
            await self.server.start()
        for name, channel in zip(self.channel_names, self.channels, strict=True):
            self._started.append(channel)
            await channel.start()
            self.readiness.started(name)
        # Channels are up (Telegram knows its name): what was stored and not handled goes first.
        self._inbox_stop.clear()
        self._inbox_task = asyncio.create_task(self.inbox_worker.run(self._inbox_stop))
        self._background_started = True
        await self.background.start()

    async def stop(self) -> None:
        """Stop what :meth:`start` started, in reverse, each failure logged and the rest still stopped."""
        # Stop accepting webhooks first, so every update answered 200 is still processed.
        for name in self.channel_names:
            self.readiness.stopped(name)
        if self.server is not None and self._server_started:
            await quietly("http server", self.server.stop())
        # Then the inbox worker finishes the updates it holds, while the channels can still answer;
        # what stays stored is handled at the next start.
        if self._inbox_task is not None:
            self._inbox_stop.set()
            await quietly("inbox worker", self._inbox_task)
            self._inbox_task = None
        for channel in reversed(self._started):
            await quietly(type(channel).__name__, channel.stop())
        self._started.clear()
        # Last: what the channels enqueued while finishing still has a worker until here.
        if self._background_started:
            await quietly("outbox", self.background.stop())
        if self._pull is not None:
            await quietly("dossier pull client", self._pull.close())


def _digest(core: Core) -> Digest | None:
    """The weekly digest, unless ``[report] digest_day`` turns it off."""
    settings = core.config.report
    if not settings.digest_day:
        return None
    return Digest(core.sessions, settings, core.config.timezone, render=digest_content)


def _image_host(core: Core) -> ImageHost | None:
    """Where the Zalo sender puts images: this server's /media/, when its public address is configured."""
    url = core.config.report.media_url
    return image_host(MediaStore(core.sessions), url) if url else None


async def quietly(name: str, stopping: Awaitable[None]) -> None:
    """Await a stop; a failure is logged by type, so one part failing does not keep the others running."""
    try:
        await stopping
    except Exception as exc:
        log.error("%s did not stop cleanly: %s", name, type(exc).__name__)
