"""Feedback figures on a seeded week whose answers are known, for all units and per unit."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.services.feedback.figures import FeedbackFigures, feedback_figures
from bot.storage import SessionFactory
from bot.storage.models import FeedbackItem, Unit

START, END = datetime(2025, 1, 7, tzinfo=UTC), datetime(2025, 1, 14, tzinfo=UTC)


def day(number: int, hour: int = 9) -> datetime:
    """A moment in January 2025."""
    return datetime(2025, 1, number, hour, tzinfo=UTC)


# (unit, created, due, answered, rated, rating): see each line for what it counts in the week 7-13/1.
SEED = [
    ("a", day(6), day(8), day(7), day(7), 5),  # answered in time, rated 5
    ("a", day(7), day(10), day(11), day(12), 2),  # received, answered late (overdue), rated 2
    ("b", day(8), day(11), None, None, None),  # received, still open past due (overdue)
    ("b", day(9), day(14, 0), None, None, None),  # received; due at the (exclusive) end
    ("a", day(13), day(16), day(14, 1), day(15), 4),  # received; answered and rated after the week
    ("b", day(2), day(5), day(9), day(9), 3),  # answered late in the week, but due before it; rated 3
]


async def seed(sessions: SessionFactory) -> dict[str, int]:
    """Two units and the items above; return the unit ids by key."""
    async with sessions() as session, session.begin():
        units = {key: Unit(name=f"Đơn vị {key}", tags=[], created_at=day(1)) for key in ("a", "b")}
        session.add_all(units.values())
        await session.flush()
        for unit, created, due, answered, rated, rating in SEED:
            session.add(
                FeedbackItem(
                    kind="general",
                    ref="",
                    ref_name="",
                    text="góp ý",
                    platform="telegram",
                    chat_id="1",
                    user_id="1",
                    unit_id=units[unit].id,
                    status="answered" if answered else "open",
                    created_at=created,
                    due_at=due,
                    answer="trả lời" if answered else "",
                    answered_at=answered,
                    answered_via="cli" if answered else "",
                    rating=rating,
                    rated_at=rated,
                )
            )
        return {key: unit.id for key, unit in units.items()}


async def test_figures_count_the_week_for_all_units_and_for_each(sessions: SessionFactory) -> None:
    ids = await seed(sessions)
    async with sessions() as session:
        assert await feedback_figures(session, START, END) == FeedbackFigures(4, 3, 2, 3, 10)
        assert await feedback_figures(session, START, END, ids["a"]) == FeedbackFigures(2, 2, 1, 2, 7)
        assert await feedback_figures(session, START, END, ids["b"]) == FeedbackFigures(2, 1, 1, 1, 3)
        empty = await feedback_figures(session, day(20), day(27))
    assert empty == FeedbackFigures(0, 0, 0, 0, 0)
