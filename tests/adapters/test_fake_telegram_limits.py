"""The fake Telegram's opt-in limits mode: 429 with retry_after past Telegram's limits, nothing within."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import ClientSession

from tests.fakes.telegram_api import FakeTelegram, SendLimits


class Clock:
    """A monotonic clock that moves only when told."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    """The fake with a few private chats and groups."""
    async with FakeTelegram() as fake:
        for chat_id in range(1, 41):
            fake.add_chat(chat_id)
        for chat_id in range(-1, -3, -1):
            fake.add_chat(chat_id, "group")
        yield fake


async def send(tg: FakeTelegram, http: ClientSession, chat_id: int) -> tuple[int, dict[str, Any]]:
    """One sendMessage over HTTP, as the bot sends it."""
    url = f"{tg.base_url}{tg.token}/sendMessage"
    async with http.post(url, json={"chat_id": chat_id, "text": "Thông báo"}) as response:
        return response.status, await response.json()


async def test_limits_are_off_by_default(tg: FakeTelegram) -> None:
    async with ClientSession() as http:
        statuses = [(await send(tg, http, 1))[0] for _ in range(5)]
    assert statuses == [200] * 5
    assert tg.throttled == []


async def test_one_per_second_per_chat_answers_429_with_retry_after(tg: FakeTelegram) -> None:
    clock = Clock()
    tg.enable_limits(clock=clock)
    async with ClientSession() as http:
        assert (await send(tg, http, 1))[0] == 200
        status, body = await send(tg, http, 1)
        assert status == 429
        assert body["ok"] is False and body["error_code"] == 429
        assert body["parameters"]["retry_after"] == 1
        assert (await send(tg, http, 2))[0] == 200, "another chat is not held back"
        clock.now += 1.0
        assert (await send(tg, http, 1))[0] == 200
    assert [(t.chat_id, t.limit, t.retry_after) for t in tg.throttled] == [(1, "chat", 1)]
    assert len(tg.messages_to(1)) == 2


async def test_thirty_per_second_overall(tg: FakeTelegram) -> None:
    clock = Clock()
    tg.enable_limits(clock=clock)
    async with ClientSession() as http:
        statuses = [(await send(tg, http, chat_id))[0] for chat_id in range(1, 32)]
        assert statuses == [200] * 30 + [429]
        clock.now += 1.0
        assert (await send(tg, http, 31))[0] == 200
    assert [t.limit for t in tg.throttled] == ["global"]


async def test_twenty_per_minute_per_group_with_the_wait_in_retry_after(tg: FakeTelegram) -> None:
    clock = Clock()
    tg.enable_limits(SendLimits(tolerance=0.0), clock=clock)
    async with ClientSession() as http:
        for _ in range(20):
            assert (await send(tg, http, -1))[0] == 200
            clock.now += 1.0
        status, body = await send(tg, http, -1)
        assert status == 429
        assert body["parameters"]["retry_after"] == 40, "the first of the 20 leaves the window at 60 s"
        assert (await send(tg, http, -2))[0] == 200, "another group has its own minute"
        clock.now += 40.0
        assert (await send(tg, http, -1))[0] == 200
    assert [(t.chat_id, t.limit) for t in tg.throttled] == [(-1, "group")]


async def test_within_the_limits_nothing_is_refused(tg: FakeTelegram) -> None:
    clock = Clock()
    tg.enable_limits(clock=clock)
    async with ClientSession() as http:
        for _ in range(3):
            for chat_id in range(1, 26):
                assert (await send(tg, http, chat_id))[0] == 200
            clock.now += 1.0
    assert tg.throttled == []
    assert len(tg.sent) == 75
