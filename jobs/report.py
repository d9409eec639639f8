"""The weekly digest job: a check every few minutes, so a digest due while the bot was down goes later."""

from __future__ import annotations

import logging

from bot.config import Config
from bot.services.report.digest import Digest
from bot.services.report.media import MediaStore
from bot.storage import SessionFactory
from jobs.scheduler import IntervalJob

log = logging.getLogger(__name__)

CHECK_SECONDS = 300


def digest_jobs(sessions: SessionFactory, config: Config) -> list[IntervalJob]:
    """The leader's digest check (none when ``[report] digest_day`` is empty)."""
    if not config.report.digest_day:
        return []
    from bot.services.report.chart import render_png  # matplotlib only in processes that send digests

    digest = Digest(sessions, config.report, config.timezone, chart=render_png)
    media = MediaStore(sessions)

    async def run() -> None:
        try:
            await digest.run_once()
            await media.prune()
        except Exception as exc:  # database errors carry row values; the next check tries again
            log.error("weekly digest failed: %s", type(exc).__name__)

    return [IntervalJob("report-digest", run, CHECK_SECONDS)]
