"""Dossier events as the ways in give them: the vocabulary, receipt codes, phone numbers, and parsing.

The push API, the pull feed and the file import all read events with :func:`parse_event`. Receipt codes
follow Circular 01/2018/TT-VPCP: ``ddd.dd.dd.Hdd-YYMMDD-NNNN``, e.g. ``000.00.24.H57-250722-0001``; they
are validated here, before any query. No phone is kept in clear: only HMAC-SHA256(hash_key, national
number) and its last 4 digits are stored (:func:`hash_phone`).
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo


class Status(StrEnum):
    """Where a dossier is in its life."""

    RECEIVED = "received"
    IN_PROGRESS = "in_progress"
    SUPPLEMENT_REQUESTED = "supplement_requested"
    READY = "ready"
    RETURNED = "returned"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


OPEN_STATUSES = frozenset({Status.RECEIVED, Status.IN_PROGRESS, Status.SUPPLEMENT_REQUESTED})
"""Statuses in which the centre still owes the applicant a result (the due date can be missed)."""
RESOLVED_STATUSES = frozenset({Status.READY, Status.RETURNED, Status.REJECTED})
"""Statuses that settle timeliness: the first time one is reached is the resolution time."""


class Timeliness(StrEnum):
    """How a dossier was (or is being) handled against its due date."""

    EARLY = "early"
    ON_TIME = "on_time"
    LATE = "late"
    PENDING = "pending"
    """Still open and not yet past its due date."""


RECEIPT_CODE = re.compile(r"\b([0-9]{3}\.[0-9]{2}\.[0-9]{2}\.H[0-9]{2}-[0-9]{6}-[0-9]{4})\b", re.IGNORECASE)
_EXACT_CODE = re.compile(r"^[0-9]{3}\.[0-9]{2}\.[0-9]{2}\.H[0-9]{2}-[0-9]{6}-[0-9]{4}$")


def normalize_receipt_code(text: str) -> str | None:
    """Return the code in canonical form (upper-case H, no spaces) if ``text`` is one, else None."""
    candidate = text.strip().upper()
    if len(candidate) != 25 or not _EXACT_CODE.match(candidate):
        return None
    return candidate


def find_receipt_code(text: str) -> str | None:
    """Return the first receipt code found anywhere in ``text`` (canonical form), or None."""
    match = RECEIPT_CODE.search(text[:2000])
    return match.group(1).upper() if match else None


@dataclass(frozen=True, slots=True)
class DossierEventIn:
    """One status change as a source reports it, already validated.

    ``event_id`` is the source's unique id for the change: applying the same id twice does nothing.
    Fields other than ``status`` describe the dossier and are used to create it when it is new.
    """

    event_id: str
    code: str
    status: Status
    occurred_at: datetime
    note: str = ""
    new_due_at: datetime | None = None
    procedure_code: str = ""
    procedure_name: str = ""
    agency: str = ""
    received_at: datetime | None = None
    due_at: datetime | None = None
    result_delivery: str = ""
    online: bool | None = None
    phone: str = ""
    """The applicant's phone number as given; only its keyed hash and last 4 digits are stored."""


class NoticeKind(StrEnum):
    """What a subscriber is told about."""

    STATUS = "status"
    READY = "ready"
    SUPPLEMENT = "supplement"
    LATE = "late"
    """The appointment passed without a result: an apology, promising no date."""
    EXTENDED = "extended"
    """The centre set a new appointment: the apology with the new date (Decree 61/2018/NĐ-CP)."""
    RETURNED = "returned"


@dataclass(frozen=True, slots=True)
class DossierNotice:
    """What the service knows when a subscriber must be told something; handlers turn it into words."""

    kind: NoticeKind
    code: str
    status: Status
    procedure_name: str
    agency: str
    due_at: datetime | None
    note: str = ""
    result_delivery: str = ""


LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
"""Where dossiers live: naive times and calendar days are read here."""

