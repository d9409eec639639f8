"""Run the bot's event loop: uvloop where it is installed (Linux, macOS), the standard loop elsewhere.

uvloop implements the loop, transports and timers in C; for a bot that spends much of each update in
HTTP plumbing (aiohttp server in, aiohttp client out) it is the cheapest speed-up there is.
``MOTCUA_EVENT_LOOP=asyncio`` forces the standard loop, e.g. to compare the two with ``bench/throughput.py``.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """The loop constructor to use: uvloop's when available and not disabled, else None (the default)."""
    if os.environ.get("MOTCUA_EVENT_LOOP", "").lower() == "asyncio":
        return None
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


def loop_name() -> str:
    """Which loop :func:`run` uses, for logs and benchmark output."""
    return "asyncio" if loop_factory() is None else "uvloop"


def run(main: Coroutine[Any, Any, T]) -> T:
    """Run ``main`` to completion on a fresh loop (like :func:`asyncio.run`) and return its result."""
    with asyncio.Runner(loop_factory=loop_factory()) as runner:
        return runner.run(main)
