"""Dossier status: apply events from every way in, look dossiers up, and tell subscribers what changed.

CONTRACT STUB: signatures are fixed; bodies are being written (issue 5).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.messages import Reply
from bot.services.dossier_types import DossierEventIn, DossierNotice, Status, Timeliness
from bot.storage import SessionFactory

NoticeRenderer = Callable[[DossierNotice], Reply]
"""Turns a notice into words; the composition root passes the handlers' renderer (services have no texts)."""


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


def parse_event(raw: Mapping[str, Any]) -> DossierEventIn:
    """Validate one event as the push API, the pull source and JSON Lines import receive it.

    Raises :class:`InvalidEventError` naming every bad field. Dates are ISO 8601 with an offset
    (a naive date-time is read in Asia/Ho_Chi_Minh).
    """
    raise NotImplementedError


@dataclass(frozen=True, slots=True)
class ApplyResult:
    """What applying a batch of events did."""

    applied: int = 0
    duplicates: int = 0
    """Events whose id was already recorded: nothing happened."""
    stale: int = 0
    """Events older than the dossier's current status: recorded in its history, status unchanged."""
    created: int = 0
    """Dossiers created by these events."""
    notices: int = 0
    """Outbox messages written for subscribers."""


@dataclass(frozen=True, slots=True)
class StatusEntry:
    """One line of a dossier's history as shown to the public (no personal data)."""

    at: datetime
    status: Status
    note: str = ""


@dataclass(frozen=True, slots=True)
class DossierView:
    """What anyone holding a receipt code may see: status only, never personal data."""

    code: str
    procedure_code: str
    procedure_name: str
    agency: str
    received_at: datetime
    due_at: datetime | None
    status: Status
    status_at: datetime
    timeliness: Timeliness
    result_delivery: str
    note: str
    history: tuple[StatusEntry, ...] = field(default=())


class DossierService:
    """Apply dossier events idempotently, look dossiers up, and notify subscribers through the outbox."""

    def __init__(
        self,
        sessions: SessionFactory,
        *,
        hash_key: str,
        render_notice: NoticeRenderer,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self._sessions = sessions
        self._hash_key = hash_key
        self._render = render_notice
        self._clock = clock

    async def apply(self, events: Iterable[DossierEventIn], *, source: str) -> ApplyResult:
        """Apply events in one transaction: idempotent by event id, order-tolerant, notifying subscribers."""
        raise NotImplementedError

    async def lookup(self, code: str) -> DossierView | None:
        """Return the public view of a dossier (``code`` already validated), or None if unknown."""
        raise NotImplementedError

    async def check_phone(self, code: str, digits: str) -> bool:
        """Check in constant time what a user typed: the last 4 digits, or the whole number (keyed hash).

        False for an unknown dossier or one stored without a phone; lockout is the caller's business.
        """
        raise NotImplementedError

    async def mark_late(self) -> int:
        """Tell subscribers of every open dossier past its due date, once per due date; return notices."""
        raise NotImplementedError
