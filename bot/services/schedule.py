"""Time zones and quiet hours (recurring rules are read in :mod:`bot.services.directives.recurring`)."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


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
