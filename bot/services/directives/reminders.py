"""Reminders to those who have not acknowledged, and one escalation per unit to its leader.

Per person expected to acknowledge (private recipients, and known staff of a group's unit), reminder
``n`` is due ``reminder_minutes[n-1]`` after delivery (the directive's own, else the configured ones);
a person back after a long pause gets only the latest one due. A person without a private chat is
reminded in the group. Once someone has had ``escalate_after`` reminders and one more gap has passed,
the unit's leader gets one message naming everyone of the unit still missing. Each goes out once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.messages import ChatRef, Platform
from bot.outbox import enqueue, sent_since
from bot.services.directives.model import (
    ESCALATION_KIND,
    REMINDER_KIND,
    REMINDER_MINUTES_MAX,
    DirectiveView,
    Status,
)
from bot.services.directives.recipients import private_chats
from bot.services.directives.results import RemindResult
from bot.services.directives.rows import aware, insert_ignore, load, view_of
from bot.services.directives.settings import Reminding, Settings
from bot.storage import (
    Acknowledgement,
    Directive,
    DirectiveRecipient,
    DirectiveReminder,
    Person,
    SessionFactory,
    Unit,
)
from bot.storage.engine import begin_write

WIDEST = timedelta(minutes=2 * REMINDER_MINUTES_MAX, days=1)
"""The longest a directive's own reminders and escalation can run after delivery."""

Delivered = tuple[DirectiveRecipient, datetime]
"""A recipient row and when its message was sent."""


@dataclass(slots=True)
class _Occurrence:
    """One occurrence being reminded of: what is known of it while its reminders are queued."""

    session: AsyncSession
    view: DirectiveView
    occurrence: str
    now: datetime
    due: datetime
    reminding: Reminding
    people: dict[int, Person] = field(default_factory=dict)
    counts: dict[int, int] = field(default_factory=dict)
    lasts: dict[int, datetime] = field(default_factory=dict)


