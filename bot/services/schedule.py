"""Schedules of directives: standard five-field cron rules and quiet hours, in a named time zone.

The core may not import APScheduler (tests/test_architecture.py), so rules are parsed here; the syntax
is classic cron (minute hour day-of-month month day-of-week, ``*``, lists, ranges, steps, names; Sunday
is 0 or 7; when both day fields are restricted either may match). A test checks it agrees with
APScheduler's ``CronTrigger`` on the rules jobs use.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_MONTH_NAMES = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_MONTHS = {n: i for i, n in enumerate(_MONTH_NAMES, 1)}
_DAYS = {n: i for i, n in enumerate(("sun", "mon", "tue", "wed", "thu", "fri", "sat"))}
_SEARCH_DAYS = 366 * 8


class CronError(ValueError):
    """A cron rule that cannot be parsed; the message says which field."""


@dataclass(frozen=True, slots=True)
class CronRule:
    """A parsed cron rule: the allowed values of each field."""

    text: str
    minutes: tuple[int, ...]
    hours: tuple[int, ...]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]
    """0 = Sunday ... 6 = Saturday."""
    days_restricted: bool
    weekdays_restricted: bool

    def day_matches(self, day: date) -> bool:
        """True when the rule fires on ``day`` (cron's either-day-field rule)."""
        if day.month not in self.months:
            return False
        in_days = day.day in self.days
        in_weekdays = (day.isoweekday() % 7) in self.weekdays
        if self.days_restricted and self.weekdays_restricted:
            return in_days or in_weekdays
        return in_days and in_weekdays

    def next_after(self, after: datetime, zone: ZoneInfo) -> datetime | None:
        """The first firing strictly after ``after`` (aware), as an aware datetime in ``zone``."""
        local = after.astimezone(zone)
        day = local.date()
        for _ in range(_SEARCH_DAYS):
            if self.day_matches(day):
                for hour in self.hours:
                    for minute in self.minutes:
                        candidate = datetime.combine(day, time(hour, minute), zone)
                        if candidate > local:
                            return candidate
            day += timedelta(days=1)
        return None


def parse_cron(text: str) -> CronRule:
    """Parse a five-field cron rule; raise :class:`CronError` naming the bad field."""
    fields = text.split()
    if len(fields) != 5:
        raise CronError("a cron rule has five fields: minute hour day month weekday")
    minutes = _field(fields[0], 0, 59, {}, "minute")
    hours = _field(fields[1], 0, 23, {}, "hour")
    days = _field(fields[2], 1, 31, {}, "day")
    months = _field(fields[3], 1, 12, _MONTHS, "month")
    weekdays = {d % 7 for d in _field(fields[4], 0, 7, _DAYS, "weekday")}
    return CronRule(
        text=" ".join(fields),
        minutes=tuple(sorted(minutes)),
        hours=tuple(sorted(hours)),
        days=frozenset(days),
        months=frozenset(months),
        weekdays=frozenset(weekdays),
        days_restricted=not fields[2].startswith("*"),
        weekdays_restricted=not fields[4].startswith("*"),
    )


def zone(name: str) -> ZoneInfo:
    """The named time zone; raise ValueError when unknown."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {name!r}") from exc


def after_quiet_hours(when: datetime, tz: ZoneInfo, start: time, end: time) -> datetime:
    """``when`` if outside the quiet hours [start, end) in ``tz``, else the end of those quiet hours."""
    if start == end:
        return when
    local = when.astimezone(tz)
    clock = local.time().replace(tzinfo=None)
    if start < end:
        quiet = start <= clock < end
        release_day = local.date()
    else:
        quiet = clock >= start or clock < end
        release_day = local.date() + timedelta(days=1) if clock >= start else local.date()
    if not quiet:
        return when
    return datetime.combine(release_day, end, tz).astimezone(when.tzinfo)


def _field(text: str, low: int, high: int, names: dict[str, int], label: str) -> set[int]:
    values: set[int] = set()
    for part in text.lower().split(","):
        base, _, step_text = part.partition("/")
        try:
            step = int(step_text) if step_text else 1
        except ValueError:
            raise CronError(f"bad step in the {label} field") from None
        if step < 1:
            raise CronError(f"bad step in the {label} field")
        if base == "*":
            first, last = low, high
        elif "-" in base:
            a, _, b = base.partition("-")
            first, last = _value(a, names, label), _value(b, names, label)
        else:
            first = _value(base, names, label)
            last = high if step_text else first
        if not (low <= first <= high and low <= last <= high) or first > last:
            raise CronError(f"value out of range in the {label} field")
        values.update(range(first, last + 1, step))
    return values


def _value(text: str, names: dict[str, int], label: str) -> int:
    if text in names:
        return names[text]
    if not text.isdigit():
        raise CronError(f"bad value in the {label} field")
    return int(text)
