"""Scheduler wiring: job defaults that never drop or pile up runs, and jobs replaced by id."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from jobs.scheduler import MISFIRE_GRACE_SECONDS, add_interval_job, create_scheduler


async def nothing() -> None:
    """A job with nothing to do."""


async def test_jobs_coalesce_never_overlap_and_survive_a_long_misfire() -> None:
    scheduler = create_scheduler("Asia/Ho_Chi_Minh")
    add_interval_job(scheduler, "dossier-pull", nothing, 30)
    scheduler.start(paused=True)
    try:
        job = scheduler.get_job("dossier-pull")
        assert str(scheduler.timezone) == "Asia/Ho_Chi_Minh"
        assert (job.coalesce, job.max_instances, job.misfire_grace_time) == (True, 1, MISFIRE_GRACE_SECONDS)
        assert MISFIRE_GRACE_SECONDS >= 3600
        assert job.trigger.interval == timedelta(seconds=30)
    finally:
        scheduler.shutdown(wait=False)


async def test_adding_a_job_again_by_id_replaces_it() -> None:
    scheduler = create_scheduler("Asia/Ho_Chi_Minh")
    add_interval_job(scheduler, "late-check", nothing, 60)
    add_interval_job(scheduler, "late-check", nothing, 120)
    scheduler.start(paused=True)
    try:
        [job] = scheduler.get_jobs()
        assert job.id == "late-check" and job.trigger.interval == timedelta(seconds=120)
        add_interval_job(scheduler, "late-check", nothing, 90)
        [job] = scheduler.get_jobs()
        assert job.trigger.interval == timedelta(seconds=90)
    finally:
        scheduler.shutdown(wait=False)


async def test_a_failing_run_is_logged_and_the_next_one_still_runs() -> None:
    scheduler = create_scheduler("Asia/Ho_Chi_Minh")
    ran = [asyncio.Event(), asyncio.Event()]

    async def flaky() -> None:
        next(event for event in ran if not event.is_set()).set()
        raise RuntimeError("source unavailable")

    add_interval_job(scheduler, "flaky", flaky, 3600)
    scheduler.start()
    try:
        # Made due now instead of in an hour, twice: the second run happens although the first failed.
        for event in ran:
            scheduler.get_job("flaky").modify(next_run_time=datetime.now(UTC) - timedelta(seconds=1))
            scheduler.wakeup()
            await asyncio.wait_for(event.wait(), 3)
        assert scheduler.get_job("flaky") is not None
    finally:
        scheduler.shutdown(wait=False)
