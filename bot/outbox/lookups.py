"""What a feature may ask of, or do to, the messages it queued, without reaching into the outbox table.

Reads that a feature runs inside its own query (a correlated "already queued?", a join on its own keys)
are returned as SQL for it to embed; the rest run in the caller's session and transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnExpressionArgument, Exists, Subquery, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.outbox.queue import FAILED, PENDING, SENDING, SENT
from bot.storage import OutboxMessage

KEYS_CHUNK = 500
"""Keys per ``IN (...)`` list, well under SQLite's and asyncpg's parameter limits."""


@dataclass(frozen=True, slots=True)
class Delivery:
    """Where one queued message stands."""

    status: str
    """``pending``, ``sending``, ``sent`` or ``failed``."""
    error: str
    """The last refusal or failure reason; empty when there was none."""
    sent_at: datetime | None
    attempts: int


async def deliveries(session: AsyncSession, keys: Iterable[str]) -> dict[str, Delivery]:
    """The delivery state of each message among ``keys``; a key never queued is absent."""
    wanted = sorted(set(keys))
    found: dict[str, Delivery] = {}
    for start in range(0, len(wanted), KEYS_CHUNK):
        rows = await session.execute(
            select(
                OutboxMessage.key,
                OutboxMessage.status,
                OutboxMessage.error,
                OutboxMessage.sent_at,
                OutboxMessage.attempts,
            ).where(OutboxMessage.key.in_(wanted[start : start + KEYS_CHUNK]))
        )
        for key, status, error, sent_at, attempts in rows.tuples().all():
            found[key] = Delivery(str(status), error or "", sent_at, int(attempts))
    return found


def sent_since(since: datetime) -> Subquery:
    """SQL: ``key`` and ``sent_at`` of messages sent at or after ``since``, to join on a feature's keys."""
    return (
        select(OutboxMessage.key, OutboxMessage.sent_at)
        .where(OutboxMessage.status == SENT, OutboxMessage.sent_at >= since)
        .subquery("sent_since")
    )


def waiting(kind: str, ref: ColumnExpressionArgument[Any]) -> Exists:
    """SQL: some message of ``kind`` for ``ref`` is still pending or being sent."""
    return (
        select(OutboxMessage.id)
        .where(
            OutboxMessage.kind == kind,
            OutboxMessage.ref == ref,
            OutboxMessage.status.in_((PENDING, SENDING)),
        )
        .exists()
    )


def queued_for(
    kind: str,
    ref: ColumnExpressionArgument[Any],
    platform: ColumnExpressionArgument[Any],
    chat_id: ColumnExpressionArgument[Any],
) -> Exists:
    """SQL: a message of ``kind`` for ``ref`` was queued for the chat (``platform``, ``chat_id``)."""
    return (
        select(OutboxMessage.id)
        .where(
            OutboxMessage.ref == ref,
            OutboxMessage.kind == kind,
            OutboxMessage.platform == platform,
            OutboxMessage.chat_id == chat_id,
        )
        .exists()
    )


async def cancel_pending(session: AsyncSession, kinds: Iterable[str], ref: str, reason: str) -> int:
    """Fail, with ``reason``, the messages of ``kinds`` for ``ref`` not yet claimed; return how many."""
    result = await session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.kind.in_(tuple(kinds)),
            OutboxMessage.ref == ref,
            OutboxMessage.status == PENDING,
        )
        .values(status=FAILED, error=reason)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)
