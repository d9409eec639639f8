"""Directives to staff: create, preview, publish through the outbox, acknowledge, report, cancel.

Publishing expands the audience into one recipient row and one outbox row per chat, in one
transaction; outbox keys ``directive:{id}:{occurrence}:{platform}:{chat_id}`` make re-publishing
harmless. One-off directives go out when due (``due_at`` of their outbox rows); a recurring one is
published once per occurrence by the scheduler, which is re-armed from ``next_run_at`` at start.
Non-urgent directives falling in quiet hours are held until morning. The message itself comes from a
renderer passed in, so this module holds no user-facing text beyond a plain default for tests.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, time, timedelta
from enum import StrEnum
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import String, and_, cast, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.messages import Button, ChatRef, Platform, Reply
from bot.services.outbox import (
    FAILED,
    PENDING,
    SENDING,
    SENT,
    OutboxStats,
    enqueue,
    enqueue_edit,
    outbox_stats,
)
from bot.services.people import Actor, PermissionDeniedError, audit
from bot.services.schedule import after_quiet_hours, vietnamese_rule, zone
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
from knowledge.normalize import fold

KIND = "directive"
ONCE = "once"
ACK_PREFIX = "ack:"
ACK_KEYWORDS = frozenset({"da nhan", "danhan", "ok da nhan"})
TITLE_LIMIT = 255
BODY_LIMIT = 3500
CANCELLED_REASON = "cancelled"
UNREACHABLE = "unreachable"
QUEUED = "queued"
EDIT_KIND = "directive-acks"
REMINDER_KIND = "directive-reminder"
ESCALATION_KIND = "directive-escalation"


class Urgency(StrEnum):
    """khẩn (urgent, ignores quiet hours) or thường (normal)."""

    KHAN = "khan"
    THUONG = "thuong"


class ScheduleKind(StrEnum):
    """When a directive goes out."""

    NOW = "now"
    AT = "at"
    CRON = "cron"


class Status(StrEnum):
    """A directive's life."""

    DRAFT = "draft"
    SCHEDULED = "scheduled"
    SENDING = "sending"
    SENT = "sent"
    CANCELLED = "cancelled"


class InvalidDirectiveError(ValueError):
    """A draft field is wrong; ``field`` names it, ``reason`` is a short English code."""

    def __init__(self, field_name: str, reason: str) -> None:
        super().__init__(f"{field_name}: {reason}")
        self.field = field_name
        self.reason = reason


class DirectiveStateError(Exception):
    """The directive cannot do that now (cancelled, unknown...)."""


