"""The web chat's visitors in this process: their live sockets, the choices they were shown, and what the
bot sent them (through the outbox) while no socket was connected."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from bot.messages import Button

MAX_PENDING = 20
"""Messages kept for a visitor who is away; older ones give way."""
MAX_OFFERED = 200
"""Button payloads remembered per visitor (a pressed button must be one the visitor was shown)."""
MAX_SOCKETS = 8
"""Open tabs per session."""
_PRUNE_AT = 10_000
SEND_TIMEOUT = 5.0
"""Seconds a frame may wait for a browser that has stopped reading before its socket is dropped."""
CLOSE_TIMEOUT = 1.0

Frame = dict[str, Any]


@dataclass
class Visitor:
    """One session: its sockets, the payloads it was offered, frames waiting for it."""

    sockets: set[web.WebSocketResponse] = field(default_factory=set)
    offered: dict[str, None] = field(default_factory=dict)
    pending: deque[tuple[float, Frame]] = field(default_factory=lambda: deque(maxlen=MAX_PENDING))
    seen: float = 0.0


class Visitors:
    """Every visitor of this process, forgotten ``keep_seconds`` after their last socket closed."""

    def __init__(self, keep_seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._keep = keep_seconds
        self._clock = clock
        self._visitors: dict[str, Visitor] = {}
        self._prune_at = _PRUNE_AT

    def __len__(self) -> int:
        """Visitors remembered."""
        return len(self._visitors)

    def join(self, chat_id: str, socket: web.WebSocketResponse) -> Visitor | None:
        """Attach a socket to its visitor; None when the session has too many open already."""
        visitor = self._visitor(chat_id)
        if len(visitor.sockets) >= MAX_SOCKETS:
            return None
        visitor.sockets.add(socket)
        return visitor

    def leave(self, chat_id: str, socket: web.WebSocketResponse) -> None:
        """Detach a closed socket."""
        visitor = self._visitors.get(chat_id)
        if visitor is not None:
            visitor.sockets.discard(socket)
            visitor.seen = self._clock()

    def offer(self, visitor: Visitor, buttons: Iterable[Button]) -> None:
        """Remember the payloads shown, so pressing one is accepted."""
        for button in buttons:
            visitor.offered.pop(button.payload, None)
            visitor.offered[button.payload] = None
        while len(visitor.offered) > MAX_OFFERED:
            del visitor.offered[next(iter(visitor.offered))]

    def was_offered(self, chat_id: str, payload: str) -> bool:
        """True when ``payload`` is one of the buttons this visitor was shown."""
        visitor = self._visitors.get(chat_id)
        return visitor is not None and payload in visitor.offered

    async def push(self, chat_id: str, frame: Frame, buttons: Iterable[Button] = ()) -> int:
        """Send a frame to every live socket of the visitor, or keep it for the next; sockets reached."""
        visitor = self._visitor(chat_id)
        self.offer(visitor, buttons)
        reached = 0
        for socket in list(visitor.sockets):
            if await send(socket, frame):
                reached += 1
        if not reached:
            visitor.pending.append((self._clock(), frame))
        return reached

    def take_pending(self, visitor: Visitor) -> list[Frame]:
        """The frames kept for the visitor (not older than ``keep_seconds``), now handed over."""
        oldest = self._clock() - self._keep
        frames = [frame for at, frame in visitor.pending if at >= oldest]
        visitor.pending.clear()
        return frames

    def _visitor(self, chat_id: str) -> Visitor:
        visitor = self._visitors.get(chat_id)
        if visitor is None:
            if len(self._visitors) >= self._prune_at:
                self._prune()
            visitor = self._visitors[chat_id] = Visitor(seen=self._clock())
        return visitor

    def _prune(self) -> None:
        oldest = self._clock() - self._keep
        self._visitors = {k: v for k, v in self._visitors.items() if v.sockets or v.seen >= oldest}
        # When most are still in use, the next look waits until there are twice as many (no scan per join).
        self._prune_at = max(_PRUNE_AT, 2 * len(self._visitors))


async def send(socket: web.WebSocketResponse, frame: Frame) -> bool:
    """Send one frame; False when the socket closed (the visitor left) or was dropped for not reading."""
    if socket.closed:
        return False
    try:
        async with asyncio.timeout(SEND_TIMEOUT):
            await socket.send_json(frame)
        return True
    except (ConnectionError, RuntimeError):
        return False
    except TimeoutError:
        # A tab that reads nothing would hold every later message to every visitor behind it (the
        # outbox sends one at a time), so it is dropped; closing marks it closed at once.
        with contextlib.suppress(Exception):
            async with asyncio.timeout(CLOSE_TIMEOUT):
                await socket.close(drain=False)
        return False
