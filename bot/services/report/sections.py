"""The report's sections, one function each: each reads its figures and returns a :class:`Section`.

A section is a key and lines (key, raw value, how to show it), never words: the renderers
(:mod:`bot.reporting`) take titles and labels from :mod:`bot.texts.report` by key, so the text, CSV and
chart renderers need nothing section-specific. To add a section, write one ``async def (scope) -> Section``
and append it to :data:`SECTIONS`.

Feedback, guides and directives belong to units, not agencies: their figures cover every unit whatever
the agency filter, and say so (``all_units``), so a filtered report never passes them off as the agency's.
"""

from __future__ import annotations

import statistics
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import ColumnElement, and_, case, func, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from bot.outbox import deliveries
from bot.services.directives.reports import expected_acks
from bot.services.dossiers.stats import dossier_stats
from bot.services.feedback.figures import FeedbackFigures, feedback_figures
from bot.services.guide.figures import guide_activity
from bot.services.report.period import Period
from bot.services.report.questions import HELPFUL, UNHELPFUL
from bot.storage import Directive, DirectiveRecipient, ProcedureRow, QuestionLogEntry, SessionFactory

Value = int | float | str | None
TOP_LIMIT = 5
GUIDE_TOP = 3
"""Procedures shown per guide; the rest are summed in one line."""


Format = Literal["count", "average", "ratio", "minutes", "residents", "cards"]


@dataclass(frozen=True, slots=True)
class Line:
    """One figure: a stable key (for CSV, tests and the renderer's label) and its raw value.

    ``of`` is the whole a count is a share of (shown as a percentage beside it); ``count`` the number of
    ratings behind an average or a ratio; ``name`` a label that comes from the data (a procedure's code
    and name) rather than from the renderer's texts; ``level`` 1 a line that details the one above it;
    ``all_units`` a figure the agency filter does not narrow.
    """

    key: str
    value: Value
    format: Format = "count"
    of: int | None = None
    count: int | None = None
    name: str = ""
    level: int = 0
    all_units: bool = False


@dataclass(frozen=True, slots=True)
class Section:
    """A group of figures; its title, like its lines' labels, is the renderer's (by key)."""

    key: str
    lines: tuple[Line, ...]
    all_units: bool = False
    """Every unit's figures, whatever the agency filter (see the module's docstring)."""

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
    lines = (
        Line("asked", asked),
        Line("confident", int(confident), of=asked),
        Line("choices", int(choices), of=asked),
        Line("unanswered", int(none), of=asked),
    )
    return Section("questions", lines)


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
        names = await _procedure_names(session, [code for code, _ in rows])
    lines = tuple(Line(f"top.{code}", int(n), name=names[code]) for code, n in rows)
    return Section("top_procedures", lines)


async def _procedure_names(session: AsyncSession, codes: list[str]) -> dict[str, str]:
    """Each code with its procedure's name ("1.001 Đăng ký khai sinh"), the code alone when unknown."""
    known = dict(
        (
            await session.execute(
                select(ProcedureRow.code, ProcedureRow.name).where(ProcedureRow.code.in_(codes))
            )
        )
        .tuples()
        .all()
    )
    return {code: f"{code} {known.get(code, '')}".strip() for code in codes}


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
    lines = (
        Line("received", total.received),
        Line("early", total.early, of=total.resolved),
        Line("on_time", total.on_time, of=total.resolved),
        Line("late", total.late, of=total.resolved),
    )
    return Section("dossiers", lines)


async def satisfaction_section(scope: Scope) -> Section:
    """Satisfaction from its three sources, each with its count: dossiers' and feedback answers' 1-5
    ratings, and the 👍 share of rated answers (never blended: the scales and raters differ)."""
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
        feedback = await feedback_figures(session, scope.period.start, scope.period.end)
    up, down = int(up), int(down)
    helpful = up / (up + down) if up + down else None
    lines = (
        Line(
            "dossier_rating",
            round(average, 2) if average is not None else None,
            "average",
            count=stats.total.ratings,
        ),
        Line("answer_helpful", round(helpful, 3) if helpful is not None else None, "ratio", count=up + down),
        _feedback_rating(feedback, scope),
    )
    return Section("satisfaction", lines)


