"""The durable outbox (DESIGN §5): messages the bot sends on its own, written with their cause.

A service that changes something users must hear about calls :func:`enqueue` inside the same
transaction as the change; a worker (``jobs.outbox``) later claims due rows, sends them with no
transaction open, and marks each sent, retried or failed. Enqueuing is idempotent by ``key``.

:func:`enqueue_edit` queues an *edit* of a message the outbox sent (Telegram only: Zalo has no edits,
so it returns False there and nothing is queued). The worker applies an edit once the original row is
sent, fails it when the original failed, and applies only the newest of several edits of one message
(the older ones are marked sent with the reason ``superseded``). Edit rows are left out of
:func:`outbox_stats`: they are not deliveries.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import and_, case, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.messages import Button, ChatRef, Platform, Reply
from bot.storage import DossierSubscription, OutboxMessage
from bot.storage.columns import utcnow
from bot.storage.engine import begin_write

log = logging.getLogger(__name__)

PENDING = "pending"
SENDING = "sending"
SENT = "sent"
FAILED = "failed"
REASON_LIMIT = 255
SUPERSEDED = "superseded by a newer edit"
EDIT_WAIT_SECONDS = 2.0
"""How long an edit whose original is not sent yet waits before it looks again."""
EDITABLE_PLATFORMS = frozenset({Platform.TELEGRAM})
"""Platforms whose messages can be edited (Zalo's Bot API has no edit method)."""


def reply_to_payload(reply: Reply) -> dict[str, Any]:
    """Serialise a reply for the outbox (images are not stored: they go by link or are rendered at send)."""
    return {"text": reply.text, "buttons": [[b.label, b.payload] for b in reply.buttons]}


def payload_to_reply(payload: dict[str, Any]) -> Reply:
    """Rebuild the reply stored by :func:`reply_to_payload`."""
    buttons = tuple(Button(str(label), str(data)) for label, data in payload.get("buttons", []))
    return Reply(text=str(payload.get("text", "")), buttons=buttons)


async def enqueue(
    session: AsyncSession,
    *,
    key: str,
    chat: ChatRef,
    reply: Reply,
    kind: str,
    ref: str = "",
    due_at: datetime | None = None,
) -> bool:
    """Add one message to the outbox in the caller's transaction; False if ``key`` was already there."""
    return await _insert(session, key, chat, reply_to_payload(reply), kind, ref, due_at)


async def enqueue_edit(
    session: AsyncSession, *, key: str, chat: ChatRef, of_key: str, reply: Reply, kind: str, ref: str = ""
) -> bool:
    """Queue an edit of the message sent by row ``of_key`` to ``reply``; False if ``key`` was there.

    Also False (nothing queued) on a platform that cannot edit messages (see ``EDITABLE_PLATFORMS``).
    """
    if chat.platform not in EDITABLE_PLATFORMS:
        return False
    payload = {**reply_to_payload(reply), _EDIT_OF: of_key}
    return await _insert(session, key, chat, payload, kind, ref, None)


async def _insert(
    session: AsyncSession,
    key: str,
    chat: ChatRef,
    payload: dict[str, Any],
    kind: str,
    ref: str,
    due_at: datetime | None,
) -> bool:
    now = utcnow()
    values = {
        "key": key,
        "platform": chat.platform.value,
        "chat_id": chat.chat_id,
        "is_group": chat.is_group,
        "kind": kind,
        "ref": ref,
        "payload": payload,
        "status": PENDING,
        "attempts": 0,
        "due_at": due_at or now,
        "created_at": now,
    }
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(OutboxMessage).values(**values).on_conflict_do_nothing(index_elements=["key"])
    result = await session.execute(statement)
    return bool(getattr(result, "rowcount", 0))


# --- delivery: what senders raise, and the storage side of the worker --------------------------------


class Sender(Protocol):
    """Sends one reply to one chat on one platform; raises a :class:`DeliveryError` when it cannot."""

    async def send(self, chat: ChatRef, reply: Reply) -> str:
        """Deliver ``reply`` to ``chat`` and return the platform's message id (of the last part)."""

    async def edit(self, chat: ChatRef, message_id: str, reply: Reply) -> None:
        """Change message ``message_id`` in ``chat`` to ``reply``; "not modified" is success.

        Raises :class:`EditUnsupportedError` on a platform without edits.
        """


class DeliveryError(Exception):
    """A reply could not be delivered; ``reason`` is the platform's description, never user text."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason[:REASON_LIMIT]


class RetryLaterError(DeliveryError):
    """Rate limit, server error, timeout or network failure: the same send may succeed later.

    ``retry_after`` (seconds) is the platform's own wait, when it said one.
    """

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


class RateLimitedError(RetryLaterError):
    """The platform answered 429 (too many requests): the worker pauses the whole platform, not one chat."""


class RecipientGoneError(DeliveryError):
    """The chat will not take messages any more (blocked the bot, chat not found, bot removed)."""


class ChatMovedError(DeliveryError):
    """The chat has a new id (a Telegram group became a supergroup); the same send goes there at once."""

    def __init__(self, reason: str, new_chat_id: str) -> None:
        super().__init__(reason)
        self.new_chat_id = new_chat_id


class PermanentDeliveryError(DeliveryError):
    """The platform refused this message for good (bad request...); retrying will not help."""


class EditUnsupportedError(PermanentDeliveryError):
    """The platform cannot edit a message it delivered (Zalo)."""


@dataclass(frozen=True, slots=True)
class Claimed:
    """One outbox row leased to a worker; ``attempts`` counts this claim and fences the marks."""

    id: int
    key: str
    chat: ChatRef
    reply: Reply
    kind: str
    ref: str
    attempts: int
    edit_of: str = ""
    """For an edit: the key of the row whose sent message it changes."""


@dataclass(frozen=True, slots=True)
class EditTarget:
    """What an edit row needs to know about the message it changes, read just before it is applied."""

    status: str
    """The original row's status; ``""`` when there is no row with that key."""
    message_id: str = ""
    chat: ChatRef | None = None
    """Where the original went (its chat id follows a group that moved)."""
    due_at: datetime | None = None
    error: str = ""
    superseded: bool = False
    """A newer edit of the same message is waiting or was applied: this one must not be sent."""


@dataclass(frozen=True, slots=True)
class RecipientChange:
    """A chat the platform said is gone (``new_chat_id`` empty) or moved to ``new_chat_id``."""

    platform: Platform
    chat_id: str
    reason: str
    new_chat_id: str = ""


RecipientHook = Callable[[AsyncSession, RecipientChange], Awaitable[None]]
"""Called in the transaction that marks the row, so other tables (recipients...) change with it."""


@dataclass(frozen=True, slots=True)
class OutboxStats:
    """Counts by status for a ``ref`` and/or ``kind``; what delivery reports show."""

    pending: int = 0
    sending: int = 0
    sent: int = 0
    failed: int = 0
    possible_duplicates: int = 0
    """Sent rows claimed more than once: a lease ran out mid-send, or a timed-out send was tried again."""
    rate_limited: int = 0
    """Rows whose last refusal was a 429 (too many requests), whatever their status now."""
    failure_reasons: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        """Every row counted."""
        return self.pending + self.sending + self.sent + self.failed


def backoff_seconds(attempts: int, *, base: float, cap: float, jitter: float) -> float:
    """Exponential backoff after ``attempts`` tries, scaled by ``jitter`` in [0, 1) into its upper half."""
    ceiling = min(cap, base * 2.0 ** max(attempts - 1, 0))
    return float(ceiling * (0.5 + 0.5 * jitter))


class OutboxStore:
    """The worker's storage operations: claim with a lease, then mark sent, retry, failed or moved.

    Every mark is fenced by the claim's ``attempts``: a worker whose lease ran out and whose row was
    claimed again cannot overwrite the newer claimant's outcome. On PostgreSQL rows are claimed with
    ``SELECT ... FOR UPDATE SKIP LOCKED``, so several workers never lease the same row; SQLite has one.
    """

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        lease_seconds: float = 60.0,
        max_attempts: int = 8,
        backoff_base: float = 5.0,
        backoff_cap: float = 3600.0,
        clock: Callable[[], datetime] = utcnow,
        jitter: Callable[[], float] = random.random,
        on_recipient: RecipientHook | None = None,
    ) -> None:
        self._sessions = sessions
        self._lease = timedelta(seconds=lease_seconds)
        self.max_attempts = max_attempts
        self._backoff_base = backoff_base
        self._backoff_cap = backoff_cap
        self._clock = clock
        self._jitter = jitter
        self._on_recipient = on_recipient

    async def claim(self, limit: int, platforms: Iterable[Platform]) -> list[Claimed]:
        """Lease up to ``limit`` due rows of ``platforms`` (expired leases included), oldest due first."""
        names = sorted({p.value for p in platforms})
        if not names or limit <= 0:
            return []
        now = self._clock()
        due = or_(
            and_(OutboxMessage.status == PENDING, OutboxMessage.due_at <= now),
            and_(OutboxMessage.status == SENDING, OutboxMessage.lease_until <= now),
        )
        select_due = (
            select(OutboxMessage.id)
            .where(OutboxMessage.platform.in_(names), due)
            .order_by(OutboxMessage.due_at, OutboxMessage.id)
            .limit(limit)
        )
        async with self._sessions() as session, session.begin():
            if _dialect(session) == "postgresql":
                select_due = select_due.with_for_update(skip_locked=True)
            else:
                await begin_write(session)
            ids = list((await session.execute(select_due)).scalars())
            if not ids:
                return []
            claim = (
                update(OutboxMessage)
                .where(OutboxMessage.id.in_(ids), due)
                .values(status=SENDING, lease_until=now + self._lease, attempts=OutboxMessage.attempts + 1)
                .returning(
                    OutboxMessage.id,
                    OutboxMessage.key,
                    OutboxMessage.platform,
                    OutboxMessage.chat_id,
                    OutboxMessage.is_group,
                    OutboxMessage.kind,
                    OutboxMessage.ref,
                    OutboxMessage.payload,
                    OutboxMessage.attempts,
                    OutboxMessage.due_at,
                )
                .execution_options(synchronize_session=False)
            )
            rows = (await session.execute(claim)).all()
        claimed = []
        for row in sorted(rows, key=lambda r: (r.due_at, r.id)):
            payload = row.payload if isinstance(row.payload, dict) else {}
            edit_of = payload.get("edit_of")
            claimed.append(
                Claimed(
                    id=row.id,
                    key=row.key,
                    chat=ChatRef(Platform(row.platform), row.chat_id, bool(row.is_group)),
                    reply=payload_to_reply(payload),
                    kind=row.kind,
                    ref=row.ref,
                    attempts=row.attempts,
                    edit_of=edit_of if isinstance(edit_of, str) else "",
                )
            )
        return claimed

    async def mark_sent(self, item: Claimed, message_id: str) -> bool:
        """Record the delivery; False when the claim was lost (lease expired and the row claimed again)."""
        values = {
            "status": SENT,
            "message_id": message_id[:64],
            "sent_at": self._clock(),
            "lease_until": None,
        }
        async with self._sessions() as session, session.begin():
            return await _fenced(session, item, values)

    async def mark_retry(self, item: Claimed, reason: str, retry_after: float | None = None) -> str:
        """Send again later (the platform's wait, or backoff with jitter); failed after ``max_attempts``.

        Returns the row's new status (``pending`` or ``failed``), or ``""`` when the claim was lost.
        """
        now = self._clock()
        if item.attempts >= self.max_attempts:
            values: dict[str, Any] = {
                "status": FAILED,
                "error": _reason(f"gave up: {reason}"),
                "lease_until": None,
            }
        else:
            wait = retry_after
            if wait is None:
                wait = backoff_seconds(
                    item.attempts, base=self._backoff_base, cap=self._backoff_cap, jitter=self._jitter()
                )
            values = {
                "status": PENDING,
                "error": _reason(reason),
                "due_at": now + timedelta(seconds=max(wait, 0.0)),
                "lease_until": None,
            }
        async with self._sessions() as session, session.begin():
            return str(values["status"]) if await _fenced(session, item, values) else ""

    async def mark_failed(self, item: Claimed, reason: str, *, gone: bool = False) -> bool:
        """Record a permanent failure; ``gone``: the recipient is gone, so its subscriptions end too."""
        values = {"status": FAILED, "error": _reason(reason), "lease_until": None}
        async with self._sessions() as session, session.begin():
            marked = await _fenced(session, item, values)
            if marked and gone:
                change = RecipientChange(item.chat.platform, item.chat.chat_id, reason)
                await _deactivate_subscriptions(session, change)
                if self._on_recipient is not None:
                    await self._on_recipient(session, change)
            return marked

    async def chat_moved(self, item: Claimed, new_chat_id: str, reason: str = "chat moved") -> bool:
        """Point the row (and the chat's other waiting rows and subscriptions) at ``new_chat_id``; due now.

        The refused attempt is not counted: it certainly did not reach anyone.
        """
        values = {
            "status": PENDING,
            "chat_id": new_chat_id,
            "due_at": self._clock(),
            "lease_until": None,
            "attempts": item.attempts - 1,
            "error": _reason(reason),
        }
        async with self._sessions() as session, session.begin():
            marked = await _fenced(session, item, values)
            if marked:
                change = RecipientChange(item.chat.platform, item.chat.chat_id, reason, new_chat_id)
                await session.execute(
                    update(OutboxMessage)
                    .where(
                        OutboxMessage.platform == change.platform.value,
                        OutboxMessage.chat_id == change.chat_id,
                        OutboxMessage.status == PENDING,
                    )
                    .values(chat_id=new_chat_id)
                    .execution_options(synchronize_session=False)
                )
                await _move_subscriptions(session, change)
                if self._on_recipient is not None:
                    await self._on_recipient(session, change)
            return marked

    async def release(self, item: Claimed) -> bool:
        """Give a claimed row back unsent (the worker is stopping): pending, due now, attempt not counted."""
        values = {"status": PENDING, "lease_until": None, "attempts": item.attempts - 1}
        async with self._sessions() as session, session.begin():
            return await _fenced(session, item, values)

    async def postpone(self, item: Claimed, due_at: datetime) -> bool:
        """Give a claimed row back unsent until ``due_at`` (a paused platform, an edit whose original waits).

        The attempt is not counted and the last error is kept: nothing was tried.
        """
        values = {"status": PENDING, "lease_until": None, "attempts": item.attempts - 1, "due_at": due_at}
        async with self._sessions() as session, session.begin():
            return await _fenced(session, item, values)

    async def edit_target(self, item: Claimed) -> EditTarget:
        """The message the edit row ``item`` changes, and whether a newer edit of it supersedes ``item``."""
        async with self._sessions() as session:
            original = (
                await session.execute(
                    select(
                        OutboxMessage.status,
                        OutboxMessage.message_id,
                        OutboxMessage.platform,
                        OutboxMessage.chat_id,
                        OutboxMessage.is_group,
                        OutboxMessage.due_at,
                        OutboxMessage.error,
                        OutboxMessage.payload,
                    ).where(OutboxMessage.key == item.edit_of)
                )
            ).first()
            if original is None:
                return EditTarget(status="")
            payload = original.payload if isinstance(original.payload, dict) else {}
            applied = payload.get(_APPLIED_EDIT)
            superseded = isinstance(applied, int) and applied > item.id
            if not superseded:
                # Waiting edits are few (the status index finds them); applied ones are on the original.
                newer = (
                    select(OutboxMessage.id)
                    .where(
                        OutboxMessage.status.in_((PENDING, SENDING)),
                        OutboxMessage.id > item.id,
                        OutboxMessage.payload[_EDIT_OF].as_string() == item.edit_of,
                    )
                    .limit(1)
                )
                superseded = (await session.execute(newer)).first() is not None
        return EditTarget(
            status=str(original.status),
            message_id=str(original.message_id or ""),
            chat=ChatRef(Platform(original.platform), original.chat_id, bool(original.is_group)),
            due_at=original.due_at,
            error=str(original.error or ""),
            superseded=superseded,
        )

    async def mark_edited(self, item: Claimed, message_id: str) -> bool:
        """Record an applied edit, and on its original which edit it now shows (older ones are superseded)."""
        values = {
            "status": SENT,
            "message_id": message_id[:64],
            "sent_at": self._clock(),
            "lease_until": None,
        }
        async with self._sessions() as session, session.begin():
            if not await _fenced(session, item, values):
                return False
            select_original = select(OutboxMessage.id, OutboxMessage.payload).where(
                OutboxMessage.key == item.edit_of
            )
            if _dialect(session) == "postgresql":
                select_original = select_original.with_for_update()
            original = (await session.execute(select_original)).first()
            if original is not None:
                payload = dict(original.payload) if isinstance(original.payload, dict) else {}
                applied = payload.get(_APPLIED_EDIT)
                if not isinstance(applied, int) or applied < item.id:
                    payload[_APPLIED_EDIT] = item.id
                    await session.execute(
                        update(OutboxMessage)
                        .where(OutboxMessage.id == original.id)
                        .values(payload=payload)
                        .execution_options(synchronize_session=False)
                    )
            return True

    async def mark_superseded(self, item: Claimed) -> bool:
        """Close an edit that a newer edit of the same message replaces: sent, nothing sent for it."""
        values = {"status": SENT, "sent_at": self._clock(), "lease_until": None, "error": SUPERSEDED}
        async with self._sessions() as session, session.begin():
            return await _fenced(session, item, values)

    async def waiting_platforms(self) -> set[str]:
        """Platforms that have rows waiting to be sent."""
        async with self._sessions() as session:
            statement = (
                select(OutboxMessage.platform).where(OutboxMessage.status.in_((PENDING, SENDING))).distinct()
            )
            return set((await session.execute(statement)).scalars())

    async def stats(self, *, ref: str | None = None, kind: str | None = None) -> OutboxStats:
        """Counts by status (and failure reasons) of the rows with ``ref`` and/or ``kind``."""
        async with self._sessions() as session:
            return await outbox_stats(session, ref=ref, kind=kind)


