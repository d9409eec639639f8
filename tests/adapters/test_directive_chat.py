"""Directives over the real channels: the real core behind PTB (Telegram fake) and Zalo (Zalo fake).

Each test runs the composition root (``build_core``) on a migrated SQLite file with one unit and its
staff, registers a group or links an account in the chat, publishes a directive, delivers it with the
real outbox worker and senders, and acknowledges it the way each platform allows: the "Đã nhận" button
pressed by two members of a Telegram group, the words "da nhan" and the number of the choice on Zalo.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.adapters.telegram.sender import TelegramSender
from bot.adapters.zalo.sender import ZaloSender
from bot.app import Core, build_core
from bot.config import Config, DatabaseConfig, OutboxConfig, TelegramConfig, ZaloConfig
from bot.messages import Platform
from bot.outbox.worker import OutboxWorker
from bot.services.directives import Audience, DirectiveDraft, Urgency
from bot.services.people import Actor, PeopleService, Role
from bot.storage import Acknowledgement, create_engine, session_factory
from bot.storage.migrate import upgrade_engine
from tests.adapters.conftest import make_channel, make_zalo_channel
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.zalo_api import FakeZalo

GROUP = -100900
ADMIN, MEMBER_1, MEMBER_2 = 700, 701, 702
ZALO_STAFF = "a1b2c3d4e5f6a7b8c9d0"
ZALO_GROUP = "f0e1d2c3b4a5968778695a4b"


@dataclass
class Seeded:
    """The core and the invite codes handed out before it started."""

    core: Core
    unit_id: int
    codes: dict[str, str]
    """Invite code by person key."""


@pytest.fixture
async def seeded(tmp_path: Path) -> AsyncIterator[Seeded]:
    """A migrated SQLite file: one unit, an admin and two staff (linked), one staff invited; the core."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'motcua.db'}"
    engine = create_engine(url)
    system = Actor.system()
    codes: dict[str, str] = {}
    try:
        await upgrade_engine(engine)
        people = PeopleService(session_factory(engine))
        unit = await people.create_unit(system, "Bộ phận một cửa")
        for name, role, user in (
            ("Quản Trị Viên", Role.ADMIN, ADMIN),
            ("Nguyễn Thị Một", Role.STAFF, MEMBER_1),
            ("Trần Văn Hai", Role.STAFF, MEMBER_2),
        ):
            person = await people.create_person(system, name, role, unit_id=unit.id)
            invite = await people.invite(system, person.id)
            assert (await people.redeem(invite.code, Platform.TELEGRAM, str(user), str(user))).person
        zalo_person = await people.create_person(system, "Lý Thị Zalo", Role.STAFF, unit_id=unit.id)
        codes["zalo"] = (await people.invite(system, zalo_person.id)).code
    finally:
        await engine.dispose()
    async with build_core(Config(database=DatabaseConfig(url=url))) as core:
        yield Seeded(core, unit.id, codes)


async def publish(core: Core, audience: Audience) -> int:
    """An urgent directive needing acknowledgement, published now; return its id."""
    draft = DirectiveDraft(
        title="Trực tiếp dân ngày thứ bảy",
        body="Bộ phận một cửa bố trí người trực sáng thứ bảy.",
        audience=audience,
        urgency=Urgency.KHAN,
        ack_required=True,
    )
    view = await core.services.directives.writing.create(Actor.system(), draft)
    await core.services.directives.publishing.publish(Actor.system(), view.id)
    return view.id


async def acknowledged(core: Core) -> list[tuple[str, str, str]]:
    """(chat id, how, person id) of every acknowledgement."""
    async with core.sessions() as session:
        rows = await session.execute(
            select(Acknowledgement.chat_id, Acknowledgement.how, Acknowledgement.person_id)
        )
        return sorted((c, h, str(p)) for c, h, p in rows.tuples())


