"""Follow-ups about the card just shown, end to end: the real core against the fake Telegram and Zalo.

The card is the chat's current one while its section buttons are the chat's stored choices (in the
database), so a follow-up is answered the same on both platforms, and after a restart.
"""

from __future__ import annotations

from bot import texts
from bot.config import DatabaseConfig
from tests.adapters.test_card_sections_chat import (
    BIRTH,
    CARD_BUTTONS,
    NUMBERED_CARD,
    ZALO_CHAT,
    demo,
    numbered,
)
from tests.adapters.test_telegram_runner import config_for, serving
from tests.adapters.test_two_platforms import both
from tests.adapters.test_zalo_runner import config_for as zalo_config_for
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.zalo_api import FakeZalo

__all__ = ["demo"]

FEE = "Phí, lệ phí · Thủ tục đăng ký khai sinh"
TIME = "Thời hạn giải quyết · Thủ tục đăng ký khai sinh"
ONLINE = "Nộp trực tuyến · Thủ tục đăng ký khai sinh"


async def test_telegram_follow_ups_and_a_bare_section_command_answer_from_the_card(
    fake: FakeTelegram, demo: DatabaseConfig
) -> None:
    async with serving(config_for(fake, demo)):
        # On the demo set the question gets choices; the card picked from them becomes the current one.
        fake.push_text(311, "khai sinh cho con")
        [choices] = await fake.wait_messages(311, 1)
        assert ("Đăng ký khai sinh (Cấp xã)", f"p:{BIRTH}") in choices.buttons
        fake.push_callback(311, f"p:{BIRTH}")
        card = (await fake.wait_messages(311, 2))[1]
        assert card.buttons == CARD_BUTTONS
        fake.push_text(311, "phí bao nhiêu")
        fee = (await fake.wait_messages(311, 3))[2]
        assert fee.text.startswith(FEE) and "Miễn phí" in fee.text
        # The answer keeps the card's buttons, so the card stays current for the next question.
        assert fee.buttons == CARD_BUTTONS
        fake.push_text(311, "/tructuyen")
        online = (await fake.wait_messages(311, 4))[3]
        assert online.text.startswith(ONLINE) and online.buttons == CARD_BUTTONS
    assert not fake.pending


async def test_zalo_follow_ups_answer_from_the_card_with_its_numbered_sections(
    zalo: FakeZalo, demo: DatabaseConfig
) -> None:
    async with serving(zalo_config_for(zalo, demo)):
        zalo.push_text(ZALO_CHAT, f"/thutuc {BIRTH}")
        [card] = await zalo.wait_messages(ZALO_CHAT, 1)
        assert card.text.endswith("\n\n" + NUMBERED_CARD)
        zalo.push_text(ZALO_CHAT, "phi bao nhieu")
        fee = (await zalo.wait_messages(ZALO_CHAT, 2))[1]
        assert fee.text.startswith(FEE) and fee.text.endswith("\n\n" + NUMBERED_CARD)
        zalo.push_text(ZALO_CHAT, "nop online dc ko")
        online = (await zalo.wait_messages(ZALO_CHAT, 3))[2]
        assert online.text.startswith(ONLINE) and "Nộp hồ sơ trực tuyến tại" in online.text
        # The numbers still mean the card's sections.
        zalo.push_text(ZALO_CHAT, "2")
        steps = (await zalo.wait_messages(ZALO_CHAT, 4))[3]
        assert steps.text.startswith("Các bước · Thủ tục đăng ký khai sinh")
    assert not zalo.pending and not zalo.lost


async def test_without_a_card_a_follow_up_is_a_search_on_both_platforms(
    fake: FakeTelegram, zalo: FakeZalo, demo: DatabaseConfig
) -> None:
    async with serving(both(fake, zalo, demo, "polling")):
        fake.push_text(312, "phí bao nhiêu")
        zalo.push_text(ZALO_CHAT, "/tructuyen")
        [telegram_reply] = await fake.wait_messages(312, 1)
        [zalo_reply] = await zalo.wait_messages(ZALO_CHAT, 1)
    assert not telegram_reply.text.startswith("Phí, lệ phí ·")
    assert zalo_reply.text == texts.ask_section_code("tructuyen") and not numbered(zalo_reply.text)
    assert not fake.pending and not zalo.pending and not zalo.lost


async def test_a_restart_between_the_card_and_the_follow_up_still_answers_from_the_card(
    fake: FakeTelegram, zalo: FakeZalo, demo: DatabaseConfig
) -> None:
    telegram_chat = 313
    config = both(fake, zalo, demo, "polling")
    async with serving(config):
        fake.push_text(telegram_chat, f"/thutuc {BIRTH}")
        zalo.push_text(ZALO_CHAT, f"/thutuc {BIRTH}")
        await fake.wait_messages(telegram_chat, 1)
        await zalo.wait_messages(ZALO_CHAT, 1)
        await zalo.wait_for(lambda: zalo.waiting_polls)
    # Only the SQLite file outlives the first core.
    zalo.push_text(ZALO_CHAT, "mất bao lâu")
    async with serving(config):
        fake.push_text(telegram_chat, "bao lau thi xong")
        telegram_time = (await fake.wait_messages(telegram_chat, 2))[1]
        zalo_time = (await zalo.wait_messages(ZALO_CHAT, 2))[1]
    for answer in (telegram_time.text, zalo_time.text):
        assert answer.startswith(TIME) and "Trong ngày làm việc" in answer
    assert not fake.pending and not zalo.pending and not zalo.lost
