"""Reading the answers to /chidao's questions: each answer is a tagged result, kept or refused.

What a flow keeps goes through JSON (:data:`JSONValue`); :func:`draft_of` turns the kept answers
into the draft the directive service checks.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot import texts
from bot.services.conversations import JSONValue
from bot.services.directives import (
    BODY_LIMIT,
    REMINDER_MINUTES_MAX,
    REMINDERS_MAX,
    TITLE_LIMIT,
    Audience,
    DirectiveDraft,
    ScheduleKind,
    Urgency,
    recognise,
)

DEFAULT = "default"
"""The stored answer taking the configured reminders or escalation."""
_DATE_TIME = re.compile(
    r"^(?:(?P<d1>[0-9]{1,2})/(?P<m1>[0-9]{1,2})(?:/(?P<y1>[0-9]{4}))?\s+(?P<h1>[0-9]{1,2})\s*[:hg]\s*(?P<n1>[0-9]{2})"
    r"|(?P<h2>[0-9]{1,2})\s*[:hg]\s*(?P<n2>[0-9]{2})\s+(?:ngay\s+)?(?P<d2>[0-9]{1,2})/(?P<m2>[0-9]{1,2})(?:/(?P<y2>[0-9]{4}))?)$"
)
_NUMBERS = re.compile(r"^\s*[0-9]{1,5}(?:\s*[,;\s]\s*[0-9]{1,5})*\s*$")
_YES = ("co", "1", "yes", "co can xac nhan", "can")
_NO = ("khong", "2", "no", "ko", "khong can")


@dataclass(frozen=True, slots=True)
class Accepted:
    """An answer the flow keeps: the value stored for its step."""

    value: JSONValue


@dataclass(frozen=True, slots=True)
class Retry:
    """An answer the flow refuses: the Vietnamese reason, before the question is asked again."""

    reason: str


StepResult = Accepted | Retry


def fold(text: str) -> str:
    """Lower case without marks and with single spaces, as answers are compared."""
    decomposed = unicodedata.normalize("NFD", text.lower().replace("đ", "d"))
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())


def parse_moment(text: str, timezone: str, now: datetime | None = None) -> datetime | None:
    """``25/11 07:30``, ``25/11/2026 7h30`` or ``07:30 25/11`` in ``timezone``; None if not a moment.

    Without a year the next such day is meant: this year, or next year when it is long past.
    """
    match = _DATE_TIME.match(fold(text))
    if match is None:
        return None
    groups = match.groupdict()
    suffix = "1" if groups["d1"] is not None else "2"
    day, month = int(groups["d" + suffix]), int(groups["m" + suffix])
    hour, minute = int(groups["h" + suffix]), int(groups["n" + suffix])
    year_text = groups["y" + suffix]
    zone = ZoneInfo(timezone)
    local_now = (now or datetime.now(UTC)).astimezone(zone)
    year = int(year_text) if year_text else local_now.year
    try:
        moment = datetime(year, month, day, hour, minute, tzinfo=zone)
    except ValueError:
        return None
    if not year_text and moment < local_now - timedelta(days=31):
        try:
            moment = moment.replace(year=year + 1)
        except ValueError:
            return None
    return moment


def parse_answer(step: str, value: str, data: Mapping[str, JSONValue], timezone: str) -> StepResult:
    """The value stored for an answer to ``step``, or the reason to ask again."""
    text = value.strip()
    folded = fold(text)
    if step in ("title", "body"):
        limit = TITLE_LIMIT if step == "title" else BODY_LIMIT
        if not text or len(text) > limit:
            what = texts.TITLE_WORD if step == "title" else texts.BODY_WORD
            return Retry(texts.directive_too_long(what, limit))
        return Accepted(" ".join(text.split()) if step == "title" else text)
    if step == "urgency":
        if folded in ("khan", "1", "k", "khan cap"):
            return Accepted(Urgency.KHAN.value)
        if folded in ("thuong", "2", "t", "binh thuong"):
            return Accepted(Urgency.THUONG.value)
        return Retry(texts.ASK_URGENCY_AGAIN)
    if step == "audience":
        return _audience(folded, options(data))
    if step == "ack":
        if folded in _YES or folded in _NO:
            return Accepted(folded in _YES)
        return Retry(texts.ASK_ACK_AGAIN)
    if step == "deadline":
        if folded in ("khong", "none", "ko", "khong dat han", "mac dinh"):
            return Accepted("")
        moment = parse_moment(text, timezone)
        return Accepted(moment.isoformat()) if moment is not None else Retry(texts.DEADLINE_INVALID)
    if step == "remind":
        return _reminders(folded)
    if step == "escalate":
        return _escalation(folded, data)
    return _schedule(text, folded, timezone)


def _audience(folded: str, offered: list[dict[str, JSONValue]]) -> StepResult:
    if folded in ("tat ca", "all"):
        chosen = [i for i, o in enumerate(offered) if o.get("all")]
    elif _NUMBERS.match(folded):
        chosen = [int(n) - 1 for n in re.findall(r"[0-9]+", folded)]
    else:
        chosen = [i for i, o in enumerate(offered) if fold(str(o.get("label", ""))) == folded]
    if not chosen or any(not 0 <= i < len(offered) for i in chosen):
        return Retry(texts.ASK_AUDIENCE_AGAIN)
    return Accepted(merge([offered[i] for i in chosen]))


def _reminders(folded: str) -> StepResult:
    if folded in (DEFAULT, "mac dinh"):
        return Accepted(DEFAULT)
    if folded in ("khong", "none", "ko", "khong nhac"):
        return Accepted([])
    minutes = sorted({int(n) for n in re.findall(r"[0-9]+", folded)}) if _NUMBERS.match(folded) else []
    if (
        not minutes
        or len(minutes) > REMINDERS_MAX
        or not 1 <= minutes[0] <= minutes[-1] <= REMINDER_MINUTES_MAX
    ):
        return Retry(texts.remind_again(REMINDERS_MAX))
    return Accepted(list(minutes))


def _escalation(folded: str, data: Mapping[str, JSONValue]) -> StepResult:
    reminders = data.get("remind")
    count = len(reminders) if isinstance(reminders, list) else 0
    if folded in (DEFAULT, "mac dinh"):
        return Accepted(DEFAULT)
    if folded in ("khong", "none", "ko", "khong bao", "0"):
        return Accepted(0)
    if folded.isascii() and folded.isdigit() and 1 <= int(folded) <= count:
        return Accepted(int(folded))
    return Retry(texts.escalate_again(count))


def _schedule(text: str, folded: str, timezone: str) -> StepResult:
    if folded in ("now", "ngay", "gui ngay", "bay gio"):
        return Accepted({"kind": ScheduleKind.NOW.value})
    moment = parse_moment(text, timezone)
    if moment is not None:
        return Accepted({"kind": ScheduleKind.AT.value, "at": moment.isoformat()})
    rule = recognise(text)
    if rule is not None:
        return Accepted({"kind": ScheduleKind.CRON.value, "cron": rule})
    return Retry(texts.SCHEDULE_INVALID)


def options(data: Mapping[str, JSONValue]) -> list[dict[str, JSONValue]]:
    """The audience options the flow offered."""
    raw = data.get("options")
    return [o for o in raw if isinstance(o, dict)] if isinstance(raw, list) else []


def _ids(value: JSONValue) -> set[int]:
    return {v for v in value if isinstance(v, int)} if isinstance(value, list) else set()


def merge(chosen: list[dict[str, JSONValue]]) -> dict[str, JSONValue]:
    """One audience from several chosen options (units and groups together).

    Once a unit is chosen without its groups, the groups of the units chosen with theirs are named.
    """
    units: set[int] = set()
    groups: set[int] = set()
    units_groups: set[int] = set()
    private_only = False
    labels: list[str] = []
    for option in chosen:
        audience = option.get("audience")
        if isinstance(audience, dict):
            units |= _ids(audience.get("units"))
            groups |= _ids(audience.get("groups"))
            private_only = private_only or audience.get("unit_groups") is False
        units_groups |= _ids(option.get("unit_groups"))
        labels.append(str(option.get("label", "")))
    if private_only:
        groups |= units_groups
    unit_list: list[JSONValue] = list(sorted(units))
    group_list: list[JSONValue] = list(sorted(groups))
    return {
        "units": unit_list,
        "groups": group_list,
        "unit_groups": not private_only,
        "label": ", ".join(dict.fromkeys(labels)),
    }


@dataclass(frozen=True, slots=True)
class Schedule:
    """When the kept answers send the directive."""

    kind: ScheduleKind
    at: datetime | None = None
    cron: str = ""


def schedule_of(data: Mapping[str, JSONValue]) -> Schedule:
    """The schedule the answers chose (now when none yet)."""
    raw = data.get("schedule")
    if not isinstance(raw, dict):
        return Schedule(ScheduleKind.NOW)
    kind = ScheduleKind(str(raw.get("kind", "now")))
    at = datetime.fromisoformat(str(raw["at"])) if raw.get("at") else None
    return Schedule(kind, at, str(raw.get("cron") or ""))


def draft_of(data: Mapping[str, JSONValue], timezone: str) -> DirectiveDraft:
    """The draft the kept answers make."""
    audience_raw = data.get("audience")
    audience = Audience()
    if isinstance(audience_raw, dict):
        wanted = ("units", "groups", "unit_groups")
        audience = Audience.from_json({k: v for k, v in audience_raw.items() if k in wanted})
    deadline_raw = data.get("deadline")
    deadline = (
        datetime.fromisoformat(deadline_raw) if isinstance(deadline_raw, str) and deadline_raw else None
    )
    reminders = data.get("remind")
    escalate = data.get("escalate")
    schedule = schedule_of(data)
    return DirectiveDraft(
        title=str(data.get("title") or ""),
        body=str(data.get("body") or ""),
        audience=audience,
        urgency=Urgency(str(data.get("urgency") or Urgency.THUONG.value)),
        ack_required=data.get("ack") is True,
        ack_deadline=deadline,
        schedule_kind=schedule.kind,
        schedule_at=schedule.at,
        cron=schedule.cron,
        timezone=timezone,
        reminder_minutes=tuple(_ids(reminders)) if isinstance(reminders, list) else None,
        escalate_after=escalate if isinstance(escalate, int) and not isinstance(escalate, bool) else None,
    )