@dataclass(frozen=True, slots=True)
class Audience:
    """Who a directive goes to: units' members, people with tags, registered groups, named people."""

    units: tuple[int, ...] = ()
    tags: tuple[str, ...] = ()
    groups: tuple[int, ...] = ()
    people: tuple[int, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """The stored form."""
        return {
            "units": list(self.units),
            "tags": list(self.tags),
            "groups": list(self.groups),
            "people": list(self.people),
        }

    @classmethod
    def from_json(cls, data: Any) -> Audience:
        """Parse the stored or submitted form; raise :class:`InvalidDirectiveError` on bad shapes."""
        if not isinstance(data, dict):
            raise InvalidDirectiveError("audience", "not an object")
        unknown = set(data) - {"units", "tags", "groups", "people"}
        if unknown:
            raise InvalidDirectiveError("audience", "unknown keys")
        try:
            units = tuple(sorted({_positive_int(v) for v in data.get("units", [])}))
            groups = tuple(sorted({_positive_int(v) for v in data.get("groups", [])}))
            people = tuple(sorted({_positive_int(v) for v in data.get("people", [])}))
        except (TypeError, ValueError):
            raise InvalidDirectiveError("audience", "ids must be positive integers") from None
        raw_tags = data.get("tags", [])
        if not isinstance(raw_tags, list) or not all(isinstance(t, str) for t in raw_tags):
            raise InvalidDirectiveError("audience", "tags must be strings")
        tags = tuple(sorted({t.strip().casefold() for t in raw_tags if t.strip()}))
        return cls(units, tags, groups, people)

    @property
    def empty(self) -> bool:
        """True when nobody is named."""
        return not (self.units or self.tags or self.groups or self.people)


@dataclass(frozen=True, slots=True)
class DirectiveDraft:
    """What a leader or the CLI submits."""

    title: str
    body: str
    audience: Audience
    urgency: Urgency = Urgency.THUONG
    image_url: str = ""
    link_url: str = ""
    ack_required: bool = False
    ack_deadline: datetime | None = None
    ack_within_minutes: int | None = None
    schedule_kind: ScheduleKind = ScheduleKind.NOW
    schedule_at: datetime | None = None
    cron: str = ""
    timezone: str = "Asia/Ho_Chi_Minh"


@dataclass(frozen=True, slots=True)
class DirectiveView:
    """A stored directive."""

    id: int
    title: str
    body: str
    urgency: Urgency
    audience: Audience
    image_url: str
    link_url: str
    ack_required: bool
    ack_deadline: datetime | None
    schedule_kind: ScheduleKind
    schedule_at: datetime | None
    cron: str
    timezone: str
    status: Status
    next_run_at: datetime | None
    created_by: int | None
    created_at: datetime


class DirectiveRenderer(Protocol):
    """Builds the message of one occurrence of a directive for a platform (None: any).

    ``acknowledged`` names who acknowledged in that chat; the platform lets Telegram show only the
    button and Zalo the line asking for the reply "đã nhận".
    """

    def __call__(
        self,
        directive: DirectiveView,
        occurrence: str,
        acknowledged: Sequence[str] = (),
        platform: Platform | None = None,
    ) -> Reply:
        """Render one occurrence."""
        ...


class ReminderRenderer(Protocol):
    """Builds reminder number ``n``: to a person (no names) or to a group (the members still missing)."""

    def __call__(
        self,
        directive: DirectiveView,
        number: int,
        missing: Sequence[str],
        platform: Platform | None = None,
    ) -> Reply:
        """Render one reminder."""
        ...


EscalationRenderer = Callable[[DirectiveView, int, str, Sequence[str]], Reply]
"""Builds the message to a unit's leader (directive, reminders sent, unit name, who is still missing)."""

NextFire = Callable[[str, datetime, ZoneInfo], "datetime | None"]
"""The first firing of a cron rule strictly after a time (None: never); ValueError for a bad rule."""


def default_render(
    directive: DirectiveView,
    occurrence: str,
    acknowledged: Sequence[str] = (),
    platform: Platform | None = None,
) -> Reply:
    """A plain rendering (title, body, link, who acknowledged, button) for tests and the CLI."""
    parts = [f"<b>{html.escape(directive.title)}</b>", html.escape(directive.body)]
    if directive.link_url:
        parts.append(html.escape(directive.link_url))
    if directive.ack_required and platform is not Platform.TELEGRAM:
        parts.append("Trả lời “đã nhận” để xác nhận")
    if acknowledged:
        parts.append("Đã nhận: " + ", ".join(html.escape(name) for name in acknowledged))
    buttons = (Button("Đã nhận", f"{ACK_PREFIX}{directive.id}"),) if directive.ack_required else ()
    return Reply("\n\n".join(parts), buttons)


def default_reminder(
    directive: DirectiveView, number: int, missing: Sequence[str], platform: Platform | None = None
) -> Reply:
    """A plain reminder for tests and the CLI."""
    text = f"Nhắc lần {number}: {html.escape(directive.title)}"
    if missing:
        text += "\n\nChưa nhận: " + ", ".join(html.escape(name) for name in missing)
    buttons = (Button("Đã nhận", f"{ACK_PREFIX}{directive.id}"),)
    return Reply(text, buttons)


def default_escalation(directive: DirectiveView, reminders: int, unit: str, missing: Sequence[str]) -> Reply:
    """A plain escalation for tests and the CLI."""
    names = ", ".join(html.escape(name) for name in missing)
    head = f"Chưa nhận chỉ đạo #{directive.id} {html.escape(directive.title)}"
    return Reply(f"{head} sau {reminders} lần nhắc ({html.escape(unit)}): {names}")


def no_cron(rule: str, after: datetime, tz: ZoneInfo) -> datetime | None:
    """Used when no cron reader is given: every recurring rule is refused."""
    raise ValueError("recurring schedules are not available here")


@dataclass(frozen=True, slots=True)
class Target:
    """One chat an occurrence goes to (``platform`` empty: a person with no linked chat)."""

    platform: str
    chat_id: str
    is_group: bool
    person_id: int | None
    group_id: int | None
    unit_id: int | None

    @property
    def reachable(self) -> bool:
        """False for a person with no linked chat."""
        return bool(self.platform)


@dataclass(frozen=True, slots=True)
class Preview:
    """What publishing would do: chats, people reached privately, groups, people with no chat."""

    chats: int
    people: int
    groups: int
    unreachable: int


@dataclass(frozen=True, slots=True)
class PublishResult:
    """What a publish wrote: new outbox rows (0 when it was already published) and when they are due."""

    directive_id: int
    occurrence: str
    queued: int
    chats: int
    unreachable: int
    due_at: datetime | None


class AckOutcome(StrEnum):
    """What an acknowledgement did."""

    RECORDED = "recorded"
    ALREADY = "already"
    NOT_REGISTERED = "not_registered"
    NOT_A_RECIPIENT = "not_a_recipient"
    NOT_FOUND = "not_found"
    NOT_REQUIRED = "not_required"
    CANCELLED = "cancelled"


@dataclass(slots=True)
class RemindResult:
    """Reminder and escalation messages queued by one pass."""

    reminders: int = 0
    escalations: int = 0

    def __iadd__(self, other: RemindResult) -> RemindResult:
        self.reminders += other.reminders
        self.escalations += other.escalations
        return self


@dataclass(frozen=True, slots=True)
class AckResult:
    """The outcome, who has acknowledged in that chat so far, and when this person acknowledged.

    ``acknowledged_at`` is the earlier time for ``ALREADY`` and now for ``RECORDED``.
    """

    outcome: AckOutcome
    directive_id: int | None = None
    acknowledged_by: tuple[str, ...] = ()
    acknowledged_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class DraftCheck:
    """A draft validated without storing it: how it reads (``view.id`` is 0) and whom it reaches."""

    view: DirectiveView
    preview: Preview


@dataclass(frozen=True, slots=True)
class PersonAck:
    """One person expected to acknowledge; ``at`` None while pending."""

    person_id: int
    name: str
    unit_id: int | None
    at: datetime | None = None
    how: str = ""


@dataclass(frozen=True, slots=True)
class RecipientLine:
    """One chat of the report: delivered, failed (with reason), pending or unreachable."""

    chat: ChatRef | None
    person_id: int | None
    group_id: int | None
    name: str
    unit_id: int | None
    status: str
    reason: str = ""
    sent_at: datetime | None = None
    attempts: int = 0

    @property
    def possible_duplicate(self) -> bool:
        """Sent after more than one claim: the recipient may have it twice."""
        return self.status == "delivered" and self.attempts > 1


@dataclass(slots=True)
class UnitLine:
    """Per unit: chats by outcome, and acknowledgements expected and given."""

    unit_id: int | None
    name: str
    delivered: int = 0
    failed: int = 0
    pending: int = 0
    unreachable: int = 0
    expected_acks: int = 0
    acknowledged: int = 0


@dataclass(frozen=True, slots=True)
class DirectiveReport:
    """Per recipient and per unit, with the outbox's counts (possible duplicates included)."""

    directive: DirectiveView
    occurrence: str
    recipients: tuple[RecipientLine, ...]
    units: tuple[UnitLine, ...]
    acks: tuple[PersonAck, ...]
    stats: OutboxStats = field(default_factory=OutboxStats)

    @property
    def pending_acks(self) -> tuple[PersonAck, ...]:
        """Who has not acknowledged yet."""
        return tuple(a for a in self.acks if a.at is None)


def parse_ack_payload(payload: str | None) -> int | None:
    """The directive id of an ``ack:{id}`` button payload, or None."""
    if not payload or not payload.startswith(ACK_PREFIX):
        return None
    number = payload[len(ACK_PREFIX) :]
    return int(number) if number.isdigit() and len(number) <= 18 else None


def is_ack_keyword(text: str) -> bool:
    """True for "đã nhận" typed with or without marks (the Zalo way to acknowledge)."""
    words = fold(text).replace(".", " ").replace("!", " ").split()
    return " ".join(words) in ACK_KEYWORDS


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
    ) -> None:
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
        if draft.schedule_kind is ScheduleKind.CRON:
            draft = replace(draft, cron=cron_rule(draft.cron))
        self._validate(draft, now)
        async with self._sessions() as session, session.begin():
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
            return _view(row)

    async def check(self, actor: Actor, draft: DirectiveDraft) -> DraftCheck:
        """Validate a draft exactly as :meth:`create` would and preview it, storing nothing."""
        _require_author(actor)
        now = self._clock()
        if draft.schedule_kind is ScheduleKind.CRON:
            draft = replace(draft, cron=cron_rule(draft.cron))
        self._validate(draft, now)
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
            after = _apply_changes(before, changes)
            if after.schedule_kind is ScheduleKind.CRON:
                after = replace(after, cron=cron_rule(after.cron))
            self._validate(after, now)
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
                raise InvalidDirectiveError("cron", str(exc)) from None
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


