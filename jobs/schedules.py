"""Cron rules of recurring directives, read by APScheduler's ``CronTrigger`` (DESIGN §6).

The core may not import APScheduler, so the composition root hands :func:`next_fire` to the
directive service. Rules are standard five-field crontab lines with one translation: APScheduler 3
numbers weekdays from Monday = 0, crontab from Sunday = 0 (7 is Sunday too), so numeric weekdays are
rewritten as names, which both read alike. Where crontab fires when *either* restricted day field
matches, APScheduler needs both; such rules are refused rather than silently meaning something else.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger  # type: ignore[import-untyped]

_DAY_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
_BY_NAME = {name: number for number, name in enumerate(_DAY_NAMES)}


def weekday_field(text: str) -> str:
    """Crontab's weekday field (0 or 7 = Sunday, names, ranges, steps) as names APScheduler reads alike."""
    if text == "*":
        return text
    days: set[int] = set()
    for part in text.lower().split(","):
        base, slash, step_text = part.partition("/")
        if slash and not (step_text.isdigit() and int(step_text) >= 1):
            raise ValueError("weekday: bad step")
        step = int(step_text) if slash else 1
        if base == "*":
            first, last = 0, 6
        elif "-" in base:
            low, _, high = base.partition("-")
            first, last = _day(low), _day(high)
        else:
            first = _day(base)
            last = 6 if slash else first
        if first > last:
            raise ValueError("weekday: range runs backwards")
        days.update(day % 7 for day in range(first, last + 1, step))
    return ",".join(_DAY_NAMES[day] for day in sorted(days))


def _day(text: str) -> int:
    if text in _BY_NAME:
        return _BY_NAME[text]
    if text.isdigit() and int(text) <= 7:
        return int(text)
    raise ValueError(f"weekday: bad value {text[:8]!r}")


def trigger(rule: str, tz: ZoneInfo) -> CronTrigger:
    """The APScheduler trigger of a crontab rule; ValueError naming the field when it is wrong."""
    fields = rule.split()
    if len(fields) != 5:
        raise ValueError("a cron rule has five fields: minute hour day month weekday")
    minute, hour, day, month, weekday = fields
    if day != "*" and weekday != "*":
        raise ValueError("restrict either the day of month or the weekday, not both")
    try:
        return CronTrigger(
            minute=minute,
            hour=hour,
            day=day,
            month=month,
            day_of_week=weekday_field(weekday),
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
