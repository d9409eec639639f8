"""Learning while it runs (DESIGN §7): the index follows the knowledge base; the unanswered log is capped."""

from __future__ import annotations

import logging

from bot.config import SearchConfig
from bot.services.procedures import ProcedureService
from bot.services.unanswered import UnansweredService
from bot.storage import SessionFactory
from jobs.scheduler import IntervalJob

log = logging.getLogger(__name__)

RELOAD_JOB = "knowledge-reload"
PRUNE_JOB = "unanswered-prune"
PRUNE_SECONDS = 3600.0


def knowledge_jobs(
    procedures: ProcedureService,
    sessions: SessionFactory,
    settings: SearchConfig,
    unanswered: UnansweredService | None = None,
) -> list[IntervalJob]:
    """Rebuild the index every ``reload_seconds`` when the knowledge base changed; prune hourly."""

    async def reload() -> None:
        if await procedures.refresh(sessions):
            log.info("knowledge base changed: index rebuilt, %d procedures searchable", procedures.count)

    # Every process holds its own index, so every process reloads it.
    jobs = [IntervalJob(RELOAD_JOB, reload, settings.reload_seconds, every_process=True)]
    if unanswered is not None:
        jobs.append(IntervalJob(PRUNE_JOB, unanswered.prune, PRUNE_SECONDS))
    return jobs
