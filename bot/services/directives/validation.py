"""The rules a draft must keep before it is stored, and the defaults it takes (one place for every entry:
the chat flow, the command line, a later web page)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from bot.services.directives.model import (
    BODY_LIMIT,
    REMINDER_MINUTES_MAX,
    REMINDERS_MAX,
    TITLE_LIMIT,
    DirectiveDraft,
    InvalidDirectiveError,
    ScheduleKind,
    Urgency,
)
from bot.services.directives.recurring import NextFire, cron_rule
from bot.services.directives.settings import Settings
from bot.services.schedule import zone

URL_MAX = 2000
MAX_AHEAD = timedelta(days=5 * 366)
"""How far ahead a directive may be scheduled."""
ACK_WITHIN_MAX = 60 * 24 * 31


def prepared(draft: DirectiveDraft, now: datetime, settings: Settings) -> DirectiveDraft:
    """The draft as stored (a recurring rule in cron form, reminders in order, the default deadline);
    :class:`InvalidDirectiveError` naming the first field that breaks a rule."""
    if draft.schedule_kind is ScheduleKind.CRON:
        draft = replace(draft, cron=cron_rule(draft.cron))
    _validate_reminders(draft, settings.reminding.minutes)
    if draft.reminder_minutes is not None:
        draft = replace(draft, reminder_minutes=tuple(sorted(set(draft.reminder_minutes))))
    if (
        draft.ack_required
        and draft.ack_deadline is None
        and draft.schedule_kind is not ScheduleKind.CRON
        and settings.ack_deadline_hours > 0
    ):
        start = draft.schedule_at if draft.schedule_kind is ScheduleKind.AT and draft.schedule_at else now
        draft = replace(draft, ack_deadline=start + timedelta(hours=settings.ack_deadline_hours))
    validate(draft, now, settings.next_fire)
    return draft


def validate(draft: DirectiveDraft, now: datetime, next_fire: NextFire) -> None:
    """Raise :class:`InvalidDirectiveError` for the first field of ``draft`` that breaks a rule."""
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
            not url.startswith(("https://", "http://")) or len(url) > URL_MAX or any(c.isspace() for c in url)
        ):
            raise InvalidDirectiveError(name, "not an http(s) address")
    _validate_schedule(draft, now, next_fire)
    if draft.ack_deadline is not None:
        if not draft.ack_required:
            raise InvalidDirectiveError("ack_deadline", "without acknowledgement")
        if draft.ack_deadline.tzinfo is None or draft.ack_deadline <= (draft.schedule_at or now):
            raise InvalidDirectiveError("ack_deadline", "before the directive goes out")
    if draft.ack_within_minutes is not None and not 1 <= draft.ack_within_minutes <= ACK_WITHIN_MAX:
        raise InvalidDirectiveError("ack_within_minutes", "out of range")


def _validate_schedule(draft: DirectiveDraft, now: datetime, next_fire: NextFire) -> None:
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
        if draft.schedule_at - now > MAX_AHEAD:
            # A typo ("9999") would otherwise overflow date arithmetic later, in quiet hours or reminders.
            raise InvalidDirectiveError("schedule_at", "too far ahead")
    elif draft.schedule_at is not None:
        raise InvalidDirectiveError("schedule_at", "only for a scheduled time")
    if kind is ScheduleKind.CRON:
        try:
            fires = next_fire(draft.cron, now, tz)
        except ValueError as exc:
            raise InvalidDirectiveError("cron", "unreadable", str(exc)) from None
        if fires is None:
            raise InvalidDirectiveError("cron", "never fires")
    elif draft.cron.strip():
        raise InvalidDirectiveError("cron", "only for a recurring schedule")


def _validate_reminders(draft: DirectiveDraft, configured: tuple[int, ...]) -> None:
    minutes = draft.reminder_minutes
    if (minutes is not None or draft.escalate_after is not None) and not draft.ack_required:
        field_name = "reminder_minutes" if minutes is not None else "escalate_after"
        raise InvalidDirectiveError(field_name, "without acknowledgement")
    if minutes is not None and (
        len(minutes) > REMINDERS_MAX
        or any(
            isinstance(m, bool) or not isinstance(m, int) or not 1 <= m <= REMINDER_MINUTES_MAX
            for m in minutes
        )
    ):
        raise InvalidDirectiveError("reminder_minutes", "out of range")
    reminders = len(minutes if minutes is not None else configured)
    if draft.escalate_after is not None and not 0 <= draft.escalate_after <= reminders:
        raise InvalidDirectiveError("escalate_after", "more than the reminders")
