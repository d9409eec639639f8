"""Onboarding (/dangky, the /start invite link), group registration (/nhom) and the staff help in the chat."""

from __future__ import annotations

import re
from datetime import timedelta

from bot import texts
from bot.markup import to_plain
from bot.messages import ChatRef, Platform
from bot.services.people import Actor, Role
from tests.handlers.office import (
    ADMIN,
    LEADER_A,
    LEADER_B,
    RESIDENT,
    STAFF_1,
    Office,
    later,
    office,
)

__all__ = ["office"]

GROUP = "-100500"


async def new_person(office: Office, name: str = "Đỗ Thị Mới") -> tuple[int, str]:
    """A fresh staff member of unit A with an invite code."""
    person = await office.people.create_person(Actor.system(), name, Role.STAFF, unit_id=office.ids["unit_a"])
    invite = await office.people.invite(Actor.system(), person.id, ttl=timedelta(days=1))
    return person.id, invite.code


async def test_dangky_links_the_account_and_says_who_and_where(office: Office) -> None:
    person_id, code = await new_person(office)
    answer = await office.one(f"/dangky {code.lower()}", user="555")
    assert "Đỗ Thị Mới" in answer and "cán bộ" in answer and "Bộ phận một cửa" in answer
    actor = await office.people.actor(Platform.TELEGRAM, "555")
    assert actor.person_id == person_id and actor.role is Role.STAFF


async def test_an_admin_with_no_unit_is_told_only_directives_by_name_reach_them(office: Office) -> None:
    admin = await office.people.create_person(Actor.system(), "Quản Trị Hai", Role.ADMIN)
    invite = await office.people.invite(Actor.system(), admin.id)
    answer = await office.one(f"/dangky {invite.code}", user="556")
    assert "chưa thuộc đơn vị nào" in answer and "gửi đích danh" in answer and "/chidao" in answer
    assert "nhận chỉ đạo qua cuộc trò chuyện này" not in answer
    _, code = await new_person(office)
    staff = await office.one(f"/dangky {code}", user="557")
    assert "chỉ đạo gửi cho đơn vị" in staff and "/chidao" not in staff


async def test_nhom_tells_telegram_members_to_press_the_button(office: Office) -> None:
    reply = await office.one("/nhom Bộ phận một cửa", user=ADMIN, chat=GROUP, group=True)
    assert "bấm Đã nhận" in reply


async def test_wrong_used_expired_and_already_linked_codes_each_get_their_own_answer(office: Office) -> None:
    _, code = await new_person(office)
    wrong = await office.one("/dangky ABCDEFGH23", user="555")
    assert await office.one(f"/dangky {code}", user="555") != wrong
    used = await office.one(f"/dangky {code}", user="556")
    _, expiring = await new_person(office, "Vũ Văn Hạn")
    later(office, days=2)
    expired = await office.one(f"/dangky {expiring}", user="557")
    _, other = await new_person(office, "Mai Thị Khác")
    # 555 is already someone else: the code of another person cannot take the account over.
    already = await office.one(f"/dangky {other}", user="555")
    assert wrong == to_plain(texts.REGISTER_WRONG)
    assert used == to_plain(texts.REGISTER_USED)
    assert expired == to_plain(texts.REGISTER_EXPIRED)
    assert already == to_plain(texts.REGISTER_ALREADY_LINKED)
    assert len({wrong, used, expired, already}) == 4
    assert (await office.people.actor(Platform.TELEGRAM, "556")).role is Role.RESIDENT
    assert (await office.people.actor(Platform.TELEGRAM, "557")).role is Role.RESIDENT


async def test_dangky_without_a_code_or_with_junk_explains_and_links_nothing(office: Office) -> None:
    assert "/dangky" in await office.one("/dangky", user="555")
    assert await office.one("/dangky " + "x" * 500, user="555") == to_plain(texts.REGISTER_WRONG)
    assert await office.one("/dangky '; drop table people; --", user="555") == to_plain(texts.REGISTER_WRONG)
    assert (await office.people.actor(Platform.TELEGRAM, "555")).role is Role.RESIDENT


async def test_dangky_in_a_group_asks_for_a_private_chat_and_keeps_the_code(office: Office) -> None:
    person_id, code = await new_person(office)
    answer = await office.one(f"/dangky {code}", user="555", chat=GROUP, group=True)
    assert "nhắn riêng" in answer
    assert "Đỗ Thị Mới" in await office.one(f"/dangky {code}", user="555")
    assert (await office.people.actor(Platform.TELEGRAM, "555")).person_id == person_id


async def test_the_start_deep_link_with_an_invite_code_is_dangky(office: Office) -> None:
    person_id, code = await new_person(office)
    assert "Đỗ Thị Mới" in await office.one(f"/start {code}", user="555")
    assert (await office.people.actor(Platform.TELEGRAM, "555")).person_id == person_id
    # A plain /start still welcomes; a procedure link still opens its card.
    assert "Xin chào" in await office.one("/start", user="556")
    assert "Đăng ký khai sinh" in await office.one("/start p_1_001193", user="556")


