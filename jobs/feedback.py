"""The overdue check: tell units' leaders about feedback unanswered after N working days (once per item)."""

from __future__ import annotations

import logging

from bot.services.feedback import FeedbackService
from jobs.scheduler import IntervalJob

log = logging.getLogger(__name__)

OVERDUE_CHECK_SECONDS = 300.0
"""Deadlines fall at the clock time an item was filed: a few minutes late is soon enough for a leader."""


async def check_overdue(service: FeedbackService) -> int:
    """Route items no unit took before, then escalate overdue ones; return how many were told."""
    await service.route_unrouted()
    told = await service.escalate_overdue()
    if told:
        log.info("feedback overdue check: %d item(s) escalated", told)
    return told


def feedback_jobs(service: FeedbackService | None) -> list[IntervalJob]:
    """The overdue check for the leader's scheduler (none without the feedback service)."""
    if service is None:
        return []

    async def run() -> None:
        await check_overdue(service)

    return [IntervalJob("feedback-overdue", run, OVERDUE_CHECK_SECONDS)]