# --- helpers ------------------------------------------------------------------------------------------


def cron_rule(text: str) -> str:
    """A cron rule as stored: an everyday Vietnamese rule translated, spaces collapsed."""
    return vietnamese_rule(text) or " ".join(text.split())


def _draft_of(row: Directive) -> DirectiveDraft:
    """The stored directive as the draft that would create it."""
    return DirectiveDraft(
        title=row.title,
        body=row.body,
        audience=Audience.from_json(row.audience),
        urgency=Urgency(row.urgency),
        image_url=row.image_url,
        link_url=row.link_url,
        ack_required=row.ack_required,
        ack_deadline=row.ack_deadline,
        ack_within_minutes=row.ack_within_minutes,
        schedule_kind=ScheduleKind(row.schedule_kind),
        schedule_at=row.schedule_at,
        cron=row.cron,
        timezone=row.timezone,
    )


_CHANGE_TYPES: dict[str, tuple[type, ...]] = {
    "title": (str,),
    "body": (str,),
    "audience": (Audience,),
    "urgency": (Urgency,),
    "image_url": (str,),
    "link_url": (str,),
    "ack_required": (bool,),
    "ack_deadline": (datetime, type(None)),
    "ack_within_minutes": (int, type(None)),
    "schedule_kind": (ScheduleKind,),
    "schedule_at": (datetime, type(None)),
    "cron": (str,),
    "timezone": (str,),
}


