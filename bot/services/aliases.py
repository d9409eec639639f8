"""Aliases: phrases staff attach to a procedure (often a question it could not answer), audited.

They live in their own table, so a re-import of the catalogue never drops them; the search index adds
each procedure's aliases to its keywords when it is built (:func:`bot.services.procedures.load_index`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.people import Actor, PermissionDeniedError, audit
from bot.services.unanswered import fold_question
from bot.storage import ProcedureAlias, ProcedureRow, SessionFactory
from bot.storage.columns import utcnow
from bot.storage.engine import begin_write
from bot.storage.models import QUESTION_MAX

PHRASE_MAX = QUESTION_MAX


class UnknownProcedureError(LookupError):
    """No procedure has this code."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


class AliasNotFoundError(LookupError):
    """No alias has this id."""

    def __init__(self, alias_id: int) -> None:
        super().__init__(alias_id)
        self.alias_id = alias_id


class BadPhraseError(ValueError):
    """The phrase is empty, has no letter or digit, or is longer than :data:`PHRASE_MAX`."""


@dataclass(frozen=True, slots=True)
class AliasView:
    """One alias as staff see it."""

    id: int
    code: str
    phrase: str
    created_at: datetime
    created_by: str


def _view(row: ProcedureAlias) -> AliasView:
    return AliasView(row.id, row.procedure_code, row.phrase, row.created_at, row.created_by)


def clean_phrase(phrase: str) -> str:
    """The phrase as stored: runs of whitespace folded to one space; BadPhraseError when unusable."""
    cleaned = " ".join(phrase.split())
    if not any(c.isalnum() for c in cleaned):
        raise BadPhraseError("empty")
    if len(cleaned) > PHRASE_MAX:
        raise BadPhraseError("too long")
    return cleaned


class AliasService:
    """Add, list and remove aliases (admins only: the command line acts as one); every change is audited."""

    def __init__(self, sessions: SessionFactory, *, clock: Callable[[], datetime] = utcnow) -> None:
        self._sessions = sessions
        self._clock = clock

    async def add(self, actor: Actor, code: str, phrase: str) -> tuple[AliasView, bool]:
        """Attach ``phrase`` to procedure ``code``; (the alias, False) when it already had it."""
        _require_admin(actor)
        code = code.strip()
        phrase = clean_phrase(phrase)
        folded = fold_question(phrase)
        now = self._clock()
        try:
            async with self._sessions.begin() as session:
                await begin_write(session)
                if await session.get(ProcedureRow, code) is None:
                    raise UnknownProcedureError(code)
                existing = await _by_folded(session, code, folded)
                if existing is not None:
                    return _view(existing), False
                row = ProcedureAlias(
                    procedure_code=code, phrase=phrase, folded=folded, created_at=now, created_by=actor.label
                )
                session.add(row)
                await session.flush()
                details = {"code": code, "phrase": phrase}
                await audit(session, actor, "alias.add", "alias", row.id, details, at=now)
        except IntegrityError:
            # Another writer added the same alias between our check and insert (PostgreSQL).
            async with self._sessions() as session:
                existing = await _by_folded(session, code, folded)
            if existing is None:
                raise
            return _view(existing), False
        return _view(row), True

    async def remove(self, actor: Actor, alias_id: int) -> AliasView:
        """Delete one alias by id; AliasNotFoundError when there is none."""
        _require_admin(actor)
        now = self._clock()
        async with self._sessions.begin() as session:
            await begin_write(session)
            row = await session.get(ProcedureAlias, alias_id)
            if row is None:
                raise AliasNotFoundError(alias_id)
            removed = _view(row)
            await session.delete(row)
            details = {"code": removed.code, "phrase": removed.phrase}
            await audit(session, actor, "alias.remove", "alias", alias_id, details, at=now)
        return removed

    async def aliases(self, code: str | None = None) -> list[AliasView]:
        """Every alias (of one procedure when ``code`` is given), by code then id; UnknownProcedureError."""
        statement = select(ProcedureAlias).order_by(ProcedureAlias.procedure_code, ProcedureAlias.id)
        async with self._sessions() as session:
            if code is not None:
                code = code.strip()
                if await session.get(ProcedureRow, code) is None:
                    raise UnknownProcedureError(code)
                statement = statement.where(ProcedureAlias.procedure_code == code)
            return [_view(row) for row in await session.scalars(statement)]


async def alias_phrases(session: AsyncSession) -> dict[str, list[str]]:
    """Every procedure's alias phrases, in the order they were added."""
    rows = await session.execute(
        select(ProcedureAlias.procedure_code, ProcedureAlias.phrase).order_by(ProcedureAlias.id)
    )
    phrases: dict[str, list[str]] = {}
    for code, phrase in rows.tuples():
        phrases.setdefault(code, []).append(phrase)
    return phrases


async def _by_folded(session: AsyncSession, code: str, folded: str) -> ProcedureAlias | None:
    found = await session.scalars(
        select(ProcedureAlias).where(ProcedureAlias.procedure_code == code, ProcedureAlias.folded == folded)
    )
    return found.first()


def _require_admin(actor: Actor) -> None:
    if not actor.is_admin:
        raise PermissionDeniedError("only admins change aliases")
