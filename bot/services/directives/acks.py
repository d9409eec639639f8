"""Acknowledgements: reading what recipients press or type, and recording who acknowledged what.

A person acknowledges for themselves, also in a group; the keyword "đã nhận" (or a number picking the
"Đã nhận" choice, on Zalo) stands for the chat's newest directive awaiting acknowledgement.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum

from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.messages import ChatRef, Platform
from bot.outbox import enqueue_edit
from bot.services.directives.model import ACK_KEYWORDS, ACK_PREFIX, EDIT_KIND, ONCE, Status
from bot.services.directives.reports import expected_acks
from bot.services.directives.results import AckOutcome, AckResult, PersonAck
from bot.services.directives.rows import aware, insert_ignore, load, view_of
from bot.services.directives.settings import Settings
from bot.storage import (
    Acknowledgement,
    Directive,
    DirectiveRecipient,
    DirectiveReminder,
    Person,
    PlatformAccount,
    SessionFactory,
)
from knowledge.normalize import fold

_CHOICE_NUMBER = re.compile(r"^\s*[0-9]{1,2}\s*[.)]?\s*$")


class AckMethod(StrEnum):
    """How an acknowledgement was given, as the report shows it."""

    BUTTON = "button"
    KEYWORD = "keyword"
    NUMBER = "number"


def parse_ack_payload(payload: str | None) -> int | None:
    """The directive id of an ``ack:{id}`` button payload, or None."""
    if not payload or not payload.startswith(ACK_PREFIX):
        return None
    number = payload[len(ACK_PREFIX) :]
    return int(number) if number.isascii() and number.isdigit() and len(number) <= 18 else None


def is_ack_keyword(text: str) -> bool:
    """True for "đã nhận" typed with or without marks (the Zalo way to acknowledge)."""
    words = fold(text).replace(".", " ").replace("!", " ").split()
    return " ".join(words) in ACK_KEYWORDS


def may_acknowledge(text: str) -> bool:
    """True for text that may acknowledge without naming the bot: the keyword, or a choice's number."""
    return is_ack_keyword(text) or bool(_CHOICE_NUMBER.match(text))


class Acknowledgements:
    """Record acknowledgements and tell who is still expected to give one."""

    def __init__(self, sessions: SessionFactory, settings: Settings) -> None:
        self._sessions = sessions
        self._settings = settings

    async def acknowledge(
        self,
        platform: Platform,
        user_id: str,
        chat: ChatRef,
        *,
        directive_id: int | None = None,
        how: AckMethod = AckMethod.BUTTON,
    ) -> AckResult:
        """Record that this person (by platform user id) acknowledged; in a group each member for themselves.

        Without ``directive_id`` (the keyword "đã nhận") it is the newest directive needing
        acknowledgement that was sent to this chat.
        """
        now = self._settings.clock()
        async with self._sessions() as session, session.begin():
            person = await _person(session, platform, user_id)
            if person is None or not person.active:
                return AckResult(AckOutcome.NOT_REGISTERED, directive_id)
            recipient = await _recipient_in(session, chat, directive_id)
            reminded = None
            if recipient is None and not chat.is_group:
                # Reminded privately (reached through a group): the reminder's chat counts too.
                reminded = await _reminded(session, person.id, directive_id)
            if recipient is not None:
                directive, occurrence = await load(session, recipient.directive_id), recipient.occurrence
            elif reminded is not None:
                directive, occurrence = await load(session, reminded[0]), reminded[1]
            elif directive_id is not None and await session.get(Directive, directive_id) is not None:
                return AckResult(AckOutcome.NOT_A_RECIPIENT, directive_id)
            else:
                return AckResult(AckOutcome.NOT_FOUND, directive_id)
            if directive.status == Status.CANCELLED.value:
                return AckResult(AckOutcome.CANCELLED, directive.id)
            if not directive.ack_required:
                return AckResult(AckOutcome.NOT_REQUIRED, directive.id)
            values = {
                "directive_id": directive.id,
                "occurrence": occurrence,
                "person_id": person.id,
                "platform": chat.platform.value,
                "chat_id": chat.chat_id,
                "at": now,
                "how": str(how),
            }
            keys = ["directive_id", "occurrence", "person_id"]
            created = await insert_ignore(session, Acknowledgement, values, keys)
            acked_at = await _acknowledged_at(session, directive.id, occurrence, person.id)
            names = await _acknowledged_in(session, directive.id, occurrence, chat)
            if (
                created
                and recipient is not None
                and chat.platform is Platform.TELEGRAM
                and recipient.outbox_key
            ):
                await self._show_acks(session, directive, recipient, chat, names)
            outcome = AckOutcome.RECORDED if created else AckOutcome.ALREADY
            return AckResult(outcome, directive.id, names, aware(acked_at) if acked_at else None)

    async def pending(self, directive_id: int, occurrence: str | None = None) -> list[PersonAck]:
        """Who was expected to acknowledge (an occurrence, by default the latest) and has not."""
        async with self._sessions() as session:
            row = await load(session, directive_id)
            acks = await expected_acks(session, row.id, occurrence or row.last_occurrence or ONCE)
        return [a for a in acks if a.at is None]

    async def _show_acks(
        self,
        session: AsyncSession,
        directive: Directive,
        recipient: DirectiveRecipient,
        chat: ChatRef,
        names: Sequence[str],
    ) -> None:
        """Queue an edit of the chat's directive message so it lists who acknowledged (Telegram only)."""
        reply = self._settings.render(view_of(directive), recipient.occurrence, names, chat.platform)
        await enqueue_edit(
            session,
            key=f"{recipient.outbox_key}:acks:{len(names)}",
            chat=chat,
            of_key=recipient.outbox_key,
            reply=reply,
            kind=EDIT_KIND,
            ref=str(directive.id),
        )


