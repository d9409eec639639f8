"""The weekly digest: last week's report, as text and a chart, to the groups of units that have a leader.

Exactly once per period, across restarts and processes: one ``report_digests`` row per period (unique)
is claimed in the same transaction that puts the messages in the outbox. A process that loses the race
inserts nothing and queues nothing; a crash before the commit leaves neither the claim nor the messages,
so the next run sends it. The outbox keys (period and chat) make a second enqueue harmless as well.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import cast
from zoneinfo import ZoneInfo

from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import WEEKDAYS, ReportConfig, clock_time
from bot.messages import ChatRef, Platform, Reply
from bot.outbox import Outgoing, enqueue_many
from bot.services.report.build import Report, build_report
from bot.services.report.period import Period, local_today, previous_week
from bot.storage import ChatGroup, ReportDigest, SessionFactory, Unit
from bot.storage.bulk import insert_new
from bot.storage.columns import utcnow

log = logging.getLogger(__name__)

KIND = "report.digest"
_TABLE = cast(Table, ReportDigest.__table__)


@dataclass(frozen=True, slots=True)
class DigestContent:
    """What the digest says: the report as chat markup, and the chart with its caption."""

    text: str
    chart: bytes
    caption: str


Render = Callable[[Report], DigestContent]


@dataclass(frozen=True, slots=True)
class DigestResult:
    """What one run did: the period it looked at, and how many chats it queued for (0: nothing to do)."""

    period: Period | None
    chats: int = 0
    claimed: bool = False


def due_moment(today: date, settings: ReportConfig, timezone: str) -> datetime | None:
    """This week's digest moment (local day and time, as a UTC-aware datetime); None when turned off."""
    at = clock_time(settings.digest_time)
    if not settings.digest_day or at is None:
        return None
    day = today - timedelta(days=today.weekday()) + timedelta(days=WEEKDAYS.index(settings.digest_day))
    return datetime.combine(day, at, tzinfo=ZoneInfo(timezone))


class Digest:
    """Sends the previous week's report once its digest moment has passed, once per week."""

    def __init__(
        self,
        sessions: SessionFactory,
        settings: ReportConfig,
        timezone: str,
        *,
        render: Render,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        """``render`` puts the report into words and a chart (:func:`bot.reporting.digest_content`)."""
        self._sessions = sessions
        self._settings = settings
        self._timezone = timezone
        self._render = render
        self._clock = clock

    async def run_once(self) -> DigestResult:
        """Queue the digest of the last full week if its moment has passed and no process claimed it yet."""
        now = self._clock()
        today = local_today(now, self._timezone)
        moment = due_moment(today, self._settings, self._timezone)
        if moment is None or now < moment:
            return DigestResult(None)
        period = previous_week(today, self._timezone)
        async with self._sessions() as session:
            if await session.scalar(select(ReportDigest.id).where(ReportDigest.period == period.key)):
                return DigestResult(period)
        # Drawn before the transaction: the claim and the enqueue then take milliseconds, not a chart's time;
        # and in a worker thread, so the chats are served meanwhile.
        report = await build_report(self._sessions, period, now=now)
        content = await asyncio.to_thread(self._render, report)
        async with self._sessions.begin() as session:
            chats = await _leader_groups(session)
            claimed = await insert_new(
                await session.connection(),
                _TABLE,
                "period",
                [{"period": period.key, "recipients": len(chats), "created_at": now}],
            )
            if not claimed:
                return DigestResult(period)
            text, chart = Reply(text=content.text), Reply(text=content.caption, image=content.chart)
            messages = []
            for chat in chats:
                base = f"{KIND}:{period.key}:{chat.key}"
                messages.append(Outgoing(f"{base}:text", chat, text, KIND, period.key))
                messages.append(Outgoing(f"{base}:chart", chat, chart, KIND, period.key))
            await enqueue_many(session, messages)
        log.info("weekly digest %s queued for %d group(s)", period.key, len(chats))
        return DigestResult(period, len(chats), claimed=True)


async def _leader_groups(session: AsyncSession) -> list[ChatRef]:
    rows = await session.execute(
        select(ChatGroup.platform, ChatGroup.chat_id)
        .join(Unit, Unit.id == ChatGroup.unit_id)
        .where(ChatGroup.active.is_(True), Unit.leader_id.is_not(None))
        .order_by(ChatGroup.id)
    )
    return [ChatRef(Platform(platform), chat_id, is_group=True) for platform, chat_id in rows.tuples()]
