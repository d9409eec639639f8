"""What every fake platform API shares: a loopback aiohttp server, webhook deliveries, a change signal."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from contextvars import ContextVar
from typing import Any, ClassVar, Self, TypeVar

from aiohttp import ClientError, ClientSession, ClientTimeout, web

T = TypeVar("T")

_VIA: ContextVar[str] = ContextVar("via", default="")


def current_via() -> str:
    """The name the calling client gave itself in its base URL (``.../via/NAME/bot...``), or ``""``.

    Several bot processes sharing one fake name themselves this way, so each call can be told apart.
    """
    return _VIA.get()


@web.middleware
async def _name_the_caller(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    _VIA.set(request.match_info.get("via", ""))
    return await handler(request)


class LoopbackApi:
    """Serves ``/bot{token}/{method}`` on 127.0.0.1 at a free port; tests await conditions, never sleep."""

    RUNNER_OPTIONS: ClassVar[dict[str, Any]] = {}
    DELIVERY_TIMEOUT: ClassVar[float] = 5.0

    def __init__(self) -> None:
        self._changed = asyncio.Event()
        self._closing = False
        self._tasks: set[asyncio.Task[None]] = set()
        self._session: ClientSession | None = None
        self._runner: web.AppRunner | None = None
        self._port = 0

    async def _handle(self, request: web.Request) -> web.Response:
        raise NotImplementedError

    async def start(self) -> None:
        """Listen on 127.0.0.1 at a free port."""
        app = web.Application(middlewares=[_name_the_caller])
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_route("*", "/via/{via}/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, shutdown_timeout=1.0, access_log=None, **self.RUNNER_OPTIONS)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self._port = int(self._runner.addresses[0][1])
        self._session = ClientSession(timeout=ClientTimeout(total=self.DELIVERY_TIMEOUT))

    async def close(self) -> None:
        """Release long polls, finish webhook deliveries and stop listening."""
        self._closing = True
        self._pulse()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._session is not None:
            await self._session.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def post(self, url: str, body: Any, headers: Mapping[str, str]) -> int:
        """POST one webhook body to ``url`` as the platform does; its HTTP status, 0 when none came back."""
        assert self._session is not None
        try:
            async with self._session.post(url, json=body, headers=dict(headers)) as response:
                await response.read()
                return response.status
        except (ClientError, OSError, TimeoutError):
            return 0

    async def wait_for(self, predicate: Callable[[], T | None], within: float = 3.0) -> T:
        """Wait until ``predicate()`` is truthy and return it; fail after ``within`` seconds."""
        deadline = time.monotonic() + within
        while True:
            changed = self._changed  # taken before the check, so a change in between is never missed
            result = predicate()
            if result:
                return result
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"condition not met within {within} s")
            try:
                await asyncio.wait_for(changed.wait(), remaining)
            except TimeoutError:
                continue

    def _pulse(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task: asyncio.Task[None] = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