async def _person(session: AsyncSession, platform: Platform, user_id: str) -> Person | None:
    statement = (
        select(Person)
        .join(PlatformAccount, PlatformAccount.person_id == Person.id)
        .where(PlatformAccount.platform == platform.value, PlatformAccount.user_id == str(user_id))
    )
    return (await session.execute(statement)).scalar_one_or_none()


async def _recipient_in(
    session: AsyncSession, chat: ChatRef, directive_id: int | None
) -> DirectiveRecipient | None:
    """The chat's newest recipient row of ``directive_id``, else of any directive awaiting acknowledgement."""
    statement = (
        select(DirectiveRecipient)
        .join(Directive, Directive.id == DirectiveRecipient.directive_id)
        .where(DirectiveRecipient.platform == chat.platform.value, DirectiveRecipient.chat_id == chat.chat_id)
        .order_by(DirectiveRecipient.id.desc())
        .limit(1)
    )
    if directive_id is not None:
        statement = statement.where(DirectiveRecipient.directive_id == directive_id)
    else:
        statement = statement.where(
            Directive.ack_required.is_(True), Directive.status != Status.CANCELLED.value
        )
    return (await session.execute(statement)).scalar_one_or_none()


async def _reminded(
    session: AsyncSession, person_id: int, directive_id: int | None
) -> tuple[int, str] | None:
    """The newest (directive, occurrence) this person was reminded of privately and may acknowledge."""
    statement = (
        select(DirectiveReminder.directive_id, DirectiveReminder.occurrence)
        .join(Directive, Directive.id == DirectiveReminder.directive_id)
        .where(
            DirectiveReminder.person_id == person_id,
            Directive.ack_required.is_(True),
            Directive.status != Status.CANCELLED.value,
        )
        .order_by(DirectiveReminder.id.desc())
        .limit(1)
    )
    if directive_id is not None:
        statement = statement.where(DirectiveReminder.directive_id == directive_id)
    row = (await session.execute(statement)).first()
    return (int(row[0]), str(row[1])) if row is not None else None


async def _acknowledged_at(
    session: AsyncSession, directive_id: int, occurrence: str, person_id: int
) -> datetime | None:
    return (
        await session.execute(
            select(Acknowledgement.at).where(
                and_(
                    Acknowledgement.directive_id == directive_id,
                    Acknowledgement.occurrence == occurrence,
                    Acknowledgement.person_id == person_id,
                )
            )
        )
    ).scalar_one_or_none()


async def _acknowledged_in(
    session: AsyncSession, directive_id: int, occurrence: str, chat: ChatRef
) -> tuple[str, ...]:
    """Who acknowledged an occurrence in this chat, first first."""
    names = await session.execute(
        select(Person.name)
        .join(Acknowledgement, Acknowledgement.person_id == Person.id)
        .where(
            Acknowledgement.directive_id == directive_id,
            Acknowledgement.occurrence == occurrence,
            Acknowledgement.platform == chat.platform.value,
            Acknowledgement.chat_id == chat.chat_id,
        )
        .order_by(Acknowledgement.at, Acknowledgement.id)
    )
    return tuple(names.scalars())
