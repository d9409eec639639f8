"""The 👍/👎 question after a confident answer, end to end: inline buttons on the fake Telegram, a typed
number on the fake Zalo (its options continue the card's numbered sections). The rating lands on the
question's log row; a 👎 also counts the card among the unanswered questions."""

from __future__ import annotations

import re
from dataclasses import replace

from sqlalchemy import select

from bot.config import Config, DatabaseConfig, ReportConfig
from bot.storage import QuestionLogEntry, UnansweredQuestion, create_engine, session_factory
from bot.texts import report as texts
from tests.adapters.test_card_sections_chat import ZALO_CHAT, demo
from tests.adapters.test_telegram_runner import config_for, serving
from tests.adapters.test_zalo_runner import config_for as zalo_config_for
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.zalo_api import FakeZalo

__all__ = ["demo"]
QUESTION = "cấp lại thẻ căn cước"
ALWAYS = ReportConfig(answer_rating_share=1.0)


def always_rated(config: Config) -> Config:
    """The configuration with every confident answer followed by the rating question."""
    return replace(config, report=ALWAYS)


async def log_rows(database: DatabaseConfig) -> tuple[list[QuestionLogEntry], list[UnansweredQuestion]]:
    engine = create_engine(database.url)
    try:
        async with session_factory(engine)() as session:
            entries = list(await session.scalars(select(QuestionLogEntry)))
            unanswered = list(await session.scalars(select(UnansweredQuestion)))
    finally:
        await engine.dispose()
    return entries, unanswered


async def test_telegram_thumbs_down_is_stored_once_and_counts_the_card_as_unanswered(
    fake: FakeTelegram, demo: DatabaseConfig
) -> None:
    async with serving(always_rated(config_for(fake, demo))):
        fake.push_text(401, QUESTION)
        card, question = await fake.wait_messages(401, 2)
        assert question.text == texts.RATE_QUESTION
        [(yes, up), (no, down)] = question.buttons
        assert (yes, no) == (texts.RATE_YES, texts.RATE_NO)
        fake.push_callback(401, down)
        assert (await fake.wait_messages(401, 3))[2].text.startswith("Cảm ơn bạn đã cho biết")
        fake.push_callback(401, up)  # a second press does not change the first
        assert (await fake.wait_messages(401, 4))[3].text == texts.RATE_ALREADY
    [entry], unanswered = await log_rows(demo)
    assert (entry.channel, entry.outcome, entry.rating) == ("telegram", "confident", -1)
    assert entry.procedure_code and entry.procedure_code in card.text
    assert [(u.text, u.kind, u.count) for u in unanswered] == [(f"👎 {entry.procedure_code}", "unhelpful", 1)]


async def test_zalo_thumbs_up_is_the_number_after_the_cards_sections(
    zalo: FakeZalo, demo: DatabaseConfig
) -> None:
    async with serving(always_rated(zalo_config_for(zalo, demo))):
        zalo.push_text(ZALO_CHAT, QUESTION)
        _, question = await zalo.wait_messages(ZALO_CHAT, 2)
        assert question.text.startswith(texts.RATE_QUESTION)
        options = dict(re.findall(r"^(\d+)\. (.+)$", question.text, flags=re.MULTILINE))
        number = next(n for n, label in options.items() if label == texts.RATE_YES)
        zalo.push_text(ZALO_CHAT, number)
        thanks = (await zalo.wait_messages(ZALO_CHAT, 3))[2]
        assert thanks.text == texts.RATE_THANKS_YES
    [entry], unanswered = await log_rows(demo)
    assert (entry.channel, entry.outcome, entry.rating) == ("zalo", "confident", 1)
    assert unanswered == []
