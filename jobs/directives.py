"""Directive jobs (DESIGN §6): recurring schedules armed from the database, reminders and escalation.

Each scheduled directive gets one APScheduler job, ``directive:<id>``, firing at its ``next_run_at``
(a date trigger: the row, not the scheduler, holds the rule) and calling ``run_due``, which publishes
once per occurrence (the outbox key makes a repeat harmless) and moves ``next_run_at`` on. ``sync``
re-arms every job from the database; it runs at start, after each firing, and every minute, so a
directive created or cancelled anywhere (chat, the CLI in another process) is picked up within a
minute without any caller having to remember to re-arm. That periodic sync also runs ``run_due``, so
a firing APScheduler dropped (or one due while the bot was down) is published once when it comes back.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, Protocol

from apscheduler.triggers.date import DateTrigger  # type: ignore[import-untyped]

from bot.services.directives import PublishResult, RemindResult
from jobs.scheduler import MISFIRE_GRACE_SECONDS, IntervalJob

log = logging.getLogger(__name__)

JOB_PREFIX = "directive:"
SYNC_SECONDS = 60.0
REMIND_SECONDS = 60.0


class Publishing(Protocol):
    """What the jobs need of :class:`bot.services.directives.publishing.Publishing`."""

    async def run_due(self) -> list[PublishResult]:
        """Publish the recurring directives that came due."""

    async def armed(self) -> list[tuple[int, datetime]]:
        """Scheduled directives and their next run."""

    async def settle(self) -> int:
        """Mark one-off directives whose messages all left the outbox as sent."""


class Reminding(Protocol):
    """What the jobs need of :class:`bot.services.directives.reminders.Reminders`."""

    async def remind_due(self) -> RemindResult:
        """Queue the reminders and escalations that came due."""


class Directives(Protocol):
    """What the jobs need of :class:`bot.services.directives.DirectiveService`."""

    @property
    def publishing(self) -> Publishing:
        """Publishing, recurring runs and settling."""

    @property
    def reminders(self) -> Reminding:
        """Reminders and escalation."""


class DirectiveJobs:
    """Keeps one scheduler job per armed directive, and runs the directive work the outbox then sends."""

    def __init__(
        self,
        service: Directives,
        scheduler: Any,
        *,
        timezone: str = "Asia/Ho_Chi_Minh",
    ) -> None:
        self._service = service
        self._scheduler = scheduler
        self._timezone = timezone

    async def run_due(self) -> list[PublishResult]:
        """Publish what is due (the outbox wakes after the commit), then re-arm."""
        results = await self._service.publishing.run_due()
        await self.arm()
        return results

    async def arm(self) -> int:
        """Add or replace ``directive:<id>`` for every armed directive; drop jobs of the others."""
        armed = dict(await self._service.publishing.armed())
        for directive_id, run_at in armed.items():
            self._scheduler.add_job(
                self._guarded(self.run_due),
                DateTrigger(run_date=run_at, timezone=self._timezone),
                id=f"{JOB_PREFIX}{directive_id}",
                name=f"{JOB_PREFIX}{directive_id}",
                replace_existing=True,
                misfire_grace_time=MISFIRE_GRACE_SECONDS,
                coalesce=True,
            )
        for job in list(self._scheduler.get_jobs()):
            if job.id.startswith(JOB_PREFIX) and int(job.id[len(JOB_PREFIX) :]) not in armed:
                job.remove()
        return len(armed)

    async def sync(self) -> None:
        """Catch up what is due (a firing missed while down is published once), re-arm, settle the sent."""
        await self.run_due()
        await self._service.publishing.settle()

    async def remind(self) -> RemindResult:
        """Queue due reminders and escalations (the outbox wakes after the commit)."""
        return await self._service.reminders.remind_due()

    def jobs(self) -> list[IntervalJob]:
        """The periodic jobs the runner adds: the minute sync and the reminder pass."""
        return [
            IntervalJob("directive-sync", self.sync, SYNC_SECONDS),
            IntervalJob("directive-reminders", self.remind, REMIND_SECONDS),
        ]

    @staticmethod
    def _guarded(func: Callable[[], Awaitable[Any]]) -> Callable[[], Awaitable[None]]:
        async def run() -> None:
            try:
                await func()
            except Exception as exc:  # one failed firing must not stop the scheduler
                log.error("directive job failed with %s", type(exc).__name__)

        return run
