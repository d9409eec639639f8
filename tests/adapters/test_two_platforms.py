"""Telegram and Zalo served by one runner over the real core: both at once, and choices across a restart."""

from __future__ import annotations

import re

import pytest

from bot.config import Config, DatabaseConfig, HttpConfig, TelegramConfig, ZaloConfig
from tests.adapters import test_telegram_runner
from tests.adapters.test_telegram_runner import free_port, serving
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.telegram_api import Fault as TelegramFault
from tests.fakes.zalo_api import FakeZalo

# The migrated SQLite file with a few procedures, among them one procedure at two levels.
database = test_telegram_runner.database

BUILDING_PERMIT = "cấp giấy phép xây dựng nhà ở riêng lẻ"
BUILDING_PERMIT_CODES = {"1.009972", "2.002184"}
ZALO_SECRET = "two-platforms-secret-0123456789"
# (question, what its answer must name, the procedure code it must quote)
QUESTIONS = [
    ("đăng ký khai sinh", "khai sinh", "1.001193"),
    ("cấp lại căn cước", "căn cước", "1.000110"),
    ("đăng ký kết hôn", "kết hôn", "1.004227"),
]


def both(telegram: FakeTelegram, zalo: FakeZalo, database: DatabaseConfig, zalo_mode: str) -> Config:
    """Telegram long polling and Zalo (``polling`` or ``webhook`` on our server) in one configuration."""
    port = free_port()
    # A 1 s long poll: stopping waits for the Zalo poll in flight.
    zalo_settings: dict[str, object] = {
        "token": zalo.token,
        "base_url": zalo.base_url,
        "mode": zalo_mode,
        "poll_timeout": 1,
    }
    if zalo_mode == "webhook":
        zalo_settings |= {
            "webhook_url": f"http://127.0.0.1:{port}/zalo/webhook",
            "webhook_secret": ZALO_SECRET,
        }
    return Config(
        database=database,
        http=HttpConfig(host="127.0.0.1", port=port),
        telegram=TelegramConfig(
            token=telegram.token, base_url=telegram.base_url, base_file_url=telegram.base_file_url
        ),
        zalo=ZaloConfig(**zalo_settings),  # type: ignore[arg-type]
    )


def codes(text: str) -> set[str]:
    """Procedure codes quoted in a message."""
    return set(re.findall(r"\b\d\.\d{6}\b", text))


async def test_both_platforms_answer_interleaved_questions_at_the_same_time(
    fake: FakeTelegram, zalo: FakeZalo, database: DatabaseConfig
) -> None:
    async with serving(both(fake, zalo, database, "polling")):
        telegram_chats = [101, 102, 103]
        zalo_chats = ["a1b2c3d4e5f6a7b8c9d0", "0f1e2d3c4b5a69788796", "abcdef0123"]
        # Each chat asks two different questions; the platforms alternate message by message.
        for turn in range(2):
            for i in range(3):
                fake.push_text(telegram_chats[i], QUESTIONS[(i + turn) % 3][0])
                zalo.push_text(zalo_chats[i], QUESTIONS[(i + turn + 1) % 3][0])
        for i in range(3):
            on_telegram = await fake.wait_messages(telegram_chats[i], 2)
            on_zalo = await zalo.wait_messages(zalo_chats[i], 2)
            for turn in range(2):
                _, named, code = QUESTIONS[(i + turn) % 3]
                assert named in on_telegram[turn].text.lower() and code in on_telegram[turn].text
                _, named, code = QUESTIONS[(i + turn + 1) % 3]
                assert named in on_zalo[turn].text.lower() and code in on_zalo[turn].text

        # One platform's slow send does not hold the other back: the core serves both concurrently.
        fake.inject("sendMessage", TelegramFault.slow(1.5), chat_id=104)
        fake.push_text(104, "đăng ký khai sinh")
        await fake.wait_for(lambda: not fake.pending)  # fetched and confirmed: its reply is on the way
        zalo.push_text("fedcba9876", "đăng ký kết hôn")
        [married] = await zalo.wait_messages("fedcba9876", 1)
        assert "1.004227" in married.text and not fake.messages_to(104)
        [born] = await fake.wait_messages(104, 1, within=5)
        assert "1.001193" in born.text


@pytest.mark.parametrize("zalo_mode", ["polling", "webhook"])
async def test_a_restart_between_choices_and_the_answer_still_answers_on_both_platforms(
    fake: FakeTelegram, zalo: FakeZalo, database: DatabaseConfig, zalo_mode: str
) -> None:
    telegram_chat, zalo_chat = 201, "5a5a5a5a5a5a5a5a5a5a"
    config = both(fake, zalo, database, zalo_mode)
    async with serving(config):
        if zalo_mode == "webhook":
            await zalo.wait_for(lambda: zalo.webhook_url == config.zalo.webhook_url)
        fake.push_text(telegram_chat, BUILDING_PERMIT)
        zalo.push_text(zalo_chat, BUILDING_PERMIT)
        [telegram_choices] = await fake.wait_messages(telegram_chat, 1)
        [zalo_choices] = await zalo.wait_messages(zalo_chat, 1)
        if zalo_mode == "polling":
            # Stopped with a long poll open: the "2" below must not go to it and be lost.
            await zalo.wait_for(lambda: zalo.waiting_polls)
    # The first core is closed (its engine disposed); only the SQLite file remembers the choices.
    second_on_telegram = telegram_choices.buttons[1][1].split(":", 1)[1]
    assert len(telegram_choices.buttons) >= 2 and second_on_telegram in BUILDING_PERMIT_CODES
    numbered = re.findall(r"^(\d+)\. ", zalo_choices.text, flags=re.MULTILINE)
    assert numbered[:2] == ["1", "2"] and not zalo.pending
    assert zalo.waiting_polls == 0

    if zalo_mode == "polling":
        # Sent while nothing serves Zalo: the old poll has ended, so the new runner's poll gets it.
        zalo.push_text(zalo_chat, "2")
    async with serving(config):
        if zalo_mode == "webhook":
            await zalo.wait_for(lambda: zalo.calls_of("setWebhook")[1:])
            zalo.push_text(zalo_chat, "2")
        fake.push_text(telegram_chat, "2")
        telegram_card = (await fake.wait_messages(telegram_chat, 2))[1]
        zalo_card = (await zalo.wait_messages(zalo_chat, 2))[1]
    assert codes(telegram_card.text) & BUILDING_PERMIT_CODES == {second_on_telegram}
    # Zalo lists the same choices in the same order; its "2" opens the same second procedure.
    assert codes(zalo_card.text) & BUILDING_PERMIT_CODES == {second_on_telegram}
    assert not fake.pending and not zalo.pending and not zalo.lost
