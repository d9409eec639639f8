"""The :class:`Outbox` of one database: wakes the worker after commits, runs the recipient hooks.

The worker is woken once a transaction that queued messages commits. The features that keep chats
(dossier subscriptions, people and groups) register a hook, run when the platform says a chat is gone or
moved, in the transaction that marks the outbox row.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from bot.messages import Platform
from bot.outbox.queue import QUEUED
from bot.storage.engine import SessionFactory, session_class


@dataclass(frozen=True, slots=True)
class RecipientChange:
    """A chat the platform said is gone (``new_chat_id`` empty) or moved to ``new_chat_id``."""

    platform: Platform
    chat_id: str
    reason: str
    new_chat_id: str = ""


RecipientHook = Callable[[AsyncSession, RecipientChange], Awaitable[None]]
"""Called in the transaction that marks the row, so the feature's tables change with it."""


class Outbox:
    """Wakes whoever delivers after a commit that queued messages; runs the features' recipient hooks.

    Every session of ``sessions`` is watched (see :func:`bot.storage.engine.session_class`), so any
    code that enqueues in a transaction wakes the worker once that transaction commits, and never before:
    a worker woken earlier would find nothing to claim.
    """

    def __init__(self, sessions: SessionFactory) -> None:
        self._wakes: list[Callable[[], None]] = []
        self._hooks: list[RecipientHook] = []
        target = session_class(sessions)
        event.listen(target, "after_commit", self._committed)
        event.listen(target, "after_rollback", self._rolled_back)

    def wake_on_commit(self, wake: Callable[[], None]) -> None:
        """Call ``wake`` after every commit that queued messages (the worker's :meth:`wake`)."""
        self._wakes.append(wake)

    def stop_waking(self, wake: Callable[[], None]) -> None:
        """Forget a ``wake`` given to :meth:`wake_on_commit`."""
        if wake in self._wakes:
            self._wakes.remove(wake)

    def on_recipient_change(self, hook: RecipientHook) -> None:
        """Run ``hook`` when a chat is gone or moved, in the transaction that records it on the row."""
        self._hooks.append(hook)

    async def recipient_changed(self, session: AsyncSession, change: RecipientChange) -> None:
        """Run every registered hook, in registration order (the worker's store calls this)."""
        for hook in self._hooks:
            await hook(session, change)

    def _committed(self, session: Session) -> None:
        if session.info.pop(QUEUED, False):
            for wake in list(self._wakes):
                wake()

    @staticmethod
    def _rolled_back(session: Session) -> None:
        session.info.pop(QUEUED, None)