MAX_EVENT_ID = 128
MAX_NOTE = 2000
MAX_PROCEDURE_CODE = 64
MAX_TEXT = 1000
"""Procedure name, agency and result delivery: generous, but bounded."""
END_OF_DAY = time(23, 59, 59)
FUTURE_SLACK = timedelta(days=1)
"""How far ahead of now an event may be dated (clocks differ; a time zone slip is hours, not days)."""
PHONE_SEPARATORS = re.compile(r"[\s.\-()]")


@dataclass(frozen=True, slots=True)
class FieldError:
    """One invalid field of an incoming event: its name (dotted path) and why."""

    field: str
    reason: str


class InvalidEventError(ValueError):
    """An incoming event failed validation; ``errors`` say which fields and why."""

    def __init__(self, errors: Sequence[FieldError]) -> None:
        super().__init__("; ".join(f"{e.field}: {e.reason}" for e in errors))
        self.errors = tuple(errors)


class EventIdConflictError(ValueError):
    """Event ids already used (earlier, or earlier in the same batch) for an event with other content.

    ``positions`` are the offending events' indexes in the batch given to ``apply``; ``event_ids`` their
    ids. Nothing of the batch was applied.
    """

    def __init__(self, positions: Sequence[int], event_ids: Sequence[str]) -> None:
        super().__init__("event_id reused with different content: " + ", ".join(event_ids))
        self.positions = tuple(positions)
        self.event_ids = tuple(dict.fromkeys(event_ids))


def normalize_phone(value: str) -> str | None:
    """Return a phone number in national form (leading 0, digits only), or None if it is not one.

    Spaces, dots, dashes and brackets are ignored; a ``+84`` (or ``84`` before 9 digits) country code
    becomes ``0``. After removing spaces and the country code there must be 9 to 11 digits.
    """
    text = PHONE_SEPARATORS.sub("", value)
    if text.startswith("+84"):
        text = text[3:]
    elif text.startswith("84") and len(text) == 11:
        text = text[2:]
    if not text.isascii() or not text.isdigit() or not 9 <= len(text) <= 11:
        return None
    return text if text.startswith("0") else "0" + text


def hash_phone(hash_key: str, phone: str) -> str:
    """Return the keyed hash (HMAC-SHA256, hex) of a phone number in national form."""
    return hmac.new(hash_key.encode(), phone.encode(), hashlib.sha256).hexdigest()


def as_local(moment: datetime) -> datetime:
    """A naive time read in Asia/Ho_Chi_Minh; an aware one as it is."""
    return moment.replace(tzinfo=LOCAL_TZ) if moment.tzinfo is None else moment


class _Fields:
    """Reads one raw event, collecting every problem instead of stopping at the first."""

    def __init__(self, raw: Mapping[str, Any]) -> None:
        self.raw = raw
        self.errors: list[FieldError] = []

    def fail(self, name: str, reason: str) -> None:
        self.errors.append(FieldError(name, reason))

    def text(self, name: str, *, required: bool = False, max_len: int = MAX_TEXT) -> str | None:
        value = self.raw.get(name)
        if value is None:
            if required:
                self.fail(name, "is required")
            return None
        if not isinstance(value, str):
            self.fail(name, f"must be a string, not {_json_type(value)}")
            return None
        if len(value) > max_len:
            self.fail(name, f"must be at most {max_len} characters")
            return None
        return value

    def moment(
        self, name: str, *, required: bool = False, date_means_end_of_day: bool = False
    ) -> datetime | None:
        value = self.text(name, required=required, max_len=64)
        if value is None:
            return None
        parsed = parse_datetime(value, date_means_end_of_day=date_means_end_of_day)
        if parsed is None:
            self.fail(name, "must be an ISO 8601 date-time, e.g. 2025-07-22T08:30:00+07:00")
        return parsed


