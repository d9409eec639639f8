"""The directive service: create, preview, publish, acknowledge, remind, report, cancel."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import String, cast, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.messages import ChatRef, Platform, Reply
from bot.services.directives.access import _check_read, _check_scope, _require_author
from bot.services.directives.cron import NextFire, cron_rule, no_cron
from bot.services.directives.drafts import ChangeRequest, DraftRequest, Name, Named
from bot.services.directives.model import (
    BODY_LIMIT,
    CANCELLED_REASON,
    EDIT_KIND,
    ESCALATION_KIND,
    KIND,
    ONCE,
    REMINDER_KIND,
    TITLE_LIMIT,
    UNREACHABLE,
    Audience,
    DirectiveDraft,
    DirectiveStateError,
    DirectiveView,
    InvalidDirectiveError,
    ScheduleKind,
    Status,
    Urgency,
)
from bot.services.directives.recipients import (
    _preview,
    _private_chats,
    _reminded,
    _resolve,
    _write_recipients,
)
from bot.services.directives.render import (
    DirectiveRenderer,
    EscalationRenderer,
    ReminderRenderer,
    default_escalation,
    default_reminder,
    default_render,
)
from bot.services.directives.report import _acks, _group_titles, _line, _names
from bot.services.directives.results import (
    AckOutcome,
    AckResult,
    DirectiveReport,
    DraftCheck,
    PersonAck,
    Preview,
    PublishResult,
    RemindResult,
    Submitted,
    UnitLine,
)
from bot.services.directives.rows import _aware, _dialect, _directive, _insert_ignore, _view
from bot.services.directives.validation import _apply_changes, _diff, _draft_of
from bot.services.outbox import (
    FAILED,
    PENDING,
    SENDING,
    SENT,
    enqueue,
    enqueue_edit,
    outbox_stats,
)
from bot.services.people import Actor, PermissionDeniedError, audit
from bot.services.schedule import after_quiet_hours, zone
from bot.storage import (
    Acknowledgement,
    ChatGroup,
    Directive,
    DirectiveRecipient,
    DirectiveReminder,
    OutboxMessage,
    Person,
    PlatformAccount,
    SessionFactory,
    Unit,
)
from bot.storage.columns import utcnow
from bot.storage.engine import begin_write


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
        if text.isdigit() and int(text) in ids:
            found.add(int(text))
            continue
        matches = by_name.get(text.casefold(), [])
        if len(matches) != 1:
            raise InvalidDirectiveError(field_name, unknown if not matches else "ambiguous name", str(key))
        found.add(matches[0])
    return tuple(sorted(found))


class DirectiveService:
    """Create, schedule and track directives; delivery goes through the outbox."""

    def __init__(
        self,
        sessions: SessionFactory,
        *,
        render: DirectiveRenderer = default_render,
        clock: Callable[[], datetime] = utcnow,
        timezone: str = "Asia/Ho_Chi_Minh",
        quiet_start: time = time(21, 0),
        quiet_end: time = time(6, 30),
        next_fire: NextFire = no_cron,
        reminder_minutes: Sequence[int] = (60, 240),
        escalate_after: int = 2,
        render_reminder: ReminderRenderer = default_reminder,
        render_escalation: EscalationRenderer = default_escalation,
        ack_deadline_hours: int = 24,
    ) -> None:
        """``ack_deadline_hours``: the deadline of an acknowledgement a one-off draft names none for
        (0: none)."""
        self._sessions = sessions
        self._render = render
        self._clock = clock
        self._zone = zone(timezone)
        self._quiet = (quiet_start, quiet_end)
        self._next_fire = next_fire
        self._reminders = tuple(sorted(set(reminder_minutes)))
        self._escalate_after = min(max(escalate_after, 0), len(self._reminders))
        self._render_reminder = render_reminder
        self._render_escalation = render_escalation
        self._deadline_hours = ack_deadline_hours

    def recurring_rule(self, text: str) -> str | None:
        """``text`` as a stored cron rule (crontab or an everyday Vietnamese rule) if it fires; else None."""
        rule = cron_rule(text)
        try:
            fires = self._next_fire(rule, self._clock(), self._zone)
        except ValueError:
            return None
        return rule if fires is not None else None

    def next_run(self, rule: str, after: datetime, timezone: str) -> datetime | None:
        """The next firing of a cron rule (or an everyday Vietnamese one) after ``after``."""
        return self._next_fire(cron_rule(rule), after, zone(timezone))

    # --- create and read --------------------------------------------------------------------------

    async def create(self, actor: Actor, draft: DirectiveDraft) -> DirectiveView:
        """Validate and store a draft (status draft); leaders only for their own units."""
        _require_author(actor)
        now = self._clock()
        draft = self._prepared(draft, now)
        async with self._sessions() as session, session.begin():
            return _view(await self._insert(session, actor, draft, now))

    async def submit(self, actor: Actor, draft: DirectiveDraft) -> Submitted:
        """Create and publish (or arm) a draft in one transaction: a failed publish leaves no draft behind."""
        _require_author(actor)
        now = self._clock()
        draft = self._prepared(draft, now)
        async with self._sessions() as session, session.begin():
            await begin_write(session)
            row = await self._insert(session, actor, draft, now)
            result = await self._publish_row(session, actor, row, now)
            return Submitted(_view(row), result)

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

    def _prepared(self, draft: DirectiveDraft, now: datetime) -> DirectiveDraft:
        """The draft as stored: a recurring rule in cron form, the default deadline; validated."""
        if draft.schedule_kind is ScheduleKind.CRON:
            draft = replace(draft, cron=cron_rule(draft.cron))
        if (
            draft.ack_required
            and draft.ack_deadline is None
            and draft.schedule_kind is not ScheduleKind.CRON
            and self._deadline_hours > 0
        ):
            start = draft.schedule_at if draft.schedule_kind is ScheduleKind.AT and draft.schedule_at else now
            draft = replace(draft, ack_deadline=start + timedelta(hours=self._deadline_hours))
        self._validate(draft, now)
        return draft

    async def _insert(
        self, session: AsyncSession, actor: Actor, draft: DirectiveDraft, now: datetime
    ) -> Directive:
        targets = await _resolve(session, draft.audience)
        await _check_scope(session, actor, draft.audience, targets)
        row = Directive(
            title=draft.title.strip(),
            body=draft.body.strip(),
            urgency=draft.urgency.value,
            audience=draft.audience.to_json(),
            image_url=draft.image_url,
            link_url=draft.link_url,
            ack_required=draft.ack_required,
            ack_deadline=draft.ack_deadline,
            ack_within_minutes=draft.ack_within_minutes,
            schedule_kind=draft.schedule_kind.value,
            schedule_at=draft.schedule_at,
            cron=" ".join(draft.cron.split()),
            timezone=draft.timezone,
            status=Status.DRAFT.value,
            created_by=actor.person_id,
            created_at=now,
            updated_at=now,
        )
        session.add(row)
        await session.flush()
        details = {"urgency": row.urgency, "schedule": row.schedule_kind, "chats": len(targets)}
        await audit(session, actor, "directive.create", "directive", row.id, details, at=now)
        return row

    async def check(self, actor: Actor, draft: DirectiveDraft) -> DraftCheck:
        """Validate a draft exactly as :meth:`create` would and preview it, storing nothing."""
        _require_author(actor)
        now = self._clock()
        draft = self._prepared(draft, now)
        async with self._sessions() as session:
            targets = await _resolve(session, draft.audience)
            await _check_scope(session, actor, draft.audience, targets)
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
        )
        return DraftCheck(view, _preview(targets))

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
        now = self._clock()
        async with self._sessions() as session, session.begin():
            await begin_write(session)
            row = await _directive(session, directive_id, lock=True)
            await _check_read(session, actor, row)
            if not (actor.is_admin or row.created_by == actor.person_id):
                raise PermissionDeniedError("only the author or an admin changes")
            if row.status not in (Status.DRAFT.value, Status.SCHEDULED.value) or row.last_occurrence:
                raise DirectiveStateError("already published" if row.status != "cancelled" else "cancelled")
            published = await session.execute(
                select(DirectiveRecipient.id).where(DirectiveRecipient.directive_id == row.id).limit(1)
            )
            if published.first() is not None:
                raise DirectiveStateError("already published")
            before = _draft_of(row)
            after = self._prepared(_apply_changes(before, changes), now)
            diff = _diff(before, after)
            if not diff:
                return _view(row)
            if "audience" in diff:
                targets = await _resolve(session, after.audience)
                await _check_scope(session, actor, after.audience, targets)
            row.title, row.body = after.title.strip(), after.body.strip()
            row.urgency, row.audience = after.urgency.value, after.audience.to_json()
            row.image_url, row.link_url = after.image_url, after.link_url
            row.ack_required, row.ack_deadline = after.ack_required, after.ack_deadline
            row.ack_within_minutes = after.ack_within_minutes
            row.schedule_kind, row.schedule_at = after.schedule_kind.value, after.schedule_at
            row.cron, row.timezone = " ".join(after.cron.split()), after.timezone
            if row.status == Status.SCHEDULED.value:
                if after.schedule_kind is ScheduleKind.CRON:
                    row.next_run_at = self.next_run(row.cron, now, row.timezone)
                else:
                    row.status, row.next_run_at = Status.DRAFT.value, None
            row.updated_at = now
            details: dict[str, Any] = {"fields": sorted(diff), **diff, "status": row.status}
            await audit(session, actor, "directive.change", "directive", row.id, details, at=now)
            return _view(row)

    async def get(self, actor: Actor, directive_id: int) -> DirectiveView:
        """A directive the actor may read."""
        async with self._sessions() as session:
            row = await _directive(session, directive_id)
            await _check_read(session, actor, row)
            return _view(row)

    async def recent(self, actor: Actor, *, limit: int = 50) -> list[DirectiveView]:
        """The newest directives the actor may read."""
        _require_author(actor)
        async with self._sessions() as session:
            rows = (
                await session.execute(select(Directive).order_by(Directive.id.desc()).limit(limit * 4))
            ).scalars()
            found = []
            for row in rows:
                try:
                    await _check_read(session, actor, row)
                except PermissionDeniedError:
                    continue
                found.append(_view(row))
                if len(found) >= limit:
                    break
            return found

    async def preview(self, actor: Actor, audience: Audience) -> Preview:
        """How many chats and people an audience reaches now (checked against the actor's units)."""
        _require_author(actor)
        async with self._sessions() as session:
            targets = await _resolve(session, audience)
            await _check_scope(session, actor, audience, targets)
        return _preview(targets)

    # --- publish --------------------------------------------------------------------------------

    async def publish(
        self, actor: Actor, directive_id: int, *, occurrence_at: datetime | None = None
    ) -> PublishResult:
        """Queue the directive for every recipient chat in one transaction; idempotent.

        One-off directives are queued for their time (now, or ``schedule_at``); a recurring directive is
        armed (``next_run_at``) and queued only for ``occurrence_at``, which the scheduler passes.
        """
        now = self._clock()
        async with self._sessions() as session, session.begin():
            await begin_write(session)
            row = await _directive(session, directive_id, lock=True)
            await _check_read(session, actor, row)
            return await self._publish_row(session, actor, row, now, occurrence_at)

    async def _publish_row(
        self,
        session: AsyncSession,
        actor: Actor,
        row: Directive,
        now: datetime,
        occurrence_at: datetime | None = None,
    ) -> PublishResult:
        if row.status == Status.CANCELLED.value:
            raise DirectiveStateError("cancelled")
        kind = ScheduleKind(row.schedule_kind)
        if kind is ScheduleKind.CRON and occurrence_at is None:
            if row.next_run_at is None:
                row.next_run_at = self.next_run(row.cron, now, row.timezone)
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
        if row.urgency != Urgency.KHAN.value:
            due = after_quiet_hours(due, self._zone, *self._quiet)
        targets = await _resolve(session, Audience.from_json(row.audience))
        view = _view(row)
        rendered: dict[Platform, Reply] = {}

        def reply_for(platform: Platform) -> Reply:
            if platform not in rendered:
                rendered[platform] = self._render(view, occurrence, (), platform)
            return rendered[platform]

        queued = await _write_recipients(session, row.id, occurrence, targets, reply_for, due, now)
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

    async def run_due(self, actor: Actor | None = None) -> list[PublishResult]:
        """Publish every recurring directive whose ``next_run_at`` has come, once, then re-arm it.

        Occurrences missed while the bot was down collapse into the one published now.
        """
        actor = actor or Actor.system("scheduler")
        now = self._clock()
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
                row = await _directive(session, directive_id)
                if row.status == Status.SCHEDULED.value:
                    row.next_run_at = self.next_run(row.cron, now, row.timezone)
        return results

    async def settle(self) -> int:
        """Mark one-off directives "sent" once none of their messages waits in the outbox; how many."""
        waiting = (
            select(OutboxMessage.id)
            .where(
                OutboxMessage.kind == KIND,
                OutboxMessage.ref == cast(Directive.id, String),
                OutboxMessage.status.in_((PENDING, SENDING)),
            )
            .exists()
        )
        async with self._sessions() as session, session.begin():
            result = await session.execute(
                update(Directive)
                .where(Directive.status == Status.SENDING.value, ~waiting)
                .values(status=Status.SENT.value, updated_at=self._clock())
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
        now = self._clock()
        async with self._sessions() as session, session.begin():
            await begin_write(session)
            row = await _directive(session, directive_id, lock=True)
            await _check_read(session, actor, row)
            if not (actor.is_admin or row.created_by == actor.person_id):
                raise PermissionDeniedError("only the author or an admin cancels")
            if row.status == Status.CANCELLED.value:
                return 0
            result = await session.execute(
                update(OutboxMessage)
                .where(
                    OutboxMessage.kind.in_((KIND, REMINDER_KIND, ESCALATION_KIND)),
                    OutboxMessage.ref == str(row.id),
                    OutboxMessage.status == PENDING,
                )
                .values(status=FAILED, error=CANCELLED_REASON)
                .execution_options(synchronize_session=False)
            )
            stopped = int(getattr(result, "rowcount", 0) or 0)
            row.status, row.next_run_at, row.updated_at = Status.CANCELLED.value, None, now
            await audit(session, actor, "directive.cancel", "directive", row.id, {"stopped": stopped}, at=now)
            return stopped

    def release_time(self, due: datetime, urgency: Urgency) -> datetime:
        """When a message due at ``due`` may go: urgent at once, others after the quiet hours."""
        if urgency is Urgency.KHAN:
            return due
        return after_quiet_hours(due, self._zone, *self._quiet)

    # --- acknowledge ----------------------------------------------------------------------------

    async def acknowledge(
        self,
        platform: Platform,
        user_id: str,
        chat: ChatRef,
        *,
        directive_id: int | None = None,
        how: str = "button",
    ) -> AckResult:
        """Record that this person (by platform user id) acknowledged; in a group each member for themselves.

        Without ``directive_id`` (the keyword "đã nhận") it is the newest directive needing
        acknowledgement that was sent to this chat.
        """
        now = self._clock()
        async with self._sessions() as session, session.begin():
            person = (
                await session.execute(
                    select(Person)
                    .join(PlatformAccount, PlatformAccount.person_id == Person.id)
                    .where(
                        PlatformAccount.platform == platform.value, PlatformAccount.user_id == str(user_id)
                    )
                )
            ).scalar_one_or_none()
            if person is None or not person.active:
                return AckResult(AckOutcome.NOT_REGISTERED, directive_id)
            in_chat = (
                select(DirectiveRecipient)
                .join(Directive, Directive.id == DirectiveRecipient.directive_id)
                .where(
                    DirectiveRecipient.platform == chat.platform.value,
                    DirectiveRecipient.chat_id == chat.chat_id,
                )
                .order_by(DirectiveRecipient.id.desc())
                .limit(1)
            )
            if directive_id is not None:
                in_chat = in_chat.where(DirectiveRecipient.directive_id == directive_id)
            else:
                in_chat = in_chat.where(
                    Directive.ack_required.is_(True), Directive.status != Status.CANCELLED.value
                )
            recipient = (await session.execute(in_chat)).scalar_one_or_none()
            reminded: tuple[int, str] | None = None
            if recipient is None and not chat.is_group:
                # Reminded privately (reached through a group): the reminder's chat counts too.
                reminded = await _reminded(session, person.id, directive_id)
            if recipient is None and reminded is None:
                if directive_id is not None and await session.get(Directive, directive_id) is not None:
                    return AckResult(AckOutcome.NOT_A_RECIPIENT, directive_id)
                return AckResult(AckOutcome.NOT_FOUND, directive_id)
            if recipient is not None:
                directive = await _directive(session, recipient.directive_id)
                occurrence = recipient.occurrence
            else:
                assert reminded is not None
                directive = await _directive(session, reminded[0])
                occurrence = reminded[1]
            if directive.status == Status.CANCELLED.value:
                return AckResult(AckOutcome.CANCELLED, directive.id)
            if not directive.ack_required:
                return AckResult(AckOutcome.NOT_REQUIRED, directive.id)
            values = {
                "directive_id": directive.id,
                "occurrence": occurrence,
                "person_id": person.id,
                "platform": chat.platform.value,
                "chat_id": chat.chat_id,
                "at": now,
                "how": how[:16],
            }
            insert = postgresql.insert if _dialect(session) == "postgresql" else sqlite.insert
            statement = (
                insert(Acknowledgement)
                .values(**values)
                .on_conflict_do_nothing(index_elements=["directive_id", "occurrence", "person_id"])
            )
            created = bool(getattr(await session.execute(statement), "rowcount", 0))
            acked_at = (
                await session.execute(
                    select(Acknowledgement.at).where(
                        Acknowledgement.directive_id == directive.id,
                        Acknowledgement.occurrence == occurrence,
                        Acknowledgement.person_id == person.id,
                    )
                )
            ).scalar_one_or_none()
            names = (
                await session.execute(
                    select(Person.name)
                    .join(Acknowledgement, Acknowledgement.person_id == Person.id)
                    .where(
                        Acknowledgement.directive_id == directive.id,
                        Acknowledgement.occurrence == occurrence,
                        Acknowledgement.platform == chat.platform.value,
                        Acknowledgement.chat_id == chat.chat_id,
                    )
                    .order_by(Acknowledgement.at, Acknowledgement.id)
                )
            ).scalars()
            acknowledged = tuple(names)
            if (
                created
                and recipient is not None
                and chat.platform is Platform.TELEGRAM
                and recipient.outbox_key
            ):
                await self._show_acks(session, directive, recipient, chat, acknowledged)
            outcome = AckOutcome.RECORDED if created else AckOutcome.ALREADY
            return AckResult(outcome, directive.id, acknowledged, _aware(acked_at) if acked_at else None)

    async def _show_acks(
        self,
        session: AsyncSession,
        directive: Directive,
        recipient: DirectiveRecipient,
        chat: ChatRef,
        names: Sequence[str],
    ) -> None:
        """Queue an edit of the chat's directive message so it lists who acknowledged (Telegram only)."""
        reply = self._render(_view(directive), recipient.occurrence, names, chat.platform)
        await enqueue_edit(
            session,
            key=f"{recipient.outbox_key}:acks:{len(names)}",
            chat=chat,
            of_key=recipient.outbox_key,
            reply=reply,
            kind=EDIT_KIND,
            ref=str(directive.id),
        )

    async def pending_acknowledgements(
        self, directive_id: int, occurrence: str | None = None
    ) -> list[PersonAck]:
        """Who was expected to acknowledge (an occurrence, by default the latest) and has not."""
        async with self._sessions() as session:
            row = await _directive(session, directive_id)
            occurrence = occurrence or row.last_occurrence or ONCE
            acks = await _acks(session, row.id, occurrence)
        return [a for a in acks if a.at is None]

    # --- reminders and escalation -------------------------------------------------------------

    @property
    def escalation_offset(self) -> timedelta | None:
        """How long after delivery the leader is told (None: never): the last reminder plus one more gap."""
        n = self._escalate_after
        if n == 0:
            return None
        gap = self._reminders[n - 1] - (self._reminders[n - 2] if n >= 2 else 0)
        return timedelta(minutes=self._reminders[n - 1] + gap)

    async def remind_due(self) -> RemindResult:
        """Queue the reminders and escalations that have come due; each goes out exactly once.

        Per person expected to acknowledge (private recipients, and known staff of a group's unit),
        reminder ``n`` is due ``reminder_minutes[n-1]`` after delivery; a person back after a long pause
        gets only the latest one due. A person without a private chat is reminded in the group. Once
        someone has had ``escalate_after`` reminders and one more gap has passed, the unit's leader
        gets one message naming everyone of the unit still missing.
        """
        if not self._reminders:
            return RemindResult()
        now = self._clock()
        offsets = [timedelta(minutes=m) for m in self._reminders]
        escalation = self.escalation_offset
        horizon = max(offsets[-1], escalation or offsets[-1]) + timedelta(days=1)
        async with self._sessions() as session, session.begin():
            await begin_write(session)
            delivered = (
                await session.execute(
                    select(DirectiveRecipient, OutboxMessage.sent_at)
                    .join(Directive, Directive.id == DirectiveRecipient.directive_id)
                    .join(OutboxMessage, OutboxMessage.key == DirectiveRecipient.outbox_key)
                    .where(
                        Directive.ack_required.is_(True),
                        Directive.status.not_in((Status.CANCELLED.value, Status.DRAFT.value)),
                        DirectiveRecipient.occurrence == Directive.last_occurrence,
                        OutboxMessage.status == SENT,
                        OutboxMessage.sent_at >= now - horizon,
                    )
                    .order_by(DirectiveRecipient.id)
                )
            ).all()
            by_occurrence: dict[tuple[int, str], list[tuple[DirectiveRecipient, datetime]]] = {}
            for recipient, sent_at in delivered:
                if sent_at is not None:
                    key = (recipient.directive_id, recipient.occurrence)
                    by_occurrence.setdefault(key, []).append((recipient, sent_at))
            result = RemindResult()
            for (directive_id, occurrence), rows in by_occurrence.items():
                directive = await _directive(session, directive_id)
                result += await self._remind_occurrence(
                    session, directive, occurrence, rows, now, offsets, escalation
                )
            return result

    async def _remind_occurrence(
        self,
        session: AsyncSession,
        directive: Directive,
        occurrence: str,
        rows: Sequence[tuple[DirectiveRecipient, datetime]],
        now: datetime,
        offsets: Sequence[timedelta],
        escalation: timedelta | None,
    ) -> RemindResult:
        # Who is expected, since when, and through which group (None: privately).
        expected: dict[int, tuple[datetime, DirectiveRecipient | None]] = {}
        groups: dict[int, tuple[DirectiveRecipient, datetime]] = {}
        for recipient, sent_at in rows:
            if recipient.person_id is not None:
                expected[recipient.person_id] = (sent_at, None)
            elif recipient.group_id is not None and recipient.unit_id is not None:
                groups[recipient.unit_id] = (recipient, sent_at)
        if groups:
            members = await session.execute(
                select(Person.id, Person.unit_id).where(
                    Person.unit_id.in_(groups),
                    Person.active.is_(True),
                    Person.role != "resident",
                )
            )
            for person_id, unit_id in members.tuples().all():
                if person_id not in expected and unit_id is not None:
                    group_row, sent_at = groups[unit_id]
                    expected[person_id] = (sent_at, group_row)
        if not expected:
            return RemindResult()
        acknowledged = set(
            (
                await session.execute(
                    select(Acknowledgement.person_id).where(
                        Acknowledgement.directive_id == directive.id,
                        Acknowledgement.occurrence == occurrence,
                    )
                )
            ).scalars()
        )
        pending = sorted(set(expected) - acknowledged)
        if not pending:
            return RemindResult()
        counts: dict[int, int] = {}
        lasts: dict[int, datetime] = {}
        done_rows = await session.execute(
            select(
                DirectiveReminder.person_id,
                func.max(DirectiveReminder.number),
                func.max(DirectiveReminder.sent_at),
            )
            .where(
                DirectiveReminder.directive_id == directive.id,
                DirectiveReminder.occurrence == occurrence,
                DirectiveReminder.person_id.in_(pending),
            )
            .group_by(DirectiveReminder.person_id)
        )
        for person_id, number, last in done_rows.tuples().all():
            counts[person_id], lasts[person_id] = int(number or 0), _aware(last)
        people = {
            p.id: p for p in (await session.execute(select(Person).where(Person.id.in_(pending)))).scalars()
        }
        chats = await _private_chats(session, pending)
        view = _view(directive)
        due = self.release_time(now, view.urgency)
        result = RemindResult()
        in_groups: dict[tuple[int, int], list[int]] = {}
        for person_id in pending:
            sent_at, via_group = expected[person_id]
            done = int(counts.get(person_id) or 0)
            number = max((n for n, o in enumerate(offsets, 1) if now >= sent_at + o), default=0)
            if number <= done:
                continue
            chat = chats.get(person_id)
            if chat is None and via_group is None:
                continue
            await _insert_ignore(
                session,
                DirectiveReminder,
                {
                    "directive_id": directive.id,
                    "occurrence": occurrence,
                    "person_id": person_id,
                    "number": number,
                    "sent_at": now,
                },
                ["directive_id", "occurrence", "person_id", "number"],
            )
            counts[person_id], lasts[person_id] = number, now
            if chat is not None:
                result.reminders += await enqueue(
                    session,
                    key=f"{REMINDER_KIND}:{directive.id}:{occurrence}:{person_id}:{number}",
                    chat=chat,
                    reply=self._render_reminder(view, number, (), chat.platform),
                    kind=REMINDER_KIND,
                    ref=str(directive.id),
                    due_at=due,
                )
            elif via_group is not None and via_group.group_id is not None:
                in_groups.setdefault((via_group.group_id, number), []).append(person_id)
        for (group_id, number), person_ids in in_groups.items():
            group_row = next(r for r, _ in rows if r.group_id == group_id)
            names = [people[p].name for p in person_ids if p in people]
            group_chat = ChatRef(Platform(group_row.platform), group_row.chat_id, True)
            result.reminders += await enqueue(
                session,
                key=f"{REMINDER_KIND}:{directive.id}:{occurrence}:group:{group_id}:{number}",
                chat=group_chat,
                reply=self._render_reminder(view, number, names, group_chat.platform),
                kind=REMINDER_KIND,
                ref=str(directive.id),
                due_at=due,
            )
        if escalation is not None:
            result.escalations += await self._escalate(
                session, view, occurrence, pending, lasts, counts, people, now, escalation, due
            )
        return result

    async def _escalate(
        self,
        session: AsyncSession,
        view: DirectiveView,
        occurrence: str,
        pending: Sequence[int],
        lasts: dict[int, datetime],
        counts: dict[int, int],
        people: dict[int, Person],
        now: datetime,
        escalation: timedelta,
        due: datetime,
    ) -> int:
        """One message per unit to its leader, once the unit has someone reminded enough and still silent.

        Due one reminder gap after a person's last (``escalate_after``-th) reminder.
        """
        gap = escalation - timedelta(minutes=self._reminders[self._escalate_after - 1])
        by_unit: dict[int, list[int]] = {}
        for person_id in pending:
            person = people.get(person_id)
            if person is None or person.unit_id is None:
                continue
            if counts.get(person_id, 0) >= self._escalate_after and now >= lasts[person_id] + gap:
                by_unit.setdefault(person.unit_id, []).append(person_id)
        if not by_unit:
            return 0
        units = (
            await session.execute(select(Unit.id, Unit.leader_id, Unit.name).where(Unit.id.in_(by_unit)))
        ).tuples()
        leaders: dict[int, int | None] = {}
        unit_names: dict[int, str] = {}
        for unit_id, leader, unit_name in units:
            leaders[unit_id], unit_names[unit_id] = leader, unit_name
        # A unit naming no leader: its members with the leader role (the oldest first).
        unnamed = [u for u, leader in leaders.items() if leader is None]
        if unnamed:
            members = await session.execute(
                select(Person.unit_id, Person.id)
                .where(Person.unit_id.in_(unnamed), Person.role == "leader", Person.active.is_(True))
                .order_by(Person.id.desc())
            )
            for member_unit, person_id in members.tuples().all():
                if member_unit is not None:
                    leaders[member_unit] = person_id
        chats = await _private_chats(session, [lid for lid in leaders.values() if lid is not None])
        sent = 0
        for unit_id, person_ids in sorted(by_unit.items()):
            leader_id = leaders.get(unit_id)
            chat = chats.get(leader_id) if leader_id is not None else None
            if chat is None:
                continue
            missing = [people[p].name for p in person_ids if p != leader_id]
            if not missing:
                continue
            sent += await enqueue(
                session,
                key=f"{ESCALATION_KIND}:{view.id}:{occurrence}:{unit_id}",
                chat=chat,
                reply=self._render_escalation(view, self._escalate_after, unit_names[unit_id], missing),
                kind=ESCALATION_KIND,
                ref=str(view.id),
                due_at=due,
            )
        return sent

    # --- report ---------------------------------------------------------------------------------

    async def report(self, actor: Actor, directive_id: int, occurrence: str | None = None) -> DirectiveReport:
        """Per recipient and per unit: delivered, failed (reason), pending, unreachable; acknowledgements."""
        async with self._sessions() as session:
            row = await _directive(session, directive_id)
            await _check_read(session, actor, row)
            occurrence = occurrence or row.last_occurrence or ONCE
            statement = (
                select(DirectiveRecipient, OutboxMessage)
                .outerjoin(OutboxMessage, OutboxMessage.key == DirectiveRecipient.outbox_key)
                .where(DirectiveRecipient.directive_id == row.id, DirectiveRecipient.occurrence == occurrence)
                .order_by(DirectiveRecipient.id)
            )
            pairs = (await session.execute(statement)).all()
            names = await _names(session, [r.person_id for r, _ in pairs if r.person_id is not None])
            titles = await _group_titles(session, [r.group_id for r, _ in pairs if r.group_id is not None])
            lines = []
            for recipient, message in pairs:
                lines.append(_line(recipient, message, names, titles))
            acks = await _acks(session, row.id, occurrence)
            unit_names = dict((await session.execute(select(Unit.id, Unit.name))).tuples().all())
            stats = await outbox_stats(session, kind=KIND, ref=str(row.id))
        units: dict[int | None, UnitLine] = {}
        for line in lines:
            unit = units.setdefault(
                line.unit_id, UnitLine(line.unit_id, unit_names.get(line.unit_id, "") if line.unit_id else "")
            )
            if line.status == "delivered":
                unit.delivered += 1
            elif line.status == "failed":
                unit.failed += 1
            elif line.status == UNREACHABLE:
                unit.unreachable += 1
            else:
                unit.pending += 1
        for ack in acks:
            unit = units.setdefault(
                ack.unit_id, UnitLine(ack.unit_id, unit_names.get(ack.unit_id, "") if ack.unit_id else "")
            )
            unit.expected_acks += 1
            unit.acknowledged += ack.at is not None
        ordered = tuple(sorted(units.values(), key=lambda u: (u.unit_id is None, u.name, u.unit_id or 0)))
        return DirectiveReport(_view(row), occurrence, tuple(lines), ordered, tuple(acks), stats)

    # --- validation -------------------------------------------------------------------------------

    def _validate(self, draft: DirectiveDraft, now: datetime) -> None:
        if not draft.title.strip() or len(draft.title.strip()) > TITLE_LIMIT:
            raise InvalidDirectiveError("title", "empty or too long")
        if not draft.body.strip() or len(draft.body.strip()) > BODY_LIMIT:
            raise InvalidDirectiveError("body", "empty or too long")
        if not isinstance(draft.urgency, Urgency):
            raise InvalidDirectiveError("urgency", "khan or thuong")
        if draft.audience.empty:
            raise InvalidDirectiveError("audience", "empty")
        for name, url in (("image_url", draft.image_url), ("link_url", draft.link_url)):
            if url and (
                not url.startswith(("https://", "http://"))
                or len(url) > 2000
                or any(c.isspace() for c in url)
            ):
                raise InvalidDirectiveError(name, "not an http(s) address")
        try:
            tz = zone(draft.timezone)
        except ValueError:
            raise InvalidDirectiveError("timezone", "unknown") from None
        kind = draft.schedule_kind
        if kind is ScheduleKind.AT:
            if draft.schedule_at is None or draft.schedule_at.tzinfo is None:
                raise InvalidDirectiveError("schedule_at", "missing or without time zone")
            if draft.schedule_at <= now:
                raise InvalidDirectiveError("schedule_at", "in the past")
        elif draft.schedule_at is not None:
            raise InvalidDirectiveError("schedule_at", "only for a scheduled time")
        if kind is ScheduleKind.CRON:
            try:
                fires = self._next_fire(draft.cron, now, tz)
            except ValueError as exc:
                raise InvalidDirectiveError("cron", "unreadable", str(exc)) from None
            if fires is None:
                raise InvalidDirectiveError("cron", "never fires")
        elif draft.cron.strip():
            raise InvalidDirectiveError("cron", "only for a recurring schedule")
        if draft.ack_deadline is not None:
            if not draft.ack_required:
                raise InvalidDirectiveError("ack_deadline", "without acknowledgement")
            if draft.ack_deadline.tzinfo is None or draft.ack_deadline <= (draft.schedule_at or now):
                raise InvalidDirectiveError("ack_deadline", "before the directive goes out")
        if draft.ack_within_minutes is not None and not 1 <= draft.ack_within_minutes <= 60 * 24 * 31:
            raise InvalidDirectiveError("ack_within_minutes", "out of range")
