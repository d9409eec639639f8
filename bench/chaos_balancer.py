"""The platforms' side of bench/chaos.py: each update POSTed to a bot process, as through a load balancer.

Round robin (per webhook path) over the processes that are up; a process is taken out when a POST to it
gets no answer or a non-2xx answer (or when the bench kills it), and put back once its readiness check
answers. A failed delivery goes to the next process at once, then is retried with a growing pause, as
Telegram and Zalo retry a webhook that did not answer 2xx. At most ``CONNECTIONS`` POSTs are open to
one process at a time (Telegram's default ``max_connections``); the others wait on the platform's side,
so an attempt is recorded, with the incarnation it went to, only once it is on the wire.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import ClientSession, ClientTimeout, TCPConnector

from bench.chaos_cluster import ready

Post = Callable[[str, Any], Awaitable[int]]
"""POST a webhook body to a URL as the platform does (with its secret header); the HTTP status, 0 for none."""

CONNECTIONS = 40


@dataclass(slots=True)
class Attempt:
    """One POST of an update: to which incarnation, when, and the HTTP status (0: no answer)."""

    incarnation: str
    started: float
    ended: float | None = None
    status: int | None = None
    """None while the POST is open."""

    def accepted_by(self, moment: float) -> bool:
        """Answered 2xx before ``moment``: the process held the update then."""
        return self.ended is not None and self.ended < moment and _ok(self.status)

    def open_at(self, moment: float) -> bool:
        """On the wire at ``moment``: the process may have been receiving or storing it."""
        return self.started < moment and (self.ended is None or self.ended >= moment)


@dataclass(slots=True)
class Delivery:
    """One update the platform must get a 2xx for: its body and the attempts so far."""

    platform: str
    chat: str
    question: str
    path: str
    body: Any
    attempts: list[Attempt] = field(default_factory=list)
    accepted_at: float | None = None
    pushed_at: float | None = None


@dataclass(slots=True)
class Backend:
    """A bot process as the balancer sees it: its port, its current incarnation, whether it takes traffic."""

    port: int
    incarnation: str = ""
    up: bool = False
    _probe: asyncio.Task[None] | None = None
    came_up: dict[str, float] = field(default_factory=dict)
    """Incarnation -> when the balancer first saw it ready (monotonic)."""
    connections: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(CONNECTIONS))


def _ok(status: int | None) -> bool:
    return status is not None and 200 <= status < 300


class Balancer:
    """Delivers updates to the backends that are up; see the module docstring."""

    def __init__(self, backends: list[Backend], post: Post, *, give_up_after: float = 120.0) -> None:
        self.backends = backends
        self._post = post
        self._give_up_after = give_up_after
        # One turn per webhook path: a load alternating Telegram and Zalo must not send each to one process.
        self._next: dict[str, int] = {}
        self._probes: ClientSession | None = None
        self._changed = asyncio.Event()
        self.gave_up: list[Delivery] = []

    async def __aenter__(self) -> Balancer:
        self._probes = ClientSession(
            timeout=ClientTimeout(total=2), connector=TCPConnector(limit=0, force_close=True)
        )
        return self

    async def __aexit__(self, *exc: object) -> None:
        for backend in self.backends:
            if backend._probe is not None:
                backend._probe.cancel()
        if self._probes is not None:
            await self._probes.close()

    def take_out(self, backend: Backend) -> None:
        """Send it nothing until its readiness check answers again."""
        self._set(backend, False)
        if backend._probe is None or backend._probe.done():
            backend._probe = asyncio.create_task(self._watch(backend))

    def put_in(self, backend: Backend, incarnation: str) -> None:
        """Send it traffic (a process the bench saw ready)."""
        backend.incarnation = incarnation
        self._set(backend, True)

    async def all_serving(self) -> None:
        """Return once every backend takes traffic."""
        while True:
            changed = self._changed  # taken before the check, so a change in between is not missed
            if all(b.up for b in self.backends):
                return
            await changed.wait()

    def _set(self, backend: Backend, up: bool) -> None:
        backend.up = up
        self._changed.set()
        self._changed = asyncio.Event()

    async def _watch(self, backend: Backend) -> None:
        assert self._probes is not None
        while True:
            incarnation = backend.incarnation
            if await ready(self._probes, backend.port):
                backend.came_up.setdefault(incarnation, time.monotonic())
                self._set(backend, True)
                return
            await asyncio.sleep(0.1)  # the process's readiness is only seen by asking again

    def _pick(self, path: str) -> Backend | None:
        turn = self._next.get(path, 0)
        for offset in range(len(self.backends)):
            backend = self.backends[(turn + offset) % len(self.backends)]
            if backend.up:
                self._next[path] = (turn + offset + 1) % len(self.backends)
                return backend
        return None

    async def deliver(self, delivery: Delivery) -> bool:
        """POST until some process answers 2xx (True), or give up after ``give_up_after`` seconds."""
        delivery.pushed_at = time.monotonic()
        deadline = delivery.pushed_at + self._give_up_after
        failures = 0
        while time.monotonic() < deadline:
            backend = self._pick(delivery.path)
            if backend is None:
                # Nobody is up: wait for a restart, as the platform would keep retrying.
                await asyncio.sleep(0.05)
                continue
            async with backend.connections:
                attempt = Attempt(backend.incarnation, time.monotonic())
                delivery.attempts.append(attempt)
                url = f"http://127.0.0.1:{backend.port}{delivery.path}"
                attempt.status = await self._post(url, delivery.body)
                attempt.ended = time.monotonic()
            if _ok(attempt.status):
                delivery.accepted_at = attempt.ended
                return True
            if backend.incarnation == attempt.incarnation:
                self.take_out(backend)
            failures += 1
            if failures > 1:
                # The first failure goes straight to the next process; then the platforms back off.
                await asyncio.sleep(min(2.0, 0.1 * 2 ** (failures - 2)))
        self.gave_up.append(delivery)
        return False
