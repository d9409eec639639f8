"""The dossier vocabulary shared by the ways in (import, push API, pull source), the service and the chat.

Receipt codes follow Circular 01/2018/TT-VPCP: ``ddd.dd.dd.Hdd-YYMMDD-NNNN``, e.g.
``000.00.24.H57-250722-0001``. They are validated here, before any query.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


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


RECEIPT_CODE = re.compile(r"\b(\d{3}\.\d{2}\.\d{2}\.H\d{2}-\d{6}-\d{4})\b", re.IGNORECASE)
_EXACT_CODE = re.compile(r"^\d{3}\.\d{2}\.\d{2}\.H\d{2}-\d{6}-\d{4}$")


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
