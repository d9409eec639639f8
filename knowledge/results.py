"""What a search returns: the kind of answer and the ranked hits."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

AnswerKind = Literal["confident", "choices", "none"]


@dataclass(frozen=True, slots=True)
class Hit:
    """One candidate procedure with its score: how sure the search is of its answer (0-100).

    The hits of one answer share that figure; their order says which the search prefers.
    """

    code: str
    name: str
    score: float


@dataclass(frozen=True, slots=True)
class SearchResult:
    """A confident answer (one hit), choices (several close hits), or none (honest "I don't know")."""

    query: str
    answer: AnswerKind
    hits: tuple[Hit, ...] = ()
    reason: str = ""
    """Why ``none``: ``empty``, ``chitchat``, ``too_long`` or ``no_match``; free-form otherwise."""
