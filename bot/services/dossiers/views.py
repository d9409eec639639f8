"""What the dossier service answers: the outcome of applying events, and the public view of a dossier."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from bot.services.dossiers.events import LOCAL_TZ, OPEN_STATUSES, Status, Timeliness


def timeliness(
    *,
    status: Status,
    due_at: datetime | None,
    resolved_at: datetime | None,
    status_at: datetime,
    now: datetime,
) -> Timeliness:
    """Judge a dossier against its appointment ("trước hạn / đúng hạn / quá hạn").

    Resolved (``resolved_at`` set): LATE if resolved after ``due_at``; EARLY if resolved on a calendar day
    (Asia/Ho_Chi_Minh) before the due date's day; otherwise ON_TIME (on the due day, by the due time).
    Open: LATE once ``now`` is past ``due_at``, else PENDING. Withdrawn without a result: LATE if withdrawn
    after ``due_at``, else PENDING (not judged). Without a due date: ON_TIME if resolved, else PENDING.
    """
    if resolved_at is not None:
        if due_at is None:
            return Timeliness.ON_TIME
        if resolved_at > due_at:
            return Timeliness.LATE
        if resolved_at.astimezone(LOCAL_TZ).date() < due_at.astimezone(LOCAL_TZ).date():
            return Timeliness.EARLY
        return Timeliness.ON_TIME
    if due_at is None:
        return Timeliness.PENDING
    moment = now if status in OPEN_STATUSES else status_at
    return Timeliness.LATE if moment > due_at else Timeliness.PENDING


class Outcome(StrEnum):
    """What applying one event did."""

    APPLIED = "applied"
    STALE = "stale"
    """Recorded in the history, but older than the current status: the status did not move."""
    DUPLICATE = "duplicate"


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
    outcomes: tuple[Outcome, ...] = ()
    """What happened to each event, in the order given: lets a caller that merged several requests into
    one call answer each request for its own events."""

    def part(self, start: int, stop: int) -> ApplyResult:
        """The counts of the events at ``start:stop`` only (created and notices are not split)."""
        mine = self.outcomes[start:stop]
        stale = mine.count(Outcome.STALE)
        return ApplyResult(
            applied=mine.count(Outcome.APPLIED) + stale,
            duplicates=mine.count(Outcome.DUPLICATE),
            stale=stale,
            outcomes=mine,
        )


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
