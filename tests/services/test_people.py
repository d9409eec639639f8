"""People service on SQLite: roles by platform id, invites (wrong, used, expired), groups, permissions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.messages import ChatRef, Platform
from bot.outbox import RecipientChange
from bot.services.people import (
    Actor,
    PeopleService,
    PermissionDeniedError,
    RedeemOutcome,
    Role,
    hash_code,
    new_code,
    recipient_changed,
)
from bot.storage import AuditEntry, ChatGroup, Invite, PlatformAccount, SessionFactory

ADMIN = Actor.system()


class Clock:
    """Wall time that moves only when told."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    """The test's clock."""
    return Clock()


@pytest.fixture
def people(sessions: SessionFactory, clock: Clock) -> PeopleService:
    """The service over the test database."""
    return PeopleService(sessions, clock=clock)


async def test_invite_links_the_account_by_platform_id_with_role_and_unit(people: PeopleService) -> None:
    unit = await people.create_unit(ADMIN, "Bộ phận một cửa", tags=["Một cửa"])
    person = await people.create_person(ADMIN, "Nguyễn Văn An", Role.STAFF, unit_id=unit.id)
    invite = await people.invite(ADMIN, person.id)
    assert len(invite.code) == 10
    assert (await people.actor(Platform.TELEGRAM, "555")).role is Role.RESIDENT

    result = await people.redeem(invite.code.lower(), Platform.TELEGRAM, "555", "555")

    assert result.outcome is RedeemOutcome.LINKED
    assert result.person is not None and result.person.id == person.id
    actor = await people.actor(Platform.TELEGRAM, "555")
    assert (actor.person_id, actor.role) == (person.id, Role.STAFF)
    assert (await people.actor(Platform.ZALO, "555")).role is Role.RESIDENT, "platforms are separate"
    assert unit.tags == ("một cửa",)


async def test_wrong_used_and_expired_codes_are_told_apart(
    people: PeopleService, sessions: SessionFactory, clock: Clock
) -> None:
    a = await people.create_person(ADMIN, "A", Role.STAFF)
    b = await people.create_person(ADMIN, "B", Role.STAFF)
    used = await people.invite(ADMIN, a.id)
    expiring = await people.invite(ADMIN, b.id, ttl=timedelta(hours=1))
    assert (await people.redeem(used.code, Platform.TELEGRAM, "1", "1")).outcome is RedeemOutcome.LINKED

    assert (await people.redeem(used.code, Platform.TELEGRAM, "2", "2")).outcome is RedeemOutcome.USED
    assert (await people.redeem(new_code(), Platform.TELEGRAM, "2", "2")).outcome is RedeemOutcome.WRONG
    assert (await people.redeem("", Platform.TELEGRAM, "2", "2")).outcome is RedeemOutcome.WRONG
    assert (await people.redeem("x" * 500, Platform.TELEGRAM, "2", "2")).outcome is RedeemOutcome.WRONG
    clock.now += timedelta(hours=1)
    assert (await people.redeem(expiring.code, Platform.TELEGRAM, "2", "2")).outcome is RedeemOutcome.EXPIRED
    assert (await people.actor(Platform.TELEGRAM, "2")).role is Role.RESIDENT
    async with sessions() as session:
        hashes = set((await session.execute(select(Invite.code_hash))).scalars())
    assert hash_code(used.code) in hashes and used.code not in hashes, "only the hash is stored"


async def test_an_account_linked_to_someone_cannot_take_another_invite(people: PeopleService) -> None:
    a = await people.create_person(ADMIN, "A", Role.STAFF)
    b = await people.create_person(ADMIN, "B", Role.ADMIN)
    await people.redeem((await people.invite(ADMIN, a.id)).code, Platform.ZALO, "abc", "abc")
    second = await people.redeem((await people.invite(ADMIN, b.id)).code, Platform.ZALO, "abc", "abc")
    assert second.outcome is RedeemOutcome.ALREADY_LINKED
    assert (await people.actor(Platform.ZALO, "abc")).role is Role.STAFF


async def test_roles_come_from_the_platform_id_never_from_the_name(people: PeopleService) -> None:
    boss = await people.create_person(ADMIN, "Chủ tịch xã", Role.ADMIN)
    await people.redeem((await people.invite(ADMIN, boss.id)).code, Platform.TELEGRAM, "42", "42")
    assert (await people.actor(Platform.TELEGRAM, "42")).is_admin
    assert (await people.actor(Platform.TELEGRAM, "43")).role is Role.RESIDENT
    assert await people.person_for(Platform.TELEGRAM, "Chủ tịch xã") is None


