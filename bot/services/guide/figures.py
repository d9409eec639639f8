"""Guide activity for reports: per guide, the residents helped and the cards sent per procedure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage import GuideHelp, Person


@dataclass(frozen=True)
class GuideActivity:
    """One guide's work in a period: distinct residents helped, and cards sent per procedure code."""

    guide_name: str
    residents: int
    by_procedure: dict[str, int]


async def guide_activity(
    session: AsyncSession, start: datetime, end: datetime, unit_id: int | None = None
) -> list[GuideActivity]:
    """Each guide's activity in ``[start, end)`` (UTC-aware), of one unit when given; by name."""
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("start and end must be timezone-aware")
    statement = (
        select(
            GuideHelp.guide_id,
            Person.name,
            GuideHelp.platform,
            GuideHelp.resident_id,
            GuideHelp.procedure_code,
        )
        .join(Person, Person.id == GuideHelp.guide_id)
        .where(GuideHelp.at >= start, GuideHelp.at < end)
    )
    if unit_id is not None:
        statement = statement.where(GuideHelp.unit_id == unit_id)
    names: dict[int, str] = {}
    residents: dict[int, set[tuple[str, str]]] = {}
    counts: dict[int, dict[str, int]] = {}
    for guide_id, name, platform, resident, code in (await session.execute(statement)).tuples():
        names[guide_id] = name
        residents.setdefault(guide_id, set()).add((platform, resident))
        per_code = counts.setdefault(guide_id, {})
        per_code[code] = per_code.get(code, 0) + 1
    ordered = sorted(names, key=lambda guide_id: (names[guide_id].casefold(), guide_id))
    return [
        GuideActivity(
            guide_name=names[guide_id],
            residents=len(residents[guide_id]),
            by_procedure=dict(sorted(counts[guide_id].items(), key=lambda item: (-item[1], item[0]))),
        )
        for guide_id in ordered
    ]
