"""Recurring rules as text, in one place: everyday Vietnamese, crontab lines, and their stored form.

A rule is stored as a five-field crontab line ("30 7 * * 1": minute hour day month weekday, Sunday = 0
or 7). Staff may write it in words ("thứ hai hằng tuần 07:30"), which :func:`cron_rule` translates.
The firings themselves are computed by APScheduler (``jobs/schedules.py``), which the core may not
import: the composition root hands its reader to the directive service as a :data:`NextFire`, and
that reader takes the fields from :func:`cron_fields`, so both sides read a rule alike.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from knowledge.normalize import fold

NextFire = Callable[[str, datetime, ZoneInfo], "datetime | None"]
"""The first firing of a cron rule strictly after a time (None: never); ValueError for a bad rule."""

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
_CLOCK = r"(?:luc )?([0-9]{1,2})(?:[:h]([0-9]{2})?)?(?: ?(?:gio|sang))?"
_EVERY = r"(?:hang|moi) "
_WEEKLY = re.compile(rf"^(?:{_EVERY})?({_DAY})(?: {_EVERY}tuan)? {_CLOCK}$")
_WEEKLY_CLOCK_FIRST = re.compile(rf"^{_CLOCK} ({_DAY})(?: {_EVERY}tuan)?$")
_DAILY = re.compile(rf"^{_EVERY}ngay {_CLOCK}$")
_MONTHLY = re.compile(rf"^ngay ([0-9]{{1,2}}) {_EVERY}thang {_CLOCK}$")
_NUMERIC_FIELD = re.compile(r"^[0-9*/,\-]{1,40}$")
_FIELD = re.compile(r"^[0-9A-Za-z*/,\-]{1,40}$")
_DAY_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
_BY_NAME = {name: number for number, name in enumerate(_DAY_NAMES)}


@dataclass(frozen=True, slots=True)
class CronFields:
    """The five fields of a rule, the weekday as day names (which crontab and APScheduler read alike)."""

    minute: str
    hour: str
    day: str
    month: str
    day_of_week: str


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


def cron_rule(text: str) -> str:
    """A rule as stored: an everyday Vietnamese rule translated, spaces collapsed."""
    return vietnamese_rule(text) or " ".join(text.split())


def recognise(text: str) -> str | None:
    """A rule from words or five cron fields, as typed in a chat; None when the text is neither.

    Five fields are only recognised here (numeric minute and hour keep ordinary five-word sentences
    out); whether the rule can fire is for the service to say.
    """
    rule = vietnamese_rule(text)
    if rule is not None:
        return rule
    fields = text.split()
    if (
        len(fields) == 5
        and all(_NUMERIC_FIELD.match(f) for f in fields[:2])
        and all(_FIELD.match(f) for f in fields[2:])
    ):
        return " ".join(fields)
    return None


def cron_fields(rule: str) -> CronFields:
    """The fields of a stored rule; ValueError naming what is wrong.

    Where crontab fires when *either* restricted day field matches, APScheduler needs both; such
    rules are refused rather than silently meaning something else.
    """
    fields = rule.split()
    if len(fields) != 5:
        raise ValueError("a cron rule has five fields: minute hour day month weekday")
    minute, hour, day, month, weekday = fields
    if day != "*" and weekday != "*":
        raise ValueError("restrict either the day of month or the weekday, not both")
    return CronFields(minute, hour, day, month, weekday_field(weekday))


def weekday_field(text: str) -> str:
    """Crontab's weekday field (0 or 7 = Sunday, names, ranges, steps) as day names."""
    if text == "*":
        return text
    days: set[int] = set()
    for part in text.lower().split(","):
        base, slash, step_text = part.partition("/")
        if slash and not (step_text.isascii() and step_text.isdigit() and int(step_text) >= 1):
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
    if text.isascii() and text.isdigit() and int(text) <= 7:
        return int(text)
    raise ValueError(f"weekday: bad value {text[:8]!r}")


def no_cron(rule: str, after: datetime, tz: ZoneInfo) -> datetime | None:
    """Used when no cron reader is given: every recurring rule is refused."""
    raise ValueError("recurring schedules are not available here")
