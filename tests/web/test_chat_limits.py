"""The web chat's memory: a minute's window slides, and what waits for an absent visitor expires."""

from __future__ import annotations

from aiohttp import web

from bot.adapters.web.chat.visitors import Visitors
from bot.adapters.web.limits import PerMinute


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_minute_slides_and_keys_are_counted_apart() -> None:
    clock = Clock()
    limit = PerMinute(2, clock)
    answers = [limit.allow("a"), limit.allow("a"), limit.allow("a"), limit.allow("b")]
    assert answers == [True, True, False, True]
    clock.now += 59.9
    assert not limit.allow("a")
    clock.now += 0.2
    assert limit.allow("a")


async def test_a_message_for_an_absent_visitor_waits_keep_seconds_at_most() -> None:
    clock = Clock()
    visitors = Visitors(keep_seconds=60, clock=clock)
    assert await visitors.push("v", {"type": "reply", "text": ["một"]}) == 0
    clock.now += 30
    assert await visitors.push("v", {"type": "reply", "text": ["hai"]}) == 0
    clock.now += 45
    visitor = visitors.join("v", web.WebSocketResponse())
    assert visitor is not None
    assert visitors.take_pending(visitor) == [{"type": "reply", "text": ["hai"]}]
    assert visitors.take_pending(visitor) == []
