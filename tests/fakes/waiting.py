"""Awaiting a condition on a fake server: woken by its change signal, never by fixed sleeps."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


async def wait_until(
    changed: Callable[[], asyncio.Event], predicate: Callable[[], T | None], within: float
) -> T:
    """Return ``predicate()`` once truthy, re-checked whenever ``changed()`` fires; fail after ``within``."""
    deadline = time.monotonic() + within
    while True:
        event = changed()  # taken before the check, so a change in between is never missed
        result = predicate()
        if result:
            return result
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError(f"condition not met within {within} s")
        try:
            await asyncio.wait_for(event.wait(), remaining)
        except TimeoutError:
            continue