class Reminders:
    """Queue the reminders and escalations that came due."""

    def __init__(self, sessions: SessionFactory, settings: Settings) -> None:
        self._sessions = sessions
        self._settings = settings

    def reminding(self, directive: Directive) -> Reminding:
        """The directive's own reminders and escalation, each else the configured one."""
        default = self._settings.reminding
        minutes = directive.reminder_minutes if directive.reminder_minutes is not None else default.minutes
        escalate = (
            directive.escalate_after if directive.escalate_after is not None else default.escalate_after
        )
        return Reminding.of(minutes, escalate)

    async def remind_due(self) -> RemindResult:
        """Queue the reminders and escalations that have come due; each goes out exactly once."""
        now = self._settings.clock()
        horizon = max(self._settings.reminding.horizon, WIDEST)
        async with self._sessions() as session, session.begin():
            await begin_write(session)
            by_occurrence = await _delivered(session, now - horizon)
            result = RemindResult()
            for (directive_id, occurrence), rows in by_occurrence.items():
                directive = await load(session, directive_id)
                reminding = self.reminding(directive)
                recent = [(r, sent) for r, sent in rows if sent >= now - reminding.horizon]
                if not reminding.minutes or not recent:
                    continue
                view = view_of(directive)
                due = self._settings.release_time(now, view.urgency)
                known = _Occurrence(session, view, occurrence, now, due, reminding)
                result += await self._remind(known, recent)
            return result

    async def _remind(self, known: _Occurrence, rows: Sequence[Delivered]) -> RemindResult:
        expected = await _expected(known.session, rows)
        pending = sorted(set(expected) - await _acknowledged(known.session, known.view.id, known.occurrence))
        if not pending:
            return RemindResult()
        await _load_people(known, pending)
        chats = await private_chats(known.session, pending)
        result = RemindResult()
        in_groups: dict[tuple[int, int], list[int]] = {}
        offsets = known.reminding.offsets
        for person_id in pending:
            sent_at, via_group = expected[person_id]
            number = max((n for n, o in enumerate(offsets, 1) if known.now >= sent_at + o), default=0)
            chat = chats.get(person_id)
            if number <= known.counts.get(person_id, 0) or (chat is None and via_group is None):
                continue
            await _note_reminder(known, person_id, number)
            if chat is not None:
                result.reminders += await self._queue(known, chat, f"{person_id}:{number}", number, ())
            elif via_group is not None and via_group.group_id is not None:
                in_groups.setdefault((via_group.group_id, number), []).append(person_id)
        for (group_id, number), person_ids in in_groups.items():
            group_row = next(r for r, _ in rows if r.group_id == group_id)
            names = [known.people[p].name for p in person_ids if p in known.people]
            group_chat = ChatRef(Platform(group_row.platform), group_row.chat_id, True)
            result.reminders += await self._queue(
                known, group_chat, f"group:{group_id}:{number}", number, names
            )
        if known.reminding.escalation is not None:
            result.escalations += await self._escalate(known, pending)
        return result

    async def _queue(
        self, known: _Occurrence, chat: ChatRef, key: str, number: int, missing: Sequence[str]
    ) -> int:
        view = known.view
        return await enqueue(
            known.session,
            key=f"{REMINDER_KIND}:{view.id}:{known.occurrence}:{key}",
            chat=chat,
            reply=self._settings.render_reminder(view, number, missing, chat.platform),
            kind=REMINDER_KIND,
            ref=str(view.id),
            due_at=known.due,
        )

    async def _escalate(self, known: _Occurrence, pending: Sequence[int]) -> int:
        """One message per unit to its leader, once the unit has someone reminded enough and still silent.

        Due one reminder gap after a person's last (``escalate_after``-th) reminder.
        """
        reminding = known.reminding
        assert reminding.escalation is not None
        gap = reminding.escalation - reminding.offsets[reminding.escalate_after - 1]
        by_unit: dict[int, list[int]] = {}
        for person_id in pending:
            person = known.people.get(person_id)
            if person is None or person.unit_id is None:
                continue
            enough = known.counts.get(person_id, 0) >= reminding.escalate_after
            if enough and known.now >= known.lasts[person_id] + gap:
                by_unit.setdefault(person.unit_id, []).append(person_id)
        if not by_unit:
            return 0
        leaders, unit_names = await _leaders(known.session, by_unit)
        chats = await private_chats(known.session, [lid for lid in leaders.values() if lid is not None])
        sent = 0
        for unit_id, person_ids in sorted(by_unit.items()):
            leader_id = leaders.get(unit_id)
            chat = chats.get(leader_id) if leader_id is not None else None
            missing = [known.people[p].name for p in person_ids if p != leader_id]
            if chat is None or not missing:
                continue
            reply = self._settings.render_escalation(
                known.view, reminding.escalate_after, unit_names[unit_id], missing
            )
            sent += await enqueue(
                known.session,
                key=f"{ESCALATION_KIND}:{known.view.id}:{known.occurrence}:{unit_id}",
                chat=chat,
                reply=reply,
                kind=ESCALATION_KIND,
                ref=str(known.view.id),
                due_at=known.due,
            )
        return sent


async def _delivered(session: AsyncSession, since: datetime) -> dict[tuple[int, str], list[Delivered]]:
    """Delivered rows of the latest occurrences awaiting acknowledgement, by (directive, occurrence)."""
    sent = sent_since(since)
    delivered = await session.execute(
        select(DirectiveRecipient, sent.c.sent_at)
        .join(Directive, Directive.id == DirectiveRecipient.directive_id)
        .join(sent, sent.c.key == DirectiveRecipient.outbox_key)
        .where(
            Directive.ack_required.is_(True),
            Directive.status.not_in((Status.CANCELLED.value, Status.DRAFT.value)),
            DirectiveRecipient.occurrence == Directive.last_occurrence,
        )
        .order_by(DirectiveRecipient.id)
    )
    by_occurrence: dict[tuple[int, str], list[Delivered]] = {}
    for recipient, sent_at in delivered.tuples().all():
        if sent_at is not None:
            key = (recipient.directive_id, recipient.occurrence)
            by_occurrence.setdefault(key, []).append((recipient, sent_at))
    return by_occurrence


