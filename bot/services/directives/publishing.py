"""Publishing directives: one recipient row and one outbox row per chat in one transaction; recurring
directives armed and published once per occurrence; settling what went out; cancelling."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, cast, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.messages import Platform, Reply
from bot.outbox import cancel_pending, waiting
from bot.services.directives.access import check_read
from bot.services.directives.model import (
    CANCELLED_REASON,
    ESCALATION_KIND,
    KIND,
    ONCE,
    REMINDER_KIND,
    Audience,
    DirectiveStateError,
    ScheduleKind,
    Status,
    Urgency,
)
from bot.services.directives.recipients import resolve, write_recipients
from bot.services.directives.results import PublishResult
from bot.services.directives.rows import load, view_of
from bot.services.directives.settings import Settings
from bot.services.people import Actor, PermissionDeniedError, audit
from bot.services.schedule import zone
from bot.storage import Directive, SessionFactory
from bot.storage.engine import begin_write


class Publishing:
    """Queue directives for their chats, keep recurring ones armed, and cancel."""

    def __init__(self, sessions: SessionFactory, settings: Settings) -> None:
        self._sessions = sessions
        self._settings = settings

    async def publish(
        self, actor: Actor, directive_id: int, *, occurrence_at: datetime | None = None
    ) -> PublishResult:
        """Queue the directive for every recipient chat in one transaction; idempotent.

        One-off directives are queued for their time (now, or ``schedule_at``); a recurring directive is
        armed (``next_run_at``) and queued only for ``occurrence_at``, which the scheduler passes.
        """
        now = self._settings.clock()
        async with self._sessions() as session, session.begin():
            await begin_write(session)
            row = await load(session, directive_id, lock=True)
            await check_read(session, actor, row)
            return await publish_row(session, self._settings, actor, row, now, occurrence_at)

    async def run_due(self, actor: Actor | None = None) -> list[PublishResult]:
        """Publish every recurring directive whose ``next_run_at`` has come, once, then re-arm it.

        Occurrences missed while the bot was down collapse into the one published now.
        """
        actor = actor or Actor.system("scheduler")
        now = self._settings.clock()
        async with self._sessions() as session:
            due = (
                await session.execute(
                    select(Directive.id, Directive.next_run_at).where(
                        Directive.status == Status.SCHEDULED.value,
                        Directive.schedule_kind == ScheduleKind.CRON.value,
                        Directive.next_run_at <= now,
                    )
                )
            ).all()
        results = []
        for directive_id, run_at in due:
            results.append(await self.publish(actor, directive_id, occurrence_at=run_at))
            async with self._sessions() as session, session.begin():
                row = await load(session, directive_id)
                if row.status == Status.SCHEDULED.value:
                    row.next_run_at = self._settings.next_run(row.cron, now, row.timezone)
        return results

    async def settle(self) -> int:
        """Mark one-off directives "sent" once none of their messages waits in the outbox; how many."""
        queued = waiting(KIND, cast(Directive.id, String))
        async with self._sessions() as session, session.begin():
            result = await session.execute(
                update(Directive)
                .where(Directive.status == Status.SENDING.value, ~queued)
                .values(status=Status.SENT.value, updated_at=self._settings.clock())
                .execution_options(synchronize_session=False)
            )
        return int(getattr(result, "rowcount", 0) or 0)

    async def armed(self) -> list[tuple[int, datetime]]:
        """Recurring directives and their next run, for re-arming the scheduler at start."""
        async with self._sessions() as session:
            rows = await session.execute(
                select(Directive.id, Directive.next_run_at).where(
                    Directive.status == Status.SCHEDULED.value, Directive.next_run_at.is_not(None)
                )
            )
            return [(int(i), at) for i, at in rows.all() if at is not None]

    async def cancel(self, actor: Actor, directive_id: int) -> int:
        """Cancel: nothing more is scheduled and waiting rows are not sent; return how many were stopped."""
        now = self._settings.clock()
        async with self._sessions() as session, session.begin():
            await begin_write(session)
            row = await load(session, directive_id, lock=True)
            await check_read(session, actor, row)
            if not (actor.is_admin or row.created_by == actor.person_id):
                raise PermissionDeniedError("only the author or an admin cancels")
            if row.status == Status.CANCELLED.value:
                return 0
            kinds = (KIND, REMINDER_KIND, ESCALATION_KIND)
            stopped = await cancel_pending(session, kinds, str(row.id), CANCELLED_REASON)
            row.status, row.next_run_at, row.updated_at = Status.CANCELLED.value, None, now
            await audit(session, actor, "directive.cancel", "directive", row.id, {"stopped": stopped}, at=now)
            return stopped


async def publish_row(
    session: AsyncSession,
    settings: Settings,
    actor: Actor,
    row: Directive,
    now: datetime,
    occurrence_at: datetime | None = None,
) -> PublishResult:
    """Publish ``row`` inside the caller's transaction (see :meth:`Publishing.publish`)."""
    if row.status == Status.CANCELLED.value:
        raise DirectiveStateError("cancelled")
    kind = ScheduleKind(row.schedule_kind)
    if kind is ScheduleKind.CRON and occurrence_at is None:
        if row.next_run_at is None:
            row.next_run_at = settings.next_run(row.cron, now, row.timezone)
        row.status, row.updated_at = Status.SCHEDULED.value, now
        await audit(session, actor, "directive.arm", "directive", row.id, {"cron": row.cron}, at=now)
        return PublishResult(row.id, "", 0, 0, 0, row.next_run_at)
    if kind is ScheduleKind.CRON:
        assert occurrence_at is not None
        occurrence = occurrence_at.astimezone(zone(row.timezone)).strftime("%Y%m%dT%H%M")
        due = occurrence_at
    else:
        occurrence = ONCE
        due = row.schedule_at if kind is ScheduleKind.AT and row.schedule_at is not None else now
    due = settings.release_time(due, Urgency(row.urgency))
    targets = await resolve(session, Audience.from_json(row.audience))
    view = view_of(row)
    rendered: dict[Platform, Reply] = {}

    def reply_for(platform: Platform) -> Reply:
        if platform not in rendered:
            rendered[platform] = settings.render(view, occurrence, (), platform)
        return rendered[platform]

    queued = await write_recipients(session, row.id, occurrence, targets, reply_for, due, now)
    if kind is ScheduleKind.CRON:
        row.status, row.last_occurrence = Status.SCHEDULED.value, occurrence
    elif row.status in (Status.DRAFT.value, Status.SCHEDULED.value):
        row.status = Status.SENDING.value
        row.last_occurrence = occurrence
    row.updated_at = now
    reachable = sum(1 for t in targets if t.reachable)
    details = {
        "occurrence": occurrence,
        "recipients": len(targets),
        "chats": reachable,
        "unreachable": len(targets) - reachable,
        "queued": queued,
        "due_at": due.isoformat(),
    }
    await audit(session, actor, "directive.publish", "directive", row.id, details, at=now)
    return PublishResult(row.id, occurrence, queued, reachable, len(targets) - reachable, due)
