"""The per-chat serializer both channels share: one chat's messages answered one at a time, in order."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


class ChatSerializer:
    """Runs one chat's turns one after another, in arrival order; different chats run concurrently.

    A chat's lock lives only while someone holds or waits for it, so a busy bot keeps no lasting memory.
    """

    def __init__(self) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    def __len__(self) -> int:
        """Chats with a turn running or waiting."""
        return len(self._locks)

    @asynccontextmanager
    async def turn(self, key: str) -> AsyncIterator[None]:
        """Wait for ``key``'s earlier turns, then hold the chat until the block ends.

        The place in line is taken before the first await, so a chat's turns keep the order in which
        :meth:`turn` was entered.
        """
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users <= 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)
