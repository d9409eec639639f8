"""Reminders, escalation, the acknowledgement edit on Telegram, and a blocked chat in the report."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select, update

from bot.messages import ChatRef, Platform
from bot.outbox import SENT, OutboxStore
from bot.services.directives import Audience, InvalidDirectiveError, RemindResult, Urgency
from bot.services.people import Actor, recipient_changed
from bot.storage import DirectiveReminder, OutboxMessage, PlatformAccount, SessionFactory
from tests.directive_service import directive_service
from tests.services.test_directives import MORNING, Clock, Org, build_org, draft, outbox_rows

ADMIN = Actor.system()


async def mark_all_sent(sessions: SessionFactory, at: datetime) -> None:
    """Pretend the worker delivered every waiting row at ``at``."""
    async with sessions() as session, session.begin():
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.status == "pending")
            .values(status=SENT, sent_at=at, attempts=1, message_id="1")
        )


async def rows_of(sessions: SessionFactory, kind: str) -> list[OutboxMessage]:
    """Outbox rows of one kind, oldest first."""
    return [r for r in await outbox_rows(sessions) if r.kind == kind]


async def test_reminders_at_intervals_then_one_escalation_each_exactly_once(
    sessions: SessionFactory,
) -> None:
    clock = Clock(MORNING)
    org: Org = await build_org(sessions, clock)
    service = directive_service(sessions, clock=clock, reminder_minutes=(60, 240), escalate_after=2)
    created = await service.writing.create(
        ADMIN, draft(Audience(people=(org.staff_a[0],), groups=(org.group_a,)), urgency=Urgency.KHAN)
    )
    await service.publishing.publish(ADMIN, created.id)
    await mark_all_sent(sessions, MORNING)
    group = ChatRef(Platform.TELEGRAM, "-100", True)
    await service.acks.acknowledge(Platform.TELEGRAM, "12", group, directive_id=created.id)

    clock.now = MORNING + timedelta(minutes=59)
    assert (await service.reminders.remind_due()).reminders == 0

    # First reminder: privately to 11, 13 and the leader; in the group for the member with no chat.
    clock.now = MORNING + timedelta(minutes=60)
    first = await service.reminders.remind_due()
    assert first.reminders == 4 and first.escalations == 0
    assert (await service.reminders.remind_due()).reminders == 0
    reminders = await rows_of(sessions, "directive-reminder")
    assert sorted(r.chat_id for r in reminders) == ["-100", "10", "11", "13"]
    [in_group] = [r for r in reminders if r.chat_id == "-100"]
    assert "Chưa liên kết" in in_group.payload["text"]

    await service.acks.acknowledge(Platform.TELEGRAM, "13", ChatRef(Platform.TELEGRAM, "13"))
    clock.now = MORNING + timedelta(minutes=240)
    second = await service.reminders.remind_due()
    assert second.reminders == 3 and second.escalations == 0
    clock.now = MORNING + timedelta(minutes=419)
    assert await service.reminders.remind_due() == type(first)()

    # One gap after the second reminder the leader hears who is missing, once.
    clock.now = MORNING + timedelta(minutes=420)
    escalated = await service.reminders.remind_due()
    assert escalated.escalations == 1 and escalated.reminders == 0
    clock.now = MORNING + timedelta(hours=20)
    assert (await service.reminders.remind_due()).escalations == 0
    [escalation] = await rows_of(sessions, "directive-escalation")
    assert escalation.chat_id == "10"
    assert "Cán bộ 11" in escalation.payload["text"] and "Chưa liên kết" in escalation.payload["text"]
    assert "Cán bộ 13" not in escalation.payload["text"] and "Cán bộ 12" not in escalation.payload["text"]

    async with sessions() as session:
        recorded = (
            await session.execute(select(DirectiveReminder.person_id, DirectiveReminder.number))
        ).all()
    by_number = {n: sorted(p for p, m in recorded if m == n) for n in (1, 2)}
    assert len(by_number[1]) == 4 and len(by_number[2]) == 3
    assert org.staff_a[2] in by_number[1] and org.staff_a[2] not in by_number[2]


async def test_a_directive_with_its_own_reminders_follows_them_not_the_configured_ones(
    sessions: SessionFactory,
) -> None:
    clock = Clock(MORNING)
    org = await build_org(sessions, clock)
    service = directive_service(sessions, clock=clock, reminder_minutes=(60, 240), escalate_after=2)
    audience = Audience(people=(org.staff_a[0],))
    own = draft(audience, urgency=Urgency.KHAN, reminder_minutes=(30,), escalate_after=1)
    created = await service.writing.create(ADMIN, own)
    assert (created.reminder_minutes, created.escalate_after) == ((30,), 1)
    silent = await service.writing.create(ADMIN, draft(audience, urgency=Urgency.KHAN, reminder_minutes=()))
    for directive in (created, silent):
        await service.publishing.publish(ADMIN, directive.id)
    await mark_all_sent(sessions, MORNING)
    clock.now = MORNING + timedelta(minutes=30)
    # The first directive's one reminder; the second has none, and the configured hour has not come.
    assert (await service.reminders.remind_due()).reminders == 1
    clock.now = MORNING + timedelta(minutes=59)
    assert await service.reminders.remind_due() == type(await service.reminders.remind_due())()
    # One gap after its only reminder, the leader hears.
    clock.now = MORNING + timedelta(minutes=60)
    assert await service.reminders.remind_due() == RemindResult(reminders=0, escalations=1)
    reminders = await rows_of(sessions, "directive-reminder")
    assert [r.ref for r in reminders] == [str(created.id)]


async def test_a_directives_reminders_are_checked(sessions: SessionFactory) -> None:
    org = await build_org(sessions, Clock(MORNING))
    service = directive_service(sessions, clock=Clock(MORNING))
    audience = Audience(people=(org.staff_a[0],))
    bad = [
        ("reminder_minutes", draft(audience, reminder_minutes=(0,))),
        ("reminder_minutes", draft(audience, reminder_minutes=(60 * 24 * 8,))),
        ("reminder_minutes", draft(audience, reminder_minutes=tuple(range(1, 8)))),
        ("escalate_after", draft(audience, reminder_minutes=(30,), escalate_after=2)),
        ("escalate_after", draft(audience, escalate_after=3)),
        ("reminder_minutes", draft(audience, ack_required=False, ack_deadline=None, reminder_minutes=(30,))),
    ]
    for field, candidate in bad:
        with pytest.raises(InvalidDirectiveError) as caught:
            await service.writing.create(ADMIN, candidate)
        assert caught.value.field == field
    stored = await service.writing.create(ADMIN, draft(audience, reminder_minutes=(120, 30, 30)))
    assert stored.reminder_minutes == (30, 120)


async def test_back_after_a_long_pause_only_the_latest_reminder_goes(sessions: SessionFactory) -> None:
    clock = Clock(MORNING)
    org = await build_org(sessions, clock)
    service = directive_service(sessions, clock=clock, escalate_after=0)
    created = await service.writing.create(
        ADMIN, draft(Audience(people=(org.staff_a[0],)), urgency=Urgency.KHAN)
    )
    await service.publishing.publish(ADMIN, created.id)
    await mark_all_sent(sessions, MORNING)
    clock.now = MORNING + timedelta(hours=10)
    assert (await service.reminders.remind_due()).reminders == 1
    assert (await service.reminders.remind_due()).reminders == 0
    [reminder] = await rows_of(sessions, "directive-reminder")
    assert reminder.key.endswith(":2")
    assert await rows_of(sessions, "directive-escalation") == []


async def test_normal_reminders_wait_for_the_morning_and_cancel_stops_them(sessions: SessionFactory) -> None:
    clock = Clock(MORNING)
    org = await build_org(sessions, clock)
    service = directive_service(sessions, clock=clock)
    created = await service.writing.create(ADMIN, draft(Audience(people=(org.staff_a[0],))))
    await service.publishing.publish(ADMIN, created.id)
    await mark_all_sent(sessions, MORNING)
    clock.now = MORNING + timedelta(hours=12)  # 22:00 in Viet Nam
    assert (await service.reminders.remind_due()).reminders == 1
    [reminder] = await rows_of(sessions, "directive-reminder")
    assert reminder.due_at == datetime(2026, 11, 23, 23, 30, tzinfo=MORNING.tzinfo)  # 06:30 local
    assert await service.publishing.cancel(ADMIN, created.id) == 1
    [stopped] = await rows_of(sessions, "directive-reminder")
    assert stopped.status == "failed"
    clock.now = MORNING + timedelta(hours=30)
    assert (await service.reminders.remind_due()).reminders == 0


async def test_a_telegram_ack_queues_an_edit_naming_who_acknowledged(sessions: SessionFactory) -> None:
    clock = Clock(MORNING)
    org = await build_org(sessions, clock)
    created = await org.directives.writing.create(ADMIN, draft(Audience(groups=(org.group_a,))))
    await org.directives.publishing.publish(ADMIN, created.id)
    group = ChatRef(Platform.TELEGRAM, "-100", True)
    await org.directives.acks.acknowledge(Platform.TELEGRAM, "11", group, directive_id=created.id)
    await org.directives.acks.acknowledge(Platform.TELEGRAM, "12", group, directive_id=created.id)
    await org.directives.acks.acknowledge(Platform.TELEGRAM, "12", group, directive_id=created.id)
    edits = await rows_of(sessions, "directive-acks")
    [original] = await rows_of(sessions, "directive")
    assert [e.key for e in edits] == [f"{original.key}:acks:1", f"{original.key}:acks:2"]
    assert edits[-1].payload["text"].endswith("Đã nhận: Cán bộ 11, Cán bộ 12")
    assert edits[-1].payload["buttons"] == original.payload["buttons"]


async def test_a_blocked_chat_is_marked_inactive_and_failed_in_the_report(sessions: SessionFactory) -> None:
    clock = Clock(MORNING)
    org = await build_org(sessions, clock)
    created = await org.directives.writing.create(ADMIN, draft(Audience(units=(org.unit_a,))))
    published = await org.directives.publishing.publish(ADMIN, created.id)
    store = OutboxStore(sessions, lease_seconds=60, max_attempts=3, on_recipient=recipient_changed)
    claimed = await store.claim(50, [Platform.TELEGRAM])
    [blocked] = [c for c in claimed if c.chat.chat_id == "11"]
    assert await store.mark_failed(blocked, "Forbidden: bot was blocked by the user", gone=True)
    for item in claimed:
        if item is not blocked:
            await store.mark_sent(item, "7")

    report = await org.directives.reports.report(ADMIN, created.id)
    [line] = [r for r in report.recipients if r.chat is not None and r.chat.chat_id == "11"]
    assert line.status == "failed" and "blocked" in line.reason
    assert sum(u.failed for u in report.units) == 1
    async with sessions() as session:
        account = (
            await session.execute(select(PlatformAccount).where(PlatformAccount.chat_id == "11"))
        ).scalar_one()
    assert account.active is False
    preview = await org.directives.writing.preview(ADMIN, Audience(units=(org.unit_a,)))
    assert preview.chats == published.chats - 1
