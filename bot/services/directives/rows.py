"""Loading and viewing directive rows, and small storage helpers shared by the directive modules."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.directives.model import (
    Audience,
    DirectiveNotFoundError,
    DirectiveView,
    ScheduleKind,
    Status,
    Urgency,
)
from bot.storage import Directive


def aware(value: datetime) -> datetime:
    """Aggregates come back without the column type's time zone on SQLite: read them as UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def dialect(session: AsyncSession) -> str:
    """The database's dialect name ("sqlite", "postgresql")."""
    return session.get_bind().dialect.name


async def insert_ignore(session: AsyncSession, model: Any, values: dict[str, Any], keys: list[str]) -> bool:
    """Insert one row unless one with the same ``keys`` exists; True when it was inserted."""
    insert = postgresql.insert if dialect(session) == "postgresql" else sqlite.insert
    statement = insert(model).values(**values).on_conflict_do_nothing(index_elements=keys)
    return bool(getattr(await session.execute(statement), "rowcount", 0))


def view_of(row: Directive) -> DirectiveView:
    """A stored directive as the service shows it."""
    return DirectiveView(
        id=row.id,
        title=row.title,
        body=row.body,
        urgency=Urgency(row.urgency),
        audience=Audience.from_json(row.audience),
        image_url=row.image_url,
        link_url=row.link_url,
        ack_required=row.ack_required,
        ack_deadline=row.ack_deadline,
        schedule_kind=ScheduleKind(row.schedule_kind),
        schedule_at=row.schedule_at,
        cron=row.cron,
        timezone=row.timezone,
        status=Status(row.status),
        next_run_at=row.next_run_at,
        created_by=row.created_by,
        created_at=row.created_at,
        reminder_minutes=tuple(row.reminder_minutes) if row.reminder_minutes is not None else None,
        escalate_after=row.escalate_after,
    )


async def load(session: AsyncSession, directive_id: int, *, lock: bool = False) -> Directive:
    """The directive row (locked for update on PostgreSQL); DirectiveNotFoundError when there is none."""
    statement = select(Directive).where(Directive.id == directive_id)
    if lock and dialect(session) == "postgresql":
        statement = statement.with_for_update()
    row = (await session.execute(statement)).scalar_one_or_none()
    if row is None:
        raise DirectiveNotFoundError("no such directive")
    return row
