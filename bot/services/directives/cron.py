"""Recurring rules: the cron reader type, its refusing default and the stored form of a rule."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.services.schedule import vietnamese_rule

NextFire = Callable[[str, datetime, ZoneInfo], "datetime | None"]
"""The first firing of a cron rule strictly after a time (None: never); ValueError for a bad rule."""


def no_cron(rule: str, after: datetime, tz: ZoneInfo) -> datetime | None:
    """Used when no cron reader is given: every recurring rule is refused."""
    raise ValueError("recurring schedules are not available here")


# --- helpers ------------------------------------------------------------------------------------------


def cron_rule(text: str) -> str:
    """A cron rule as stored: an everyday Vietnamese rule translated, spaces collapsed."""
    return vietnamese_rule(text) or " ".join(text.split())