def parse_datetime(value: str, *, date_means_end_of_day: bool = False) -> datetime | None:
    """Parse ISO 8601; a naive value is Asia/Ho_Chi_Minh; a bare date is midnight (or 23:59:59)."""
    text = value.strip()
    if not text:
        return None
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            moment = datetime.combine(day, END_OF_DAY if date_means_end_of_day else time())
        else:
            moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if not 1970 <= moment.year <= 2200:
        return None
    return as_local(moment)


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, Mapping):
        return "an object"
    return type(value).__name__


def parse_event(raw: Mapping[str, Any], *, now: datetime | None = None) -> DossierEventIn:
    """Validate one event as the push API, the pull source and JSON Lines import receive it.

    Raises :class:`InvalidEventError` naming every bad field. Dates are ISO 8601 with an offset
    (a naive date-time is read in Asia/Ho_Chi_Minh; a bare date is midnight, or the end of that day for
    ``due_at`` and ``new_due_at``). ``null`` on an optional field means absent; unknown fields are ignored.
    ``occurred_at`` and ``received_at`` may not be more than a day after ``now`` (default: the clock): a
    status dated in the future would outrank every real one until that day.
    """
    if not isinstance(raw, Mapping):
        raise InvalidEventError([FieldError("event", f"must be an object, not {_json_type(raw)}")])
    fields = _Fields(raw)
    event_id = fields.text("event_id", required=True, max_len=MAX_EVENT_ID)
    if event_id is not None and not event_id.strip():
        fields.fail("event_id", "must not be empty")
        event_id = None
    raw_code = fields.text("code", required=True, max_len=64)
    code = normalize_receipt_code(raw_code) if raw_code is not None else None
    if raw_code is not None and code is None:
        fields.fail("code", "must be a receipt code like 000.00.24.H57-250722-0001")
    raw_status = fields.text("status", required=True, max_len=64)
    status: Status | None = None
    if raw_status is not None:
        try:
            status = Status(raw_status.strip().lower())
        except ValueError:
            fields.fail("status", "must be one of " + ", ".join(s.value for s in Status))
    latest = (now or datetime.now(UTC)) + FUTURE_SLACK
    occurred_at = fields.moment("occurred_at", required=True)
    if occurred_at is not None and occurred_at > latest:
        fields.fail("occurred_at", "must not be more than a day in the future")
    note = fields.text("note", max_len=MAX_NOTE) or ""
    new_due_at = fields.moment("new_due_at", date_means_end_of_day=True)
    procedure_code = fields.text("procedure_code", max_len=MAX_PROCEDURE_CODE) or ""
    procedure_name = fields.text("procedure_name") or ""
    agency = fields.text("agency") or ""
    received_at = fields.moment("received_at")
    if received_at is not None and received_at > latest:
        fields.fail("received_at", "must not be more than a day in the future")
    due_at = fields.moment("due_at", date_means_end_of_day=True)
    result_delivery = fields.text("result_delivery") or ""
    online = raw.get("online")
    if online is not None and not isinstance(online, bool):
        fields.fail("online", f"must be true or false, not {_json_type(online)}")
        online = None
    raw_phone = fields.text("phone", max_len=32)
    phone = ""
    if raw_phone is not None and raw_phone.strip():
        normalized = normalize_phone(raw_phone)
        if normalized is None:
            fields.fail("phone", "must be a phone number of 9 to 11 digits")
        else:
            phone = normalized
    if fields.errors or event_id is None or code is None or status is None or occurred_at is None:
        raise InvalidEventError(fields.errors)
    return DossierEventIn(
        event_id=event_id,
        code=code,
        status=status,
        occurred_at=occurred_at,
        note=note,
        new_due_at=new_due_at,
        procedure_code=procedure_code.strip(),
        procedure_name=procedure_name.strip(),
        agency=agency.strip(),
        received_at=received_at,
        due_at=due_at,
        result_delivery=result_delivery.strip(),
        online=online,
        phone=phone,
    )
