"""The report's sections, one function each: each reads its figures and returns a :class:`Section`.

A section is a key and lines (key, raw value, how to show it), never words: the renderers
(:mod:`bot.reporting`) take titles and labels from :mod:`bot.texts.report` by key, so the text, CSV and
chart renderers need nothing section-specific. To add a section, write one ``async def (scope) -> Section``
and append it to :data:`SECTIONS`.
"""

from __future__ import annotations

import statistics
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import ColumnElement, and_, case, func, select, true

from bot.outbox import deliveries
from bot.services.directives.reports import expected_acks
from bot.services.dossiers.stats import dossier_stats
from bot.services.report.period import Period
from bot.services.report.questions import HELPFUL, UNHELPFUL
from bot.storage import Directive, DirectiveRecipient, ProcedureRow, QuestionLogEntry, SessionFactory

Value = int | float | str | None
TOP_LIMIT = 5


Format = Literal["count", "average", "ratio", "minutes"]


@dataclass(frozen=True, slots=True)
class Line:
    """One figure: a stable key (for CSV, tests and the renderer's label) and its raw value.

    ``of`` is the whole a count is a share of (shown as a percentage beside it); ``count`` the number of
    ratings behind an average or a ratio; ``name`` a label that comes from the data (a procedure's code
    and name) rather than from the renderer's texts.
    """

    key: str
    value: Value
    format: Format = "count"
    of: int | None = None
    count: int | None = None
    name: str = ""


@dataclass(frozen=True, slots=True)
class Section:
    """A group of figures; its title, like its lines' labels, is the renderer's (by key)."""

    key: str
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
    lines = tuple(
        Line(f"top.{code}", int(n), name=f"{code} {names.get(code, '')}".strip()) for code, n in rows
    )
    return Section("top_procedures", lines)


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
    helpful = up / (up + down) if up + down else None
    lines = (
        Line(
            "dossier_rating",
            round(average, 2) if average is not None else None,
            "average",
            count=stats.total.ratings,
        ),
        Line("answer_helpful", round(helpful, 3) if helpful is not None else None, "ratio", count=up + down),
    )
    return Section("satisfaction", lines)


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
    return Section("directives", lines)


SECTIONS: tuple[SectionFunc, ...] = (
    questions_section,
    top_procedures_section,
    dossiers_section,
    satisfaction_section,
    directives_section,
)
"""The report's sections, in the order they are shown."""
