"""Directive service on a real SQLite file: scope, publish idempotent, quiet hours, acks, reports, cancel."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import func, select, update

from bot.messages import ChatRef, Platform
from bot.outbox import FAILED, SENT
from bot.services.directives import (
    AckOutcome,
    Audience,
    DirectiveDraft,
    DirectiveService,
    DirectiveStateError,
    InvalidDirectiveError,
    ScheduleKind,
    Status,
    Urgency,
    is_ack_keyword,
    parse_ack_payload,
)
from bot.services.people import Actor, PeopleService, PermissionDeniedError, Role
from bot.storage import AuditEntry, DirectiveRecipient, OutboxMessage, SessionFactory
from tests.directive_service import directive_service

ADMIN = Actor.system()
# 10:00 in Viet Nam (UTC+7): outside the quiet hours.
MORNING = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)


class Clock:
    """Wall time that moves only when told."""

    def __init__(self, now: datetime = MORNING) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Org:
    """Unit A: leader, three linked staff, one unlinked, a group; unit B: one Zalo staff, a group."""

    people: PeopleService
    directives: DirectiveService
    leader: Actor
    unit_a: int
    unit_b: int
    group_a: int
    group_b: int
    staff_a: list[int]
    no_account: int
    staff_b: int


async def build_org(sessions: SessionFactory, clock: Clock) -> Org:
    """Create the organisation through the services, linking accounts by invite."""
    people = PeopleService(sessions, clock=clock)
    directives = directive_service(sessions, clock=clock)
    unit_a = await people.create_unit(ADMIN, "Bộ phận một cửa")
    unit_b = await people.create_unit(ADMIN, "UBND xã")
    leader = await people.create_person(ADMIN, "Trưởng bộ phận", Role.LEADER, unit_id=unit_a.id)
    await people.redeem((await people.invite(ADMIN, leader.id)).code, Platform.TELEGRAM, "10", "10")
    staff_a = []
    for n in (11, 12, 13):
        person = await people.create_person(
            ADMIN, f"Cán bộ {n}", Role.STAFF, unit_id=unit_a.id, tags=["tiep dan"]
        )
        await people.redeem((await people.invite(ADMIN, person.id)).code, Platform.TELEGRAM, str(n), str(n))
        staff_a.append(person.id)
    no_account = await people.create_person(ADMIN, "Chưa liên kết", Role.STAFF, unit_id=unit_a.id)
    staff_b = await people.create_person(ADMIN, "Cán bộ xã", Role.STAFF, unit_id=unit_b.id, tags=["tiep dan"])
    await people.redeem((await people.invite(ADMIN, staff_b.id)).code, Platform.ZALO, "z21", "z21")
    group_a = await people.register_group(
        ADMIN, ChatRef(Platform.TELEGRAM, "-100", True), unit_a.id, "Nhóm A"
    )
    group_b = await people.register_group(
        ADMIN, ChatRef(Platform.TELEGRAM, "-200", True), unit_b.id, "Nhóm B"
    )
    return Org(
        people,
        directives,
        await people.actor(Platform.TELEGRAM, "10"),
        unit_a.id,
        unit_b.id,
        group_a.id,
        group_b.id,
        staff_a,
        no_account.id,
        staff_b.id,
    )


@pytest.fixture
def clock() -> Clock:
    """The test's clock."""
    return Clock()


@pytest.fixture
async def org(sessions: SessionFactory, clock: Clock) -> Org:
    """The organisation of :func:`build_org`."""
    return await build_org(sessions, clock)


