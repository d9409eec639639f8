"""Changing unpublished directives, checking drafts without storing, the audit of sends, per-platform text."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.messages import ChatRef, Platform
from bot.outbox import payload_to_reply
from bot.services.directives import (
    AckOutcome,
    Audience,
    DirectiveDraft,
    DirectiveStateError,
    InvalidDirectiveError,
    ScheduleKind,
    Status,
    Urgency,
)
from bot.services.people import PermissionDeniedError
from bot.storage import AuditEntry, Directive, OutboxMessage, SessionFactory
from handlers.directive_render import directive_renderer
from tests.directive_service import directive_service
from tests.services.test_directives import ADMIN, Clock, Org, build_org


@pytest.fixture
def clock() -> Clock:
    """The test's clock."""
    return Clock()


@pytest.fixture
async def org(sessions: SessionFactory, clock: Clock) -> Org:
    """The organisation of the directive tests."""
    return await build_org(sessions, clock)


REPLY_LINE = "Trả lời “đã nhận” để xác nhận"


def weekly(org: Org) -> DirectiveDraft:
    """A recurring directive to unit A, Mondays 07:30."""
    return DirectiveDraft(
        title="Giao ban",
        body="Họp giao ban đầu tuần.",
        audience=Audience(units=(org.unit_a,)),
        schedule_kind=ScheduleKind.CRON,
        cron="30 7 * * 1",
    )


async def audits(sessions: SessionFactory, action: str) -> list[AuditEntry]:
    """The audit entries of one action, oldest first."""
    async with sessions() as session:
        rows = await session.execute(
            select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
        )
        return list(rows.scalars())


async def test_check_validates_and_counts_without_storing(org: Org, sessions: SessionFactory) -> None:
    checked = await org.directives.writing.check(org.leader, weekly(org))
    assert checked.view.id == 0 and checked.view.title == "Giao ban" and checked.view.cron == "30 7 * * 1"
    # Four private chats and the unit's group; one person has none.
    assert (checked.preview.chats, checked.preview.unreachable) == (5, 1)
    with pytest.raises(InvalidDirectiveError) as bad:
        await org.directives.writing.check(org.leader, DirectiveDraft("", "x", Audience(units=(org.unit_a,))))
    assert bad.value.field == "title"
    with pytest.raises(PermissionDeniedError):
        await org.directives.writing.check(
            org.leader, DirectiveDraft("T", "x", Audience(units=(org.unit_b,)))
        )
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Directive)) == 0
        assert (
            await session.scalar(
                select(func.count()).select_from(AuditEntry).where(AuditEntry.action.startswith("directive"))
            )
            == 0
        )


async def test_change_an_armed_recurring_directive_rearms_and_audits(
    org: Org, sessions: SessionFactory
) -> None:
    created = await org.directives.writing.create(org.leader, weekly(org))
    armed = await org.directives.publishing.publish(org.leader, created.id)
    changed = await org.directives.writing.change(
        org.leader,
        created.id,
        {"cron": "0 8 * * 2", "body": "Họp giao ban đầu tuần, mang theo số liệu.", "urgency": "khan"},
    )
    assert changed.status is Status.SCHEDULED and changed.cron == "0 8 * * 2"
    assert changed.urgency is Urgency.KHAN
    assert changed.next_run_at is not None and changed.next_run_at != armed.due_at
    assert dict(await org.directives.publishing.armed())[created.id] == changed.next_run_at
    [entry] = await audits(sessions, "directive.change")
    assert entry.actor == org.leader.label and entry.object_id == str(created.id)
    assert entry.details["fields"] == ["body", "cron", "urgency"]
    assert entry.details["cron"] == {"old": "30 7 * * 1", "new": "0 8 * * 2"}
    assert entry.details["urgency"] == {"old": "thuong", "new": "khan"}
    # The body's text stays out of the log: only its lengths.
    assert entry.details["body"] == {"old_length": 22, "new_length": 41}
    # Nothing changed: nothing audited.
    await org.directives.writing.change(org.leader, created.id, {"title": " Giao ban "})
    assert len(await audits(sessions, "directive.change")) == 1


