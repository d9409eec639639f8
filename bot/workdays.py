"""Working days in Viet Nam: weekends and public holidays (Tết, Hùng Kings, 30/4, 1/5, 2/9, ...) skipped.

The holidays come from the ``holidays`` library (its Vietnam calendar, lunar dates and observed days
included), not from a list kept by hand; so do the Saturdays worked in exchange for a bridging day off
(22/8/2026 for 31/8/2026), which are working days.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays


class WorkingDays:
    """Counts working days in one time zone for one country's public holidays (Viet Nam by default)."""

    def __init__(self, timezone: str = "Asia/Ho_Chi_Minh", country: str = "VN") -> None:
        self._zone = ZoneInfo(timezone)
        self._holidays = holidays.country_holidays(country)

    def is_working_day(self, day: date) -> bool:
        """True on a weekday that is no public holiday, and on a weekend day worked in exchange for one."""
        return bool(self._holidays.is_working_day(day))

    def add(self, start: datetime, days: int) -> datetime:
        """The moment ``days`` working days after ``start``, at the same local clock time.

        A start on a weekend or holiday counts from the beginning of the next working day, so an item
        filed on Saturday has as many working days as one filed first thing on Monday.
        """
        local = start.astimezone(self._zone)
        day = local.date()
        if not self.is_working_day(day):
            while not self.is_working_day(day):
                day += timedelta(days=1)
            local = datetime.combine(day, time(0, 0), self._zone)
        left = days
        while left > 0:
            day += timedelta(days=1)
            if self.is_working_day(day):
                left -= 1
        return datetime.combine(day, local.timetz().replace(tzinfo=None), self._zone)

    def __call__(self, start: datetime, days: int) -> datetime:
        """The same as :meth:`add`, so an instance is the deadline function services take."""
        return self.add(start, days)
