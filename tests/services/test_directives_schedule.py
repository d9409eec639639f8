"""Cron rules through APScheduler (crontab weekday numbering), Vietnamese rules, and quiet hours."""

from __future__ import annotations

from datetime import UTC, datetime, time
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest

from bot.services.directives.recurring import vietnamese_rule, weekday_field
from bot.services.schedule import after_quiet_hours
from jobs.schedules import next_fire

VN = ZoneInfo("Asia/Ho_Chi_Minh")
# Monday 23 November 2026, 10:00 in Viet Nam.
START = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)


def test_monday_is_one_as_in_crontab() -> None:
    fired = next_fire("30 7 * * 1", START, VN)
    assert fired == datetime(2026, 11, 30, 7, 30, tzinfo=VN)
    assert fired is not None and fired.weekday() == 0


@pytest.mark.parametrize("rule", ["0 8 * * 0", "0 8 * * 7", "0 8 * * sun"])
def test_sunday_is_zero_or_seven_as_in_crontab(rule: str) -> None:
    fired = next_fire(rule, START, VN)
    assert fired == datetime(2026, 11, 29, 8, 0, tzinfo=VN)


def test_strictly_after_a_firing_and_weekly_in_a_zone_without_summer_time() -> None:
    first = next_fire("30 7 * * 1", START, VN)
    assert first is not None
    firings = [first]
    for _ in range(30):
        nxt = next_fire("30 7 * * 1", firings[-1], VN)
        assert nxt is not None
        firings.append(nxt)
    # Asia/Ho_Chi_Minh has no daylight saving: always 00:30 UTC, exactly a week apart all year.
    assert {f.astimezone(UTC).time() for f in firings} == {time(0, 30)}
    assert {(b - a).days for a, b in pairwise(firings)} == {7}


@pytest.mark.parametrize(
    ("field", "names"),
    [("1-5", "mon,tue,wed,thu,fri"), ("*/2", "sun,tue,thu,sat"), ("5-7", "sun,fri,sat"), ("mon", "mon")],
)
def test_weekday_numbers_become_names(field: str, names: str) -> None:
    assert weekday_field(field) == names


def test_weekdays_range_and_steps() -> None:
    assert next_fire("0 8 * * 1-5", datetime(2026, 11, 27, 3, 0, tzinfo=UTC), VN) == datetime(
        2026, 11, 30, 8, 0, tzinfo=VN
    )
    assert next_fire("*/15 9-10 * * *", START, VN) == datetime(2026, 11, 23, 10, 15, tzinfo=VN)


@pytest.mark.parametrize(
    "rule",
    ["", "* * * *", "60 * * * *", "* 24 * * *", "* * 0 * *", "* * * 13 *", "* * * * 8", "a b c d e"],
)
def test_bad_rules_are_refused(rule: str) -> None:
    with pytest.raises(ValueError):
        next_fire(rule, START, VN)


def test_both_day_fields_restricted_is_refused_rather_than_misread() -> None:
    with pytest.raises(ValueError, match="either"):
        next_fire("0 7 1 * 1", START, VN)


def test_a_rule_that_never_fires_says_so() -> None:
    assert next_fire("0 0 31 2 *", START, VN) is None


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("thứ hai hằng tuần 07:30", "30 7 * * 1"),
        ("Chủ nhật hàng tuần lúc 8h", "0 8 * * 0"),
        ("7h30 thứ 2 hằng tuần", "30 7 * * 1"),
        ("mỗi thứ sáu 16h", "0 16 * * 5"),
        ("hằng ngày 8:15", "15 8 * * *"),
        ("ngày 1 hằng tháng 7:00", "0 7 1 * *"),
    ],
)
def test_vietnamese_rules_become_cron(text: str, rule: str) -> None:
    assert vietnamese_rule(text) == rule


@pytest.mark.parametrize("text", ["30 7 * * 1", "thứ hai 25:00", "ngày 40 hằng tháng 7:00", "sáng mai"])
def test_other_text_is_not_a_vietnamese_rule(text: str) -> None:
    assert vietnamese_rule(text) is None


def test_quiet_hours_over_midnight_and_within_a_day() -> None:
    night, morning = time(21, 0), time(6, 30)
    evening = datetime(2026, 11, 23, 21, 30, tzinfo=VN)
    assert after_quiet_hours(evening, VN, night, morning) == datetime(2026, 11, 24, 6, 30, tzinfo=VN)
    dawn = datetime(2026, 11, 24, 5, 0, tzinfo=VN)
    assert after_quiet_hours(dawn, VN, night, morning) == datetime(2026, 11, 24, 6, 30, tzinfo=VN)
    noon = datetime(2026, 11, 24, 12, 0, tzinfo=VN)
    assert after_quiet_hours(noon, VN, night, morning) == noon
    lunch = datetime(2026, 11, 24, 11, 45, tzinfo=VN)
    assert after_quiet_hours(lunch, VN, time(11, 30), time(13, 0)) == datetime(2026, 11, 24, 13, 0, tzinfo=VN)
