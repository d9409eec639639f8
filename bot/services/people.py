"""People, units and groups: who may do what, found by platform account (never by name).

Onboarding: an admin or leader invites a person (a one-time code, stored only as its SHA-256); the
person sends ``/dangky CODE`` and their platform account is linked by its numeric platform user id.
An admin or a unit's leader registers a group chat for a unit. Every change is written to the audit log.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.messages import ChatRef, Platform
from bot.outbox import RecipientChange
from bot.storage import (
    AuditEntry,
    ChatGroup,
    Invite,
    Person,
    PlatformAccount,
    SessionFactory,
    Unit,
)
from bot.storage.columns import utcnow
from bot.storage.engine import begin_write


class Role(StrEnum):
    """What a person may do: admin everything, a leader for their units, the rest only acknowledge."""

    ADMIN = "admin"
    LEADER = "leader"
    STAFF = "staff"
    GUIDE = "guide"
    RESIDENT = "resident"


# Unambiguous characters only (no 0/O, 1/I/L), so a code read aloud or typed on a phone survives.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 10
DEFAULT_INVITE_TTL = timedelta(days=7)


class PermissionDeniedError(Exception):
    """The actor's role does not allow the action; ``reason`` is a short English code for logs."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class NotFoundError(Exception):
    """A person, unit or group named by id does not exist."""


@dataclass(frozen=True, slots=True)
class Actor:
    """Who asks: a linked person, or the operator's CLI (``person_id`` None, admin)."""

    person_id: int | None
    role: Role
    label: str
    unit_ids: frozenset[int] = field(default_factory=frozenset)
    """Units this actor leads (their own unit and every unit naming them leader)."""

    @classmethod
    def system(cls, label: str = "cli") -> Actor:
        """The operator at the command line: may do everything."""
        return cls(None, Role.ADMIN, label)

    @property
    def is_admin(self) -> bool:
        """True for admins (and the CLI)."""
        return self.role is Role.ADMIN

    @property
    def is_leader(self) -> bool:
        """True for leaders."""
        return self.role is Role.LEADER


@dataclass(frozen=True, slots=True)
class PersonView:
    """A person as services and handlers see them."""

    id: int
    name: str
    role: Role
    unit_id: int | None
    tags: tuple[str, ...]
    active: bool


@dataclass(frozen=True, slots=True)
class UnitView:
    """A unit with its leader."""

    id: int
    name: str
    leader_id: int | None
    tags: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class GroupView:
    """A registered group chat."""

    id: int
    chat: ChatRef
    unit_id: int
    title: str
    active: bool


class RedeemOutcome(StrEnum):
    """What ``/dangky CODE`` did; each case gets its own answer."""

    LINKED = "linked"
    WRONG = "wrong"
    USED = "used"
    EXPIRED = "expired"
    ALREADY_LINKED = "already_linked"
    """This platform account is already linked to another person."""
    NOT_HERE = "not_here"
    """This platform's users are anonymous (the web chat): no role is ever linked to them."""


ANONYMOUS_PLATFORMS = frozenset({Platform.WEB})
"""Platforms whose user ids are anonymous sessions anyone can renew: never staff, whatever they type."""


@dataclass(frozen=True, slots=True)
class RedeemResult:
    """The outcome and, when linked, the person."""

    outcome: RedeemOutcome
    person: PersonView | None = None


@dataclass(frozen=True, slots=True)
class InviteCode:
    """A fresh invite: the code is shown once (only its hash is kept)."""

    code: str
    person_id: int
    expires_at: datetime


def hash_code(code: str) -> str:
    """The stored form of an invite code (normalised: upper case, spaces and dashes dropped)."""
    return hashlib.sha256(normalize_code(code).encode()).hexdigest()


def normalize_code(code: str) -> str:
    """Upper case without spaces or dashes, as people retype codes."""
    return "".join(ch for ch in code.upper() if ch.isalnum())


