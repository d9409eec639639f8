"""The late check: apologise to subscribers of overdue open dossiers (once each, the service sees to it)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from bot.services.dossiers.service import DossierService

log = logging.getLogger(__name__)


async def check_late(service: DossierService) -> int:
    """Run ``DossierService.mark_late`` once and return how many notices it wrote."""
    notices = await service.mark_late()
    if notices:
        log.info("dossier late check: %d apolog%s queued", notices, "y" if notices == 1 else "ies")
    return notices


def late_job(service: DossierService) -> Callable[[], Awaitable[None]]:
    """A no-argument coroutine for the scheduler; a failure is logged by type and retried next run."""

    async def run() -> None:
        try:
            await check_late(service)
        except Exception as exc:  # database errors carry row values; the next run tries again
            log.error("dossier late check failed: %s", type(exc).__name__)

    return run
