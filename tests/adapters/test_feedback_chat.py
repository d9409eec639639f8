"""Feedback over the real channels: the real core behind PTB (Telegram fake) and our Zalo client (Zalo fake).

Each test runs the composition root (``build_core``) on a migrated SQLite file with one unit (the
configured default), a member of its staff and its group chat. A resident files feedback, the real outbox
worker and sender carry it to the unit's group, staff answer it there with /traloi, the answer comes
back to the resident with the rating, and the resident rates it the way each platform allows: a button
press on Telegram, the number typed on Zalo.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.adapters.telegram.sender import TelegramSender
from bot.adapters.zalo.sender import ZaloSender
from bot.app import Core, build_core
from bot.config import Config, DatabaseConfig, FeedbackConfig, OutboxConfig, TelegramConfig, ZaloConfig
from bot.messages import ChatRef, Platform
from bot.outbox.worker import OutboxWorker
from bot.services.people import Actor, PeopleService, Role
from bot.storage import create_engine, session_factory
from bot.storage.migrate import upgrade_engine
from bot.storage.models import FeedbackItem
from tests.adapters.conftest import make_channel, make_zalo_channel
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.zalo_api import FakeZalo

UNIT = "Bộ phận một cửa"
TG_GROUP, TG_STAFF, TG_RESIDENT = -100777, 701, 555
ZALO_GROUP, ZALO_STAFF, ZALO_RESIDENT = "c0ffee00c0ffee00c0ffee00", "a1b2c3d4e5f6a7b8c9d0", "dd00dd00dd00dd00"


@pytest.fixture
async def core(tmp_path: Path) -> AsyncIterator[Core]:
    """The core on a SQLite file: the unit with a staff member and a group on each platform."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'motcua.db'}"
    engine = create_engine(url)
    system = Actor.system()
    try:
        await upgrade_engine(engine)
        people = PeopleService(session_factory(engine))
        unit = await people.create_unit(system, UNIT)
        for name, platform, user in (
            ("Nguyễn Thị Một", Platform.TELEGRAM, str(TG_STAFF)),
            ("Lý Thị Zalo", Platform.ZALO, ZALO_STAFF),
        ):
            person = await people.create_person(system, name, Role.STAFF, unit_id=unit.id)
            invite = await people.invite(system, person.id)
            assert (await people.redeem(invite.code, platform, user, user)).person
        await people.register_group(system, ChatRef(Platform.TELEGRAM, str(TG_GROUP), True), unit.id)
        await people.register_group(system, ChatRef(Platform.ZALO, ZALO_GROUP, True), unit.id)
    finally:
        await engine.dispose()
    config = Config(database=DatabaseConfig(url=url), feedback=FeedbackConfig(default_unit=UNIT))
    async with build_core(config) as built:
        yield built


async def stored(core: Core) -> list[FeedbackItem]:
    """Every feedback row."""
    async with core.sessions() as session:
        return list((await session.execute(select(FeedbackItem).order_by(FeedbackItem.id))).scalars())