def new_code() -> str:
    """A random one-time code of :data:`CODE_LENGTH` characters (about 49 bits)."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def _person_view(row: Person) -> PersonView:
    return PersonView(row.id, row.name, Role(row.role), row.unit_id, tuple(row.tags or ()), row.active)


def _group_view(row: ChatGroup) -> GroupView:
    chat = ChatRef(Platform(row.platform), row.chat_id, True)
    return GroupView(row.id, chat, row.unit_id, row.title, row.active)


async def audit(
    session: AsyncSession,
    actor: Actor,
    action: str,
    object_type: str,
    object_id: object,
    details: dict[str, Any] | None = None,
    *,
    at: datetime,
) -> None:
    """Write one audit entry in the caller's transaction (details hold ids and settings, never messages)."""
    session.add(
        AuditEntry(
            at=at,
            actor_id=actor.person_id,
            actor=actor.label[:96],
            action=action,
            object_type=object_type,
            object_id=str(object_id),
            details=details or {},
        )
    )


@dataclass(frozen=True, slots=True)
class AuditLine:
    """One audit entry as read back: who (the person's name when linked, else the label), what, on what."""

    at: datetime
    actor_id: int | None
    who: str
    action: str
    object_type: str
    object_id: str
    details: dict[str, Any]


class PeopleService:
    """Create people and units, invite and link accounts, register groups, and answer "who is this?"."""

    def __init__(self, sessions: SessionFactory, *, clock: Callable[[], datetime] = utcnow) -> None:
        self._sessions = sessions
        self._clock = clock

    # --- who is asking ----------------------------------------------------------------------------

    async def actor(self, platform: Platform, user_id: str) -> Actor:
        """The actor for a platform user id: their role, or a resident when unknown, inactive or anonymous."""
        label = f"{platform.value}:{user_id}"
        if platform in ANONYMOUS_PLATFORMS:
            return Actor(None, Role.RESIDENT, label)
        async with self._sessions() as session:
            person = await _person_by_account(session, platform, user_id)
            if person is None or not person.active:
                return Actor(None, Role.RESIDENT, label)
            units = await _led_units(session, person)
        return Actor(person.id, Role(person.role), label, units)

    async def actor_of(self, person_id: int, label: str) -> Actor | None:
        """The actor of an active person by id (the web console's sessions), None when gone or inactive."""
        async with self._sessions() as session:
            person = await session.get(Person, person_id)
            if person is None or not person.active:
                return None
            units = await _led_units(session, person)
        return Actor(person.id, Role(person.role), label, units)

    async def person_for(self, platform: Platform, user_id: str) -> PersonView | None:
        """The active person linked to this platform account, if any."""
        async with self._sessions() as session:
            person = await _person_by_account(session, platform, user_id)
        return _person_view(person) if person is not None and person.active else None

    async def audit_log(
        self,
        actor: Actor,
        *,
        action: str = "",
        object_type: str = "",
        object_id: str = "",
        since: datetime | None = None,
        limit: int = 100,
    ) -> list[AuditLine]:
        """The newest audit entries first (admins only): by action prefix, object, and time."""
        _require(actor.is_admin, "only admins read the audit log")
        statement = select(AuditEntry, Person.name).outerjoin(Person, Person.id == AuditEntry.actor_id)
        if action:
            statement = statement.where(AuditEntry.action.startswith(action, autoescape=True))
        if object_type:
            statement = statement.where(AuditEntry.object_type == object_type)
        if object_id:
            statement = statement.where(AuditEntry.object_id == object_id)
        if since is not None:
            statement = statement.where(AuditEntry.at >= since)
        statement = statement.order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(max(1, limit))
        async with self._sessions() as session:
            rows = (await session.execute(statement)).tuples().all()
        return [
            AuditLine(
                entry.at,
                entry.actor_id,
                name or entry.actor,
                entry.action,
                entry.object_type,
                entry.object_id,
                dict(entry.details or {}),
            )
            for entry, name in rows
        ]

    # --- people and units -------------------------------------------------------------------------

    async def create_unit(
        self, actor: Actor, name: str, *, leader_id: int | None = None, tags: Iterable[str] = ()
    ) -> UnitView:
        """Create a unit (admins only)."""
        _require(actor.is_admin, "only admins create units")
        now = self._clock()
        async with self._sessions() as session, session.begin():
            if leader_id is not None and await session.get(Person, leader_id) is None:
                raise NotFoundError(f"person {leader_id}")
            row = Unit(name=name.strip(), leader_id=leader_id, tags=_tags(tags), created_at=now)
            session.add(row)
            await session.flush()
            await audit(session, actor, "unit.create", "unit", row.id, {"leader_id": leader_id}, at=now)
        return UnitView(row.id, row.name, row.leader_id, tuple(row.tags))

    async def set_unit_leader(self, actor: Actor, unit_id: int, leader_id: int) -> PersonView:
        """Make ``leader_id`` the unit's leader (admins only); staff, guides and residents become leaders.

        An admin keeps the admin role. Returns the person as they now are.
        """
        _require(actor.is_admin, "only admins change leaders")
        now = self._clock()
        async with self._sessions() as session, session.begin():
            unit = await session.get(Unit, unit_id)
            person = await session.get(Person, leader_id)
            if unit is None or person is None:
                raise NotFoundError(f"unit {unit_id} or person {leader_id}")
            unit.leader_id = leader_id
            details: dict[str, Any] = {"leader_id": leader_id}
            if person.role not in (Role.ADMIN.value, Role.LEADER.value):
                details["role"] = {"old": person.role, "new": Role.LEADER.value}
                person.role = Role.LEADER.value
            await audit(session, actor, "unit.leader", "unit", unit_id, details, at=now)
            return _person_view(person)

    async def create_person(
        self,
        actor: Actor,
        name: str,
        role: Role,
        *,
        unit_id: int | None = None,
        tags: Iterable[str] = (),
    ) -> PersonView:
        """Create a person; a leader may add staff and guides to their own units only."""
        self._check_manage(actor, role, unit_id)
        now = self._clock()
        async with self._sessions() as session, session.begin():
            if unit_id is not None and await session.get(Unit, unit_id) is None:
                raise NotFoundError(f"unit {unit_id}")
            row = Person(
                name=name.strip(),
                role=role.value,
                unit_id=unit_id,
                tags=_tags(tags),
                active=True,
                created_at=now,
            )
            session.add(row)
            await session.flush()
            details = {"role": role.value, "unit_id": unit_id}
            await audit(session, actor, "person.create", "person", row.id, details, at=now)
        return _person_view(row)

    async def unit(self, unit_id: int) -> UnitView | None:
        """A unit by id."""
        async with self._sessions() as session:
            row = await session.get(Unit, unit_id)
        return UnitView(row.id, row.name, row.leader_id, tuple(row.tags)) if row is not None else None

    async def unit_by_name(self, name: str) -> UnitView | None:
        """A unit by its exact name (case-insensitive), as ``/nhom UNIT`` names it."""
        wanted = name.strip().casefold()
        async with self._sessions() as session:
            rows = (await session.execute(select(Unit))).scalars().all()
        row = next((u for u in rows if u.name.casefold() == wanted), None)
        return UnitView(row.id, row.name, row.leader_id, tuple(row.tags)) if row is not None else None

    async def units(self) -> list[UnitView]:
        """Every unit, by name."""
        async with self._sessions() as session:
            rows = (await session.execute(select(Unit).order_by(Unit.name))).scalars()
            return [UnitView(r.id, r.name, r.leader_id, tuple(r.tags)) for r in rows]

    async def directory(self) -> list[tuple[PersonView, tuple[str, ...]]]:
        """Every person with the platforms of their active linked accounts, by unit then name."""
        async with self._sessions() as session:
            people = (await session.execute(select(Person).order_by(Person.unit_id, Person.name))).scalars()
            views = [_person_view(p) for p in people]
            accounts = await session.execute(
                select(PlatformAccount.person_id, PlatformAccount.platform).where(
                    PlatformAccount.active.is_(True)
                )
            )
            linked: dict[int, set[str]] = {}
            for person_id, platform in accounts.tuples().all():
                linked.setdefault(person_id, set()).add(platform)
        return [(v, tuple(sorted(linked.get(v.id, ())))) for v in views]

    # --- invites ----------------------------------------------------------------------------------

    async def invite(
        self,
        actor: Actor,
        person_id: int,
        *,
        ttl: timedelta = DEFAULT_INVITE_TTL,
        code: str | None = None,
    ) -> InviteCode:
        """A one-time code that links ``person_id``'s platform account; valid for ``ttl``."""
        now = self._clock()
        code = normalize_code(code) if code is not None else new_code()
        async with self._sessions() as session, session.begin():
            person = await session.get(Person, person_id)
            if person is None:
                raise NotFoundError(f"person {person_id}")
            self._check_manage(actor, Role(person.role), person.unit_id)
            expires = now + ttl
            session.add(
                Invite(
                    code_hash=hash_code(code),
                    person_id=person_id,
                    role=person.role,
                    unit_id=person.unit_id,
                    created_by=actor.person_id,
                    created_at=now,
                    expires_at=expires,
                )
            )
            await audit(
                session,
                actor,
                "invite.create",
                "person",
                person_id,
                {"expires_at": expires.isoformat()},
                at=now,
            )
        return InviteCode(code, person_id, expires)

    async def redeem(self, code: str, platform: Platform, user_id: str, chat_id: str) -> RedeemResult:
        """Link the account (by numeric platform user id) to the invitee; wrong, used and expired differ."""
        if platform in ANONYMOUS_PLATFORMS:
            # Checked before the code: the invite stays unspent for the person's Telegram or Zalo.
            return RedeemResult(RedeemOutcome.NOT_HERE)
        if not (normalized := normalize_code(code)) or len(normalized) > 64:
            return RedeemResult(RedeemOutcome.WRONG)
        now = self._clock()
        account_label = f"{platform.value}:{user_id}"
        async with self._sessions() as session, session.begin():
            await begin_write(session)
            statement = select(Invite).where(Invite.code_hash == hash_code(normalized))
            if session.get_bind().dialect.name == "postgresql":
                statement = statement.with_for_update()
            invite = (await session.execute(statement)).scalar_one_or_none()
            if invite is None:
                return RedeemResult(RedeemOutcome.WRONG)
            if invite.used_at is not None:
                return RedeemResult(RedeemOutcome.USED)
            if invite.expires_at <= now:
                return RedeemResult(RedeemOutcome.EXPIRED)
            person = await session.get(Person, invite.person_id)
            if person is None:
                return RedeemResult(RedeemOutcome.WRONG)
            existing = (
                await session.execute(
                    select(PlatformAccount).where(
                        PlatformAccount.platform == platform.value, PlatformAccount.user_id == user_id
                    )
                )
            ).scalar_one_or_none()
            if existing is not None and existing.person_id != person.id:
                return RedeemResult(RedeemOutcome.ALREADY_LINKED)
            if existing is None:
                session.add(
                    PlatformAccount(
                        person_id=person.id,
                        platform=platform.value,
                        user_id=user_id,
                        chat_id=chat_id,
                        active=True,
                        linked_at=now,
                    )
                )
            else:
                existing.chat_id, existing.active, existing.linked_at = chat_id, True, now
            invite.used_at, invite.used_by = now, account_label
            person.role, person.unit_id, person.active = invite.role, invite.unit_id, True
            actor = Actor(person.id, Role(person.role), account_label)
            await audit(
                session, actor, "invite.redeem", "person", person.id, {"platform": platform.value}, at=now
            )
            try:
                await session.flush()
            except IntegrityError:
                # The same account redeemed two codes at once: the other one won.
                return RedeemResult(RedeemOutcome.ALREADY_LINKED)
            view = _person_view(person)
        return RedeemResult(RedeemOutcome.LINKED, view)

    # --- groups -----------------------------------------------------------------------------------

    async def register_group(self, actor: Actor, chat: ChatRef, unit_id: int, title: str = "") -> GroupView:
        """Register (or re-point) a group chat for a unit: admins, or the unit's leader."""
        _require(chat.is_group, "not a group chat")
        _require(actor.is_admin or (actor.is_leader and unit_id in actor.unit_ids), "not your unit")
        now = self._clock()
        async with self._sessions() as session, session.begin():
            await begin_write(session)
            if await session.get(Unit, unit_id) is None:
                raise NotFoundError(f"unit {unit_id}")
            row = (
                await session.execute(
                    select(ChatGroup).where(
                        ChatGroup.platform == chat.platform.value, ChatGroup.chat_id == chat.chat_id
                    )
                )
            ).scalar_one_or_none()
            if row is None:
                row = ChatGroup(
                    platform=chat.platform.value,
                    chat_id=chat.chat_id,
                    unit_id=unit_id,
                    title=title[:255],
                    active=True,
                    registered_by=actor.person_id,
                    created_at=now,
                )
                session.add(row)
            else:
                row.unit_id, row.active = unit_id, True
                row.title = title[:255] or row.title
            await session.flush()
            await audit(session, actor, "group.register", "group", row.id, {"unit_id": unit_id}, at=now)
            view = _group_view(row)
        return view

    async def groups(self) -> list[GroupView]:
        """Every registered group chat, by unit then id."""
        async with self._sessions() as session:
            rows = (
                await session.execute(select(ChatGroup).order_by(ChatGroup.unit_id, ChatGroup.id))
            ).scalars()
            return [_group_view(row) for row in rows]

    async def person(self, person_id: int) -> PersonView | None:
        """A person by id."""
        async with self._sessions() as session:
            row = await session.get(Person, person_id)
        return _person_view(row) if row is not None else None

    async def groups_of(self, unit_id: int) -> list[GroupView]:
        """The unit's registered group chats."""
        async with self._sessions() as session:
            rows = (await session.execute(select(ChatGroup).where(ChatGroup.unit_id == unit_id))).scalars()
            return [_group_view(row) for row in rows]

    # --- permissions ------------------------------------------------------------------------------

    def can_manage(self, actor: Actor, role: Role, unit_id: int | None) -> bool:
        """Admins manage everyone; a leader manages staff, guides and residents of their own units."""
        if actor.is_admin:
            return True
        if not actor.is_leader:
            return False
        return (
            role in (Role.STAFF, Role.GUIDE, Role.RESIDENT)
            and unit_id is not None
            and unit_id in actor.unit_ids
        )

    def _check_manage(self, actor: Actor, role: Role, unit_id: int | None) -> None:
        _require(self.can_manage(actor, role, unit_id), "may not manage this person")


