"""Schedules of directives: quiet hours, and everyday Vietnamese rules translated to cron.

Cron rules themselves are read by APScheduler (``jobs/schedules.py``), which the composition root hands
to the directive service; the core may not import it (tests/test_architecture.py).
"""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from knowledge.normalize import fold

# Crontab numbering: 0 = Sunday.
_WEEKDAYS = {
    "chu nhat": 0,
    "cn": 0,
    "thu hai": 1,
    "thu 2": 1,
    "thu ba": 2,
    "thu 3": 2,
    "thu tu": 3,
    "thu 4": 3,
    "thu nam": 4,
    "thu 5": 4,
    "thu sau": 5,
    "thu 6": 5,
    "thu bay": 6,
    "thu 7": 6,
}
_DAY = "|".join(sorted(_WEEKDAYS, key=len, reverse=True))
_CLOCK = r"(?:luc )?(\d{1,2})(?:[:h](\d{2})?)?(?: ?(?:gio|sang))?"
_EVERY = r"(?:hang|moi) "
_WEEKLY = re.compile(rf"^(?:{_EVERY})?({_DAY})(?: {_EVERY}tuan)? {_CLOCK}$")
_WEEKLY_CLOCK_FIRST = re.compile(rf"^{_CLOCK} ({_DAY})(?: {_EVERY}tuan)?$")
_DAILY = re.compile(rf"^{_EVERY}ngay {_CLOCK}$")
_MONTHLY = re.compile(rf"^ngay (\d{{1,2}}) {_EVERY}thang {_CLOCK}$")


def vietnamese_rule(text: str) -> str | None:
    """A cron rule for "thứ hai hằng tuần 07:30", "hằng ngày 8h", "ngày 1 hằng tháng 7:00"; else None."""
    words = " ".join(fold(text).replace(",", " ").split())
    if match := _WEEKLY.match(words):
        return _cron(match.group(2), match.group(3), "*", str(_WEEKDAYS[match.group(1)]))
    if match := _WEEKLY_CLOCK_FIRST.match(words):
        return _cron(match.group(1), match.group(2), "*", str(_WEEKDAYS[match.group(3)]))
    if match := _DAILY.match(words):
        return _cron(match.group(1), match.group(2), "*", "*")
    if (match := _MONTHLY.match(words)) and 1 <= int(match.group(1)) <= 31:
        return _cron(match.group(2), match.group(3), match.group(1), "*")
    return None


def _cron(hour: str, minute: str | None, day: str, weekday: str) -> str | None:
    hours, minutes = int(hour), int(minute or 0)
    if not (0 <= hours <= 23 and 0 <= minutes <= 59):
        return None
    return f"{minutes} {hours} {int(day) if day != '*' else '*'} * {weekday}"


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