def _apply_changes(before: DirectiveDraft, changes: Mapping[str, Any]) -> DirectiveDraft:
    """``before`` with ``changes``; fields a new schedule kind or dropped acknowledgement leaves meaningless
    are cleared unless given."""
    values = dict(changes)
    for name in ("urgency", "schedule_kind"):
        if isinstance(values.get(name), str) and not isinstance(values[name], StrEnum):
            enum = Urgency if name == "urgency" else ScheduleKind
            try:
                values[name] = enum(values[name])
            except ValueError:
                raise InvalidDirectiveError(name, "unknown value") from None
    for name, value in values.items():
        allowed = _CHANGE_TYPES[name]
        if not isinstance(value, allowed) or (isinstance(value, bool) and bool not in allowed):
            raise InvalidDirectiveError(name, "wrong type")
    kind = values.get("schedule_kind", before.schedule_kind)
    if kind is not ScheduleKind.AT:
        values.setdefault("schedule_at", None)
    if kind is not ScheduleKind.CRON:
        values.setdefault("cron", "")
    if values.get("ack_required") is False:
        values.setdefault("ack_deadline", None)
        values.setdefault("ack_within_minutes", None)
    return replace(before, **values)


def _short(value: Any) -> Any:
    """A field's value as the audit log keeps it (JSON)."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, Audience):
        return value.to_json()
    if isinstance(value, StrEnum):
        return value.value
    return value


def _stored_text(name: str, value: str) -> str:
    return " ".join(value.split()) if name == "cron" else value.strip()


def _diff(before: DirectiveDraft, after: DirectiveDraft) -> dict[str, dict[str, Any]]:
    """Changed fields: old and new values, and only lengths for the body (messages stay out of the log)."""
    changed: dict[str, dict[str, Any]] = {}
    for name in DirectiveDraft.__dataclass_fields__:
        old, new = getattr(before, name), getattr(after, name)
        if isinstance(old, str) and isinstance(new, str) and name in ("title", "body", "cron"):
            old, new = _stored_text(name, old), _stored_text(name, new)
        if old == new:
            continue
        if name == "body":
            changed[name] = {"old_length": len(old), "new_length": len(new)}
        else:
            changed[name] = {"old": _short(old), "new": _short(new)}
    return changed


def _aware(value: datetime) -> datetime:
    """Aggregates come back without the column type's time zone on SQLite: read them as UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