async def recipient_changed(session: AsyncSession, change: RecipientChange) -> None:
    """Outbox hook: a blocked chat deactivates its account or group; a migrated group takes its new id."""
    if change.new_chat_id:
        await session.execute(
            update(ChatGroup)
            .where(ChatGroup.platform == change.platform.value, ChatGroup.chat_id == change.chat_id)
            .values(chat_id=change.new_chat_id)
            .execution_options(synchronize_session=False)
        )
        return
    await session.execute(
        update(PlatformAccount)
        .where(PlatformAccount.platform == change.platform.value, PlatformAccount.chat_id == change.chat_id)
        .values(active=False)
        .execution_options(synchronize_session=False)
    )
    await session.execute(
        update(ChatGroup)
        .where(ChatGroup.platform == change.platform.value, ChatGroup.chat_id == change.chat_id)
        .values(active=False)
        .execution_options(synchronize_session=False)
    )


async def _person_by_account(session: AsyncSession, platform: Platform, user_id: str) -> Person | None:
    statement = (
        select(Person)
        .join(PlatformAccount, PlatformAccount.person_id == Person.id)
        .where(PlatformAccount.platform == platform.value, PlatformAccount.user_id == str(user_id))
    )
    return (await session.execute(statement)).scalar_one_or_none()


async def _led_units(session: AsyncSession, person: Person) -> frozenset[int]:
    if person.role != Role.LEADER.value:
        return frozenset()
    conditions = [Unit.leader_id == person.id]
    if person.unit_id is not None:
        conditions.append(Unit.id == person.unit_id)
    rows = await session.execute(select(Unit.id).where(or_(*conditions)))
    return frozenset(int(unit_id) for unit_id in rows.scalars())


def _require(condition: bool, reason: str) -> None:
    if not condition:
        raise PermissionDeniedError(reason)


def _tags(tags: Iterable[str]) -> list[str]:
    return sorted({tag.strip().casefold() for tag in tags if tag.strip()})
