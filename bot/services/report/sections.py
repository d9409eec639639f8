"""The report's sections, one function each: each reads its figures and returns a :class:`Section`.

A section is a title and lines (key, label, raw value, what a reader sees), so the text, CSV and chart
renderers need nothing section-specific. To add a section, write one ``async def (scope) -> Section``
and append it to :data:`SECTIONS`.
"""

from __future__ import annotations

import statistics
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, case, func, select, true

from bot.services.directives.reports import expected_acks
from bot.services.dossiers.stats import dossier_stats
from bot.services.report.period import Period
from bot.services.report.questions import HELPFUL, UNHELPFUL
from bot.storage import (
    Directive,
    DirectiveRecipient,
    OutboxMessage,
    ProcedureRow,
    QuestionLogEntry,
    SessionFactory,
)
from bot.texts import report as texts

Value = int | float | str | None
TOP_LIMIT = 5


@dataclass(frozen=True, slots=True)
class Line:
    """One figure: a stable key (for CSV and tests), its label, its raw value and how it reads."""

    key: str
    label: str
    value: Value
    shown: str


@dataclass(frozen=True, slots=True)
class Section:
    """A titled group of figures."""

    key: str
    title: str
    lines: tuple[Line, ...]

    def value(self, key: str) -> Value:
        """The raw value of line ``key`` (KeyError when absent)."""
        for line in self.lines:
            if line.key == key:
                return line.value
        raise KeyError(key)


@dataclass(frozen=True, slots=True)
class Scope:
    """What every section reads: the database, the period, the agency filter and the moment of the report."""

    sessions: SessionFactory
    period: Period
    agency: str
    now: datetime


SectionFunc = Callable[[Scope], Awaitable[Section]]


def count(key: str, label: str, value: int) -> Line:
    """A line holding a count."""
    return Line(key, label, value, f"{value:,}".replace(",", "."))


def share(part: int, whole: int) -> str:
    """``part`` of ``whole`` as a percentage with one decimal (Vietnamese comma), or a dash."""
    return f"{100 * part / whole:.1f}%".replace(".", ",") if whole else texts.NOT_AVAILABLE


def _in_scope(scope: Scope) -> ColumnElement[bool]:
    period = and_(QuestionLogEntry.at >= scope.period.start, QuestionLogEntry.at < scope.period.end)
    if scope.agency.strip():
        return and_(period, QuestionLogEntry.agency.contains(scope.agency.strip(), autoescape=True))
    return and_(true(), period)


async def questions_section(scope: Scope) -> Section:
    """Questions asked, answered confidently, with choices, and unanswered."""
    outcome = QuestionLogEntry.outcome

    def of(kind: str) -> ColumnElement[int]:
        return func.coalesce(func.sum(case((outcome == kind, 1), else_=0)), 0)

    async with scope.sessions() as session:
        asked, confident, choices, none = (
            await session.execute(
                select(func.count(), of("confident"), of("choices"), of("none")).where(_in_scope(scope))
            )
        ).one()
    asked = int(asked)
    lines = [count("asked", texts.ASKED, asked)]
    for key, label, value in (
        ("confident", texts.CONFIDENT, int(confident)),
        ("choices", texts.CHOICES, int(choices)),
        ("unanswered", texts.UNANSWERED, int(none)),
    ):
        lines.append(Line(key, label, value, f"{value} ({share(value, asked)})"))
    return Section("questions", texts.QUESTIONS, tuple(lines))


async def top_procedures_section(scope: Scope) -> Section:
    """The procedures asked about most (confident answers), most first."""
    async with scope.sessions() as session:
        rows = (
            await session.execute(
                select(QuestionLogEntry.procedure_code, func.count().label("n"))
                .where(_in_scope(scope), QuestionLogEntry.procedure_code != "")
                .group_by(QuestionLogEntry.procedure_code)
                .order_by(func.count().desc(), QuestionLogEntry.procedure_code)
                .limit(TOP_LIMIT)
            )
        ).all()
        codes = [code for code, _ in rows]
        names = dict(
            (
                await session.execute(
                    select(ProcedureRow.code, ProcedureRow.name).where(ProcedureRow.code.in_(codes))
                )
            )
            .tuples()
            .all()
        )
    lines = tuple(count(f"top.{code}", f"{code} {names.get(code, '')}".strip(), int(n)) for code, n in rows)
    return Section("top_procedures", texts.TOP_PROCEDURES, lines)


