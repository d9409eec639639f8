"""Conversation state in the database, so a restart between a list of choices and "2" loses nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError

from bot.storage import ConversationState, SessionFactory
from bot.storage.columns import utcnow
from bot.storage.engine import begin_write

DEFAULT_CHOICE_TTL = timedelta(minutes=30)


class ConversationMemory:
    """The numbered choices last shown per chat, kept in ``conversation_state`` until they expire.

    Implements :class:`bot.routing.ChoiceMemory`.
    """

    def __init__(
        self,
        sessions: SessionFactory,
        ttl: timedelta = DEFAULT_CHOICE_TTL,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        if ttl <= timedelta(0):
            raise ValueError("ttl must be positive")
        self._sessions = sessions
        self._ttl = ttl
        self._clock = clock

    async def remember(self, chat_key: str, payloads: list[str]) -> None:
        """Store the payloads shown (an empty list forgets)."""
        try:
            await self._store(chat_key, payloads)
        except IntegrityError:
            # PostgreSQL: two messages of one chat raced to create its row; it exists now, so update it.
            await self._store(chat_key, payloads)

    async def _store(self, chat_key: str, payloads: list[str]) -> None:
        async with self._sessions.begin() as session:
            await begin_write(session)
            row = await session.get(ConversationState, chat_key)
            if not payloads:
                if row is not None:
                    await session.delete(row)
                return
            expires_at = self._clock() + self._ttl
            if row is None:
                session.add(
                    ConversationState(chat_key=chat_key, choices=list(payloads), expires_at=expires_at)
                )
            else:
                row.choices = list(payloads)
                row.expires_at = expires_at

    async def recall(self, chat_key: str) -> list[str]:
        """Return the payloads last shown, or [] if none or expired."""
        async with self._sessions() as session:
            row = await session.get(ConversationState, chat_key)
        if row is None or row.expires_at <= self._clock():
            return []
        return [str(p) for p in row.choices]

    async def purge_expired(self) -> int:
        """Delete expired rows; return how many went."""
        async with self._sessions.begin() as session:
            result = await session.execute(
                delete(ConversationState).where(ConversationState.expires_at <= self._clock())
            )
        return int(getattr(result, "rowcount", 0) or 0)
