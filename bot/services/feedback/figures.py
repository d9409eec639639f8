"""Feedback figures for the leaders' report: received, answered, overdue, and the answers' ratings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from bot.storage.columns import utcnow
from bot.storage.models import FeedbackItem


@dataclass(frozen=True)
class FeedbackFigures:
    """Counts over one period (see :func:`feedback_figures` for what each counts)."""

    received: int
    answered: int
    overdue: int
    rating_count: int
    rating_sum: int


async def feedback_figures(
    session: AsyncSession,
    start: datetime,
    end: datetime,
    unit_id: int | None = None,
    *,
    now: datetime | None = None,
) -> FeedbackFigures:
    """Feedback in ``[start, end)`` (UTC-aware), for one unit or all.

    ``received``: filed in the period. ``answered``: answered in the period. ``overdue``: came due in the
    period (and before now) without an answer by then, answered late or still open. ``rating_count`` and
    ``rating_sum``: ratings of answers given in the period (the average is sum / count). ``now`` is the
    report's clock (default: the real one).
    """
    unit: ColumnElement[bool] = FeedbackItem.unit_id == unit_id if unit_id is not None else true()
    due_end = min(end, now or utcnow())

    def within(column: InstrumentedAttribute[Any], stop: datetime) -> ColumnElement[bool]:
        return and_(column >= start, column < stop)

    late = or_(FeedbackItem.answered_at.is_(None), FeedbackItem.answered_at > FeedbackItem.due_at)
    statement = select(
        func.count().filter(within(FeedbackItem.created_at, end)),
        func.count().filter(within(FeedbackItem.answered_at, end)),
        func.count().filter(and_(within(FeedbackItem.due_at, due_end), late)),
        func.count().filter(and_(within(FeedbackItem.rated_at, end), FeedbackItem.rating.is_not(None))),
        func.coalesce(
            func.sum(FeedbackItem.rating).filter(
                and_(within(FeedbackItem.rated_at, end), FeedbackItem.rating.is_not(None))
            ),
            0,
        ),
    ).where(unit)
    received, answered, overdue, rating_count, rating_sum = (await session.execute(statement)).one()
    return FeedbackFigures(int(received), int(answered), int(overdue), int(rating_count), int(rating_sum))
