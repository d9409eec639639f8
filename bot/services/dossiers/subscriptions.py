"""Who follows which dossier, who rated it, and the limits that keep receipt codes from being mined.

Receipt codes are guessable (DESIGN §4), so status by code is rate-limited per user, and the second
factor of ``/theodoi`` (the last 4 digits of the applicant's phone) locks a user out for a while after
repeated wrong answers. Both counters live in the ``throttles`` table and change in one atomic upsert,
so several bot processes share them. A right answer does not clear the failure count: otherwise one
verification of a dossier of one's own would reset the guessing budget for someone else's.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, and_, case, literal, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import DossierConfig
from bot.messages import ChatRef
from bot.outbox import RecipientChange
from bot.services.dossiers.service import DossierService
from bot.storage import DossierRating, DossierSubscription, SessionFactory, Throttle
from bot.storage.columns import UTCDateTime, utcnow

LOOKUP_WINDOW = timedelta(minutes=1)
COMMENT_MAX = 1000
"""Longest comment kept after a rating (longer ones are cut, not refused)."""


@dataclass(frozen=True, slots=True)
class Count:
    """A throttle counter after one more hit."""

    count: int
    locked_until: datetime | None


class Throttles:
    """Counters per key in fixed windows, with an optional lockout, in the ``throttles`` table."""

    def __init__(self, sessions: SessionFactory, clock: Callable[[], datetime] = utcnow) -> None:
        self._sessions = sessions
        self._clock = clock

    async def hit(
        self, key: str, *, window: timedelta, lock_at: int | None = None, lockout: timedelta | None = None
    ) -> Count:
        """Count one more event for ``key`` in its window; at ``lock_at`` events, lock it for ``lockout``.

        A window that ran out, or a lockout that ended, starts the count again at one.
        """
        now = self._clock()
        locks = lock_at is not None and lockout is not None
        until = now + lockout if lockout is not None else None
        at = functools.partial(literal, type_=UTCDateTime())
        expired = or_(
            Throttle.window_start <= at(now - window),
            and_(Throttle.locked_until.is_not(None), Throttle.locked_until <= at(now)),
        )
        locked_after: ColumnElement[Any]
        if locks:
            assert lock_at is not None
            locked_after = case(
                (expired, at(until) if lock_at <= 1 else literal(None, UTCDateTime())),
                # A lockout running now is not made longer by the attempts it refuses.
                (Throttle.locked_until.is_not(None), Throttle.locked_until),
                (Throttle.count + 1 >= lock_at, at(until)),
                else_=Throttle.locked_until,
            )
        else:
            locked_after = literal(None, UTCDateTime())
        async with self._sessions.begin() as session:
            insert = _insert(session)
            statement = (
                insert(Throttle)
                .values(
                    key=key,
                    count=1,
                    window_start=now,
                    locked_until=until if locks and lock_at is not None and lock_at <= 1 else None,
                )
                .on_conflict_do_update(
                    index_elements=[Throttle.key],
                    set_={
                        "count": case((expired, 1), else_=Throttle.count + 1),
                        "window_start": case((expired, at(now)), else_=Throttle.window_start),
                        "locked_until": locked_after,
                    },
                )
                .returning(Throttle.count, Throttle.locked_until)
            )
            count, locked_until = (await session.execute(statement)).one()
        return Count(count=int(count), locked_until=locked_until)

    async def refund(self, key: str, *, lock_at: int) -> None:
        """Take back one event of ``key``; a lockout ends once the count is below ``lock_at`` again."""
        async with self._sessions.begin() as session:
            await session.execute(
                update(Throttle)
                .where(Throttle.key == key, Throttle.count > 0)
                .values(
                    count=Throttle.count - 1,
                    locked_until=case((Throttle.count - 1 < lock_at, None), else_=Throttle.locked_until),
                )
            )

    async def locked_until(self, key: str) -> datetime | None:
        """When ``key``'s lockout ends, or None if it is not locked now."""
        async with self._sessions() as session:
            until = await session.scalar(select(Throttle.locked_until).where(Throttle.key == key))
        return until if until is not None and until > self._clock() else None


def _insert(session: AsyncSession) -> Any:
    dialect = session.get_bind().dialect.name
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


class Verification(StrEnum):
    """How a second-factor answer went."""

    SUBSCRIBED = "subscribed"
    WRONG = "wrong"
    LOCKED = "locked"


@dataclass(frozen=True, slots=True)
class VerifyResult:
    """The outcome of checking the phone digits for ``/theodoi``."""

    outcome: Verification
    tries_left: int = 0
    locked_until: datetime | None = None