async def _reminded(
    session: AsyncSession, person_id: int, directive_id: int | None
) -> tuple[int, str] | None:
    """The newest (directive, occurrence) this person was reminded of privately and may acknowledge."""
    statement = (
        select(DirectiveReminder.directive_id, DirectiveReminder.occurrence)
        .join(Directive, Directive.id == DirectiveReminder.directive_id)
        .where(
            DirectiveReminder.person_id == person_id,
            Directive.ack_required.is_(True),
            Directive.status != Status.CANCELLED.value,
        )
        .order_by(DirectiveReminder.id.desc())
        .limit(1)
    )
    if directive_id is not None:
        statement = statement.where(DirectiveReminder.directive_id == directive_id)
    row = (await session.execute(statement)).first()
    return (int(row[0]), str(row[1])) if row is not None else None


async def _private_chats(session: AsyncSession, person_ids: Iterable[int]) -> dict[int, ChatRef]:
    """Each person's newest active private chat."""
    wanted = set(person_ids)
    if not wanted:
        return {}
    rows = (
        await session.execute(
            select(PlatformAccount)
            .where(PlatformAccount.person_id.in_(wanted), PlatformAccount.active.is_(True))
            .order_by(PlatformAccount.linked_at, PlatformAccount.id)
        )
    ).scalars()
    return {row.person_id: ChatRef(Platform(row.platform), row.chat_id, False) for row in rows}


async def _insert_ignore(session: AsyncSession, model: Any, values: dict[str, Any], keys: list[str]) -> bool:
    insert = postgresql.insert if _dialect(session) == "postgresql" else sqlite.insert
    statement = insert(model).values(**values).on_conflict_do_nothing(index_elements=keys)
    return bool(getattr(await session.execute(statement), "rowcount", 0))


def _positive_int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise TypeError("not an id")
    number = int(value)
    if number <= 0:
        raise ValueError("not an id")
    return number


def _dialect(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


def _require_author(actor: Actor) -> None:
    if not (actor.is_admin or actor.is_leader):
        raise PermissionDeniedError("only admins and leaders handle directives")


def _view(row: Directive) -> DirectiveView:
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
    )


