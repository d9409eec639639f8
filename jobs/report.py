"""The weekly digest job: a check every few minutes, so a digest due while the bot was down goes later."""

from __future__ import annotations

import logging

from bot.services.report.digest import Digest
from bot.services.report.media import MediaStore
from jobs.scheduler import IntervalJob

log = logging.getLogger(__name__)

CHECK_SECONDS = 300


def digest_jobs(digest: Digest | None, media: MediaStore) -> list[IntervalJob]:
    """The leader's digest check, which also forgets old served images (none without a digest)."""
    if digest is None:
        return []

    async def run() -> None:
        try:
            await digest.run_once()
            await media.prune()
        except Exception as exc:  # database errors carry row values; the next check tries again
            log.error("weekly digest failed: %s", type(exc).__name__)

    return [IntervalJob("report-digest", run, CHECK_SECONDS)]