async def test_change_validates_like_create_and_is_refused_once_published(
    org: Org, sessions: SessionFactory, clock: Clock
) -> None:
    created = await org.directives.writing.create(org.leader, weekly(org))
    for changes, field in (
        ({"cron": "61 7 * * *"}, "cron"),
        ({"title": ""}, "title"),
        ({"colour": "red"}, "colour"),
        ({"urgency": "gap"}, "urgency"),
        ({"ack_required": "yes"}, "ack_required"),
        ({"schedule_kind": ScheduleKind.AT, "schedule_at": clock.now - timedelta(hours=1)}, "schedule_at"),
    ):
        with pytest.raises(InvalidDirectiveError) as bad:
            await org.directives.writing.change(org.leader, created.id, changes)
        assert bad.value.field == field
    with pytest.raises(PermissionDeniedError):
        await org.directives.writing.change(
            org.leader, created.id, {"audience": Audience(units=(org.unit_b,))}
        )
    # A one-off directive: changing its kind clears the rule; publishing it makes it unchangeable.
    at = clock.now + timedelta(days=1)
    once = await org.directives.writing.change(
        org.leader, created.id, {"schedule_kind": ScheduleKind.AT, "schedule_at": at}
    )
    assert once.cron == "" and once.schedule_at == at and once.status is Status.DRAFT
    await org.directives.publishing.publish(org.leader, created.id)
    with pytest.raises(DirectiveStateError, match="already published"):
        await org.directives.writing.change(org.leader, created.id, {"title": "Khác"})
    # A recurring directive that ran once is refused too.
    other = await org.directives.writing.create(ADMIN, weekly(org))
    await org.directives.publishing.publish(ADMIN, other.id)
    clock.now += timedelta(days=8)
    assert [r.directive_id for r in await org.directives.publishing.run_due()] == [other.id]
    with pytest.raises(DirectiveStateError):
        await org.directives.writing.change(ADMIN, other.id, {"title": "Khác"})
    assert len(await audits(sessions, "directive.change")) == 1


async def test_every_publish_is_audited_with_its_recipients_including_the_scheduler(
    org: Org, sessions: SessionFactory, clock: Clock
) -> None:
    created = await org.directives.writing.create(org.leader, weekly(org))
    await org.directives.publishing.publish(org.leader, created.id)
    clock.now += timedelta(days=8)
    await org.directives.publishing.run_due()
    [entry] = await audits(sessions, "directive.publish")
    assert entry.actor == "scheduler" and entry.actor_id is None
    assert entry.details["recipients"] == 6 and entry.details["chats"] == 5
    assert entry.details["unreachable"] == 1 and entry.details["queued"] == 5


async def test_the_message_is_rendered_per_platform(sessions: SessionFactory, clock: Clock, org: Org) -> None:
    service = directive_service(sessions, clock=clock, render=directive_renderer("Asia/Ho_Chi_Minh"))
    draft = DirectiveDraft(
        "Tiếp dân",
        "Trực tiếp dân.",
        Audience(tags=("tiep dan",)),
        urgency=Urgency.KHAN,
        ack_required=True,
    )
    created = await service.writing.create(ADMIN, draft)
    await service.publishing.publish(ADMIN, created.id)
    async with sessions() as session:
        rows = list((await session.execute(select(OutboxMessage))).scalars())
    by_platform = {row.platform: payload_to_reply(row.payload) for row in rows}
    telegram, zalo = by_platform["telegram"], by_platform["zalo"]
    assert REPLY_LINE not in telegram.text and [b.payload for b in telegram.buttons] == [f"ack:{created.id}"]
    assert REPLY_LINE in zalo.text and "Trực tiếp dân." in zalo.text


async def test_a_repeated_acknowledgement_carries_the_first_time(org: Org, clock: Clock) -> None:
    draft = DirectiveDraft("T", "B", Audience(units=(org.unit_a,)), ack_required=True)
    created = await org.directives.writing.create(ADMIN, draft)
    await org.directives.publishing.publish(ADMIN, created.id)
    chat = ChatRef(Platform.TELEGRAM, "11", False)
    first = await org.directives.acks.acknowledge(Platform.TELEGRAM, "11", chat, directive_id=created.id)
    first_at = clock.now
    clock.now += timedelta(minutes=30)
    again = await org.directives.acks.acknowledge(Platform.TELEGRAM, "11", chat, directive_id=created.id)
    assert first.outcome is AckOutcome.RECORDED and first.acknowledged_at == first_at
    assert again.outcome is AckOutcome.ALREADY and again.acknowledged_at == first_at