async def _directive(session: AsyncSession, directive_id: int, *, lock: bool = False) -> Directive:
    statement = select(Directive).where(Directive.id == directive_id)
    if lock and _dialect(session) == "postgresql":
        statement = statement.with_for_update()
    row = (await session.execute(statement)).scalar_one_or_none()
    if row is None:
        raise DirectiveStateError("no such directive")
    return row


async def _resolve(session: AsyncSession, audience: Audience) -> list[Target]:
    """The chats an audience reaches now: each person once (their newest active account), each group once."""
    people: dict[int, Person] = {}
    if audience.units or audience.tags or audience.people:
        rows = (await session.execute(select(Person).where(Person.active.is_(True)))).scalars()
        units, tags, ids = set(audience.units), set(audience.tags), set(audience.people)
        for person in rows:
            if person.id in ids or person.unit_id in units or tags & set(person.tags or ()):
                people[person.id] = person
    accounts: dict[int, PlatformAccount] = {}
    if people:
        found = (
            await session.execute(
                select(PlatformAccount)
                .where(PlatformAccount.person_id.in_(people), PlatformAccount.active.is_(True))
                .order_by(PlatformAccount.linked_at, PlatformAccount.id)
            )
        ).scalars()
        for linked in found:
            accounts[linked.person_id] = linked
    targets: dict[tuple[str, str], Target] = {}
    for person_id in sorted(people):
        person, account = people[person_id], accounts.get(person_id)
        if account is None:
            key = ("", f"person:{person_id}")
            targets[key] = Target("", key[1], False, person_id, None, person.unit_id)
        else:
            key = (account.platform, account.chat_id)
            targets.setdefault(
                key, Target(account.platform, account.chat_id, False, person_id, None, person.unit_id)
            )
    if audience.groups:
        groups = (
            await session.execute(
                select(ChatGroup)
                .where(ChatGroup.id.in_(audience.groups), ChatGroup.active.is_(True))
                .order_by(ChatGroup.id)
            )
        ).scalars()
        for group in groups:
            key = (group.platform, group.chat_id)
            targets.setdefault(
                key, Target(group.platform, group.chat_id, True, None, group.id, group.unit_id)
            )
    return list(targets.values())


