"""Cron rules of recurring directives, read by APScheduler's ``CronTrigger`` (DESIGN §6).

The core may not import APScheduler, so the composition root hands :func:`next_fire` to the
directive service. The rule's text (crontab weekday numbering, refused shapes) is read by
:mod:`bot.services.directives.recurring`; this module only turns its fields into a trigger.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger  # type: ignore[import-untyped]

from bot.services.directives.recurring import cron_fields


def trigger(rule: str, tz: ZoneInfo) -> CronTrigger:
    """The APScheduler trigger of a crontab rule; ValueError naming the field when it is wrong."""
    fields = cron_fields(rule)
    try:
        return CronTrigger(
            minute=fields.minute,
            hour=fields.hour,
            day=fields.day,
            month=fields.month,
            day_of_week=fields.day_of_week,
            timezone=tz,
        )
    except ValueError as exc:
        raise ValueError(str(exc)[:200]) from None


def next_fire(rule: str, after: datetime, tz: ZoneInfo) -> datetime | None:
    """The first firing of ``rule`` strictly after ``after`` (aware), in ``tz``; None if it never fires.

    Raises ValueError for a rule that cannot be read.
    """
    # The trigger answers "at or after", with whole seconds: a microsecond on makes it "strictly after".
    fired: datetime | None = trigger(rule, tz).get_next_fire_time(None, after + timedelta(microseconds=1))
    return fired
