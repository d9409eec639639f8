"""How much is waiting in the inbox, and for how long: what the metrics endpoint reports."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.inbox.envelope import CLAIMED, PENDING
from bot.storage import InboxUpdate
from bot.storage.columns import utcnow


@dataclass(frozen=True, slots=True)
class InboxStats:
    """Updates stored but not done yet, and the age in seconds of the oldest of them (0 when none)."""

    depth: int
    oldest_age_seconds: float


async def inbox_stats(session: AsyncSession, *, now: datetime | None = None) -> InboxStats:
    """Depth of the inbox (updates not done) and the age of its oldest one."""
    statement = select(func.count(), func.min(InboxUpdate.received_at)).where(
        InboxUpdate.status.in_((PENDING, CLAIMED))
    )
    count, oldest = (await session.execute(statement)).one()
    if not count or oldest is None:
        return InboxStats(0, 0.0)
    # min() keeps the column's type, so the value comes back as an aware UTC datetime.
    age = ((now or utcnow()) - oldest).total_seconds()
    return InboxStats(int(count), max(age, 0.0))
