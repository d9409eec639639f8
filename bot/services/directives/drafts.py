"""Reading a directive from a plain mapping (a TOML file today, a web form later) into a draft.

Units and groups are named as written (a name or an id) and resolved by the service against the
database. Every
error is an :class:`InvalidDirectiveError` naming the key as written in the file and a short English
reason code that the texts turn into Vietnamese.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.services.directives.model import (
    Audience,
    DirectiveDraft,
    InvalidDirectiveError,
    ScheduleKind,
    Urgency,
)

DRAFT_KEYS = frozenset(
    {
        "title",
        "body",
        "urgency",
        "ack_required",
        "ack_deadline",
        "ack_within_minutes",
        "image_url",
        "link_url",
        "at",
        "cron",
        "audience",
        "reminder_minutes",
        "escalate_after",
    }
)
URGENCY_WORDS = {
    "khan": Urgency.KHAN,
    "khẩn": Urgency.KHAN,
    "thuong": Urgency.THUONG,
    "thường": Urgency.THUONG,
}
FILE_KEYS = {"schedule_at": "at", "schedule_kind": "at/cron"}
"""Draft fields under the name a directive file gives them."""

Name = str | int
"""A unit or a group as written in a file: its name or its id."""


@dataclass(frozen=True, slots=True)
class Named:
    """An audience's units and groups as written (names or ids)."""

    units: tuple[Name, ...] = ()
    groups: tuple[Name, ...] = ()


@dataclass(frozen=True, slots=True)
class DraftRequest:
    """A draft as read, its units and groups still as written."""

    draft: DirectiveDraft
    named: Named = Named()


@dataclass(frozen=True, slots=True)
class ChangeRequest:
    """Changes as read (draft field names to values), the audience's names as written (None: unchanged)."""

    changes: dict[str, Any]
    named: Named | None = None


def file_key(field_name: str) -> str:
    """The key a directive file uses for a draft field."""
    return FILE_KEYS.get(field_name, field_name)


def read_draft(raw: Mapping[str, Any], timezone: str) -> DraftRequest:
    """The draft in ``raw``; a time without a zone is read in ``timezone``."""
    _known_keys(raw)
    tz = ZoneInfo(timezone)
    ack_required = _flag(raw, "ack_required")
    at = _moment(raw, "at", tz)
    cron = _text(raw, "cron")
    if at is not None and cron:
        raise InvalidDirectiveError("cron", "at or cron")
    kind = ScheduleKind.CRON if cron else ScheduleKind.AT if at is not None else ScheduleKind.NOW
    audience, named = _audience(raw.get("audience", {}))
    draft = DirectiveDraft(
        title=_text(raw, "title", required=True),
        body=_text(raw, "body", required=True),
        audience=audience,
        urgency=_urgency(_text(raw, "urgency") or "thuong"),
        image_url=_text(raw, "image_url"),
        link_url=_text(raw, "link_url"),
        ack_required=ack_required,
        ack_deadline=_moment(raw, "ack_deadline", tz),
        ack_within_minutes=_integer(raw, "ack_within_minutes"),
        schedule_kind=kind,
        schedule_at=at,
        cron=cron,
        timezone=timezone,
        reminder_minutes=_minutes(raw, "reminder_minutes"),
        escalate_after=_integer(raw, "escalate_after"),
    )
    return DraftRequest(draft, named)


def read_changes(raw: Mapping[str, Any], timezone: str) -> ChangeRequest:
    """The changes in ``raw`` (the keys of a draft, all optional)."""
    _known_keys(raw)
    tz = ZoneInfo(timezone)
    changes: dict[str, Any] = {}
    for key in ("title", "body", "image_url", "link_url"):
        if key in raw:
            changes[key] = _text(raw, key, required=key in ("title", "body"))
    if "urgency" in raw:
        changes["urgency"] = _urgency(_text(raw, "urgency"))
    if "ack_required" in raw:
        changes["ack_required"] = _flag(raw, "ack_required")
    if "ack_deadline" in raw:
        changes["ack_deadline"] = _moment(raw, "ack_deadline", tz)
    if "ack_within_minutes" in raw:
        changes["ack_within_minutes"] = _integer(raw, "ack_within_minutes")
    if "reminder_minutes" in raw:
        changes["reminder_minutes"] = _minutes(raw, "reminder_minutes")
    if "escalate_after" in raw:
        changes["escalate_after"] = _integer(raw, "escalate_after")
    if "at" in raw and "cron" in raw:
        raise InvalidDirectiveError("cron", "at or cron")
    if "at" in raw:
        changes["schedule_kind"], changes["schedule_at"] = ScheduleKind.AT, _moment(raw, "at", tz)
    if "cron" in raw:
        cron = _text(raw, "cron")
        changes["schedule_kind"] = ScheduleKind.CRON if cron.strip() else ScheduleKind.NOW
        changes["cron"] = cron
    named: Named | None = None
    if "audience" in raw:
        changes["audience"], named = _audience(raw["audience"])
    return ChangeRequest(changes, named)


def _known_keys(raw: Mapping[str, Any]) -> None:
    unknown = sorted(set(raw) - DRAFT_KEYS)
    if unknown:
        raise InvalidDirectiveError(unknown[0], "unknown key")


def _audience(value: Any) -> tuple[Audience, Named]:
    if not isinstance(value, dict):
        raise InvalidDirectiveError("audience", "not a table")
    named = Named(_names(value, "units"), _names(value, "groups"))
    audience = Audience.from_json({k: v for k, v in value.items() if k not in ("units", "groups")})
    return audience, named


def _names(audience: dict[str, Any], key: str) -> tuple[Name, ...]:
    names = audience.get(key, [])
    if not isinstance(names, list) or not all(isinstance(n, Name) and not isinstance(n, bool) for n in names):
        raise InvalidDirectiveError(f"audience.{key}", "names or ids")
    return tuple(names)


def _text(raw: Mapping[str, Any], key: str, *, required: bool = False) -> str:
    value = raw.get(key, "")
    if not isinstance(value, str):
        raise InvalidDirectiveError(key, "not text")
    if required and not value.strip():
        raise InvalidDirectiveError(key, "required")
    return value


def _urgency(text: str) -> Urgency:
    try:
        return URGENCY_WORDS[text.casefold()]
    except KeyError:
        raise InvalidDirectiveError("urgency", "khan or thuong") from None


def _flag(raw: Mapping[str, Any], key: str) -> bool:
    value = raw.get(key, False)
    if not isinstance(value, bool):
        raise InvalidDirectiveError(key, "not a boolean")
    return value


def _integer(raw: Mapping[str, Any], key: str) -> int | None:
    value = raw.get(key)
    if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
        raise InvalidDirectiveError(key, "not an integer")
    return value


def _minutes(raw: Mapping[str, Any], key: str) -> tuple[int, ...] | None:
    value = raw.get(key)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(m, int) and not isinstance(m, bool) for m in value):
        raise InvalidDirectiveError(key, "list of minutes")
    return tuple(value)


def _moment(raw: Mapping[str, Any], key: str, tz: ZoneInfo) -> datetime | None:
    value = raw.get(key)
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError:
            raise InvalidDirectiveError(key, "not a moment") from None
    if isinstance(value, date) and not isinstance(value, datetime):
        raise InvalidDirectiveError(key, "date without time")
    if not isinstance(value, datetime):
        raise InvalidDirectiveError(key, "not a moment")
    return value if value.tzinfo is not None else value.replace(tzinfo=tz)
