"""Rate limits of the web: at most N actions in any minute per key (a chat session, an address), and
the address a public page counts a visitor by."""

from __future__ import annotations

import ipaddress
import time
from collections import deque
from collections.abc import Callable

from aiohttp import web

WINDOW = 60.0
# Keys idle for a whole window are forgotten once this many are held, so memory stays bounded.
_PRUNE_AT = 4096


class PerMinute:
    """A sliding one-minute window per key (a session, an address)."""

    def __init__(self, limit: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self._clock = clock
        self._events: dict[str, deque[float]] = {}
        self._prune_at = _PRUNE_AT

    def allow(self, key: str) -> bool:
        """Count one message for ``key``; False (nothing counted) when its minute is full."""
        now = self._clock()
        events = self._events.get(key)
        if events is None:
            if len(self._events) >= self._prune_at:
                self._prune(now)
            events = self._events[key] = deque()
        while events and events[0] + WINDOW <= now:
            events.popleft()
        if len(events) >= self.limit:
            return False
        events.append(now)
        return True

    def _prune(self, now: float) -> None:
        self._events = {k: e for k, e in self._events.items() if e and e[-1] + WINDOW > now}
        # When most are still in use, the next look waits until there are twice as many (no scan per key).
        self._prune_at = max(_PRUNE_AT, 2 * len(self._events))


def client_address(request: web.Request) -> str:
    """The visitor's address; behind a proxy on this machine, the last ``X-Forwarded-For`` entry.

    Only a proxy on the loopback is believed; a visitor reaching the server directly cannot choose whom
    their lookups are counted against.
    """
    remote = request.remote or ""
    forwarded = request.headers.get("X-Forwarded-For", "")
    if forwarded and _loopback(remote):
        return forwarded.split(",")[-1].strip()[:64]
    return remote


def _loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False