async def test_a_used_code_by_deep_link_says_used(office: Office) -> None:
    _, code = await new_person(office)
    await office.one(f"/start {code}", user="555")
    assert await office.one(f"/start {code}", user="556") == to_plain(texts.REGISTER_USED)


async def groups(office: Office, unit: str) -> list[tuple[str, str]]:
    """(chat id, title) of a unit's registered groups."""
    return [(g.chat.chat_id, g.title) for g in await office.people.groups_of(office.ids[unit])]


async def test_nhom_is_refused_by_role_and_registers_for_an_admin_or_the_units_leader(office: Office) -> None:
    refused = to_plain(texts.GROUP_REFUSED)
    assert await office.one("/nhom Bộ phận một cửa", user=RESIDENT, chat=GROUP, group=True) == refused
    assert await office.one("/nhom Bộ phận một cửa", user=STAFF_1, chat=GROUP, group=True) == refused
    assert await office.one("/nhom Bộ phận một cửa", user=LEADER_B, chat=GROUP, group=True) == refused
    assert await groups(office, "unit_a") == []

    answer = await office.one("/nhom bộ phận MỘT CỬA", user=LEADER_A, chat=GROUP, group=True)
    assert "Đã đăng ký nhóm" in answer and "Bộ phận một cửa" in answer
    assert await groups(office, "unit_a") == [(GROUP, "Nhóm Bộ phận một cửa")]

    # An admin re-points the same group to another unit.
    assert "UBND xã" in await office.one("/nhom UBND xã", user=ADMIN, chat=GROUP, group=True)
    assert await groups(office, "unit_a") == [] and [c for c, _ in await groups(office, "unit_b")] == [GROUP]


async def test_nhom_outside_a_group_unknown_unit_and_no_name(office: Office) -> None:
    assert await office.one("/nhom UBND xã", user=ADMIN) == to_plain(texts.GROUP_ONLY_IN_GROUP)
    unknown = await office.one("/nhom Phòng <không có>", user=ADMIN, chat=GROUP, group=True)
    assert "Không tìm thấy đơn vị" in unknown and "<không có>" in unknown
    assert "/nhom" in await office.one("/nhom", user=ADMIN, chat=GROUP, group=True)
    # A resident learns nothing about which units exist.
    assert await office.one("/nhom Phòng X", user=RESIDENT, chat=GROUP, group=True) == to_plain(
        texts.GROUP_REFUSED
    )
    assert await office.people.groups_of(office.ids["unit_b"]) == []
    assert ChatRef(Platform.TELEGRAM, GROUP, True).key == f"telegram:{GROUP}"


async def test_help_shows_the_staff_section_only_to_staff_and_the_leader_lines_to_leaders(
    office: Office,
) -> None:
    resident = await office.one("/help", user=RESIDENT)
    staff = await office.one("/help", user=STAFF_1)
    leader = await office.one("/help", user=LEADER_A)
    admin = await office.one("/trogiup", user=ADMIN)
    assert "/hoso" in resident and "Dành cho cán bộ" not in resident and "/chidao" not in resident
    assert "Dành cho cán bộ" in staff and "/chidao" not in staff
    assert "Dành cho cán bộ" in leader and "/chidao" in leader and "/baocao" in leader
    assert "/chidao" in admin


async def test_moi_gives_a_leader_a_code_the_new_person_can_redeem(office: Office) -> None:
    answer = await office.one("/moi Lê Thị Mời; cán bộ; Bộ phận một cửa", user=LEADER_A)
    assert "Lê Thị Mời" in answer and "cán bộ" in answer
    [code] = re.findall(r"/dangky ([A-Z0-9]{10})", answer)
    linked = await office.one(f"/dangky {code}", user="777")
    assert "Lê Thị Mời" in linked
    actor = await office.people.actor(Platform.TELEGRAM, "777")
    assert actor.role is Role.STAFF


async def test_moi_is_refused_to_residents_staff_in_groups_and_outside_a_leaders_units(
    office: Office,
) -> None:
    refused = to_plain(texts.INVITE_REFUSED)
    for user in (RESIDENT, STAFF_1):
        assert await office.one("/moi Ai Đó; cán bộ; Bộ phận một cửa", user=user) == refused
    in_group = await office.one("/moi Ai Đó; cán bộ", user=ADMIN, chat=GROUP, group=True)
    assert in_group == to_plain(texts.INVITE_IN_PRIVATE)
    # Leader B does not lead unit A: no code, nobody created.
    before = len(await office.people.directory())
    assert await office.one("/moi Ai Đó; cán bộ; Bộ phận một cửa", user=LEADER_B) == refused
    assert len(await office.people.directory()) == before


async def test_moi_explains_bad_input_and_creates_nothing(office: Office) -> None:
    before = len(await office.people.directory())
    assert await office.one("/moi", user=ADMIN) == to_plain(texts.INVITE_USAGE)
    assert await office.one("/moi chỉ một phần", user=ADMIN) == to_plain(texts.INVITE_USAGE)
    assert "phi công" in await office.one("/moi Ai Đó; phi công", user=ADMIN)
    assert "Không Có" in await office.one("/moi Ai Đó; cán bộ; Không Có", user=ADMIN)
    assert len(await office.people.directory()) == before