async def test_telegram_group_registered_in_chat_and_acknowledged_by_two_members(
    fake: FakeTelegram, seeded: Seeded
) -> None:
    core = seeded.core
    fake.add_chat(GROUP, "supergroup")
    channel = make_channel(fake, core.dispatcher.dispatch)
    sender = TelegramSender.create(
        TelegramConfig(token=fake.token, base_url=fake.base_url, base_file_url=fake.base_file_url)
    )
    worker = OutboxWorker(
        core.sessions, {Platform.TELEGRAM: sender}, OutboxConfig(), choices=core.services.conversations
    )
    await sender.start()
    await channel.start()
    try:
        fake.push_text(GROUP, "/nhom Bộ phận một cửa", user_id=MEMBER_1, chat_type="supergroup")
        assert "chỉ quản trị viên" in (await fake.wait_messages(GROUP, 1))[0].text.lower()
        fake.push_text(GROUP, "/nhom Bộ phận một cửa", user_id=ADMIN, chat_type="supergroup")
        assert "Đã đăng ký nhóm" in (await fake.wait_messages(GROUP, 2))[1].text
        [group] = await core.services.people.groups_of(seeded.unit_id)

        directive_id = await publish(core, Audience(groups=(group.id,)))
        assert await worker.drain() == 1
        delivered = (await fake.wait_messages(GROUP, 3))[2]
        assert "CHỈ ĐẠO KHẨN" in delivered.text and "Trực tiếp dân" in delivered.text
        assert delivered.reply_markup is not None
        [[button]] = delivered.reply_markup["inline_keyboard"]
        assert button["text"] == "Đã nhận" and button["callback_data"] == f"ack:{directive_id}"

        first = fake.push_callback(GROUP, f"ack:{directive_id}", user_id=MEMBER_1)
        assert "Nguyễn Thị Một đã xác nhận" in (await fake.wait_messages(GROUP, 4))[3].text
        await fake.wait_for(lambda: first in fake.answered_callbacks)
        fake.push_callback(GROUP, f"ack:{directive_id}", user_id=MEMBER_2)
        second = (await fake.wait_messages(GROUP, 5))[4].text
        assert "Trần Văn Hai đã xác nhận" in second and "Nguyễn Thị Một, Trần Văn Hai" in second
        fake.push_callback(GROUP, f"ack:{directive_id}", user_id=MEMBER_1)
        assert "đã xác nhận lúc" in (await fake.wait_messages(GROUP, 6))[5].text
        # A stranger in the group is told plainly; nothing is recorded for them.
        fake.push_callback(GROUP, f"ack:{directive_id}", user_id=799)
        assert "chưa được đăng ký" in (await fake.wait_messages(GROUP, 7))[6].text
        # The outbox edits the directive's message to list who acknowledged.
        await worker.drain()
        edited = [m for m in fake.sent if m.chat_id == GROUP and m.message_id == delivered.message_id]
        assert "Nguyễn Thị Một, Trần Văn Hai" in edited[-1].text
    finally:
        await channel.stop()
        await sender.close()
    rows = await acknowledged(core)
    assert [(c, h) for c, h, _ in rows] == [(str(GROUP), "button"), (str(GROUP), "button")]
    assert len({p for _, _, p in rows}) == 2


async def test_zalo_links_by_code_and_acknowledges_by_number_then_keyword(
    zalo: FakeZalo, seeded: Seeded
) -> None:
    core = seeded.core
    channel = make_zalo_channel(zalo, core.dispatcher.dispatch)
    sender = ZaloSender.create(ZaloConfig(token=zalo.token, base_url=zalo.base_url))
    worker = OutboxWorker(
        core.sessions, {Platform.ZALO: sender}, OutboxConfig(), choices=core.services.conversations
    )
    await channel.start()
    try:
        zalo.push_text(ZALO_STAFF, "/dangky SAIMA23456")
        assert "không đúng" in (await zalo.wait_messages(ZALO_STAFF, 1))[0].text
        zalo.push_text(ZALO_STAFF, f"/dangky {seeded.codes['zalo']}")
        assert "Lý Thị Zalo" in (await zalo.wait_messages(ZALO_STAFF, 2))[1].text

        directive_id = await publish(core, Audience(units=(seeded.unit_id,)))
        assert await worker.drain() >= 1
        delivered = (await zalo.wait_messages(ZALO_STAFF, 3))[2].text
        assert "CHỈ ĐẠO KHẨN" in delivered and "Trả lời “đã nhận” để xác nhận" in delivered
        assert "1. Đã nhận" in delivered

        # The number of the choice the outbox worker showed (and remembered), then the words.
        zalo.push_text(ZALO_STAFF, "1")
        assert "Lý Thị Zalo đã xác nhận" in (await zalo.wait_messages(ZALO_STAFF, 4))[3].text
        zalo.push_text(ZALO_STAFF, "da nhan")
        assert "đã xác nhận lúc" in (await zalo.wait_messages(ZALO_STAFF, 5))[4].text
        # Other text still searches procedures.
        zalo.push_text(ZALO_STAFF, "đã nhận được giấy hẹn chưa")
        assert "chưa được đăng ký" not in (await zalo.wait_messages(ZALO_STAFF, 6))[5].text
    finally:
        await channel.stop()
        await sender.close()
    assert [(c, h) for c, h, _ in await acknowledged(core)] == [(ZALO_STAFF, "number")]
    assert directive_id > 0