def draft(audience: Audience, **changes: object) -> DirectiveDraft:
    """A valid directive needing acknowledgement, changed as asked."""
    base = DirectiveDraft(
        title="Họp giao ban thứ Hai",
        body="Đề nghị các đồng chí có mặt lúc 7 giờ 30.",
        audience=audience,
        ack_required=True,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


async def outbox_rows(sessions: SessionFactory) -> list[OutboxMessage]:
    """Every outbox row, oldest first."""
    async with sessions() as session:
        return list((await session.execute(select(OutboxMessage).order_by(OutboxMessage.id))).scalars())


async def test_residents_and_staff_cannot_create_or_read(org: Org) -> None:
    created = await org.directives.writing.create(ADMIN, draft(Audience(units=(org.unit_a,))))
    for actor in (
        await org.people.actor(Platform.TELEGRAM, "999"),
        await org.people.actor(Platform.TELEGRAM, "11"),
    ):
        assert actor.role in (Role.RESIDENT, Role.STAFF)
        with pytest.raises(PermissionDeniedError):
            await org.directives.writing.create(actor, draft(Audience(units=(org.unit_a,))))
        with pytest.raises(PermissionDeniedError):
            await org.directives.reports.get(actor, created.id)
        with pytest.raises(PermissionDeniedError):
            await org.directives.reports.report(actor, created.id)


async def test_a_leader_addresses_and_reads_only_their_units(org: Org) -> None:
    mine = await org.directives.writing.create(
        org.leader, draft(Audience(units=(org.unit_a,), groups=(org.group_a,)))
    )
    assert mine.created_by == org.leader.person_id
    for audience in (
        Audience(units=(org.unit_b,)),
        Audience(groups=(org.group_b,)),
        Audience(people=(org.staff_b,)),
        Audience(tags=("tiep dan",)),  # the tag reaches unit B's staff too
    ):
        with pytest.raises(PermissionDeniedError):
            await org.directives.writing.create(org.leader, draft(audience))
    theirs = await org.directives.writing.create(ADMIN, draft(Audience(units=(org.unit_b,))))
    with pytest.raises(PermissionDeniedError):
        await org.directives.reports.report(org.leader, theirs.id)
    assert [d.id for d in await org.directives.reports.recent(org.leader)] == [mine.id]
    assert {d.id for d in await org.directives.reports.recent(ADMIN)} == {mine.id, theirs.id}


async def test_drafts_are_validated(org: Org, clock: Clock) -> None:
    audience = Audience(units=(org.unit_a,))
    bad = [
        ("title", draft(audience, title="  ")),
        ("body", draft(audience, body="x" * 5000)),
        ("audience", draft(Audience())),
        ("link_url", draft(audience, link_url="javascript:alert(1)")),
        ("schedule_at", draft(audience, schedule_kind=ScheduleKind.AT, schedule_at=clock.now - timedelta(1))),
        ("schedule_at", draft(audience, schedule_kind=ScheduleKind.AT)),
        ("cron", draft(audience, schedule_kind=ScheduleKind.CRON, cron="61 7 * * 1")),
        ("cron", draft(audience, schedule_kind=ScheduleKind.CRON, cron="every monday")),
        ("cron", draft(audience, cron="30 7 * * 1")),
        ("timezone", draft(audience, timezone="Mars/Olympus")),
        ("ack_deadline", draft(audience, ack_deadline=clock.now - timedelta(hours=1))),
    ]
    for field, candidate in bad:
        with pytest.raises(InvalidDirectiveError) as caught:
            await org.directives.writing.create(ADMIN, candidate)
        assert caught.value.field == field
    with pytest.raises(InvalidDirectiveError):
        Audience.from_json({"units": ["x"]})
    with pytest.raises(InvalidDirectiveError):
        Audience.from_json({"everyone": True})
    assert Audience.from_json({"units": [2, "1", 2], "tags": [" Tiep Dan "]}) == Audience(
        (1, 2), ("tiep dan",)
    )


async def test_a_unit_reaches_its_registered_groups_unless_they_are_left_out(org: Org) -> None:
    with_groups = await org.directives.writing.preview(ADMIN, Audience(units=(org.unit_b,)))
    # Unit B: one staff on Zalo, and the group registered for it.
    assert (with_groups.chats, with_groups.people, with_groups.groups) == (2, 1, 1)
    without = await org.directives.writing.preview(ADMIN, Audience(units=(org.unit_b,), unit_groups=False))
    assert (without.chats, without.people, without.groups) == (1, 1, 0)
    assert Audience.from_json({"units": [1]}).unit_groups is True
    assert Audience.from_json(Audience(units=(1,), unit_groups=False).to_json()).unit_groups is False


async def test_preview_counts_and_publish_is_idempotent(org: Org, sessions: SessionFactory) -> None:
    audience = Audience(units=(org.unit_a,), groups=(org.group_a, org.group_b), people=(org.staff_b,))
    preview = await org.directives.writing.preview(ADMIN, audience)
    # Unit A: leader and three staff linked, one not; staff B on Zalo; two groups.
    assert (preview.chats, preview.people, preview.groups, preview.unreachable) == (7, 5, 2, 1)
    created = await org.directives.writing.create(ADMIN, draft(audience))

    first = await org.directives.publishing.publish(ADMIN, created.id)
    again = await org.directives.publishing.publish(ADMIN, created.id)

    assert (first.queued, first.chats, first.unreachable) == (7, 7, 1)
    assert (again.queued, again.chats) == (0, 7)
    rows = await outbox_rows(sessions)
    assert len(rows) == 7
    assert {r.key for r in rows} >= {
        f"directive:{created.id}:once:telegram:-100",
        f"directive:{created.id}:once:zalo:z21",
    }
    assert all(r.kind == "directive" and r.ref == str(created.id) for r in rows)
    assert rows[0].payload["buttons"] == [["Đã nhận", f"ack:{created.id}"]]
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(DirectiveRecipient)) == 8
        actions = list((await session.execute(select(AuditEntry.action))).scalars())
    assert actions.count("directive.publish") == 2 and "directive.create" in actions
    assert (await org.directives.reports.get(ADMIN, created.id)).status is Status.SENDING


