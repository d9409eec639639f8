"""A whole report: its period, its agency filter and its sections (rendered by :mod:`bot.reporting`)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from bot.services.report.period import Period
from bot.services.report.sections import SECTIONS, Scope, Section, SectionFunc
from bot.storage import Dossier, QuestionLogEntry, SessionFactory
from bot.storage.columns import utcnow


@dataclass(frozen=True, slots=True)
class Report:
    """The figures of one period (and agency, when filtered)."""

    period: Period
    agency: str
    sections: tuple[Section, ...]

    def section(self, key: str) -> Section:
        """The section named ``key`` (KeyError when absent)."""
        for section in self.sections:
            if section.key == key:
                return section
        raise KeyError(key)


async def build_report(
    sessions: SessionFactory,
    period: Period,
    *,
    agency: str = "",
    now: datetime | None = None,
    sections: Iterable[SectionFunc] = SECTIONS,
) -> Report:
    """Compute every section for ``period`` (dossiers and questions filtered by ``agency`` when given)."""
    scope = Scope(sessions, period, agency.strip(), now or utcnow())
    return Report(period, scope.agency, tuple([await section(scope) for section in sections]))


async def agency_known(sessions: SessionFactory, agency: str) -> bool:
    """Whether any dossier or logged question names an agency containing ``agency``."""
    text = agency.strip()
    async with sessions() as session:
        dossier = await session.scalar(
            select(Dossier.code).where(Dossier.agency.contains(text, autoescape=True)).limit(1)
        )
        if dossier is not None:
            return True
        question = await session.scalar(
            select(QuestionLogEntry.id)
            .where(QuestionLogEntry.agency.contains(text, autoescape=True))
            .limit(1)
        )
        return question is not None
