"""Unanswered questions: folded text and counts only, one row per text and kind, bounded (also PostgreSQL)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import inspect, select

from bot.services.unanswered import UnansweredService, fold_question
from bot.storage import SessionFactory, UnansweredQuestion, session_factory
from bot.storage.migrate import upgrade_engine
from tests.storage.conftest import fresh_postgres_database


class Clock:
    """A settable clock."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture(params=["sqlite", "postgresql"])
async def any_sessions(
    request: pytest.FixtureRequest, sessions: SessionFactory
) -> AsyncIterator[SessionFactory]:
    """The migrated SQLite file, or a fresh migrated PostgreSQL database."""
    if request.param == "sqlite":
        yield sessions
        return
    async with fresh_postgres_database(
        request.getfixturevalue("postgres_url"), prefix="unanswered"
    ) as engine:
        await upgrade_engine(engine)
        yield session_factory(engine)


def test_the_stored_form_is_folded_collapsed_and_capped() -> None:
    assert fold_question("  Xin   GIẤY phép\n nuôi kỳ lân ") == "xin giay phep nuoi ky lan"
    assert fold_question("Đăng ký") == "dang ky"
    assert fold_question("Á" * 1000) == "a" * 300
    assert fold_question("rất dài " * 100).endswith("rat")
    assert fold_question(" \n ") == ""


async def test_a_question_is_counted_once_per_text_and_kind(any_sessions: SessionFactory) -> None:
    clock = Clock()
    service = UnansweredService(any_sessions, clock=clock)
    assert await service.record("Xin giấy phép nuôi kỳ lân", "none")
    clock.now += timedelta(hours=2)
    assert await service.record("xin giay phep   nuoi ky lan", "none")
    assert await service.record("xin giay phep nuoi ky lan", "choices")
    assert not await service.record("   ", "none")
    rows = await service.rows()
    assert [(r.text, r.kind, r.count) for r in rows] == [
        ("xin giay phep nuoi ky lan", "none", 2),
        ("xin giay phep nuoi ky lan", "choices", 1),
    ]
    first = rows[0]
    assert first.first_seen == datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
    assert first.last_seen == first.first_seen + timedelta(hours=2)
    assert [r.text for r in await service.rows(since=clock.now)] == ["xin giay phep nuoi ky lan"] * 2
    assert await service.rows(since=clock.now + timedelta(seconds=1)) == []
    with pytest.raises(ValueError, match="kind"):
        await service.record("x", "maybe")  # type: ignore[arg-type]


async def test_chats_asking_at_once_add_up_without_colliding(any_sessions: SessionFactory) -> None:
    service = UnansweredService(any_sessions)
    results = await asyncio.gather(*(service.record("nuôi rồng", "none") for _ in range(20)))
    assert all(results)
    [row] = await service.rows()
    assert row.count == 20


async def test_the_table_has_no_column_for_who_or_where(sessions: SessionFactory) -> None:
    async with sessions() as session:
        columns = await session.run_sync(
            lambda sync: {c["name"] for c in inspect(sync.connection()).get_columns("unanswered_questions")}
        )
    assert columns == {"id", "text", "kind", "count", "first_seen", "last_seen"}
    assert not any(word in name for name in columns for word in ("user", "chat", "platform"))


async def test_prune_keeps_the_most_frequent_then_the_most_recent(sessions: SessionFactory) -> None:
    clock = Clock()
    service = UnansweredService(sessions, clock=clock)
    for text, times in (("hay hoi", 3), ("cu", 1), ("moi", 1), ("thinh thoang", 2)):
        for _ in range(times):
            await service.record(text, "none")
        clock.now += timedelta(minutes=1)
    assert await service.prune(keep=10) == 0
    assert await service.prune(keep=3) == 1
    assert sorted(r.text for r in await service.rows()) == ["hay hoi", "moi", "thinh thoang"]
    async with sessions() as session:
        assert len((await session.scalars(select(UnansweredQuestion))).all()) == 3