async def outbox_stats(
    session: AsyncSession, *, ref: str | None = None, kind: str | None = None
) -> OutboxStats:
    """Counts by status, possible duplicates and failure reasons of the rows with ``ref`` and/or ``kind``."""
    # Edits are not deliveries: a message acknowledged and edited still counts once.
    filters = [OutboxMessage.payload[_EDIT_OF].as_string().is_(None)]
    if ref is not None:
        filters.append(OutboxMessage.ref == ref)
    if kind is not None:
        filters.append(OutboxMessage.kind == kind)
    duplicate = case((and_(OutboxMessage.status == SENT, OutboxMessage.attempts > 1), 1), else_=0)
    limited = case((OutboxMessage.error.like("429%"), 1), else_=0)
    by_status = select(OutboxMessage.status, func.count(), func.sum(duplicate), func.sum(limited)).where(
        *filters
    )
    counts: dict[str, int] = {}
    duplicates = rate_limited = 0
    for status, count, dup, lim in (await session.execute(by_status.group_by(OutboxMessage.status))).all():
        counts[str(status)] = int(count)
        duplicates += int(dup or 0)
        rate_limited += int(lim or 0)
    reasons_query = (
        select(OutboxMessage.error, func.count())
        .where(*filters, OutboxMessage.status == FAILED)
        .group_by(OutboxMessage.error)
    )
    reasons = {str(error or ""): int(count) for error, count in (await session.execute(reasons_query)).all()}
    return OutboxStats(
        pending=counts.get(PENDING, 0),
        sending=counts.get(SENDING, 0),
        sent=counts.get(SENT, 0),
        failed=counts.get(FAILED, 0),
        possible_duplicates=duplicates,
        rate_limited=rate_limited,
        failure_reasons=reasons,
    )


