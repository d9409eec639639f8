"""Writing directives: check a draft, resolve the names a file uses, create, submit (create and publish
in one transaction) and change what nothing was published of yet."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.directives.access import check_read, check_scope, require_author
from bot.services.directives.changes import apply_changes, diff, draft_of
from bot.services.directives.drafts import ChangeRequest, DraftRequest, Name, Named
from bot.services.directives.model import (
    Audience,
    DirectiveDraft,
    DirectiveStateError,
    DirectiveView,
    InvalidDirectiveError,
    ScheduleKind,
    Status,
)
from bot.services.directives.publishing import publish_row
from bot.services.directives.recipients import preview_of, resolve
from bot.services.directives.results import DraftCheck, Preview, Submitted
from bot.services.directives.rows import load, view_of
from bot.services.directives.settings import Settings
from bot.services.directives.validation import prepared
from bot.services.people import Actor, PermissionDeniedError, audit
from bot.storage import ChatGroup, Directive, DirectiveRecipient, SessionFactory, Unit
from bot.storage.engine import begin_write


class Writing:
    """Drafts in, stored directives out; every draft is checked by :func:`prepared` the same way."""

    def __init__(self, sessions: SessionFactory, settings: Settings) -> None:
        self._sessions = sessions
        self._settings = settings

    async def check(self, actor: Actor, draft: DirectiveDraft) -> DraftCheck:
        """Validate a draft exactly as :meth:`create` would and preview it, storing nothing."""
        require_author(actor)
        now = self._settings.clock()
        draft = prepared(draft, now, self._settings)
        async with self._sessions() as session:
            targets = await resolve(session, draft.audience)
            await check_scope(session, actor, draft.audience, targets)
        view = DirectiveView(
            id=0,
            title=draft.title.strip(),
            body=draft.body.strip(),
            urgency=draft.urgency,
            audience=draft.audience,
            image_url=draft.image_url,
            link_url=draft.link_url,
            ack_required=draft.ack_required,
            ack_deadline=draft.ack_deadline,
            schedule_kind=draft.schedule_kind,
            schedule_at=draft.schedule_at,
            cron=" ".join(draft.cron.split()),
            timezone=draft.timezone,
            status=Status.DRAFT,
            next_run_at=None,
            created_by=actor.person_id,
            created_at=now,
            reminder_minutes=draft.reminder_minutes,
            escalate_after=draft.escalate_after,
        )
        return DraftCheck(view, preview_of(targets))

    async def preview(self, actor: Actor, audience: Audience) -> Preview:
        """How many chats and people an audience reaches now (checked against the actor's units)."""
        require_author(actor)
        async with self._sessions() as session:
            targets = await resolve(session, audience)
            await check_scope(session, actor, audience, targets)
        return preview_of(targets)

    async def create(self, actor: Actor, draft: DirectiveDraft) -> DirectiveView:
        """Validate and store a draft (status draft); leaders only for their own units."""
        require_author(actor)
        now = self._settings.clock()
        draft = prepared(draft, now, self._settings)
        async with self._sessions() as session, session.begin():
            return view_of(await self._insert(session, actor, draft, now))

    async def submit(self, actor: Actor, draft: DirectiveDraft) -> Submitted:
        """Create and publish (or arm) a draft in one transaction: a failed publish leaves no draft behind."""
        require_author(actor)
        now = self._settings.clock()
        draft = prepared(draft, now, self._settings)
        async with self._sessions() as session, session.begin():
            await begin_write(session)
            row = await self._insert(session, actor, draft, now)
            result = await publish_row(session, self._settings, actor, row, now)
            return Submitted(view_of(row), result)

    async def resolve(self, request: DraftRequest) -> DirectiveDraft:
        """The draft of a request read from a file, its units and groups found by id or by name."""
        audience = await self._named(request.draft.audience, request.named)
        return replace(request.draft, audience=audience)

    async def resolve_changes(self, request: ChangeRequest) -> dict[str, Any]:
        """The changes of a request read from a file, its units and groups found by id or by name."""
        changes = dict(request.changes)
        if request.named is not None:
            changes["audience"] = await self._named(changes["audience"], request.named)
        return changes

    async def change(self, actor: Actor, directive_id: int, changes: Mapping[str, Any]) -> DirectiveView:
        """Change a directive nothing of which was published yet (a draft, or an armed recurring one).

        ``changes`` maps :class:`DirectiveDraft` field names to new values; the result is validated like
        :meth:`create`. A new schedule kind drops the other kind's fields unless they are given too.
        An armed directive that stays recurring is re-armed for its new rule (the scheduler's minute
        sync picks that up); one that no longer recurs goes back to draft and must be published again.
        Audited as ``directive.change`` with the fields changed (old and new values; lengths for the body).
        """
        unknown = sorted(set(changes) - set(DirectiveDraft.__dataclass_fields__))
        if unknown:
            raise InvalidDirectiveError(unknown[0], "unknown field")
        now = self._settings.clock()
        async with self._sessions() as session, session.begin():
            await begin_write(session)
            row = await load(session, directive_id, lock=True)
            await self._check_changeable(session, actor, row)
            before = draft_of(row)
            after = prepared(apply_changes(before, changes), now, self._settings)
            changed = diff(before, after)
            if not changed:
                return view_of(row)
            if "audience" in changed:
                targets = await resolve(session, after.audience)
                await check_scope(session, actor, after.audience, targets)
            _write(row, after)
            if row.status == Status.SCHEDULED.value:
                if after.schedule_kind is ScheduleKind.CRON:
                    row.next_run_at = self._settings.next_run(row.cron, now, row.timezone)
                else:
                    row.status, row.next_run_at = Status.DRAFT.value, None
            row.updated_at = now
            details: dict[str, Any] = {"fields": sorted(changed), **changed, "status": row.status}
            await audit(session, actor, "directive.change", "directive", row.id, details, at=now)
            return view_of(row)

    async def _check_changeable(self, session: AsyncSession, actor: Actor, row: Directive) -> None:
        await check_read(session, actor, row)
        if not (actor.is_admin or row.created_by == actor.person_id):
            raise PermissionDeniedError("only the author or an admin changes")
        if row.status not in (Status.DRAFT.value, Status.SCHEDULED.value) or row.last_occurrence:
            raise DirectiveStateError("already published" if row.status != "cancelled" else "cancelled")
        published = await session.execute(
            select(DirectiveRecipient.id).where(DirectiveRecipient.directive_id == row.id).limit(1)
        )
        if published.first() is not None:
            raise DirectiveStateError("already published")

    async def _insert(
        self, session: AsyncSession, actor: Actor, draft: DirectiveDraft, now: datetime
    ) -> Directive:
        targets = await resolve(session, draft.audience)
        await check_scope(session, actor, draft.audience, targets)
        row = Directive(status=Status.DRAFT.value, created_by=actor.person_id, created_at=now, updated_at=now)
        _write(row, draft)
        session.add(row)
        await session.flush()
        details = {"urgency": row.urgency, "schedule": row.schedule_kind, "chats": len(targets)}
        await audit(session, actor, "directive.create", "directive", row.id, details, at=now)
        return row

    async def _named(self, audience: Audience, named: Named) -> Audience:
        """``audience`` with the units and groups ``named`` (ids or names; unknown ones are refused)."""
        if not (named.units or named.groups):
            return audience
        async with self._sessions() as session:
            units = (await session.execute(select(Unit.id, Unit.name))).tuples().all()
            groups = (await session.execute(select(ChatGroup.id, ChatGroup.title))).tuples().all()
        unit_ids = _find(named.units, units, "audience.units", "unknown unit")
        group_ids = _find(named.groups, groups, "audience.groups", "unknown group")
        return replace(audience, units=unit_ids, groups=tuple(sorted({*audience.groups, *group_ids})))


def _write(row: Directive, draft: DirectiveDraft) -> None:
    """Copy a prepared draft's fields onto its row."""
    row.title, row.body = draft.title.strip(), draft.body.strip()
    row.urgency, row.audience = draft.urgency.value, draft.audience.to_json()
    row.image_url, row.link_url = draft.image_url, draft.link_url
    row.ack_required, row.ack_deadline = draft.ack_required, draft.ack_deadline
    row.ack_within_minutes = draft.ack_within_minutes
    row.schedule_kind, row.schedule_at = draft.schedule_kind.value, draft.schedule_at
    row.cron, row.timezone = " ".join(draft.cron.split()), draft.timezone
    row.reminder_minutes = list(draft.reminder_minutes) if draft.reminder_minutes is not None else None
    row.escalate_after = draft.escalate_after


def _find(
    names: Sequence[Name], rows: Sequence[tuple[int, str]], field_name: str, unknown: str
) -> tuple[int, ...]:
    """The ids of rows named by id (``5`` or ``"#5"``) or by their exact name, any case."""
    ids = {row_id for row_id, _ in rows}
    by_name: dict[str, list[int]] = {}
    for row_id, name in rows:
        by_name.setdefault(name.strip().casefold(), []).append(row_id)
    found = set()
    for key in names:
        text = str(key).strip().removeprefix("#")
        if text.isascii() and text.isdigit() and int(text) in ids:
            found.add(int(text))
            continue
        matches = by_name.get(text.casefold(), [])
        if len(matches) != 1:
            raise InvalidDirectiveError(field_name, unknown if not matches else "ambiguous name", str(key))
        found.add(matches[0])
    return tuple(sorted(found))
