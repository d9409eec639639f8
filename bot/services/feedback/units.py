"""Which unit answers an item, and which chats reach that unit.

An item about a procedure or a dossier goes to, in order:

1. a unit tagged with the procedure's code (``motcua unit create ... --tag 1.001193``);
2. a unit named like the agency handling it (the dossier's agency, else the procedure's), or tagged so;
3. a unit tagged with the procedure's field (lĩnh vực, e.g. ``--tag "hộ tịch"``);
4. the configured default unit (``[feedback] default_unit``), which also gets general feedback.

Names and tags are compared folded (case and Vietnamese marks ignored). With no unit at all the item is
kept unrouted: admins are told of it and answer it, and the overdue check routes it once a unit matches.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.messages import ChatRef, Platform
from bot.services.directives.recipients import private_chats
from bot.storage.models import ChatGroup, Person, Unit
from knowledge.normalize import fold


@dataclass(frozen=True, slots=True)
class Clues:
    """What is known of an item's subject that may name its unit."""

    code: str = ""
    agency: str = ""
    field: str = ""


@dataclass(frozen=True, slots=True)
class UnitTags:
    """A unit's id with its name and tags, folded."""

    id: int
    name: str
    tags: frozenset[str]

    @classmethod
    def of(cls, unit: Unit) -> UnitTags:
        """Fold a unit's name and tags once."""
        return cls(unit.id, fold(unit.name), frozenset(fold(t) for t in unit.tags or ()))


def choose_unit(units: Sequence[UnitTags], clues: Clues, default_unit: str) -> int | None:
    """The unit answering an item with these clues (see the module's order), or None."""
    code, agency, field = fold(clues.code), fold(clues.agency), fold(clues.field)
    if code:
        found = next((u.id for u in units if code in u.tags), None)
        if found is not None:
            return found
    if agency:
        found = next((u.id for u in units if agency in (u.name, *u.tags)), None)
        if found is not None:
            return found
    if field:
        found = next((u.id for u in units if field in u.tags), None)
        if found is not None:
            return found
    wanted = fold(default_unit)
    return next((u.id for u in units if u.name == wanted), None) if wanted else None


async def route(session: AsyncSession, clues: Clues, default_unit: str) -> int | None:
    """Read the units and choose one (ordered by id, so the oldest of equals wins)."""
    rows = (await session.execute(select(Unit).order_by(Unit.id))).scalars()
    return choose_unit([UnitTags.of(u) for u in rows], clues, default_unit)


async def leaders_of(session: AsyncSession, unit_id: int) -> list[int]:
    """The unit's leader and its active members with the leader role, by id."""
    unit = await session.get(Unit, unit_id)
    if unit is None:
        return []
    conditions = [Person.unit_id == unit_id]
    if unit.leader_id is not None:
        conditions.append(Person.id == unit.leader_id)
    rows = await session.execute(
        select(Person.id).where(or_(*conditions), Person.role == "leader", Person.active.is_(True))
    )
    found = set(rows.scalars())
    if unit.leader_id is not None:
        # A unit may name an admin as its leader: they are told too.
        leader = await session.get(Person, unit.leader_id)
        if leader is not None and leader.active:
            found.add(leader.id)
    return sorted(found)


async def group_chats(session: AsyncSession, unit_id: int) -> list[ChatRef]:
    """The unit's active group chats, oldest first."""
    rows = await session.execute(
        select(ChatGroup.platform, ChatGroup.chat_id)
        .where(ChatGroup.unit_id == unit_id, ChatGroup.active.is_(True))
        .order_by(ChatGroup.id)
    )
    return [ChatRef(Platform(platform), chat_id, True) for platform, chat_id in rows.tuples().all()]


async def staff_chats(session: AsyncSession, unit_id: int) -> list[ChatRef]:
    """Where a new item for the unit goes: its groups, else its leaders in private."""
    groups = await group_chats(session, unit_id)
    if groups:
        return groups
    return await leader_chats(session, [unit_id])


async def admin_chats(session: AsyncSession) -> list[ChatRef]:
    """The private chats of the active admins who linked a chat (each once)."""
    rows = await session.execute(
        select(Person.id).where(Person.role == "admin", Person.active.is_(True)).order_by(Person.id)
    )
    people = list(rows.scalars())
    chats = await private_chats(session, people)
    return list(dict.fromkeys(chats[p] for p in people if p in chats))


async def leader_chats(session: AsyncSession, unit_ids: Iterable[int]) -> list[ChatRef]:
    """The private chats of the units' leaders (each once)."""
    people: list[int] = []
    for unit_id in unit_ids:
        people += await leaders_of(session, unit_id)
    chats = await private_chats(session, people)
    return list(dict.fromkeys(chats[p] for p in sorted(set(people)) if p in chats))