async def test_a_zalo_group_acknowledges_by_words_and_number_without_a_mention(
    zalo: FakeZalo, seeded: Seeded
) -> None:
    core = seeded.core
    people = core.services.people
    assert people is not None
    system = Actor.system()
    for key, name, role in (("z_admin", "Quản Trị Zalo", Role.ADMIN), ("z_1", "Đỗ Văn Một", Role.STAFF)):
        person = await people.create_person(system, name, role, unit_id=seeded.unit_id)
        invite = await people.invite(system, person.id)
        assert (await people.redeem(invite.code, Platform.ZALO, key, key)).person
    assert (await people.redeem(seeded.codes["zalo"], Platform.ZALO, "z_2", "z_2")).person
    # This bot's getMe has no display name: members mention it by its account name.
    zalo.display_name = ""
    channel = make_zalo_channel(zalo, core.dispatcher.dispatch)
    sender = ZaloSender.create(ZaloConfig(token=zalo.token, base_url=zalo.base_url))
    worker = OutboxWorker(
        core.sessions, {Platform.ZALO: sender}, OutboxConfig(), choices=core.services.conversations
    )
    await channel.start()
    try:
        zalo.push_text(ZALO_GROUP, "/nhom Bộ phận một cửa", user_id="z_admin", chat_type="GROUP")
        registered = (await zalo.wait_messages(ZALO_GROUP, 1))[0].text
        assert "Đã đăng ký nhóm" in registered and "trả lời “đã nhận”" in registered
        assert "bấm" not in registered
        [group] = await people.groups_of(seeded.unit_id)
        directive_id = await publish(core, Audience(groups=(group.id,)))
        assert await worker.drain() == 1
        delivered = (await zalo.wait_messages(ZALO_GROUP, 2))[1].text
        assert "Trả lời “đã nhận” để xác nhận" in delivered and "1. Đã nhận" in delivered

        zalo.push_text(ZALO_GROUP, "đã nhận", user_id="z_1", chat_type="GROUP")
        assert "Đỗ Văn Một đã xác nhận" in (await zalo.wait_messages(ZALO_GROUP, 3))[2].text
        zalo.push_text(ZALO_GROUP, "1", user_id="z_2", chat_type="GROUP")
        assert "Lý Thị Zalo đã xác nhận" in (await zalo.wait_messages(ZALO_GROUP, 4))[3].text
        # Chatter, a number that picks nothing, and the words from someone with nothing to acknowledge.
        for text, user in (("chào cả nhà", "z_1"), ("2", "z_1"), ("đã nhận", "stranger")):
            zalo.push_text(ZALO_GROUP, text, user_id=user, chat_type="GROUP")
        zalo.push_text(
            ZALO_GROUP, f"@{zalo.account_name} đăng ký khai sinh", user_id="z_1", chat_type="GROUP"
        )
        await zalo.wait_messages(ZALO_GROUP, 5)
        assert len(zalo.messages_to(ZALO_GROUP)) == 5
    finally:
        await channel.stop()
        await sender.close()
    how = {h for c, h, _ in await acknowledged(core) if c == ZALO_GROUP}
    assert how == {"keyword", "number"} and directive_id > 0
