"""Cron rules and quiet hours of directives, checked against APScheduler where both mean the same."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from apscheduler.triggers.cron import CronTrigger  # type: ignore[import-untyped]

from bot.services.schedule import CronError, after_quiet_hours, parse_cron

VN = ZoneInfo("Asia/Ho_Chi_Minh")
START = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)

# Weekdays by name (APScheduler 3 reads 0 as Monday, classic cron as Sunday; names mean the same to both).
RULES = [
    "30 7 * * mon",
    "0 8,14 * * mon-fri",
    "*/15 9-10 * * *",
    "0 7 1 * *",
    "45 16 * 1,6 fri",
    "0 0 29 2 *",
]


@pytest.mark.parametrize("rule", RULES)
def test_next_firings_agree_with_apscheduler(rule: str) -> None:
    ours = parse_cron(rule)
    theirs = CronTrigger.from_crontab(rule, timezone=VN)
    mine, other = START, START
    for _ in range(12):
        mine_next = ours.next_after(mine, VN)
        other_next = theirs.get_next_fire_time(None, other + timedelta(seconds=1))
        assert mine_next is not None and other_next is not None
        assert mine_next == other_next
        mine = other = mine_next


def test_sunday_is_zero_or_seven_as_in_crontab() -> None:
    saturday_night = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
    for rule in ("0 7 * * 0", "0 7 * * 7", "0 7 * * sun"):
        fired = parse_cron(rule).next_after(saturday_night, VN)
        assert fired == datetime(2026, 11, 29, 7, 0, tzinfo=VN)


def test_either_day_field_may_match_when_both_are_restricted() -> None:
    rule = parse_cron("0 7 1 * mon")
    firings = []
    at = START
    for _ in range(3):
        nxt = rule.next_after(at, VN)
        assert nxt is not None
        firings.append(nxt.date().isoformat())
        at = nxt
    assert firings == ["2026-11-30", "2026-12-01", "2026-12-07"]


@pytest.mark.parametrize(
    "rule",
    [
        "",
        "* * * *",
        "60 * * * *",
        "* 24 * * *",
        "* * 0 * *",
        "* * * 13 *",
        "* * * * 8",
        "*/0 * * * *",
        "a b c d e",
        "5-1 * * * *",
    ],
)
def test_bad_rules_are_refused(rule: str) -> None:
    with pytest.raises(CronError):
        parse_cron(rule)


def test_a_rule_that_never_fires_says_so() -> None:
    assert parse_cron("0 0 31 2 *").next_after(START, VN) is None


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
