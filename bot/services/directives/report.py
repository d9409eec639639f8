"""Building a directive's report: recipient lines, names and expected acknowledgements."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.messages import ChatRef, Platform
from bot.outbox import (
    FAILED,
    SENT,
)
from bot.services.directives.model import UNREACHABLE
from bot.services.directives.results import PersonAck, RecipientLine
from bot.storage import (
    Acknowledgement,
    ChatGroup,
    DirectiveRecipient,
    OutboxMessage,
    Person,
)


def _line(
    recipient: DirectiveRecipient,
    message: OutboxMessage | None,
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
        return replace(line, status="failed", reason=message.error or "", attempts=message.attempts)
    return replace(line, reason=message.error or "", attempts=message.attempts)


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


async def _acks(session: AsyncSession, directive_id: int, occurrence: str) -> list[PersonAck]:
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
