"""Counts of outbox rows: by status for delivery reports (edits left out), and the backlog for metrics."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.outbox.queue import EDIT_OF, FAILED, PENDING, SENDING, SENT
from bot.storage import OutboxMessage


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


async def outbox_stats(
    session: AsyncSession, *, ref: str | None = None, kind: str | None = None
) -> OutboxStats:
    """Counts by status, possible duplicates and failure reasons of the rows with ``ref`` and/or ``kind``."""
    # Edits are not deliveries: a message acknowledged and edited still counts once.
    filters = [OutboxMessage.payload[EDIT_OF].as_string().is_(None)]
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


@dataclass(frozen=True, slots=True)
class Backlog:
    """What waits to be sent: rows not yet finished, and when the longest-waiting due row fell due."""

    depth: int
    oldest_due: datetime | None


async def backlog(session: AsyncSession, now: datetime) -> Backlog:
    """Rows pending or being sent, and the due time of the oldest pending row already due at ``now``."""
    depth = await session.scalar(select(func.count()).where(OutboxMessage.status.in_((PENDING, SENDING))))
    oldest = await session.scalar(
        select(func.min(OutboxMessage.due_at)).where(
            OutboxMessage.status == PENDING, OutboxMessage.due_at <= now
        )
    )
    return Backlog(depth=int(depth or 0), oldest_due=oldest)
