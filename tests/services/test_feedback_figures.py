"""Feedback figures on a seeded week whose answers are known (SQLite), and the service on PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.config import FeedbackConfig
from bot.messages import ChatRef, Platform
from bot.services.feedback import AnswerOutcome, FeedbackService, RateOutcome, Subject
from bot.services.feedback.figures import FeedbackFigures, feedback_figures
from bot.services.people import Actor
from bot.storage import SessionFactory, session_factory
from bot.storage.migrate import upgrade_engine
from bot.storage.models import FeedbackItem, Unit
from handlers.feedback_render import feedback_renderers
from tests.storage.conftest import fresh_postgres_database

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
        # On the report's clock, before any item came due, nothing is overdue yet.
        early = await feedback_figures(session, START, END, now=START)
    assert empty == FeedbackFigures(0, 0, 0, 0, 0)
    assert early.overdue == 0
    assert early.received == 4


async def test_postgresql_files_answers_rates_escalates_and_counts(postgres_url: str) -> None:
    async with fresh_postgres_database(postgres_url, "feedback") as engine:
        await upgrade_engine(engine)
        sessions = session_factory(engine)
        ids = await seed(sessions)
        now = [day(20)]
        service = FeedbackService(
            sessions,
            FeedbackConfig(default_unit="Đơn vị a"),
            deadline=lambda at, days: at + timedelta(days=days),
            render=feedback_renderers(),
            clock=lambda: now[0],
        )
        resident = ChatRef(Platform.TELEGRAM, "42", False)
        first = await service.file(resident, "42", Subject.general(), "Thêm ghế chờ")
        second = await service.file(resident, "42", Subject.general(), "Thêm quạt")
        assert first.unit_id == ids["a"] and second.id == first.id + 1
        answered = await service.answer(Actor.system(), first.id, "Đã thêm")
        assert answered.outcome is AnswerOutcome.ANSWERED
        again = await service.answer(Actor.system(), first.id, "Lần nữa")
        assert again.outcome is AnswerOutcome.CLOSED
        assert await service.rate(Platform.TELEGRAM, "42", first.id, 5) is RateOutcome.RATED
        now[0] = day(24)
        # The seeded open items are long overdue too; the leaderless units tell nobody but are marked.
        assert await service.escalate_overdue() == 0
        assert await service.escalate_overdue() == 0
        async with sessions() as session:
            figures = await feedback_figures(session, day(20), day(21), ids["a"])
        assert figures == FeedbackFigures(2, 1, 0, 1, 5)


async def test_items_are_narrowed_to_units_in_the_query(sessions: SessionFactory) -> None:
    ids = await seed(sessions)
    service = FeedbackService(
        sessions,
        FeedbackConfig(),
        deadline=lambda at, days: at + timedelta(days=days),
        render=feedback_renderers(),
        clock=lambda: day(30),
    )
    every = await service.items("", limit=200)
    mine = await service.items("", limit=1, units={ids["b"]})
    assert len(every) > 1
    assert [item.unit_id for item in mine] == [ids["b"]]
    assert await service.items("", units=set()) == []
