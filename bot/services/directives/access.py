"""Who may write and read directives: authors, leaders' scope, read rights."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.directives.model import Audience
from bot.services.directives.results import Target
from bot.services.people import Actor, PermissionDeniedError
from bot.storage import ChatGroup, Directive, DirectiveRecipient


def require_author(actor: Actor) -> None:
    """Only admins and leaders write or read directives."""
    if not (actor.is_admin or actor.is_leader):
        raise PermissionDeniedError("only admins and leaders handle directives")


async def check_scope(
    session: AsyncSession, actor: Actor, audience: Audience, targets: Sequence[Target]
) -> None:
    """A leader may address only their own units: every named unit, group and person must be inside."""
    if actor.is_admin:
        return
    own = actor.unit_ids
    if not set(audience.units) <= own or any(t.unit_id not in own for t in targets):
        raise PermissionDeniedError("audience outside the leader's units")
    if audience.groups:
        rows = await session.execute(select(ChatGroup.unit_id).where(ChatGroup.id.in_(audience.groups)))
        if any(unit not in own for unit in rows.scalars()):
            raise PermissionDeniedError("group outside the leader's units")


async def check_read(session: AsyncSession, actor: Actor, row: Directive) -> None:
    """Admins read everything; a leader reads what they wrote or what reaches their units; no one else."""
    require_author(actor)
    if actor.is_admin or (actor.person_id is not None and row.created_by == actor.person_id):
        return
    units = set(Audience.from_json(row.audience).units)
    if units & actor.unit_ids:
        return
    reached = await session.execute(
        select(DirectiveRecipient.unit_id).where(DirectiveRecipient.directive_id == row.id).distinct()
    )
    if set(reached.scalars()) & actor.unit_ids:
        return
    raise PermissionDeniedError("not the leader's directive")
