"""Reading directives: one, the newest, and the report of who was reached and who acknowledged."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.messages import ChatRef, Platform
from bot.outbox import FAILED, SENT, Delivery, deliveries, outbox_stats
from bot.services.directives.access import check_read, require_author
from bot.services.directives.model import KIND, ONCE, UNREACHABLE, DirectiveView
from bot.services.directives.results import DirectiveReport, PersonAck, RecipientLine, UnitLine
from bot.services.directives.rows import load, view_of
from bot.services.people import Actor, PermissionDeniedError
from bot.storage import (
    Acknowledgement,
    ChatGroup,
    Directive,
    DirectiveRecipient,
    Person,
    SessionFactory,
    Unit,
)


class Reports:
    """What admins and leaders may read of directives, and how each one went."""

    def __init__(self, sessions: SessionFactory) -> None:
        self._sessions = sessions

    async def get(self, actor: Actor, directive_id: int) -> DirectiveView:
        """A directive the actor may read."""
        async with self._sessions() as session:
            row = await load(session, directive_id)
            await check_read(session, actor, row)
            return view_of(row)

    async def recent(self, actor: Actor, *, limit: int = 50) -> list[DirectiveView]:
        """The newest directives the actor may read."""
        require_author(actor)
        async with self._sessions() as session:
            rows = (
                await session.execute(select(Directive).order_by(Directive.id.desc()).limit(limit * 4))
            ).scalars()
            found = []
            for row in rows:
                try:
                    await check_read(session, actor, row)
                except PermissionDeniedError:
                    continue
                found.append(view_of(row))
                if len(found) >= limit:
                    break
            return found

    async def report(self, actor: Actor, directive_id: int, occurrence: str | None = None) -> DirectiveReport:
        """Per recipient and per unit: delivered, failed (reason), pending, unreachable; acknowledgements."""
        async with self._sessions() as session:
            row = await load(session, directive_id)
            await check_read(session, actor, row)
            occurrence = occurrence or row.last_occurrence or ONCE
            statement = (
                select(DirectiveRecipient)
                .where(DirectiveRecipient.directive_id == row.id, DirectiveRecipient.occurrence == occurrence)
                .order_by(DirectiveRecipient.id)
            )
            recipients = list(await session.scalars(statement))
            states = await deliveries(session, [r.outbox_key for r in recipients if r.outbox_key])
            names = await _names(session, [r.person_id for r in recipients if r.person_id is not None])
            titles = await _group_titles(session, [r.group_id for r in recipients if r.group_id is not None])
            lines = [_line(r, states.get(r.outbox_key), names, titles) for r in recipients]
            acks = await expected_acks(session, row.id, occurrence)
            unit_names = dict((await session.execute(select(Unit.id, Unit.name))).tuples().all())
            stats = await outbox_stats(session, kind=KIND, ref=str(row.id))
        units = _by_unit(lines, acks, unit_names)
        return DirectiveReport(view_of(row), occurrence, tuple(lines), units, tuple(acks), stats)


def _by_unit(
    lines: Iterable[RecipientLine], acks: Iterable[PersonAck], unit_names: dict[int, str]
) -> tuple[UnitLine, ...]:
    """Per unit: chats by outcome, acknowledgements expected and given; units by name, none last."""
    units: dict[int | None, UnitLine] = {}

    def unit_of(unit_id: int | None) -> UnitLine:
        return units.setdefault(unit_id, UnitLine(unit_id, unit_names.get(unit_id, "") if unit_id else ""))

    for line in lines:
        unit = unit_of(line.unit_id)
        if line.status == "delivered":
            unit.delivered += 1
        elif line.status == "failed":
            unit.failed += 1
        elif line.status == UNREACHABLE:
            unit.unreachable += 1
        else:
            unit.pending += 1
    for ack in acks:
        unit = unit_of(ack.unit_id)
        unit.expected_acks += 1
        unit.acknowledged += ack.at is not None
    return tuple(sorted(units.values(), key=lambda u: (u.unit_id is None, u.name, u.unit_id or 0)))


def _line(
    recipient: DirectiveRecipient,
    message: Delivery | None,
    names: dict[int, str],
    titles: dict[int, str],
) -> RecipientLine:
    chat = None
    if recipient.platform:
        chat = ChatRef(Platform(recipient.platform), recipient.chat_id, recipient.is_group)
    name = names.get(recipient.person_id, "") if recipient.person_id is not None else ""
    if recipient.group_id is not None:
        name = titles.get(recipient.group_id, "")
    line = RecipientLine(chat, recipient.person_id, recipient.group_id, name, recipient.unit_id, "pending")
    if recipient.status == UNREACHABLE:
        return replace(line, status=UNREACHABLE)
    if message is None:
        return line
    if message.status == SENT:
        return replace(line, status="delivered", sent_at=message.sent_at, attempts=message.attempts)
    if message.status == FAILED:
        return replace(line, status="failed", reason=message.error, attempts=message.attempts)
    return replace(line, reason=message.error, attempts=message.attempts)


async def _names(session: AsyncSession, ids: Iterable[int]) -> dict[int, str]:
    wanted = set(ids)
    if not wanted:
        return {}
    rows = await session.execute(select(Person.id, Person.name).where(Person.id.in_(wanted)))
    return {int(i): str(n) for i, n in rows.tuples().all()}


async def _group_titles(session: AsyncSession, ids: Iterable[int]) -> dict[int, str]:
    wanted = set(ids)
    if not wanted:
        return {}
    rows = await session.execute(select(ChatGroup.id, ChatGroup.title).where(ChatGroup.id.in_(wanted)))
    return {int(i): str(t) for i, t in rows.tuples().all()}


async def expected_acks(session: AsyncSession, directive_id: int, occurrence: str) -> list[PersonAck]:
    """Everyone expected to acknowledge: people sent to privately, and active members of the groups' units."""
    recipients = (
        await session.execute(
            select(
                DirectiveRecipient.person_id, DirectiveRecipient.group_id, DirectiveRecipient.unit_id
            ).where(
                DirectiveRecipient.directive_id == directive_id, DirectiveRecipient.occurrence == occurrence
            )
        )
    ).all()
    expected = {p for p, _, _ in recipients if p is not None}
    group_units = {u for _, g, u in recipients if g is not None and u is not None}
    if group_units:
        members = await session.execute(
            select(Person.id).where(Person.unit_id.in_(group_units), Person.active.is_(True))
        )
        expected |= set(members.scalars())
    if not expected:
        return []
    people = (await session.execute(select(Person).where(Person.id.in_(expected)))).scalars().all()
    given = {
        a.person_id: a
        for a in (
            await session.execute(
                select(Acknowledgement).where(
                    and_(
                        Acknowledgement.directive_id == directive_id, Acknowledgement.occurrence == occurrence
                    )
                )
            )
        ).scalars()
    }
    result = []
    for person in sorted(people, key=lambda p: p.id):
        ack = given.get(person.id)
        result.append(
            PersonAck(person.id, person.name, person.unit_id, ack.at if ack else None, ack.how if ack else "")
        )
    return result