def _feedback_rating(figures: FeedbackFigures, scope: Scope) -> Line:
    count = figures.rating_count
    average = round(figures.rating_sum / count, 2) if count else None
    return Line("feedback_rating", average, "average", count=count, all_units=bool(scope.agency))


async def feedback_section(scope: Scope) -> Section:
    """Residents' feedback: filed, answered and come due unanswered in the period; its answers' ratings."""
    async with scope.sessions() as session:
        figures = await feedback_figures(session, scope.period.start, scope.period.end)
    lines = (
        Line("feedback_received", figures.received),
        Line("feedback_answered", figures.answered),
        Line("feedback_overdue", figures.overdue),
        _feedback_rating(figures, scope),
    )
    return Section("feedback", lines, all_units=True)


async def guides_section(scope: Scope) -> Section:
    """Guides (Tổ công nghệ số): how many were active and cards sent; per guide, most active first, the
    residents helped and the cards per procedure (the top few, the rest summed)."""
    async with scope.sessions() as session:
        activity = await guide_activity(session, scope.period.start, scope.period.end)
        codes = sorted({code for guide in activity for code in guide.by_procedure})
        names = await _procedure_names(session, codes)
    ranked = sorted(activity, key=lambda guide: -guide.residents)  # stable: by name among equals
    lines = [
        Line("guides_active", len(activity)),
        Line("guide_cards", sum(sum(guide.by_procedure.values()) for guide in activity), "cards"),
    ]
    for n, guide in enumerate(ranked, start=1):
        lines.append(Line(f"guide.{n}", guide.residents, "residents", name=guide.guide_name))
        procedures = list(guide.by_procedure.items())
        lines += [
            Line(f"guide.{n}.{code}", cards, "cards", name=names[code], level=1)
            for code, cards in procedures[:GUIDE_TOP]
        ]
        if rest := sum(cards for _, cards in procedures[GUIDE_TOP:]):
            lines.append(Line(f"guide.{n}.other", rest, "cards", level=1))
    return Section("guides", tuple(lines), all_units=True)


async def directives_section(scope: Scope) -> Section:
    """Directives needing acknowledgement sent in the period: share acknowledged, median time to do so."""
    async with scope.sessions() as session:
        recipients = (
            await session.execute(
                select(
                    DirectiveRecipient.directive_id,
                    DirectiveRecipient.occurrence,
                    DirectiveRecipient.created_at,
                    DirectiveRecipient.outbox_key,
                )
                .join(Directive, Directive.id == DirectiveRecipient.directive_id)
                .where(
                    Directive.ack_required.is_(True),
                    DirectiveRecipient.created_at >= scope.period.start,
                    DirectiveRecipient.created_at < scope.period.end,
                )
            )
        ).all()
        sent_at = await deliveries(session, [key for *_, key in recipients if key])
        # An occurrence counts from its first message out (its first recipient row before any is sent).
        delivered: dict[tuple[int, str], datetime] = {}
        for directive_id, occurrence, created_at, key in recipients:
            state = sent_at.get(key)
            moment = state.sent_at if state is not None and state.sent_at is not None else created_at
            known = delivered.get((directive_id, occurrence))
            delivered[(directive_id, occurrence)] = moment if known is None else min(known, moment)
        expected = acknowledged = 0
        waits: list[float] = []
        for (directive_id, occurrence), first in sorted(delivered.items()):
            for person in await expected_acks(session, directive_id, occurrence):
                expected += 1
                if person.at is not None:
                    acknowledged += 1
                    waits.append(max(0.0, (person.at - first).total_seconds() / 60))
    median = statistics.median(waits) if waits else None
    lines = (
        Line("expected", expected),
        Line("acknowledged", acknowledged, of=expected),
        Line("median_ack_minutes", round(median, 1) if median is not None else None, "minutes"),
    )
    return Section("directives", lines, all_units=True)


SECTIONS: tuple[SectionFunc, ...] = (
    questions_section,
    top_procedures_section,
    dossiers_section,
    satisfaction_section,
    directives_section,
    feedback_section,
    guides_section,
)
"""The report's sections, in the order they are shown."""
