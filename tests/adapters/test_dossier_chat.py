"""Following a dossier over the real channels: the real core behind PTB (Telegram fake) and Zalo (Zalo fake).

Each test runs the composition root (``build_core``) on a migrated SQLite file holding one dossier,
and a real channel over loopback HTTP: /theodoi, the digits, a group refused, then the "returned"
notice written to the outbox and its rating answered the way each platform allows (a button press on
Telegram, the number of the choice on Zalo).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.app import Core, build_core
from bot.config import Config, DatabaseConfig, DossierConfig
from bot.outbox import payload_to_reply
from bot.services.dossiers.events import DossierEventIn, Status
from bot.services.dossiers.service import DossierService
from bot.storage import DossierRating, DossierSubscription, OutboxMessage, create_engine, session_factory
from bot.storage.migrate import upgrade_engine
from handlers.dossier_notices import render_notice
from tests.adapters.conftest import make_channel, make_zalo_channel
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.zalo_api import FakeZalo

CODE = "000.00.24.H57-250722-0001"
PHONE = "0912345678"
KEY = "adapter-test-key"
T0 = datetime(2025, 7, 22, 8, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))


@pytest.fixture
async def core(tmp_path: Path) -> AsyncIterator[Core]:
    """The real core on a SQLite file where one dossier (with the applicant's phone) was received."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'motcua.db'}"
    engine = create_engine(url)
    try:
        await upgrade_engine(engine)
        seeding = DossierService(session_factory(engine), hash_key=KEY, render_notice=render_notice)
        received = DossierEventIn(
            event_id="r",
            code=CODE,
            status=Status.RECEIVED,
            occurred_at=T0,
            procedure_name="Đăng ký khai sinh",
            agency="UBND xã Tân Phú",
            due_at=T0 + timedelta(days=3),
            phone=PHONE,
        )
        await seeding.apply([received], source="test")
    finally:
        await engine.dispose()
    config = Config(
        database=DatabaseConfig(url=url), dossiers=DossierConfig(hash_key=KEY, verify_max_failures=5)
    )
    async with build_core(config) as built:
        yield built


async def return_dossier(core: Core, platform: str, chat_id: str) -> list[str]:
    """Apply "ready" then "returned"; return the rating payloads of the notice written for the chat."""
    ready = DossierEventIn(
        event_id="ready", code=CODE, status=Status.READY, occurred_at=T0 + timedelta(days=1)
    )
    returned = DossierEventIn(
        event_id="returned", code=CODE, status=Status.RETURNED, occurred_at=T0 + timedelta(days=2)
    )
    result = await core.services.dossiers.apply([ready, returned], source="push")
    assert result.applied == 2 and result.notices >= 2
    async with core.sessions() as session:
        payload = await session.scalar(
            select(OutboxMessage.payload).where(
                OutboxMessage.platform == platform,
                OutboxMessage.chat_id == chat_id,
                OutboxMessage.kind == "dossier.returned",
            )
        )
    assert payload is not None
    notice = payload_to_reply(payload)
    assert "hài lòng" in notice.text
    return [button.payload for button in notice.buttons]


async def stored(core: Core) -> tuple[list[tuple[str, str, bool]], list[tuple[str, int, str]]]:
    """(platform, chat id, active) of subscriptions and (user, score, comment) of ratings."""
    async with core.sessions() as session:
        subscriptions = await session.execute(
            select(DossierSubscription.platform, DossierSubscription.chat_id, DossierSubscription.active)
        )
        ratings = await session.execute(
            select(DossierRating.user_id, DossierRating.score, DossierRating.comment)
        )
        return [(r.platform, r.chat_id, r.active) for r in subscriptions], [
            (r.user_id, r.score, r.comment) for r in ratings
        ]


async def test_telegram_follow_verify_group_and_rate_by_button(fake: FakeTelegram, core: Core) -> None:
    channel = make_channel(fake, core.dispatcher.dispatch)
    await channel.start()
    try:
        fake.push_text(501, f"/theodoi {CODE}")
        asked = (await fake.wait_messages(501, 1))[0]
        assert "4 chữ số cuối" in asked.text and CODE in asked.text
        fake.push_text(501, "1234")
        assert "còn 4 lần" in (await fake.wait_messages(501, 2))[1].text
        fake.push_text(501, PHONE[-4:])
        assert "Đã đăng ký theo dõi" in (await fake.wait_messages(501, 3))[2].text

        # In a group the digits are never asked; a member who verified in private may add the group.
        fake.push_text(-100777, f"/theodoi {CODE}", user_id=502, chat_type="supergroup")
        assert "nhắn riêng" in (await fake.wait_messages(-100777, 1))[0].text
        fake.push_text(-100777, f"/theodoi {CODE}", user_id=501, chat_type="supergroup")
        assert "Nhóm này đã được đăng ký" in (await fake.wait_messages(-100777, 2))[1].text

        payloads = await return_dossier(core, "telegram", "501")
        assert payloads == [f"rate:{CODE}:{n}" for n in range(1, 6)]
        query = fake.push_callback(501, payloads[4])
        assert "5/5" in (await fake.wait_messages(501, 4))[3].text
        await fake.wait_for(lambda: query in fake.answered_callbacks)
        fake.push_text(501, "Nhanh gọn, cán bộ nhiệt tình")
        assert "Cảm ơn góp ý" in (await fake.wait_messages(501, 5))[4].text
    finally:
        await channel.stop()
    subscriptions, ratings = await stored(core)
    assert sorted(subscriptions) == [("telegram", "-100777", True), ("telegram", "501", True)]
    assert ratings == [("501", 5, "Nhanh gọn, cán bộ nhiệt tình")]
    # Nothing the bot said carried the phone or its last digits back.
    assert all(PHONE[-4:] not in m.text for m in fake.sent)


async def test_zalo_follow_verify_and_rate_by_typing_the_number(zalo: FakeZalo, core: Core) -> None:
    chat = "a1b2c3d4e5f6a7b8c9d0"
    channel = make_zalo_channel(zalo, core.dispatcher.dispatch)
    await channel.start()
    try:
        zalo.push_text(chat, f"/theodoi {CODE}")
        assert "4 chữ số cuối" in (await zalo.wait_messages(chat, 1))[0].text
        zalo.push_text(chat, "0000")
        assert "còn 4 lần" in (await zalo.wait_messages(chat, 2))[1].text
        zalo.push_text(chat, "+84 912 345 678")
        assert "Đã đăng ký theo dõi" in (await zalo.wait_messages(chat, 3))[2].text

        zalo.push_text("group0001", f"/theodoi {CODE}", user_id="someone-else", chat_type="GROUP")
        assert "nhắn riêng" in (await zalo.wait_messages("group0001", 1))[0].text

        payloads = await return_dossier(core, "zalo", chat)
        # What the outbox worker does when it sends a notice with buttons on Zalo: numbered choices.
        await core.services.conversations.remember(f"zalo:{chat}", payloads)
        zalo.push_text(chat, "4")
        assert "4/5" in (await zalo.wait_messages(chat, 4))[3].text
        zalo.push_text(chat, "/boqua")
        assert "Cảm ơn bạn" in (await zalo.wait_messages(chat, 5))[4].text
        zalo.push_text(chat, "/theodoi")
        listing = (await zalo.wait_messages(chat, 6))[5].text
        assert CODE in listing and "Đã trả kết quả" in listing
    finally:
        await channel.stop()
    subscriptions, ratings = await stored(core)
    assert subscriptions == [("zalo", chat, True)]
    assert ratings == [(chat, 4, "")]
