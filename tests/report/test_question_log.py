"""The question log through the real core: one row per question answered, never its text; best effort."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import inspect, select, text

from bot.app import Core, build_core
from bot.config import Config, DatabaseConfig
from bot.messages import ChatRef, Incoming, Platform, Reply
from bot.routing import Dispatcher
from bot.services.procedures import import_procedures
from bot.services.report.questions import QuestionLog, Rated
from bot.storage import QuestionLogEntry, SessionFactory, create_engine, session_factory
from bot.storage.migrate import upgrade_engine
from bot.texts import report as texts
from handlers import build_router, fallback
from knowledge.demo import DEMO_DIR
from knowledge.importers import load_paths

CONFIDENT = "cấp lại thẻ căn cước"
CHOICES = "đăng ký khai sinh"
NOTHING = "thuần hóa kỳ lân"


@pytest.fixture
async def core(tmp_path: Path) -> AsyncIterator[Core]:
    """The real core over the demo knowledge base on a SQLite file (no rating asked: the default)."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'motcua.db'}"
    engine = create_engine(url)
    try:
        await upgrade_engine(engine)
        await import_procedures(session_factory(engine), load_paths([DEMO_DIR]).procedures.values())
    finally:
        await engine.dispose()
    async with build_core(Config(database=DatabaseConfig(url=url))) as built:
        yield built


async def say(core: Core, platform: Platform, message: str, *, group: bool = False) -> list[Reply]:
    incoming = Incoming(chat=ChatRef(platform, "c-77", group), user_id="u-1", text=message)
    return await core.dispatcher.dispatch(incoming)


async def test_each_answered_question_is_logged_with_its_outcome_and_never_its_text(core: Core) -> None:
    [card] = await say(core, Platform.TELEGRAM, CONFIDENT)
    await say(core, Platform.ZALO, CHOICES)
    await say(core, Platform.CONSOLE, NOTHING)
    for not_a_question in ("chào bạn", "/tim", "/thutuc 1.014064"):
        await say(core, Platform.TELEGRAM, not_a_question)
    async with core.sessions() as session:
        rows = list(await session.scalars(select(QuestionLogEntry).order_by(QuestionLogEntry.id)))
        columns = await session.run_sync(
            lambda s: {c["name"] for c in inspect(s.connection()).get_columns("question_log")}
        )
    assert [(r.channel, r.outcome, r.procedure_code, r.rating) for r in rows] == [
        ("telegram", "confident", "1.014064", None),
        ("zalo", "choices", "", None),
        ("console", "none", "", None),
    ]
    assert rows[0].agency and rows[0].procedure_code in card.text
    assert "text" not in columns and "question" not in columns and "chat_id" not in columns


async def test_a_log_that_cannot_be_written_never_stops_the_answer(core: Core) -> None:
    async with core.sessions.begin() as session:
        await session.execute(text("DROP TABLE question_log"))
    [card] = await say(core, Platform.TELEGRAM, CONFIDENT)
    assert "Cấp lại thẻ căn cước" in card.text


async def test_the_share_asked_follows_the_injected_chance_and_a_rating_counts_once(
    sessions: SessionFactory,
) -> None:
    draws = iter([0.7, 0.2, 0.0])
    log = QuestionLog(sessions, rating_share=0.5, chance=lambda: next(draws))
    assert [log.ask_rating(), log.ask_rating()] == [False, True]
    assert not QuestionLog(sessions, rating_share=0.0, chance=lambda: 0.0).ask_rating()
    entry = await log.record("zalo", "confident", "1.001", "UBND xã")
    choices = await log.record("zalo", "choices")
    assert entry is not None and choices is not None
    assert await log.rate(entry, True) == (Rated.SAVED, "1.001")
    assert await log.rate(entry, False) == (Rated.ALREADY, "1.001")
    assert (await log.rate(choices, True))[0] is Rated.UNKNOWN
    # A guessed id without the row's token rates nothing.
    number, token = entry.split(".")
    other = await log.record("zalo", "confident", "1.001", "UBND xã")
    assert other is not None
    for guessed in (f"{number}.x", number, f"{int(number) + 100}.{token}", f"{other.split('.')[0]}.{token}"):
        assert (await log.rate(guessed, False))[0] is Rated.UNKNOWN
    assert await log.rate(other, False) == (Rated.SAVED, "1.001")


async def test_every_confident_answer_asks_at_share_one_but_never_in_a_group(core: Core) -> None:
    services = replace(core.services, questions=QuestionLog(core.sessions, rating_share=1.0))
    memory = core.services.conversations
    dispatcher = Dispatcher(build_router(flows=True), services, memory, fallback, flows=memory)
    private = await dispatcher.dispatch(
        Incoming(chat=ChatRef(Platform.ZALO, "p-1"), user_id="u", text=CONFIDENT)
    )
    group = await dispatcher.dispatch(
        Incoming(chat=ChatRef(Platform.ZALO, "g-1", is_group=True), user_id="u", text=CONFIDENT)
    )
    assert [r.text for r in private][1:] == [texts.RATE_QUESTION] and len(group) == 1
