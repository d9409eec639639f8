"""Resolving an audience into chats and writing recipient and outbox rows."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.messages import ChatRef, Platform, Reply
from bot.outbox import Outgoing, enqueue_many
from bot.services.directives.model import KIND, QUEUED, UNREACHABLE, Audience
from bot.services.directives.results import Preview, Target
from bot.services.directives.rows import dialect
from bot.storage import (
    ChatGroup,
    DirectiveRecipient,
    Person,
    PlatformAccount,
)


async def private_chats(session: AsyncSession, person_ids: Iterable[int]) -> dict[int, ChatRef]:
    """Each person's newest active private chat."""
    wanted = set(person_ids)
    if not wanted:
        return {}
    rows = (
        await session.execute(
            select(PlatformAccount)
            .where(PlatformAccount.person_id.in_(wanted), PlatformAccount.active.is_(True))
            .order_by(PlatformAccount.linked_at, PlatformAccount.id)
        )
    ).scalars()
    return {row.person_id: ChatRef(Platform(row.platform), row.chat_id, False) for row in rows}


async def resolve(session: AsyncSession, audience: Audience) -> list[Target]:
    """The chats an audience reaches now: each person once (their newest active account), each group once.

    A unit's registered groups are reached with it unless the audience leaves them out.
    """
    people: dict[int, Person] = {}
    if audience.units or audience.tags or audience.people:
        rows = (await session.execute(select(Person).where(Person.active.is_(True)))).scalars()
        units, tags, ids = set(audience.units), set(audience.tags), set(audience.people)
        for person in rows:
            if person.id in ids or person.unit_id in units or tags & set(person.tags or ()):
                people[person.id] = person
    accounts: dict[int, PlatformAccount] = {}
    if people:
        found = (
            await session.execute(
                select(PlatformAccount)
                .where(PlatformAccount.person_id.in_(people), PlatformAccount.active.is_(True))
                .order_by(PlatformAccount.linked_at, PlatformAccount.id)
            )
        ).scalars()
        for linked in found:
            accounts[linked.person_id] = linked
    targets: dict[tuple[str, str], Target] = {}
    for person_id in sorted(people):
        person, account = people[person_id], accounts.get(person_id)
        if account is None:
            key = ("", f"person:{person_id}")
            targets[key] = Target("", key[1], False, person_id, None, person.unit_id)
        else:
            key = (account.platform, account.chat_id)
            targets.setdefault(
                key, Target(account.platform, account.chat_id, False, person_id, None, person.unit_id)
            )
    named = ChatGroup.id.in_(audience.groups)
    wanted = or_(named, ChatGroup.unit_id.in_(audience.units)) if audience.unit_groups else named
    if audience.groups or (audience.units and audience.unit_groups):
        groups = (
            await session.execute(
                select(ChatGroup).where(wanted, ChatGroup.active.is_(True)).order_by(ChatGroup.id)
            )
        ).scalars()
        for group in groups:
            key = (group.platform, group.chat_id)
            targets.setdefault(
                key, Target(group.platform, group.chat_id, True, None, group.id, group.unit_id)
            )
    return list(targets.values())


def preview_of(targets: Iterable[Target]) -> Preview:
    """What reaching ``targets`` means: chats, people in private, groups, people with no chat."""
    chats = people = groups = unreachable = 0
    for target in targets:
        if not target.reachable:
            unreachable += 1
            continue
        chats += 1
        groups += target.is_group
        people += not target.is_group
    return Preview(chats, people, groups, unreachable)


def outbox_key(directive_id: int, occurrence: str, platform: str, chat_id: str) -> str:
    """The outbox key of one occurrence to one chat (unique: re-publishing adds nothing)."""
    return f"{KIND}:{directive_id}:{occurrence}:{platform}:{chat_id}"


async def write_recipients(
    session: AsyncSession,
    directive_id: int,
    occurrence: str,
    targets: Sequence[Target],
    reply_for: Callable[[Platform], Reply],
    due: datetime,
    now: datetime,
) -> int:
    """Insert the recipient rows and their outbox rows (both idempotent); return new outbox rows."""
    if not targets:
        return 0
    rows = [
        {
            "directive_id": directive_id,
            "occurrence": occurrence,
            "platform": t.platform,
            "chat_id": t.chat_id,
            "is_group": t.is_group,
            "person_id": t.person_id,
            "group_id": t.group_id,
            "unit_id": t.unit_id,
            "outbox_key": outbox_key(directive_id, occurrence, t.platform, t.chat_id) if t.reachable else "",
            "status": QUEUED if t.reachable else UNREACHABLE,
            "created_at": now,
        }
        for t in targets
    ]
    insert = postgresql.insert if dialect(session) == "postgresql" else sqlite.insert
    for start in range(0, len(rows), 500):
        statement = insert(DirectiveRecipient).values(rows[start : start + 500])
        await session.execute(
            statement.on_conflict_do_nothing(
                index_elements=["directive_id", "occurrence", "platform", "chat_id"]
            )
        )
    messages = []
    for target, values in zip(targets, rows, strict=True):
        if not target.reachable:
            continue
        chat = ChatRef(Platform(target.platform), target.chat_id, target.is_group)
        messages.append(
            Outgoing(str(values["outbox_key"]), chat, reply_for(chat.platform), KIND, str(directive_id), due)
        )
    return await enqueue_many(session, messages)
