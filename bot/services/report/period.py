"""The period a report covers: whole local days, by default the previous full week (Mon-Sun) or month."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

Kind = Literal["week", "month", "range"]
FIRST_YEAR, LAST_YEAR = 1900, 9998
"""Days a report may name: well inside what dates and time zones can reach."""


class PeriodRangeError(ValueError):
    """A day of the period is outside ``FIRST_YEAR``..``LAST_YEAR``."""


@dataclass(frozen=True, slots=True)
class Period:
    """Local days ``first`` to ``last`` (inclusive) in ``timezone``; ``start``, ``end`` (excluded) in UTC."""

    kind: Kind
    first: date
    last: date
    timezone: str

    @property
    def start(self) -> datetime:
        """The period's first moment, in UTC."""
        return _utc(self.first, self.timezone)

    @property
    def end(self) -> datetime:
        """The moment after the period (exclusive), in UTC."""
        return _utc(self.last + timedelta(days=1), self.timezone)

    @property
    def key(self) -> str:
        """Stable name of the period, e.g. ``week:2026-11-30``: the digest is claimed once per key."""
        return f"{self.kind}:{self.first.isoformat()}" + (
            f":{self.last.isoformat()}" if self.kind == "range" else ""
        )


def _utc(day: date, timezone: str) -> datetime:
    return datetime.combine(day, time(), tzinfo=ZoneInfo(timezone)).astimezone(UTC)


def local_today(now: datetime, timezone: str) -> date:
    """The local date at ``now`` (UTC-aware)."""
    return now.astimezone(ZoneInfo(timezone)).date()


def previous_week(today: date, timezone: str) -> Period:
    """Monday to Sunday of the last full week before ``today``."""
    monday = today - timedelta(days=today.weekday() + 7)
    return Period("week", monday, monday + timedelta(days=6), timezone)


def previous_month(today: date, timezone: str) -> Period:
    """The whole calendar month before ``today``'s."""
    last = today.replace(day=1) - timedelta(days=1)
    return Period("month", last.replace(day=1), last, timezone)


def period_for(
    kind: Literal["week", "month"],
    now: datetime,
    timezone: str,
    *,
    first: date | None = None,
    last: date | None = None,
) -> Period:
    """The default period of ``kind`` before ``now``, or ``first``..``last`` (ValueError when reversed)."""
    if first is None and last is None:
        today = local_today(now, timezone)
        return previous_week(today, timezone) if kind == "week" else previous_month(today, timezone)
    default = period_for(kind, now, timezone)
    start, stop = first or default.first, last or default.last
    if not (FIRST_YEAR <= start.year <= LAST_YEAR and FIRST_YEAR <= stop.year <= LAST_YEAR):
        raise PeriodRangeError("a day is out of range")
    if stop < start:
        raise ValueError("the period ends before it starts")
    return Period("range", start, stop, timezone)