async def test_telegram_feedback_filed_routed_answered_in_the_group_returned_and_rated(
    fake: FakeTelegram, core: Core
) -> None:
    fake.add_chat(TG_GROUP, "supergroup")
    channel = make_channel(fake, core.dispatcher.dispatch)
    sender = TelegramSender.create(
        TelegramConfig(token=fake.token, base_url=fake.base_url, base_file_url=fake.base_file_url)
    )
    # The Zalo group of the unit gets the item too; only Telegram is delivered here.
    worker = OutboxWorker(
        core.sessions, {Platform.TELEGRAM: sender}, OutboxConfig(), choices=core.services.conversations
    )
    await sender.start()
    await channel.start()
    try:
        fake.push_text(TG_RESIDENT, "/gopy Phòng chờ thiếu ghế <b>ngồi</b> & quạt")
        filed = (await fake.wait_messages(TG_RESIDENT, 1))[0].text
        assert "GY-000001" in filed and UNIT in filed
        assert await worker.drain() == 1
        posted = (await fake.wait_messages(TG_GROUP, 1))[0].text
        # The resident's text arrives as typed: escaped, never read as markup.
        assert "GÓP Ý MỚI GY-000001" in posted and "Phòng chờ thiếu ghế <b>ngồi</b> & quạt" in posted

        # A resident cannot answer; the unit's staff answer in the group.
        fake.push_text(TG_GROUP, "/traloi GY-000001 Xin nhận", user_id=TG_RESIDENT, chat_type="supergroup")
        assert "Chỉ cán bộ" in (await fake.wait_messages(TG_GROUP, 2))[1].text
        fake.push_text(
            TG_GROUP, "/traloi gy-1 Đã bổ sung 10 ghế và 2 quạt.", user_id=TG_STAFF, chat_type="supergroup"
        )
        assert "Đã gửi câu trả lời góp ý GY-000001" in (await fake.wait_messages(TG_GROUP, 3))[2].text
        fake.push_text(TG_GROUP, "/traloi GY-000001 Lần nữa", user_id=TG_STAFF, chat_type="supergroup")
        assert "đã được trả lời bởi Nguyễn Thị Một" in (await fake.wait_messages(TG_GROUP, 4))[3].text

        assert await worker.drain() == 1
        returned = (await fake.wait_messages(TG_RESIDENT, 2))[1]
        assert "Trả lời góp ý GY-000001" in returned.text and "Đã bổ sung 10 ghế" in returned.text
        assert returned.reply_markup is not None
        buttons = [b["callback_data"] for row in returned.reply_markup["inline_keyboard"] for b in row]
        assert buttons == [f"gyrate:1:{score}" for score in range(1, 6)]
        fake.push_callback(TG_RESIDENT, "gyrate:1:4", user_id=TG_RESIDENT)
        assert "4/5" in (await fake.wait_messages(TG_RESIDENT, 3))[2].text
    finally:
        await channel.stop()
        await sender.close()
    [item] = await stored(core)
    assert (item.status, item.rating, item.answered_via) == ("answered", 4, f"telegram:{TG_STAFF}")


async def test_zalo_feedback_by_conversation_answered_in_the_group_and_rated_by_number(
    zalo: FakeZalo, core: Core
) -> None:
    zalo.add_chat(ZALO_GROUP)
    channel = make_zalo_channel(zalo, core.dispatcher.dispatch)
    sender = ZaloSender.create(ZaloConfig(token=zalo.token, base_url=zalo.base_url))
    worker = OutboxWorker(
        core.sessions, {Platform.ZALO: sender}, OutboxConfig(), choices=core.services.conversations
    )
    await channel.start()
    try:
        zalo.push_text(ZALO_RESIDENT, "/gopy")
        asked = (await zalo.wait_messages(ZALO_RESIDENT, 1))[0].text
        assert "3. Góp ý chung" in asked
        zalo.push_text(ZALO_RESIDENT, "3")
        assert "Mời bạn viết nội dung" in (await zalo.wait_messages(ZALO_RESIDENT, 2))[1].text
        zalo.push_text(ZALO_RESIDENT, "Xin mở thêm quầy chiều thứ bảy.")
        assert "GY-000001" in (await zalo.wait_messages(ZALO_RESIDENT, 3))[2].text
        assert await worker.drain() == 1
        assert "GÓP Ý MỚI GY-000001" in (await zalo.wait_messages(ZALO_GROUP, 1))[0].text

        zalo.push_text(
            ZALO_GROUP,
            "/traloi GY-000001 Từ tháng sau có quầy chiều thứ bảy.",
            user_id=ZALO_STAFF,
            chat_type="GROUP",
        )
        assert "Đã gửi câu trả lời" in (await zalo.wait_messages(ZALO_GROUP, 2))[1].text
        assert await worker.drain() == 1
        returned = (await zalo.wait_messages(ZALO_RESIDENT, 4))[3].text
        assert "quầy chiều thứ bảy" in returned and "5. ⭐⭐⭐⭐⭐" in returned and "5 ⭐" not in returned
        # The number of the choice the outbox worker showed (and remembered).
        zalo.push_text(ZALO_RESIDENT, "5")
        assert "5/5" in (await zalo.wait_messages(ZALO_RESIDENT, 5))[4].text
    finally:
        await channel.stop()
        await sender.close()
    [item] = await stored(core)
    assert (item.kind, item.platform, item.status, item.rating) == ("general", "zalo", "answered", 5)
