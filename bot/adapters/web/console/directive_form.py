"""Reading the console's directive form into a draft (the service validates it like chat and CLI drafts)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.services.directives import Audience, DirectiveDraft, InvalidDirectiveError, ScheduleKind, Urgency

ID_DIGITS = 18
"""Longer ids exist nowhere and would overflow the database's 64-bit integers."""
Form = Any
"""A posted form (aiohttp's multidict of fields)."""


@dataclass(frozen=True, slots=True)
class Filled:
    """What the form held, to show it again after a preview or a refusal."""

    title: str = ""
    body: str = ""
    urgency: str = Urgency.THUONG.value
    units: frozenset[int] = frozenset()
    groups: frozenset[int] = frozenset()
    people: frozenset[int] = frozenset()
    tags: str = ""
    ack: bool = True
    schedule: str = ScheduleKind.NOW.value
    at: str = ""
    cron: str = ""


def _text(form: Form, key: str) -> str:
    value = form.get(key, "")
    # PostgreSQL refuses NUL in text; a browser never sends one, a forged form might.
    return value.replace("\x00", "").strip() if isinstance(value, str) else ""


def _ids(form: Form, key: str) -> frozenset[int]:
    found = set()
    for value in form.getall(key, []):
        if isinstance(value, str) and value.isdigit() and len(value) <= ID_DIGITS and int(value) > 0:
            found.add(int(value))
    return frozenset(found)


def filled(form: Form) -> Filled:
    """The form's fields as typed."""
    return Filled(
        title=_text(form, "title"),
        body=_text(form, "body"),
        urgency=_text(form, "urgency") or Urgency.THUONG.value,
        units=_ids(form, "units"),
        groups=_ids(form, "groups"),
        people=_ids(form, "people"),
        tags=_text(form, "tags"),
        ack=_text(form, "ack") == "on",
        schedule=_text(form, "schedule") or ScheduleKind.NOW.value,
        at=_text(form, "at"),
        cron=_text(form, "cron"),
    )


def audience_of(values: Filled) -> Audience:
    """The audience the form picked."""
    tags = tuple(sorted({t.strip().casefold() for t in values.tags.split(",") if t.strip()}))
    return Audience(
        units=tuple(sorted(values.units)),
        tags=tags,
        groups=tuple(sorted(values.groups)),
        people=tuple(sorted(values.people)),
    )


def draft_of(values: Filled, timezone: str) -> DirectiveDraft:
    """The draft the form describes; InvalidDirectiveError for what the form itself cannot hold."""
    try:
        urgency = Urgency(values.urgency)
    except ValueError:
        raise InvalidDirectiveError("urgency", "khan or thuong") from None
    try:
        kind = ScheduleKind(values.schedule)
    except ValueError:
        raise InvalidDirectiveError("schedule_kind", "unknown value") from None
    at = None
    if kind is ScheduleKind.AT:
        try:
            at = datetime.fromisoformat(values.at).replace(tzinfo=ZoneInfo(timezone))
        except (ValueError, OverflowError):
            raise InvalidDirectiveError("schedule_at", "missing or without time zone") from None
    return DirectiveDraft(
        title=values.title,
        body=values.body,
        audience=audience_of(values),
        urgency=urgency,
        ack_required=values.ack,
        schedule_kind=kind,
        schedule_at=at,
        cron=values.cron if kind is ScheduleKind.CRON else "",
        timezone=timezone,
    )


def choices(items: Mapping[int, str], chosen: frozenset[int]) -> list[tuple[int, str, bool]]:
    """(id, label, checked) for a list of checkboxes."""
    return [(key, label, key in chosen) for key, label in items.items()]