async def test_quiet_hours_hold_normal_directives_until_morning_but_not_urgent_ones(
    org: Org, sessions: SessionFactory, clock: Clock
) -> None:
    clock.now = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)  # 22:00 in Viet Nam
    audience = Audience(people=(org.staff_a[0],))
    normal = await org.directives.writing.create(ADMIN, draft(audience))
    urgent = await org.directives.writing.create(
        ADMIN, draft(audience, urgency=Urgency.KHAN, title="Khẩn: bão")
    )
    held = await org.directives.publishing.publish(ADMIN, normal.id)
    now = await org.directives.publishing.publish(ADMIN, urgent.id)
    assert held.due_at == datetime(2026, 11, 23, 23, 30, tzinfo=UTC)  # 06:30 the next morning
    assert now.due_at == clock.now
    assert {r.due_at for r in await outbox_rows(sessions)} == {held.due_at, clock.now}
    early = datetime(2026, 11, 23, 22, 0, tzinfo=UTC)  # 05:00 in Viet Nam
    assert org.directives.settings.release_time(early, Urgency.THUONG) == datetime(
        2026, 11, 23, 23, 30, tzinfo=UTC
    )
    day = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)
    assert org.directives.settings.release_time(day, Urgency.THUONG) == day
    silent = directive_service(sessions, clock=clock, quiet_start=time(0), quiet_end=time(0))
    assert silent.settings.release_time(clock.now, Urgency.THUONG) == clock.now


