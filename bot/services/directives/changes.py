"""Changing a stored directive: the draft it was made from, applying changes, and the audited diff."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from bot.services.directives.model import (
    Audience,
    DirectiveDraft,
    InvalidDirectiveError,
    ScheduleKind,
    Urgency,
)
from bot.storage import Directive


def draft_of(row: Directive) -> DirectiveDraft:
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
        reminder_minutes=tuple(row.reminder_minutes) if row.reminder_minutes is not None else None,
        escalate_after=row.escalate_after,
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
    "reminder_minutes": (tuple, type(None)),
    "escalate_after": (int, type(None)),
}


def apply_changes(before: DirectiveDraft, changes: Mapping[str, Any]) -> DirectiveDraft:
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
        values.setdefault("reminder_minutes", None)
        values.setdefault("escalate_after", None)
    return replace(before, **values)


def _short(value: Any) -> Any:
    """A field's value as the audit log keeps it (JSON)."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, Audience):
        return value.to_json()
    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, tuple):
        return list(value)
    return value


def _stored_text(name: str, value: str) -> str:
    return " ".join(value.split()) if name == "cron" else value.strip()


def diff(before: DirectiveDraft, after: DirectiveDraft) -> dict[str, dict[str, Any]]:
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
