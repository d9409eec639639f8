"""Whether this process is ready for traffic: the database answers at this code's schema, channels started.

The composition root tells :class:`Readiness` which channels it expects and when each one has started
(Telegram: ``getMe`` answered and, in webhook mode, the webhook set; Zalo the same); ``/readyz`` asks
:meth:`Readiness.check`. What is wrong is said in a few words, never with a secret or an address.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.storage.migrate import current_revision, head_revision

log = logging.getLogger(__name__)

OK = "ok"
DATABASE_TIMEOUT = 2.0


@dataclass(frozen=True, slots=True)
class ReadinessReport:
    """Each check's state: ``"ok"`` or what is wrong."""

    checks: dict[str, str] = field(default_factory=dict)

    @property
    def ready(self) -> bool:
        """True when every check is ok."""
        return all(state == OK for state in self.checks.values())

    def as_json(self) -> dict[str, Any]:
        """The body ``/readyz`` answers with."""
        return {"status": "ready" if self.ready else "not ready", "checks": dict(self.checks)}


class Readiness:
    """The channels' started flags and the database check behind ``/readyz``."""

    def __init__(self, engine: AsyncEngine | None, *, timeout: float = DATABASE_TIMEOUT) -> None:
        self._engine = engine
        self._timeout = timeout
        # Read once: a process keeps running the code it started with, even after a newer install.
        self.head = head_revision()
        self._channels: dict[str, bool] = {}

    def expect(self, channel: str) -> None:
        """Count ``channel`` in: not ready until it has started."""
        self._channels.setdefault(channel, False)

    def started(self, channel: str) -> None:
        """``channel`` has started (its token was accepted and its webhook, if any, is set)."""
        self._channels[channel] = True

    def stopped(self, channel: str) -> None:
        """``channel`` is stopping or stopped."""
        if channel in self._channels:
            self._channels[channel] = False

    async def check(self) -> ReadinessReport:
        """Check the database and the schema now, and report the channels' flags."""
        checks: dict[str, str] = {}
        if self._engine is not None:
            checks.update(await self._database())
        for channel, started in sorted(self._channels.items()):
            checks[f"channel:{channel}"] = OK if started else "not started"
        return ReadinessReport(checks)

    async def _database(self) -> dict[str, str]:
        assert self._engine is not None
        try:
            current = await asyncio.wait_for(current_revision(self._engine), self._timeout)
        except TimeoutError:
            return {"database": "unreachable: no answer in time", "schema": "unknown"}
        except Exception as exc:  # any driver error means the same here: not ready
            log.warning("readiness: database check failed with %s", type(exc).__name__)
            return {"database": f"unreachable: {type(exc).__name__}", "schema": "unknown"}
        if current == self.head:
            return {"database": OK, "schema": OK}
        shown = current or "empty"
        return {
            "database": OK,
            "schema": f"at {shown}, this process needs {self.head}: run `motcua db upgrade`, then restart",
        }