async def test_acknowledge_in_private_and_in_a_group_each_member_for_themselves(org: Org) -> None:
    created = await org.directives.writing.create(
        ADMIN, draft(Audience(people=(org.staff_a[0],), groups=(org.group_a,)))
    )
    await org.directives.publishing.publish(ADMIN, created.id)
    private = ChatRef(Platform.TELEGRAM, "11")
    group = ChatRef(Platform.TELEGRAM, "-100", True)

    by_button = await org.directives.acks.acknowledge(
        Platform.TELEGRAM, "11", private, directive_id=created.id
    )
    twice = await org.directives.acks.acknowledge(Platform.TELEGRAM, "11", group, directive_id=created.id)
    in_group = await org.directives.acks.acknowledge(Platform.TELEGRAM, "12", group, directive_id=created.id)
    by_keyword = await org.directives.acks.acknowledge(Platform.TELEGRAM, "13", group, how="keyword")
    stranger = await org.directives.acks.acknowledge(Platform.TELEGRAM, "999", group, directive_id=created.id)
    elsewhere = await org.directives.acks.acknowledge(
        Platform.TELEGRAM, "12", ChatRef(Platform.TELEGRAM, "12"), directive_id=created.id
    )

    assert by_button.outcome is AckOutcome.RECORDED
    assert twice.outcome is AckOutcome.ALREADY
    assert in_group.outcome is AckOutcome.RECORDED and in_group.acknowledged_by == ("Cán bộ 12",)
    assert by_keyword.outcome is AckOutcome.RECORDED and by_keyword.directive_id == created.id
    assert by_keyword.acknowledged_by == ("Cán bộ 12", "Cán bộ 13")
    assert stranger.outcome is AckOutcome.NOT_REGISTERED
    assert elsewhere.outcome is AckOutcome.NOT_A_RECIPIENT
    pending = await org.directives.acks.pending(created.id)
    # Unit A's members (the group) and the private recipient: the leader and the unlinked one remain.
    assert {p.person_id for p in pending} == {org.leader.person_id, org.no_account}
    missing = await org.directives.acks.acknowledge(Platform.TELEGRAM, "11", private, directive_id=10**6)
    assert missing.outcome is AckOutcome.NOT_FOUND


def test_ack_payloads_and_keywords() -> None:
    assert parse_ack_payload("ack:12") == 12
    for bad in (None, "", "ack:", "ack:-1", "ack:1x", "rate:3", "ack:" + "9" * 40):
        assert parse_ack_payload(bad) is None
    for text in ("đã nhận", "Da nhan", "ĐÃ NHẬN.", "  đã   nhận!"):
        assert is_ack_keyword(text)
    assert not is_ack_keyword("chưa nhận")


async def test_report_on_a_small_known_case(org: Org, sessions: SessionFactory, clock: Clock) -> None:
    audience = Audience(units=(org.unit_a,), groups=(org.group_b,), unit_groups=False)
    created = await org.directives.writing.create(ADMIN, draft(audience))
    await org.directives.publishing.publish(ADMIN, created.id)
    base = f"directive:{created.id}:once:telegram:"
    async with sessions() as session, session.begin():
        # 10 and 11 delivered (11 twice: a possible duplicate), 12 blocked, 13 and the group still waiting.
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.key.in_([base + "10", base + "11"]))
            .values(status=SENT, sent_at=clock.now, attempts=1)
        )
        await session.execute(
            update(OutboxMessage).where(OutboxMessage.key == base + "11").values(attempts=2)
        )
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.key == base + "12")
            .values(status=FAILED, error="403: Forbidden: bot was blocked by the user", attempts=1)
        )
    await org.directives.acks.acknowledge(
        Platform.TELEGRAM, "11", ChatRef(Platform.TELEGRAM, "11"), directive_id=created.id
    )

    report = await org.directives.reports.report(org.leader, created.id)

    by_name = {line.name: line for line in report.recipients}
    assert by_name["Trưởng bộ phận"].status == "delivered"
    assert by_name["Cán bộ 11"].possible_duplicate
    assert (by_name["Cán bộ 12"].status, by_name["Cán bộ 12"].reason) == (
        "failed",
        "403: Forbidden: bot was blocked by the user",
    )
    assert by_name["Cán bộ 13"].status == "pending"
    assert by_name["Chưa liên kết"].status == "unreachable" and by_name["Chưa liên kết"].chat is None
    assert by_name["Nhóm B"].status == "pending" and by_name["Nhóm B"].chat == ChatRef(
        Platform.TELEGRAM, "-200", True
    )
    units = {u.name: u for u in report.units}
    a, b = units["Bộ phận một cửa"], units["UBND xã"]
    assert (a.delivered, a.failed, a.pending, a.unreachable, a.expected_acks, a.acknowledged) == (
        2,
        1,
        1,
        1,
        5,
        1,
    )
    assert (b.delivered, b.pending, b.expected_acks, b.acknowledged) == (0, 1, 1, 0)
    assert (
        report.stats.sent,
        report.stats.failed,
        report.stats.pending,
        report.stats.possible_duplicates,
    ) == (
        2,
        1,
        2,
        1,
    )
    assert len(report.pending_acks) == 5


