"""A second OS process serving the inbox (``python -m tests.inbox.worker_process DB FAKE OWNER LEASE PAUSE``).

It runs the same rig as the tests (HTTP server, PTB Application against the fake, inbox worker) on the
given database, prints its base URL on one line, and serves until its standard input closes. Each
answer takes PAUSE seconds more, so a test can kill it with updates in hand.
"""

from __future__ import annotations

import asyncio
import json
import sys

from bot.messages import Incoming, Reply
from bot.routing import Dispatcher
from bot.storage import create_engine, session_factory
from tests.adapters.conftest import MemoryChoices, Services, fallback, router
from tests.inbox.rig import Address, telegram_rig


async def main(db_url: str, fake: dict[str, str], owner: str, lease: float, pause: float) -> None:
    """Serve until standard input closes."""
    engine = create_engine(db_url)
    dispatch = Dispatcher(router, Services(), MemoryChoices(), fallback).dispatch

    async def answer(msg: Incoming) -> list[Reply]:
        await asyncio.sleep(pause)
        return await dispatch(msg)

    address = Address(fake["token"], fake["base_url"], fake["base_file_url"])
    try:
        async with telegram_rig(
            address, session_factory(engine), answer, owner=owner, lease_seconds=lease
        ) as rig:
            print(rig.url, flush=True)
            await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    finally:
        await engine.dispose()


if __name__ == "__main__":
    asyncio.run(
        main(sys.argv[1], json.loads(sys.argv[2]), sys.argv[3], float(sys.argv[4]), float(sys.argv[5]))
    )
