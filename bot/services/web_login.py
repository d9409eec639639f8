"""The staff console's login without passwords: a one-time link sent by ``/web``, then a session.

A link's token is random (:mod:`secrets`), valid :data:`LINK_TTL`, works once and is bound to the
person and the role they had when asking; a session lasts :data:`SESSION_TTL`. Both are stored only
as SHA-256 hashes and compared in constant time, so a copy of the database opens nothing. Each
session has its own CSRF token for the console's forms. Logins and logouts are audited.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import delete, select, update

from bot.messages import Platform
from bot.services.people import Actor, PeopleService, Role, audit
from bot.storage import Person, SessionFactory, WebLoginToken, WebSession
from bot.storage.columns import utcnow
from bot.storage.engine import begin_write

LINK_TTL = timedelta(minutes=10)
SESSION_TTL = timedelta(hours=8)
CONSOLE_ROLES = frozenset({Role.ADMIN, Role.LEADER, Role.STAFF})
"""Who may open the console: staff read figures, questions and feedback; leaders also send directives;
admins also attach aliases and read the audit log. Guides and residents have nothing to do there."""


class LinkRefusal(StrEnum):
    """Why ``/web`` sent no link."""

    NOT_STAFF = "not_staff"


def digest(token: str) -> str:
    """The stored form of a token."""
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class ConsoleSession:
    """A live console session: who (as an actor for the services), their name, and the form token."""

    actor: Actor
    name: str
    csrf: str
    expires_at: datetime
    unit_id: int | None = None
    """The person's own unit."""

    @property
    def role(self) -> Role:
        """The session's role."""
        return self.actor.role

    def csrf_ok(self, submitted: str) -> bool:
        """True when a form's token is this session's (constant time)."""
        return hmac.compare_digest(self.csrf.encode(), submitted.encode())


@dataclass(frozen=True, slots=True)
class NewSession:
    """A session just opened: the cookie's value (shown once) and when it ends."""

    token: str
    expires_at: datetime


class WebLoginService:
    """Issue login links, exchange them for sessions, read and end sessions."""

    def __init__(
        self, sessions: SessionFactory, people: PeopleService, *, clock: Callable[[], datetime] = utcnow
    ) -> None:
        self._sessions = sessions
        self._people = people
        self.clock = clock

    async def issue(self, platform: Platform, user_id: str) -> str | LinkRefusal:
        """A fresh login token for the person linked to this account, or why not."""
        actor = await self._people.actor(platform, user_id)
        if actor.person_id is None or actor.role not in CONSOLE_ROLES:
            return LinkRefusal.NOT_STAFF
        token = secrets.token_urlsafe(32)
        now = self.clock()
        async with self._sessions() as session, session.begin():
            await session.execute(delete(WebLoginToken).where(WebLoginToken.expires_at < now))
            session.add(
                WebLoginToken(
                    token_hash=digest(token),
                    person_id=actor.person_id,
                    role=actor.role.value,
                    created_at=now,
                    expires_at=now + LINK_TTL,
                )
            )
        return token

    async def redeem(self, token: str) -> NewSession | None:
        """Open a session for a valid, unused, unexpired link whose person still has its role; else None."""
        hashed = digest(token)
        now = self.clock()
        async with self._sessions() as session, session.begin():
            await begin_write(session)
            row = (
                await session.execute(select(WebLoginToken).where(WebLoginToken.token_hash == hashed))
            ).scalar_one_or_none()
            if row is None or not hmac.compare_digest(row.token_hash, hashed):
                return None
            if row.used_at is not None or row.expires_at <= now:
                return None
            # Compare-and-set: of two requests racing with one link (PostgreSQL reads committed rows),
            # only the one whose update still finds it unused opens a session.
            spent = await session.execute(
                update(WebLoginToken)
                .where(WebLoginToken.id == row.id, WebLoginToken.used_at.is_(None))
                .values(used_at=now)
                .execution_options(synchronize_session=False)
            )
            if getattr(spent, "rowcount", 0) != 1:
                return None
            person = await session.get(Person, row.person_id)
            if person is None or not person.active or person.role != row.role:
                return None
            raw = secrets.token_urlsafe(32)
            expires = now + SESSION_TTL
            await session.execute(delete(WebSession).where(WebSession.expires_at < now))
            session.add(
                WebSession(
                    session_hash=digest(raw),
                    person_id=person.id,
                    role=row.role,
                    csrf=secrets.token_urlsafe(32),
                    created_at=now,
                    expires_at=expires,
                )
            )
            actor = Actor(person.id, Role(person.role), f"web:{person.id}")
            await audit(session, actor, "web.login", "person", person.id, at=now)
        return NewSession(raw, expires)

    async def session(self, token: str) -> ConsoleSession | None:
        """The live session of a cookie value; None when unknown, expired, or the person changed role."""
        if not token:
            return None
        hashed = digest(token)
        async with self._sessions() as session:
            row = (
                await session.execute(select(WebSession).where(WebSession.session_hash == hashed))
            ).scalar_one_or_none()
            if row is None or not hmac.compare_digest(row.session_hash, hashed):
                return None
            if row.expires_at <= self.clock():
                return None
            person = await session.get(Person, row.person_id)
            name = person.name if person is not None else ""
            unit_id = person.unit_id if person is not None else None
        actor = await self._people.actor_of(row.person_id, f"web:{row.person_id}")
        if actor is None or actor.role.value != row.role:
            return None
        return ConsoleSession(actor, name, row.csrf, row.expires_at, unit_id)

    async def logout(self, token: str) -> bool:
        """End the session of a cookie value; True when one was ended."""
        hashed = digest(token)
        now = self.clock()
        async with self._sessions() as session, session.begin():
            row = (
                await session.execute(select(WebSession).where(WebSession.session_hash == hashed))
            ).scalar_one_or_none()
            if row is None:
                return False
            await session.delete(row)
            actor = Actor(row.person_id, Role(row.role), f"web:{row.person_id}")
            await audit(session, actor, "web.logout", "person", row.person_id, at=now)
        return True
