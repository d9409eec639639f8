"""The worker's side of the outbox (DESIGN §5): claim due rows with a lease, then mark each outcome.

Rows come in through :mod:`bot.outbox.queue`; the worker (:mod:`bot.outbox.worker`) claims due rows,
sends them with no transaction open, and marks each sent, retried or failed here. Edit rows are applied
once their original is sent; of several edits of one message only the newest is applied (the older ones
are marked sent with the reason ``superseded``).
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.messages import ChatRef, Platform, Reply
from bot.outbox.core import RecipientChange, RecipientHook
from bot.outbox.errors import REASON_LIMIT
from bot.outbox.queue import EDIT_OF, FAILED, PENDING, SENDING, SENT, payload_to_reply
from bot.outbox.stats import OutboxStats, outbox_stats
from bot.storage import OutboxMessage
from bot.storage.columns import utcnow
from bot.storage.engine import SessionFactory, begin_write

log = logging.getLogger(__name__)

SUPERSEDED = "superseded by a newer edit"
EDIT_WAIT_SECONDS = 2.0
"""How long an edit whose original is not sent yet waits before it looks again."""


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
        sessions: SessionFactory,
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

    def _delivered(self, message_id: str) -> dict[str, object]:
        """The columns of a row the platform has accepted, now."""
        return {"status": SENT, "message_id": message_id[:64], "sent_at": self._clock(), "lease_until": None}

    async def mark_sent(self, item: Claimed, message_id: str) -> bool:
        """Record the delivery; False when the claim was lost (lease expired and the row claimed again)."""
        values = self._delivered(message_id)
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
        """Record a permanent failure; ``gone``: the recipient is gone, and the recipient hook hears of it."""
        values = {"status": FAILED, "error": _reason(reason), "lease_until": None}
        async with self._sessions() as session, session.begin():
            marked = await _fenced(session, item, values)
            if marked and gone:
                change = RecipientChange(item.chat.platform, item.chat.chat_id, reason)
                if self._on_recipient is not None:
                    await self._on_recipient(session, change)
            return marked

    async def chat_moved(self, item: Claimed, new_chat_id: str, reason: str = "chat moved") -> bool:
        """Point the row (and the chat's other waiting rows) at ``new_chat_id``, due now; run the hook.

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
                        OutboxMessage.payload[EDIT_OF].as_string() == item.edit_of,
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
        values = self._delivered(message_id)
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