class Rating(StrEnum):
    """How storing a rating went."""

    STORED = "stored"
    UPDATED = "updated"
    NOT_SUBSCRIBED = "not_subscribed"


@dataclass(frozen=True, slots=True)
class Subscription:
    """One dossier a chat follows."""

    code: str
    since: datetime


def user_key(chat: ChatRef, user_id: str) -> str:
    """The user a limit applies to: ``platform:user_id`` (the same person in any chat)."""
    return f"{chat.platform.value}:{user_id}"


class SubscriptionService:
    """Subscriptions of chats to dossiers, ratings, lookup rate limits and verification lockouts."""

    def __init__(
        self,
        sessions: SessionFactory,
        dossiers: DossierService,
        config: DossierConfig,
        *,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._sessions = sessions
        self._dossiers = dossiers
        self._config = config
        self._clock = clock
        self.throttles = Throttles(sessions, clock)

    # Limits

    async def allow_lookup(self, user: str) -> bool:
        """Count one status lookup for ``user``; False when over ``lookups_per_minute``."""
        count = await self.throttles.hit(f"lookup:{user}", window=LOOKUP_WINDOW)
        return count.count <= self._config.lookups_per_minute

    async def locked_until(self, user: str) -> datetime | None:
        """When ``user``'s verification lockout ends, or None if they may try now."""
        return await self.throttles.locked_until(f"verify:{user}")

    # Subscriptions

    async def verify(self, code: str, chat: ChatRef, user_id: str, digits: str) -> VerifyResult:
        """Check the digits (unless locked out); right -> subscribe the chat, wrong -> count a failure.

        The try is counted before the digits are checked, in one atomic upsert: of any number of
        answers racing (in one process or several), at most ``verify_max_failures`` are checked. A right
        answer gives its try back, so it never counts as a failure.
        """
        user = user_key(chat, user_id)
        until = await self.locked_until(user)
        if until is not None:
            return VerifyResult(Verification.LOCKED, locked_until=until)
        key = f"verify:{user}"
        lockout = timedelta(minutes=self._config.lockout_minutes)
        limit = self._config.verify_max_failures
        count = await self.throttles.hit(key, window=lockout, lock_at=limit, lockout=lockout)
        if count.count > limit:
            # Counted after the last allowed try: refused unchecked.
            return VerifyResult(Verification.LOCKED, locked_until=count.locked_until)
        if await self._dossiers.check_phone(code, digits):
            await self.throttles.refund(key, lock_at=limit)
            await self.subscribe(code, chat, user_id)
            return VerifyResult(Verification.SUBSCRIBED)
        if count.locked_until is not None and count.locked_until > self._clock():
            return VerifyResult(Verification.LOCKED, locked_until=count.locked_until)
        return VerifyResult(Verification.WRONG, tries_left=max(limit - count.count, 0))

    async def subscribe(self, code: str, chat: ChatRef, user_id: str) -> bool:
        """Subscribe ``chat`` (one row per chat and dossier); True if it was not actively subscribed."""
        async with self._sessions.begin() as session:
            insert = _insert(session)
            changed = await session.execute(
                update(DossierSubscription)
                .where(_of_chat(chat), DossierSubscription.dossier_code == code)
                .where(DossierSubscription.active.is_(False))
                .values(active=True, user_id=user_id)
            )
            if getattr(changed, "rowcount", 0):
                return True
            created = await session.execute(
                insert(DossierSubscription)
                .values(
                    dossier_code=code,
                    platform=chat.platform.value,
                    chat_id=chat.chat_id,
                    is_group=chat.is_group,
                    user_id=user_id,
                    created_at=self._clock(),
                    active=True,
                )
                .on_conflict_do_nothing(index_elements=["dossier_code", "platform", "chat_id"])
            )
            return bool(getattr(created, "rowcount", 0))

    async def unsubscribe(self, code: str, chat: ChatRef) -> bool:
        """Stop telling ``chat`` about ``code``; True if it was subscribed."""
        async with self._sessions.begin() as session:
            result = await session.execute(
                update(DossierSubscription)
                .where(_of_chat(chat), DossierSubscription.dossier_code == code)
                .where(DossierSubscription.active.is_(True))
                .values(active=False)
            )
        return bool(getattr(result, "rowcount", 0))

    async def is_subscribed(self, code: str, chat: ChatRef) -> bool:
        """Whether ``chat`` actively follows ``code``."""
        async with self._sessions() as session:
            found = await session.scalar(
                select(DossierSubscription.id).where(
                    _of_chat(chat),
                    DossierSubscription.dossier_code == code,
                    DossierSubscription.active.is_(True),
                )
            )
        return found is not None

    async def verified_by(self, code: str, chat: ChatRef, user_id: str) -> bool:
        """Whether ``user_id`` passed the second factor for ``code`` in a private chat on this platform."""
        async with self._sessions() as session:
            found = await session.scalar(
                select(DossierSubscription.id).where(
                    DossierSubscription.platform == chat.platform.value,
                    DossierSubscription.user_id == user_id,
                    DossierSubscription.is_group.is_(False),
                    DossierSubscription.dossier_code == code,
                )
            )
        return found is not None

    async def of_chat(self, chat: ChatRef) -> list[Subscription]:
        """The dossiers ``chat`` actively follows, oldest first."""
        async with self._sessions() as session:
            rows = await session.execute(
                select(DossierSubscription.dossier_code, DossierSubscription.created_at)
                .where(_of_chat(chat), DossierSubscription.active.is_(True))
                .order_by(DossierSubscription.created_at, DossierSubscription.id)
            )
            return [Subscription(code=row.dossier_code, since=row.created_at) for row in rows]

    # Ratings

    async def rate(self, code: str, chat: ChatRef, user_id: str, score: int) -> Rating:
        """Store ``user_id``'s 1-5 rating of ``code`` (a second replaces it); only from a subscribed chat."""
        if not 1 <= score <= 5:
            raise ValueError(f"score out of range: {score}")
        async with self._sessions.begin() as session:
            subscribed = await session.scalar(
                select(DossierSubscription.id).where(_of_chat(chat), DossierSubscription.dossier_code == code)
            )
            if subscribed is None:
                return Rating.NOT_SUBSCRIBED
            updated = await session.execute(
                update(DossierRating)
                .where(_rating_of(code, chat, user_id))
                .values(score=score, created_at=self._clock())
            )
            if getattr(updated, "rowcount", 0):
                return Rating.UPDATED
            created = await session.execute(
                _insert(session)(DossierRating)
                .values(
                    dossier_code=code,
                    platform=chat.platform.value,
                    user_id=user_id,
                    score=score,
                    comment="",
                    created_at=self._clock(),
                )
                .on_conflict_do_update(
                    index_elements=["dossier_code", "platform", "user_id"],
                    set_={"score": score, "created_at": self._clock()},
                )
            )
            return Rating.STORED if getattr(created, "rowcount", 0) else Rating.UPDATED

    async def comment(self, code: str, chat: ChatRef, user_id: str, text: str) -> bool:
        """Attach a comment to ``user_id``'s rating of ``code``; False if they have not rated it."""
        async with self._sessions.begin() as session:
            result = await session.execute(
                update(DossierRating)
                .where(_rating_of(code, chat, user_id))
                .values(comment=text.strip()[:COMMENT_MAX])
            )
        return bool(getattr(result, "rowcount", 0))


def _of_chat(chat: ChatRef) -> ColumnElement[bool]:
    return and_(
        DossierSubscription.platform == chat.platform.value, DossierSubscription.chat_id == chat.chat_id
    )


def _rating_of(code: str, chat: ChatRef, user_id: str) -> ColumnElement[bool]:
    return and_(
        DossierRating.dossier_code == code,
        DossierRating.platform == chat.platform.value,
        DossierRating.user_id == user_id,
    )


async def recipient_changed(session: AsyncSession, change: RecipientChange) -> None:
    """Outbox hook: a gone chat stops following; a moved one follows from its new id.

    A dossier the new chat already follows stays there alone.
    """
    if change.new_chat_id:
        already = (
            select(DossierSubscription.dossier_code)
            .where(
                DossierSubscription.platform == change.platform.value,
                DossierSubscription.chat_id == change.new_chat_id,
            )
            .scalar_subquery()
        )
        await session.execute(
            update(DossierSubscription)
            .where(
                DossierSubscription.platform == change.platform.value,
                DossierSubscription.chat_id == change.chat_id,
                DossierSubscription.dossier_code.not_in(already),
            )
            .values(chat_id=change.new_chat_id)
            .execution_options(synchronize_session=False)
        )
    await session.execute(
        update(DossierSubscription)
        .where(
            DossierSubscription.platform == change.platform.value,
            DossierSubscription.chat_id == change.chat_id,
        )
        .values(active=False)
        .execution_options(synchronize_session=False)
    )
