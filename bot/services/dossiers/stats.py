"""Dossier figures for leaders: received, resolved early / on time / late, open, overdue, online, rating.

Counted in SQL (one grouped query for dossiers, one for ratings), per receiving agency and in total, over
the dossiers *received* in a period of calendar days in Asia/Ho_Chi_Minh. Timeliness follows
:func:`bot.services.dossiers.timeliness`: late if resolved after the due time, early if resolved on a day
before the due day, otherwise on time (also when there is no due date).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.dossiers.events import LOCAL_TZ, OPEN_STATUSES
from bot.storage import Dossier, DossierRating, SessionFactory
from bot.storage.columns import utcnow


@dataclass(frozen=True, slots=True)
class AgencyStats:
    """The figures of one agency (or of all, in the total)."""

    agency: str
    received: int = 0
    early: int = 0
    on_time: int = 0
    late: int = 0
    open: int = 0
    overdue: int = 0
    """Still open and past the due time."""
    online: int = 0
    ratings: int = 0
    rating_sum: int = 0

    @property
    def resolved(self) -> int:
        """Dossiers with a result (early + on time + late)."""
        return self.early + self.on_time + self.late

    @property
    def online_share(self) -> float | None:
        """Share of received dossiers submitted online (0-1), None when nothing was received."""
        return self.online / self.received if self.received else None

    @property
    def satisfaction(self) -> float | None:
        """Average rating (1-5), None without ratings."""
        return self.rating_sum / self.ratings if self.ratings else None


@dataclass(frozen=True, slots=True)
class DossierStats:
    """Figures per agency (by name) and the total over them, for one period."""

    date_from: date | None
    date_to: date | None
    agency_filter: str
    agencies: tuple[AgencyStats, ...]
    total: AgencyStats


def day_start(day: date) -> datetime:
    """Return the first moment of ``day`` in Asia/Ho_Chi_Minh."""
    return datetime.combine(day, time(), tzinfo=LOCAL_TZ)


def _local_day(session: AsyncSession, column: Any) -> ColumnElement[Any]:
    if session.get_bind().dialect.name == "postgresql":
        return func.date(func.timezone(LOCAL_TZ.key, column))
    # SQLite keeps UTC text; Viet Nam has had no daylight saving since 1975, so +7 hours is exact.
    return func.date(column, "+7 hours")


async def dossier_stats(
    sessions: SessionFactory,
    *,
    date_from: date | None = None,
    date_to: date | None = None,
    agency: str = "",
    now: datetime | None = None,
) -> DossierStats:
    """Count dossiers received from ``date_from`` to ``date_to`` (inclusive), per agency and in total.

    ``agency`` keeps agencies whose name contains it. ``now`` decides what is overdue.
    """
    moment = now or utcnow()
    async with sessions() as session:
        conditions: list[ColumnElement[bool]] = []
        if date_from is not None:
            conditions.append(Dossier.received_at >= day_start(date_from))
        if date_to is not None:
            conditions.append(Dossier.received_at < day_start(date_to + timedelta(days=1)))
        if agency.strip():
            conditions.append(Dossier.agency.contains(agency.strip(), autoescape=True))
        where = and_(true(), *conditions)
        resolved = Dossier.resolved_at.is_not(None)
        # Judged against the appointment given at receipt: an extension does not make a late dossier timely.
        due = func.coalesce(Dossier.first_due_at, Dossier.due_at)
        late = and_(resolved, due.is_not(None), Dossier.resolved_at > due)
        early = and_(
            resolved,
            due.is_not(None),
            Dossier.resolved_at <= due,
            _local_day(session, Dossier.resolved_at) < _local_day(session, due),
        )
        is_open = Dossier.status.in_(sorted(s.value for s in OPEN_STATUSES))

        def count_if(condition: ColumnElement[bool]) -> ColumnElement[Any]:
            return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

        rows = (
            await session.execute(
                select(
                    Dossier.agency,
                    func.count(),
                    count_if(early),
                    count_if(and_(resolved, ~late, ~early)),
                    count_if(late),
                    count_if(is_open),
                    count_if(and_(is_open, due < moment)),
                    count_if(Dossier.online.is_(True)),
                )
                .where(where)
                .group_by(Dossier.agency)
                .order_by(Dossier.agency)
            )
        ).all()
        ratings = dict(
            (name, (int(n), int(total or 0)))
            for name, n, total in await session.execute(
                select(Dossier.agency, func.count(DossierRating.id), func.sum(DossierRating.score))
                .join(Dossier, Dossier.code == DossierRating.dossier_code)
                .where(where)
                .group_by(Dossier.agency)
            )
        )
    agencies = tuple(
        AgencyStats(
            agency=name,
            received=int(received),
            early=int(early_n),
            on_time=int(on_time_n),
            late=int(late_n),
            open=int(open_n),
            overdue=int(overdue_n),
            online=int(online_n),
            ratings=ratings.get(name, (0, 0))[0],
            rating_sum=ratings.get(name, (0, 0))[1],
        )
        for name, received, early_n, on_time_n, late_n, open_n, overdue_n, online_n in rows
    )
    return DossierStats(
        date_from=date_from,
        date_to=date_to,
        agency_filter=agency.strip(),
        agencies=agencies,
        total=_sum(agencies),
    )


def _sum(agencies: tuple[AgencyStats, ...]) -> AgencyStats:
    return AgencyStats(
        agency="",
        received=sum(a.received for a in agencies),
        early=sum(a.early for a in agencies),
        on_time=sum(a.on_time for a in agencies),
        late=sum(a.late for a in agencies),
        open=sum(a.open for a in agencies),
        overdue=sum(a.overdue for a in agencies),
        online=sum(a.online for a in agencies),
        ratings=sum(a.ratings for a in agencies),
        rating_sum=sum(a.rating_sum for a in agencies),
    )
