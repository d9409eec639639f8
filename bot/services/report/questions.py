"""The question log: one row per procedure question answered in chat, and the 👍/👎 rating of an answer.

A row holds when, the channel, the outcome (``confident``, ``choices``, ``none``) and the procedure
answered with its agency: never the question's text nor who asked. Writing is best effort: a failure
is logged by type and the answer still goes out. A row also holds a random token: a rating must name it
(the "ticket" ``<id>.<token>``), so nobody rates another's answer by guessing the sequential ids.
"""

from __future__ import annotations

import hmac
import logging
import random
import secrets
from collections.abc import Callable
from datetime import datetime
from enum import StrEnum
from typing import Literal, get_args

from sqlalchemy import update
from sqlalchemy.exc import SQLAlchemyError

from bot.storage import QuestionLogEntry, SessionFactory
from bot.storage.columns import utcnow

log = logging.getLogger(__name__)

Outcome = Literal["confident", "choices", "none"]
OUTCOMES: tuple[Outcome, ...] = get_args(Outcome)
HELPFUL = 1
UNHELPFUL = -1
AGENCY_MAX = 255
TOKEN_BYTES = 9
"""Twelve URL-safe characters: a rating button's payload stays far below Telegram's 64 bytes."""


class Rated(StrEnum):
    """What became of a 👍/👎 press."""

    SAVED = "saved"
    ALREADY = "already"
    UNKNOWN = "unknown"


class QuestionLog:
    """Record answered questions, decide when to ask for a rating, and store the rating."""

    def __init__(
        self,
        sessions: SessionFactory,
        *,
        rating_share: float = 0.0,
        clock: Callable[[], datetime] = utcnow,
        chance: Callable[[], float] = random.random,
    ) -> None:
        """``chance`` draws in [0, 1): a confident answer is rated when it draws below ``rating_share``."""
        self._sessions = sessions
        self._share = rating_share
        self._clock = clock
        self._chance = chance

    async def record(self, channel: str, outcome: Outcome, code: str = "", agency: str = "") -> str | None:
        """Log one answered question; its ticket for :meth:`rate`, or None when the write failed (logged)."""
        if outcome not in OUTCOMES:
            raise ValueError(f"unknown outcome {outcome!r}")
        entry = QuestionLogEntry(
            at=self._clock(),
            channel=channel[:16],
            outcome=outcome,
            procedure_code=code[:64],
            agency=agency[:AGENCY_MAX],
            token=secrets.token_urlsafe(TOKEN_BYTES),
        )
        try:
            async with self._sessions.begin() as session:
                session.add(entry)
                await session.flush()
                return f"{entry.id}.{entry.token}"
        except SQLAlchemyError as exc:
            log.warning("question not logged: %s", type(exc).__name__)
            return None

    def ask_rating(self) -> bool:
        """True when this confident answer should be followed by the 👍/👎 question."""
        return self._share > 0 and self._chance() < self._share

    async def rate(self, ticket: str, helpful: bool) -> tuple[Rated, str]:
        """Store the first rating of a logged answer; what happened, and the procedure it was about."""
        number, _, token = ticket.partition(".")
        if not (number.isascii() and number.isdigit()) or not token:
            return Rated.UNKNOWN, ""
        async with self._sessions.begin() as session:
            entry = await session.get(QuestionLogEntry, int(number))
            if entry is None or entry.outcome != "confident" or not entry.token:
                return Rated.UNKNOWN, ""
            if not hmac.compare_digest(entry.token.encode(), token.encode()):
                return Rated.UNKNOWN, ""
            # One statement decides: two presses at once cannot both count.
            result = await session.execute(
                update(QuestionLogEntry)
                .where(QuestionLogEntry.id == entry.id, QuestionLogEntry.rating.is_(None))
                .values(rating=HELPFUL if helpful else UNHELPFUL, rated_at=self._clock())
            )
            saved = int(getattr(result, "rowcount", 0) or 0) == 1
            return (Rated.SAVED if saved else Rated.ALREADY), entry.procedure_code