async def _check_scope(
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


async def _check_read(session: AsyncSession, actor: Actor, row: Directive) -> None:
    """Admins read everything; a leader reads what they wrote or what reaches their units; no one else."""
    _require_author(actor)
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


def _preview(targets: Iterable[Target]) -> Preview:
    chats = people = groups = unreachable = 0
    for target in targets:
        if not target.reachable:
            unreachable += 1
            continue
        chats += 1
        groups += target.is_group
        people += not target.is_group
    return Preview(chats, people, groups, unreachable)


def outbox_key(directive_id: int, occurrence: str, platform: str, chat_id: str) -> str:
    """The outbox key of one occurrence to one chat (unique: re-publishing adds nothing)."""
    return f"{KIND}:{directive_id}:{occurrence}:{platform}:{chat_id}"


async def _write_recipients(
    session: AsyncSession,
    directive_id: int,
    occurrence: str,
    targets: Sequence[Target],
    reply_for: Callable[[Platform], Reply],
    due: datetime,
    now: datetime,
) -> int:
    """Insert the recipient rows and their outbox rows (both idempotent); return new outbox rows."""
    if not targets:
        return 0
    rows = [
        {
            "directive_id": directive_id,
            "occurrence": occurrence,
            "platform": t.platform,
            "chat_id": t.chat_id,
            "is_group": t.is_group,
            "person_id": t.person_id,
            "group_id": t.group_id,
            "unit_id": t.unit_id,
            "outbox_key": outbox_key(directive_id, occurrence, t.platform, t.chat_id) if t.reachable else "",
            "status": QUEUED if t.reachable else UNREACHABLE,
            "created_at": now,
        }
        for t in targets
    ]
    insert = postgresql.insert if _dialect(session) == "postgresql" else sqlite.insert
    for start in range(0, len(rows), 500):
        statement = insert(DirectiveRecipient).values(rows[start : start + 500])
        await session.execute(
            statement.on_conflict_do_nothing(
                index_elements=["directive_id", "occurrence", "platform", "chat_id"]
            )
        )
    queued = 0
    for target, values in zip(targets, rows, strict=True):
        if not target.reachable:
            continue
        chat = ChatRef(Platform(target.platform), target.chat_id, target.is_group)
        queued += await enqueue(
            session,
            key=str(values["outbox_key"]),
            chat=chat,
            reply=reply_for(chat.platform),
            kind=KIND,
            ref=str(directive_id),
            due_at=due,
        )
    return queued


def _line(
    recipient: DirectiveRecipient,
    message: OutboxMessage | None,
    names: dict[int, str],
    titles: dict[int, str],
) -> RecipientLine:
    chat = None
    if recipient.platform:
        chat = ChatRef(Platform(recipient.platform), recipient.chat_id, recipient.is_group)
    name = names.get(recipient.person_id, "") if recipient.person_id is not None else ""
    if recipient.group_id is not None:
        name = titles.get(recipient.group_id, "")
    line = RecipientLine(chat, recipient.person_id, recipient.group_id, name, recipient.unit_id, "pending")
    if recipient.status == UNREACHABLE:
        return replace(line, status=UNREACHABLE)
    if message is None:
        return line
    if message.status == SENT:
        return replace(line, status="delivered", sent_at=message.sent_at, attempts=message.attempts)
    if message.status == FAILED:
        return replace(line, status="failed", reason=message.error or "", attempts=message.attempts)
    return replace(line, reason=message.error or "", attempts=message.attempts)


async def _names(session: AsyncSession, ids: Iterable[int]) -> dict[int, str]:
    wanted = set(ids)
    if not wanted:
        return {}
    rows = await session.execute(select(Person.id, Person.name).where(Person.id.in_(wanted)))
    return {int(i): str(n) for i, n in rows.tuples().all()}


async def _group_titles(session: AsyncSession, ids: Iterable[int]) -> dict[int, str]:
    wanted = set(ids)
    if not wanted:
        return {}
    rows = await session.execute(select(ChatGroup.id, ChatGroup.title).where(ChatGroup.id.in_(wanted)))
    return {int(i): str(t) for i, t in rows.tuples().all()}


async def _acks(session: AsyncSession, directive_id: int, occurrence: str) -> list[PersonAck]:
    """Everyone expected to acknowledge: people sent to privately, and active members of the groups' units."""
    recipients = (
        await session.execute(
            select(
                DirectiveRecipient.person_id, DirectiveRecipient.group_id, DirectiveRecipient.unit_id
            ).where(
                DirectiveRecipient.directive_id == directive_id, DirectiveRecipient.occurrence == occurrence
            )
        )
    ).all()
    expected = {p for p, _, _ in recipients if p is not None}
    group_units = {u for _, g, u in recipients if g is not None and u is not None}
    if group_units:
        members = await session.execute(
            select(Person.id).where(Person.unit_id.in_(group_units), Person.active.is_(True))
        )
        expected |= set(members.scalars())
    if not expected:
        return []
    people = (await session.execute(select(Person).where(Person.id.in_(expected)))).scalars().all()
    given = {
        a.person_id: a
        for a in (
            await session.execute(
                select(Acknowledgement).where(
                    and_(
                        Acknowledgement.directive_id == directive_id, Acknowledgement.occurrence == occurrence
                    )
                )
            )
        ).scalars()
    }
    result = []
    for person in sorted(people, key=lambda p: p.id):
        ack = given.get(person.id)
        result.append(
            PersonAck(person.id, person.name, person.unit_id, ack.at if ack else None, ack.how if ack else "")
        )
    return result