async def _expected(
    session: AsyncSession, rows: Sequence[Delivered]
) -> dict[int, tuple[datetime, DirectiveRecipient | None]]:
    """Who is expected to acknowledge, since when, and through which group (None: privately)."""
    expected: dict[int, tuple[datetime, DirectiveRecipient | None]] = {}
    groups: dict[int, Delivered] = {}
    for recipient, sent_at in rows:
        if recipient.person_id is not None:
            expected[recipient.person_id] = (sent_at, None)
        elif recipient.group_id is not None and recipient.unit_id is not None:
            groups[recipient.unit_id] = (recipient, sent_at)
    if groups:
        members = await session.execute(
            select(Person.id, Person.unit_id).where(
                Person.unit_id.in_(groups), Person.active.is_(True), Person.role != "resident"
            )
        )
        for person_id, unit_id in members.tuples().all():
            if person_id not in expected and unit_id is not None:
                group_row, sent_at = groups[unit_id]
                expected[person_id] = (sent_at, group_row)
    return expected


async def _acknowledged(session: AsyncSession, directive_id: int, occurrence: str) -> set[int]:
    rows = await session.execute(
        select(Acknowledgement.person_id).where(
            Acknowledgement.directive_id == directive_id, Acknowledgement.occurrence == occurrence
        )
    )
    return set(rows.scalars())


async def _load_people(known: _Occurrence, pending: Sequence[int]) -> None:
    """The pending people, and how many reminders each had and when the last one went."""
    done = await known.session.execute(
        select(
            DirectiveReminder.person_id,
            func.max(DirectiveReminder.number),
            func.max(DirectiveReminder.sent_at),
        )
        .where(
            DirectiveReminder.directive_id == known.view.id,
            DirectiveReminder.occurrence == known.occurrence,
            DirectiveReminder.person_id.in_(pending),
        )
        .group_by(DirectiveReminder.person_id)
    )
    for person_id, number, last in done.tuples().all():
        known.counts[person_id], known.lasts[person_id] = int(number or 0), aware(last)
    people = await known.session.execute(select(Person).where(Person.id.in_(pending)))
    known.people = {p.id: p for p in people.scalars()}


async def _note_reminder(known: _Occurrence, person_id: int, number: int) -> None:
    values = {
        "directive_id": known.view.id,
        "occurrence": known.occurrence,
        "person_id": person_id,
        "number": number,
        "sent_at": known.now,
    }
    await insert_ignore(
        known.session, DirectiveReminder, values, ["directive_id", "occurrence", "person_id", "number"]
    )
    known.counts[person_id], known.lasts[person_id] = number, known.now


async def _leaders(
    session: AsyncSession, unit_ids: Iterable[int]
) -> tuple[dict[int, int | None], dict[int, str]]:
    """Each unit's leader (a unit naming none: its oldest member with the leader role) and its name."""
    units = await session.execute(
        select(Unit.id, Unit.leader_id, Unit.name).where(Unit.id.in_(list(unit_ids)))
    )
    leaders: dict[int, int | None] = {}
    names: dict[int, str] = {}
    for unit_id, leader, unit_name in units.tuples().all():
        leaders[unit_id], names[unit_id] = leader, unit_name
    unnamed = [u for u, leader in leaders.items() if leader is None]
    if unnamed:
        members = await session.execute(
            select(Person.unit_id, Person.id)
            .where(Person.unit_id.in_(unnamed), Person.role == "leader", Person.active.is_(True))
            .order_by(Person.id.desc())
        )
        for member_unit, person_id in members.tuples().all():
            if member_unit is not None:
                leaders[member_unit] = person_id
    return leaders, names
