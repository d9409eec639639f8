"""Questions the bot could not answer, kept for staff (DESIGN §7): folded text and counts, nothing else.

A question is recorded when the search found nothing (``none``) or when choices were shown and the
next message in the chat did not pick one (``choices``). A card judged unhelpful (👎) is recorded as
``unhelpful`` under ``👎 <procedure code>``: the question's text is not kept, so the code stands for it.
Only the folded text is kept (no user, chat or platform), one row per text and kind, counted up;
:meth:`UnansweredService.prune` caps the table.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, get_args

from sqlalchemy import bindparam, delete, exists, func, select, text
from sqlalchemy.exc import SQLAlchemyError

from bot.storage import ProcedureAlias, SessionFactory, UnansweredQuestion
from bot.storage.columns import utcnow
from bot.storage.models import QUESTION_MAX
from knowledge.normalize import fold

log = logging.getLogger(__name__)

Kind = Literal["none", "choices", "unhelpful"]
KINDS: tuple[Kind, ...] = get_args(Kind)

MAX_ROWS = 10_000
"""Rows kept by :meth:`UnansweredService.prune`: the most frequent, then the most recent."""


def fold_question(question: str) -> str:
    """The stored form of a question: folded (no diacritics, lower case), whitespace collapsed, capped."""
    # Folding never makes text much longer, so a generous prefix is enough.
    return " ".join(fold(question[: QUESTION_MAX * 4]).split())[:QUESTION_MAX].rstrip()


@dataclass(frozen=True, slots=True)
class UnansweredRow:
    """One stored question: its folded text, how it went unanswered, how often and when."""

    text: str
    kind: Kind
    count: int
    first_seen: datetime
    last_seen: datetime


_TABLE = UnansweredQuestion.__table__
_UPSERT = text(
    "INSERT INTO unanswered_questions (text, kind, count, first_seen, last_seen)"
    " VALUES (:text, :kind, 1, :now, :now)"
    " ON CONFLICT (text, kind) DO UPDATE"
    " SET count = unanswered_questions.count + 1, last_seen = excluded.last_seen"
).bindparams(bindparam("now", type_=_TABLE.c.last_seen.type))
"""One statement, the same on SQLite and PostgreSQL, so two chats asking at once cannot collide."""


class UnansweredService:
    """Record unanswered questions, read them back for staff, and keep the table bounded."""

    def __init__(self, sessions: SessionFactory, *, clock: Callable[[], datetime] = utcnow) -> None:
        self._sessions = sessions
        self._clock = clock

    async def record(self, question: str, kind: Kind) -> bool:
        """Count one unanswered question; best effort: a failure is logged and never stops an answer."""
        if kind not in KINDS:
            raise ValueError(f"unknown kind {kind!r}")
        folded = fold_question(question)
        if not folded:
            return False
        try:
            async with self._sessions.begin() as session:
                await session.execute(_UPSERT, {"text": folded, "kind": kind, "now": self._clock()})
        except SQLAlchemyError as exc:
            log.warning("unanswered question not recorded: %s", type(exc).__name__)
            return False
        return True

    async def record_unhelpful(self, code: str) -> bool:
        """Count one 👎 on the card of procedure ``code``; best effort, like :meth:`record`."""
        if not code.strip():
            return False
        try:
            async with self._sessions.begin() as session:
                params = {
                    "text": f"👎 {code.strip()}"[:QUESTION_MAX],
                    "kind": "unhelpful",
                    "now": self._clock(),
                }
                await session.execute(_UPSERT, params)
        except SQLAlchemyError as exc:
            log.warning("unhelpful answer not recorded: %s", type(exc).__name__)
            return False
        return True

    async def rows(self, *, since: datetime | None = None) -> list[UnansweredRow]:
        """Every stored question last seen at or after ``since``, most frequent first.

        A question that is now an alias is settled and left out; it comes back if the alias is removed.
        """
        settled = exists().where(ProcedureAlias.folded == UnansweredQuestion.text)
        statement = (
            select(UnansweredQuestion)
            .where(~settled)
            .order_by(
                UnansweredQuestion.count.desc(), UnansweredQuestion.last_seen.desc(), UnansweredQuestion.id
            )
        )
        if since is not None:
            statement = statement.where(UnansweredQuestion.last_seen >= since)
        async with self._sessions() as session:
            found = await session.scalars(statement)
            return [
                UnansweredRow(row.text, _kind(row.kind), row.count, row.first_seen, row.last_seen)
                for row in found
            ]

    async def prune(self, keep: int = MAX_ROWS) -> int:
        """Delete all but the ``keep`` most frequent (then most recent) questions; return how many went."""
        async with self._sessions.begin() as session:
            total = await session.scalar(select(func.count()).select_from(UnansweredQuestion)) or 0
            if total <= keep:
                return 0
            kept = (
                select(UnansweredQuestion.id)
                .order_by(
                    UnansweredQuestion.count.desc(),
                    UnansweredQuestion.last_seen.desc(),
                    UnansweredQuestion.id.desc(),
                )
                .limit(keep)
            )
            result = await session.execute(
                delete(UnansweredQuestion).where(UnansweredQuestion.id.not_in(kept))
            )
        removed = int(getattr(result, "rowcount", 0) or 0)
        log.info("unanswered questions: %d pruned, %d kept", removed, keep)
        return removed


def _kind(value: str) -> Kind:
    return "choices" if value == "choices" else "unhelpful" if value == "unhelpful" else "none"
