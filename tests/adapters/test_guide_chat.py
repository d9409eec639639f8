"""Guide mode over both real channels: a Zalo resident's code lets a Telegram guide send them a card.

The runner serves Telegram (the real PTB Application against the fake) and Zalo (our client against its
fake) over the real core; the card reaches the resident through the outbox worker, on their own platform.
"""

from __future__ import annotations

import io
import re

from bot.cli_guide import run_guide_log
from bot.config import DatabaseConfig
from bot.messages import Platform
from bot.services.people import Actor, PeopleService, Role
from bot.storage import create_engine, session_factory
from tests.adapters import test_telegram_runner
from tests.adapters.test_telegram_runner import serving
from tests.adapters.test_two_platforms import BUILDING_PERMIT, both
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.zalo_api import FakeZalo

database = test_telegram_runner.database

GUIDE, STRANGER, TELEGRAM_RESIDENT = 800, 801, 802
ZALO_RESIDENT = "a1b2c3d4e5f6a7b8c9d0"
CODE = re.compile(r"Mã đồng ý của bạn: (\d{6})")


async def seed_guide(database: DatabaseConfig) -> None:
    """A guide in a unit, linked to Telegram user GUIDE by an invite."""
    engine = create_engine(database.url)
    try:
        people = PeopleService(session_factory(engine))
        unit = await people.create_unit(Actor.system(), "Tổ công nghệ số xã Tân Phú")
        guide = await people.create_person(Actor.system(), "Trần Hướng Dẫn", Role.GUIDE, unit_id=unit.id)
        invite = await people.invite(Actor.system(), guide.id)
        assert (await people.redeem(invite.code, Platform.TELEGRAM, str(GUIDE), str(GUIDE))).person
    finally:
        await engine.dispose()


def code_in(text: str) -> str:
    """The consent code in the resident's message."""
    match = CODE.search(text)
    assert match is not None, text
    return match.group(1)


async def test_cards_reach_residents_on_their_own_platform_only_with_their_code(
    fake: FakeTelegram, zalo: FakeZalo, database: DatabaseConfig
) -> None:
    await seed_guide(database)
    config = both(fake, zalo, database, "polling")
    async with serving(config):
        # A Zalo resident types /dongy; a stranger on Telegram cannot use the code.
        zalo.push_text(ZALO_RESIDENT, "/dongy")
        code = code_in((await zalo.wait_messages(ZALO_RESIDENT, 1))[0].text)
        fake.push_text(STRANGER, f"/huongdan {code} đăng ký khai sinh")
        assert "chỉ dành cho thành viên" in (await fake.wait_messages(STRANGER, 1))[0].text

        # The guide, on Telegram, sends the card in one line.
        fake.push_text(GUIDE, f"/huongdan {code} đăng ký khai sinh")
        replies = await fake.wait_messages(GUIDE, 3)
        assert "Mã đúng" in replies[0].text and "Đã gửi thẻ thủ tục" in replies[1].text
        assert "1.001193" in replies[2].text
        card = (await zalo.wait_messages(ZALO_RESIDENT, 2))[1].text
        assert "Trần Hướng Dẫn" in card and "1.001193" in card
        fake.push_text(GUIDE, f"/huongdan {code}")
        assert "đã được dùng" in (await fake.wait_messages(GUIDE, 4))[3].text

        # A Telegram resident presses the button under /start; the guide goes step by step and picks.
        fake.push_text(TELEGRAM_RESIDENT, "/start")
        [welcome] = await fake.wait_messages(TELEGRAM_RESIDENT, 1)
        [(_, consent_payload)] = welcome.buttons
        fake.push_callback(TELEGRAM_RESIDENT, consent_payload)
        second = code_in((await fake.wait_messages(TELEGRAM_RESIDENT, 2))[1].text)
        fake.push_text(GUIDE, "/huongdan")
        assert "mã đồng ý" in (await fake.wait_messages(GUIDE, 5))[4].text
        fake.push_text(GUIDE, second)
        assert "cần thủ tục gì" in (await fake.wait_messages(GUIDE, 6))[5].text
        fake.push_text(GUIDE, BUILDING_PERMIT)
        choices = (await fake.wait_messages(GUIDE, 7))[6]
        assert len(choices.buttons) >= 2 and all(p.startswith("hd:") for _, p in choices.buttons)
        picked = choices.buttons[1][1].split(":", 1)[1]
        assert len(fake.messages_to(TELEGRAM_RESIDENT)) == 2
        fake.push_callback(GUIDE, choices.buttons[1][1])
        assert "Đã gửi thẻ thủ tục" in (await fake.wait_messages(GUIDE, 8))[7].text
        delivered = (await fake.wait_messages(TELEGRAM_RESIDENT, 3))[2].text
        assert picked in delivered and "Trần Hướng Dẫn" in delivered
    # Nothing else reached the residents; the stranger's try sent nothing.
    assert len(zalo.messages_to(ZALO_RESIDENT)) == 2 and len(fake.messages_to(TELEGRAM_RESIDENT)) == 3

    out = io.StringIO()
    assert await run_guide_log(config, out=out) == 0
    printed = out.getvalue()
    assert "Trần Hướng Dẫn: giúp 2 người dân, gửi 2 thẻ thủ tục" in printed
    assert "1.001193" in printed and picked in printed