async def test_leaders_manage_only_their_units_and_residents_nothing(people: PeopleService) -> None:
    mine = await people.create_unit(ADMIN, "UBND xã")
    other = await people.create_unit(ADMIN, "Tổ công nghệ số cộng đồng số 2")
    leader = await people.create_person(ADMIN, "Trưởng", Role.LEADER, unit_id=mine.id)
    await people.redeem((await people.invite(ADMIN, leader.id)).code, Platform.TELEGRAM, "7", "7")
    actor = await people.actor(Platform.TELEGRAM, "7")
    assert actor.unit_ids == {mine.id}

    staff = await people.create_person(actor, "Cán bộ", Role.STAFF, unit_id=mine.id)
    assert staff.unit_id == mine.id
    with pytest.raises(PermissionDeniedError):
        await people.create_person(actor, "Người khác", Role.STAFF, unit_id=other.id)
    with pytest.raises(PermissionDeniedError):
        await people.create_person(actor, "Quản trị", Role.ADMIN, unit_id=mine.id)
    with pytest.raises(PermissionDeniedError):
        await people.create_unit(actor, "Đơn vị mới")
    resident = await people.actor(Platform.TELEGRAM, "999")
    with pytest.raises(PermissionDeniedError):
        await people.invite(resident, staff.id)
    await people.set_unit_leader(ADMIN, other.id, leader.id)
    assert (await people.actor(Platform.TELEGRAM, "7")).unit_ids == {mine.id, other.id}


async def test_group_registration_by_admin_or_the_units_leader(
    people: PeopleService, sessions: SessionFactory
) -> None:
    unit = await people.create_unit(ADMIN, "Bộ phận một cửa")
    other = await people.create_unit(ADMIN, "UBND xã")
    leader = await people.create_person(ADMIN, "Trưởng", Role.LEADER, unit_id=unit.id)
    await people.redeem((await people.invite(ADMIN, leader.id)).code, Platform.TELEGRAM, "7", "7")
    actor = await people.actor(Platform.TELEGRAM, "7")
    group = ChatRef(Platform.TELEGRAM, "-100", True)

    view = await people.register_group(actor, group, unit.id, "Nhóm một cửa")
    assert (view.chat, view.unit_id, view.title) == (group, unit.id, "Nhóm một cửa")
    with pytest.raises(PermissionDeniedError):
        await people.register_group(actor, group, other.id)
    with pytest.raises(PermissionDeniedError):
        await people.register_group(actor, ChatRef(Platform.TELEGRAM, "7"), unit.id)
    again = await people.register_group(ADMIN, group, other.id)
    assert again.id == view.id and again.unit_id == other.id and again.title == "Nhóm một cửa"
    assert (await people.unit_by_name("ubnd XÃ")) is not None

    async with sessions() as session, session.begin():
        await recipient_changed(session, RecipientChange(Platform.TELEGRAM, "-100", "migrated", "-100999"))
    assert [g.chat.chat_id for g in await people.groups_of(other.id)] == ["-100999"]
    async with sessions() as session:
        actions = list((await session.execute(select(AuditEntry.action).order_by(AuditEntry.id))).scalars())
    assert actions.count("group.register") == 2 and "invite.redeem" in actions


async def test_a_blocked_chat_makes_the_account_inactive(
    people: PeopleService, sessions: SessionFactory
) -> None:
    person = await people.create_person(ADMIN, "A", Role.STAFF)
    await people.redeem((await people.invite(ADMIN, person.id)).code, Platform.TELEGRAM, "5", "5")
    group_unit = await people.create_unit(ADMIN, "Tổ")
    await people.register_group(ADMIN, ChatRef(Platform.TELEGRAM, "-5", True), group_unit.id)
    async with sessions() as session, session.begin():
        await recipient_changed(session, RecipientChange(Platform.TELEGRAM, "5", "403: blocked"))
        await recipient_changed(session, RecipientChange(Platform.TELEGRAM, "-5", "403: kicked"))
    async with sessions() as session:
        assert (await session.execute(select(PlatformAccount.active))).scalar_one() is False
        assert (await session.execute(select(ChatGroup.active))).scalar_one() is False