async def dossiers_section(scope: Scope) -> Section:
    """Dossiers received in the period, and how many of them were resolved early, on time and late."""
    stats = await dossier_stats(
        scope.sessions,
        date_from=scope.period.first,
        date_to=scope.period.last,
        agency=scope.agency,
        now=scope.now,
    )
    total = stats.total
    lines = [count("received", texts.RECEIVED, total.received)]
    for key, label, value in (
        ("early", texts.EARLY, total.early),
        ("on_time", texts.ON_TIME, total.on_time),
        ("late", texts.LATE, total.late),
    ):
        lines.append(Line(key, label, value, f"{value} ({share(value, total.resolved)})"))
    return Section("dossiers", texts.DOSSIERS, tuple(lines))


async def satisfaction_section(scope: Scope) -> Section:
    """Satisfaction: the dossiers' 1-5 ratings and the 👍 share of rated answers."""
    stats = await dossier_stats(
        scope.sessions,
        date_from=scope.period.first,
        date_to=scope.period.last,
        agency=scope.agency,
        now=scope.now,
    )
    average = stats.total.satisfaction
    async with scope.sessions() as session:
        rated = QuestionLogEntry.rating
        up, down = (
            await session.execute(
                select(
                    func.coalesce(func.sum(case((rated == HELPFUL, 1), else_=0)), 0),
                    func.coalesce(func.sum(case((rated == UNHELPFUL, 1), else_=0)), 0),
                ).where(_in_scope(scope))
            )
        ).one()
    up, down = int(up), int(down)
    dossier_shown = (
        f"{average:.2f}".replace(".", ",") + f" ({stats.total.ratings} {texts.RATINGS})"
        if average is not None
        else texts.NOT_AVAILABLE
    )
    answer_share = up / (up + down) if up + down else None
    lines = (
        Line(
            "dossier_rating",
            texts.DOSSIER_RATING,
            round(average, 2) if average is not None else None,
            dossier_shown,
        ),
        Line(
            "answer_helpful",
            texts.ANSWER_RATING,
            round(answer_share, 3) if answer_share is not None else None,
            f"{share(up, up + down)} ({up + down} {texts.RATINGS})" if up + down else texts.NOT_AVAILABLE,
        ),
    )
    return Section("satisfaction", texts.SATISFACTION, lines)


async def directives_section(scope: Scope) -> Section:
    """Directives needing acknowledgement sent in the period: share acknowledged, median time to do so."""
    async with scope.sessions() as session:
        sent = (
            await session.execute(
                select(
                    DirectiveRecipient.directive_id,
                    DirectiveRecipient.occurrence,
                    func.min(func.coalesce(OutboxMessage.sent_at, DirectiveRecipient.created_at)),
                )
                .join(Directive, Directive.id == DirectiveRecipient.directive_id)
                .outerjoin(OutboxMessage, OutboxMessage.key == DirectiveRecipient.outbox_key)
                .where(
                    Directive.ack_required.is_(True),
                    DirectiveRecipient.created_at >= scope.period.start,
                    DirectiveRecipient.created_at < scope.period.end,
                )
                .group_by(DirectiveRecipient.directive_id, DirectiveRecipient.occurrence)
            )
        ).all()
        expected = acknowledged = 0
        waits: list[float] = []
        for directive_id, occurrence, delivered in sent:
            for person in await expected_acks(session, directive_id, occurrence):
                expected += 1
                if person.at is not None:
                    acknowledged += 1
                    waits.append(max(0.0, (person.at - delivered).total_seconds() / 60))
    median = statistics.median(waits) if waits else None
    lines = (
        count("expected", texts.EXPECTED_ACKS, expected),
        Line(
            "acknowledged",
            texts.ACKNOWLEDGED,
            acknowledged,
            f"{acknowledged} ({share(acknowledged, expected)})",
        ),
        Line(
            "median_ack_minutes",
            texts.MEDIAN_ACK,
            round(median, 1) if median is not None else None,
            texts.minutes(median) if median is not None else texts.NOT_AVAILABLE,
        ),
    )
    return Section("directives", texts.DIRECTIVES, lines)


SECTIONS: tuple[SectionFunc, ...] = (
    questions_section,
    top_procedures_section,
    dossiers_section,
    satisfaction_section,
    directives_section,
)
"""The report's sections, in the order they are shown."""
