"""Outcome types: targets, previews, publish, acknowledgement and reminder results, report lines."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from bot.messages import ChatRef
from bot.outbox import (
    OutboxStats,
)
from bot.services.directives.model import DirectiveView


@dataclass(frozen=True, slots=True)
class Target:
    """One chat an occurrence goes to (``platform`` empty: a person with no linked chat)."""

    platform: str
    chat_id: str
    is_group: bool
    person_id: int | None
    group_id: int | None
    unit_id: int | None

    @property
    def reachable(self) -> bool:
        """False for a person with no linked chat."""
        return bool(self.platform)


@dataclass(frozen=True, slots=True)
class Preview:
    """What publishing would do: chats, people reached privately, groups, people with no chat."""

    chats: int
    people: int
    groups: int
    unreachable: int


@dataclass(frozen=True, slots=True)
class PublishResult:
    """What a publish wrote: new outbox rows (0 when it was already published) and when they are due."""

    directive_id: int
    occurrence: str
    queued: int
    chats: int
    unreachable: int
    due_at: datetime | None


@dataclass(frozen=True, slots=True)
class Submitted:
    """A directive created and published (or armed) at once."""

    directive: DirectiveView
    result: PublishResult


class AckOutcome(StrEnum):
    """What an acknowledgement did."""

    RECORDED = "recorded"
    ALREADY = "already"
    NOT_REGISTERED = "not_registered"
    NOT_A_RECIPIENT = "not_a_recipient"
    NOT_FOUND = "not_found"
    NOT_REQUIRED = "not_required"
    CANCELLED = "cancelled"


@dataclass(slots=True)
class RemindResult:
    """Reminder and escalation messages queued by one pass."""

    reminders: int = 0
    escalations: int = 0

    def __iadd__(self, other: RemindResult) -> RemindResult:
        self.reminders += other.reminders
        self.escalations += other.escalations
        return self


@dataclass(frozen=True, slots=True)
class AckResult:
    """The outcome, who has acknowledged in that chat so far, and when this person acknowledged.

    ``acknowledged_at`` is the earlier time for ``ALREADY`` and now for ``RECORDED``.
    """

    outcome: AckOutcome
    directive_id: int | None = None
    acknowledged_by: tuple[str, ...] = ()
    acknowledged_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class DraftCheck:
    """A draft validated without storing it: how it reads (``view.id`` is 0) and whom it reaches."""

    view: DirectiveView
    preview: Preview


@dataclass(frozen=True, slots=True)
class PersonAck:
    """One person expected to acknowledge; ``at`` None while pending."""

    person_id: int
    name: str
    unit_id: int | None
    at: datetime | None = None
    how: str = ""


@dataclass(frozen=True, slots=True)
class RecipientLine:
    """One chat of the report: delivered, failed (with reason), pending or unreachable."""

    chat: ChatRef | None
    person_id: int | None
    group_id: int | None
    name: str
    unit_id: int | None
    status: str
    reason: str = ""
    sent_at: datetime | None = None
    attempts: int = 0

    @property
    def possible_duplicate(self) -> bool:
        """Sent after more than one claim: the recipient may have it twice."""
        return self.status == "delivered" and self.attempts > 1


@dataclass(slots=True)
class UnitLine:
    """Per unit: chats by outcome, and acknowledgements expected and given."""

    unit_id: int | None
    name: str
    delivered: int = 0
    failed: int = 0
    pending: int = 0
    unreachable: int = 0
    expected_acks: int = 0
    acknowledged: int = 0


@dataclass(frozen=True, slots=True)
class DirectiveReport:
    """Per recipient and per unit, with the outbox's counts (possible duplicates included)."""

    directive: DirectiveView
    occurrence: str
    recipients: tuple[RecipientLine, ...]
    units: tuple[UnitLine, ...]
    acks: tuple[PersonAck, ...]
    stats: OutboxStats = field(default_factory=OutboxStats)

    @property
    def pending_acks(self) -> tuple[PersonAck, ...]:
        """Who has not acknowledged yet."""
        return tuple(a for a in self.acks if a.at is None)
