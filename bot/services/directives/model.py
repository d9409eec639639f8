"""Directive value types: constants, enums, errors, audience, draft and stored view."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

KIND = "directive"


ONCE = "once"


ACK_PREFIX = "ack:"


ACK_KEYWORDS = frozenset({"da nhan", "danhan", "ok da nhan"})


TITLE_LIMIT = 255


BODY_LIMIT = 3500


REMINDERS_MAX = 6
"""How many reminders one directive may have."""


REMINDER_MINUTES_MAX = 7 * 24 * 60
"""The latest a reminder may come after delivery (a week)."""


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
    """A draft field is wrong; ``field`` names it, ``reason`` is a short English code.

    ``value`` is what was refused when it helps to show it (a unit name that matches no unit).
    """

    def __init__(self, field_name: str, reason: str, value: str = "") -> None:
        super().__init__(f"{field_name}: {reason}")
        self.field = field_name
        self.reason = reason
        self.value = value


class DirectiveStateError(Exception):
    """The directive cannot do that now (cancelled, unknown...)."""


class DirectiveNotFoundError(DirectiveStateError):
    """No directive has that id."""


@dataclass(frozen=True, slots=True)
class Audience:
    """Who a directive goes to: units' members, people with tags, registered groups, named people.

    A unit reaches its registered group chats too, unless ``unit_groups`` is False.
    """

    units: tuple[int, ...] = ()
    tags: tuple[str, ...] = ()
    groups: tuple[int, ...] = ()
    people: tuple[int, ...] = ()
    unit_groups: bool = True

    def to_json(self) -> dict[str, Any]:
        """The stored form."""
        return {
            "units": list(self.units),
            "tags": list(self.tags),
            "groups": list(self.groups),
            "people": list(self.people),
            "unit_groups": self.unit_groups,
        }

    @classmethod
    def from_json(cls, data: Any) -> Audience:
        """Parse the stored or submitted form; raise :class:`InvalidDirectiveError` on bad shapes."""
        if not isinstance(data, dict):
            raise InvalidDirectiveError("audience", "not an object")
        unknown = set(data) - {"units", "tags", "groups", "people", "unit_groups"}
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
        unit_groups = data.get("unit_groups", True)
        if not isinstance(unit_groups, bool):
            raise InvalidDirectiveError("audience.unit_groups", "not a boolean")
        return cls(units, tags, groups, people, unit_groups)

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
    reminder_minutes: tuple[int, ...] | None = None
    """Minutes after delivery at which those who have not acknowledged are reminded; None: configured."""
    escalate_after: int | None = None
    """After this many reminders the unit's leader is told (0: never); None: configured."""


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
    reminder_minutes: tuple[int, ...] | None = None
    escalate_after: int | None = None


def _positive_int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise TypeError("not an id")
    number = int(value)
    if number <= 0:
        raise ValueError("not an id")
    return number
