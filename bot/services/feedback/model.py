"""The vocabulary of feedback: tracking numbers, what an item is about, how it reads, what an action did."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bot.messages import ChatRef, Reply

NUMBER_PREFIX = "GY"
_NUMBER = re.compile(r"^\s*(?:GY)?\s*[-#:]?\s*0*(\d{1,12})\s*$", re.IGNORECASE)


class Kind(StrEnum):
    """What the feedback is about."""

    PROCEDURE = "procedure"
    DOSSIER = "dossier"
    GENERAL = "general"


class Status(StrEnum):
    """Open until staff answer it."""

    OPEN = "open"
    ANSWERED = "answered"


def format_number(item_id: int) -> str:
    """The tracking number residents and staff read: ``GY-000123``."""
    return f"{NUMBER_PREFIX}-{item_id:06d}"


def parse_number(text: str) -> int | None:
    """The item id in a typed tracking number (``GY-000123``, ``gy123``, ``123``), or None."""
    match = _NUMBER.match(text)
    if match is None:
        return None
    value = int(match.group(1))
    return value if value > 0 else None


@dataclass(frozen=True, slots=True)
class Subject:
    """What an item is about: a procedure (code, name), a dossier (receipt code only), or nothing."""

    kind: Kind
    ref: str = ""
    name: str = ""

    @classmethod
    def general(cls) -> Subject:
        """Feedback about nothing in particular."""
        return cls(Kind.GENERAL)


@dataclass(frozen=True, slots=True)
class FeedbackView:
    """One item as handlers, renderers and the CLI read it."""

    id: int
    subject: Subject
    text: str
    chat: ChatRef
    """Where the resident wrote from: the answer goes back there."""
    user_id: str
    unit_id: int | None
    unit_name: str
    status: Status
    created_at: datetime
    due_at: datetime
    escalated_at: datetime | None = None
    answer: str = ""
    answered_at: datetime | None = None
    answered_by: str = ""
    """Who answered, by name (or the CLI's label)."""
    rating: int | None = None

    @property
    def number(self) -> str:
        """The tracking number."""
        return format_number(self.id)

    def overdue(self, now: datetime) -> bool:
        """Open past its due time."""
        return self.status is Status.OPEN and self.due_at <= now


class AnswerOutcome(StrEnum):
    """What ``/traloi`` did; each refusal has its own answer."""

    ANSWERED = "answered"
    UNKNOWN = "unknown"
    CLOSED = "closed"
    NOT_YOURS = "not_yours"
    """The item belongs to another unit (or to none, which only admins answer)."""
    NOT_STAFF = "not_staff"


@dataclass(frozen=True, slots=True)
class AnswerResult:
    """The outcome and the item as it now is (None when unknown)."""

    outcome: AnswerOutcome
    view: FeedbackView | None = None


class RateOutcome(StrEnum):
    """What a 1-5 rating of an answer did."""

    RATED = "rated"
    UPDATED = "updated"
    UNKNOWN = "unknown"
    """No such item, or not this resident's."""
    NOT_ANSWERED = "not_answered"


@dataclass(frozen=True, slots=True)
class FeedbackRenderers:
    """How the messages the service queues read (the handlers write them; services know no texts)."""

    new_item: Callable[[FeedbackView], Reply]
    """To the unit's group (or leader): a new item, how to answer it."""
    answer: Callable[[FeedbackView], Reply]
    """To the resident: the answer, with the 1-5 rating."""
    overdue: Callable[[FeedbackView, int], Reply]
    """To the unit's leader: an item unanswered after that many working days."""
