"""APScheduler 3 wiring (DESIGN §6): one AsyncIOScheduler, jobs by explicit id, nothing pickled.

The scheduler only decides when to wake up; what must happen is already in our tables. Jobs are
coalesced (a backlog of missed runs runs once), never overlap, and a run missed while the bot was down
still happens when it comes back, within a generous grace time.

With several processes on one database only the leader (:mod:`bot.app.leader`) runs the jobs that
work on the database; a job marked ``every_process`` (the knowledge index reload) runs in each.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from apscheduler.job import Job  # type: ignore[import-untyped]
from apscheduler.schedulers.asyncio import AsyncIOScheduler  # type: ignore[import-untyped]
from apscheduler.triggers.interval import IntervalTrigger  # type: ignore[import-untyped]

log = logging.getLogger(__name__)

MISFIRE_GRACE_SECONDS = 6 * 3600
JobFunc = Callable[[], Awaitable[Any]]


@dataclass(frozen=True, slots=True)
class IntervalJob:
    """Work the composition root wants run every ``seconds``."""

    id: str
    func: JobFunc
    seconds: float
    every_process: bool = False
    """Run in every serving process (work on the process's own memory), not only on the leader."""


def create_scheduler(timezone: str) -> AsyncIOScheduler:
    """An AsyncIOScheduler in ``timezone`` with coalescing, one instance per job and a long misfire grace."""
    return AsyncIOScheduler(
        timezone=timezone,
        job_defaults={
            "coalesce": True,
            "max_instances": 1,
            "misfire_grace_time": MISFIRE_GRACE_SECONDS,
        },
    )


def add_interval_job(scheduler: AsyncIOScheduler, job_id: str, func: JobFunc, seconds: float) -> Job:
    """Add (or replace, by ``job_id``) a job running ``func`` every ``seconds``; errors are logged."""

    async def guarded() -> None:
        try:
            await func()
        except Exception as exc:  # one failed run must not stop the next ones
            log.error("job %s failed with %s", job_id, type(exc).__name__)

    trigger = IntervalTrigger(seconds=seconds, timezone=scheduler.timezone)
    return scheduler.add_job(guarded, trigger, id=job_id, name=job_id, replace_existing=True)
