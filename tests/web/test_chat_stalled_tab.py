"""A tab that stops reading is dropped after a bounded wait, and the other visitors still get theirs."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web

from bot.adapters.web.chat import visitors
from bot.adapters.web.chat.visitors import Visitors

BIG = "x" * (1024 * 1024)


@pytest.fixture
async def server() -> AsyncIterator[tuple[str, list[web.WebSocketResponse], asyncio.Event]]:
    """A real aiohttp server keeping each socket open, listed as it connects; the event: two are."""
    sockets: list[web.WebSocketResponse] = []
    both = asyncio.Event()

    async def handle(request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        sockets.append(socket)
        if len(sockets) == 2:
            both.set()
        async for _ in socket:
            pass
        return socket

    app = web.Application()
    app.router.add_get("/ws", handle)
    runner = web.AppRunner(app, shutdown_timeout=0.5)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    yield f"http://127.0.0.1:{port}/ws", sockets, both
    await runner.cleanup()


async def test_a_tab_that_reads_nothing_is_dropped_and_the_next_visitor_is_served(
    server: tuple[str, list[web.WebSocketResponse], asyncio.Event], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(visitors, "SEND_TIMEOUT", 0.5)
    url, sockets, both = server
    people = Visitors(keep_seconds=60)
    async with aiohttp.ClientSession() as http:
        stalled = await http.ws_connect(url, max_msg_size=0)  # never read: its buffers fill up
        reader = await http.ws_connect(url)
        await asyncio.wait_for(both.wait(), 5)
        people.join("stalled", sockets[0])
        people.join("reader", sockets[1])
        started = time.monotonic()
        reached = [await people.push("stalled", {"type": "reply", "text": BIG}) for _ in range(64)]
        # The buffers took the first megabytes; then one send waited out the timeout and dropped the tab.
        assert reached[0] == 1 and reached[-1] == 0
        assert sockets[0].closed
        assert time.monotonic() - started < 30
        assert await people.push("reader", {"type": "reply", "text": "Hồ sơ đã có kết quả"}) == 1
        frame = await reader.receive_json(timeout=5)
        assert frame["text"] == "Hồ sơ đã có kết quả"
        await stalled.close()
        await reader.close()