async def test_cancel_stops_waiting_rows_and_refuses_publishing(org: Org, sessions: SessionFactory) -> None:
    created = await org.directives.writing.create(org.leader, draft(Audience(units=(org.unit_a,))))
    await org.directives.publishing.publish(org.leader, created.id)
    other_leader_view = await org.people.actor(Platform.TELEGRAM, "11")
    with pytest.raises(PermissionDeniedError):
        await org.directives.publishing.cancel(other_leader_view, created.id)

    # Four private chats and the unit's group.
    assert await org.directives.publishing.cancel(org.leader, created.id) == 5
    assert await org.directives.publishing.cancel(org.leader, created.id) == 0
    assert {(r.status, r.error) for r in await outbox_rows(sessions)} == {(FAILED, "cancelled")}
    with pytest.raises(DirectiveStateError):
        await org.directives.publishing.publish(ADMIN, created.id)
    ack = await org.directives.acks.acknowledge(
        Platform.TELEGRAM, "11", ChatRef(Platform.TELEGRAM, "11"), directive_id=created.id
    )
    assert ack.outcome is AckOutcome.CANCELLED
    report = await org.directives.reports.report(ADMIN, created.id)
    assert {line.reason for line in report.recipients if line.chat is not None} == {"cancelled"}


async def test_scheduled_one_off_is_queued_for_its_time(
    org: Org, sessions: SessionFactory, clock: Clock
) -> None:
    at = clock.now + timedelta(hours=2)
    created = await org.directives.writing.create(
        ADMIN, draft(Audience(people=(org.staff_a[0],)), schedule_kind=ScheduleKind.AT, schedule_at=at)
    )
    result = await org.directives.publishing.publish(ADMIN, created.id)
    assert result.due_at == at
    assert [r.due_at for r in await outbox_rows(sessions)] == [at]


async def test_recurring_directive_runs_once_per_occurrence_and_catches_up_once(
    org: Org, sessions: SessionFactory, clock: Clock
) -> None:
    created = await org.directives.writing.create(
        ADMIN,
        draft(Audience(people=(org.staff_a[0],)), schedule_kind=ScheduleKind.CRON, cron="30 7 * * mon"),
    )
    armed = await org.directives.publishing.publish(ADMIN, created.id)
    monday = datetime(2026, 11, 30, 0, 30, tzinfo=UTC)  # Monday 07:30 in Viet Nam (23 Nov 10:00 was a Monday)
    assert armed.queued == 0 and armed.due_at == monday
    assert await org.directives.publishing.armed() == [(created.id, monday)]
    assert await org.directives.publishing.run_due() == []

    # The bot was down for three Mondays: one occurrence is sent when it comes back, then it is re-armed.
    clock.now = monday + timedelta(days=14, hours=1)
    [result] = await org.directives.publishing.run_due()
    assert (result.occurrence, result.queued) == ("20261130T0730", 1)
    assert await org.directives.publishing.run_due() == []
    assert await org.directives.publishing.armed() == [(created.id, monday + timedelta(days=21))]
    assert len(await outbox_rows(sessions)) == 1
    ack = await org.directives.acks.acknowledge(
        Platform.TELEGRAM, "11", ChatRef(Platform.TELEGRAM, "11"), how="keyword"
    )
    assert ack.outcome is AckOutcome.RECORDED
    assert await org.directives.acks.pending(created.id) == []