_EDIT_OF = "edit_of"
_APPLIED_EDIT = "applied_edit"
"""On an original row's payload: the id of the newest edit applied to its message."""


def _dialect(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


def _reason(text: str) -> str:
    return text[:REASON_LIMIT]


async def _fenced(session: AsyncSession, item: Claimed, values: dict[str, Any]) -> bool:
    """Update the row only while this claim still holds it."""
    statement = (
        update(OutboxMessage)
        .where(
            OutboxMessage.id == item.id,
            OutboxMessage.status == SENDING,
            OutboxMessage.attempts == item.attempts,
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    result = await session.execute(statement)
    marked = bool(getattr(result, "rowcount", 0))
    if not marked:
        log.warning("outbox: row %s was claimed again before it was marked; outcome not recorded", item.id)
    return marked


async def _deactivate_subscriptions(session: AsyncSession, change: RecipientChange) -> None:
    await session.execute(
        update(DossierSubscription)
        .where(
            DossierSubscription.platform == change.platform.value,
            DossierSubscription.chat_id == change.chat_id,
        )
        .values(active=False)
        .execution_options(synchronize_session=False)
    )


async def _move_subscriptions(session: AsyncSession, change: RecipientChange) -> None:
    """Move the chat's subscriptions to the new id; one the new chat already has stays there alone."""
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
    await _deactivate_subscriptions(session, change)
