"""A loopback fake of the remote one-stop system that the pull source polls (our documented contract).

``GET /events?cursor=<opaque>`` with ``Authorization: Bearer <token>`` answers
``{"events": [...], "cursor": "<next>", "has_more": bool}``. The cursor is an opaque ``p<offset>`` here.
Tests append events, inject failures (status codes, bad bodies, a hang until close) and read what was asked.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any, Self

from aiohttp import web


@dataclass
class Failure:
    """What the next request gets instead of a page."""

    status: int = 503
    body: bytes = b'{"error": "unavailable"}'
    hang: bool = False
    """Never answer (until the fake closes): the client's timeout must fire."""
    after: int = 0
    """How many requests are served normally before this failure is answered."""


class FakeDossierSource:
    """Serves pages of ``page_size`` events; failures queued by :meth:`fail_next` are answered first."""

    def __init__(self, token: str = "pull-token-for-tests", page_size: int = 3) -> None:
        self.token = token
        self.page_size = page_size
        self.events: list[Any] = []
        self.failures: list[Failure] = []
        self.cursors_asked: list[str | None] = []
        self.queries: list[list[tuple[str, str]]] = []
        self.unauthorised = 0
        self._runner: web.AppRunner | None = None
        self._port = 0
        self._closing = asyncio.Event()

    @property
    def url(self) -> str:
        """The pull URL to configure."""
        return f"http://127.0.0.1:{self._port}/events"

    def fail_next(self, *failures: Failure) -> None:
        """Answer the next requests with these failures, in order."""
        self.failures.extend(failures)

    async def start(self) -> None:
        """Listen on 127.0.0.1 at a free port."""
        app = web.Application()
        app.router.add_get("/events", self._events)
        self._runner = web.AppRunner(app, shutdown_timeout=1.0, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self._port = int(self._runner.addresses[0][1])

    async def close(self) -> None:
        """Release hanging requests and stop listening."""
        self._closing.set()
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def _events(self, request: web.Request) -> web.StreamResponse:
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            self.unauthorised += 1
            return web.json_response({"error": "unauthorized"}, status=401)
        cursor = request.query.get("cursor")
        self.cursors_asked.append(cursor)
        self.queries.append(list(request.query.items()))
        if self.failures and self.failures[0].after > 0:
            self.failures[0].after -= 1
        elif self.failures:
            failure = self.failures.pop(0)
            if failure.hang:
                await self._closing.wait()
            return web.Response(status=failure.status, body=failure.body, content_type="application/json")
        start = int(cursor[1:]) if cursor and cursor.startswith("p") and cursor[1:].isdigit() else 0
        if cursor and start == 0 and cursor != "p0":
            return web.json_response({"error": "unknown cursor"}, status=400)
        page = self.events[start : start + self.page_size]
        end = start + len(page)
        body = {"events": page, "cursor": f"p{end}", "has_more": end < len(self.events)}
        return web.Response(body=json.dumps(body, ensure_ascii=False), content_type="application/json")
