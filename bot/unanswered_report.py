"""Unanswered questions for staff: near-duplicates merged into groups, most frequent first."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from rapidfuzz import fuzz, process, utils

from bot.services.unanswered import UnansweredRow

SIMILARITY = 90.0
"""Folded questions at least this similar (rapidfuzz token sort ratio, 0-100) are one group: typos,
punctuation and word order, while "dang ky khai sinh" and "dang ky khai tu" stay apart."""


@dataclass(slots=True)
class Variant:
    """One folded text, with its counts summed over the ways it went unanswered."""

    text: str
    count: int = 0
    none: int = 0
    choices: int = 0
    first_seen: datetime | None = None
    last_seen: datetime | None = None

    def add(self, count: int, kind: str, first_seen: datetime, last_seen: datetime) -> None:
        """Count ``count`` more of ``kind`` seen between ``first_seen`` and ``last_seen``."""
        self.count += count
        if kind == "choices":
            self.choices += count
        else:
            self.none += count
        self.first_seen = first_seen if self.first_seen is None else min(self.first_seen, first_seen)
        self.last_seen = last_seen if self.last_seen is None else max(self.last_seen, last_seen)


@dataclass(slots=True)
class Group:
    """Near-duplicate questions: shown by the most frequent text, counts summed."""

    total: Variant
    variants: list[Variant] = field(default_factory=list)

    @property
    def text(self) -> str:
        """The most frequent text of the group."""
        return self.variants[0].text


def group_unanswered(rows: Iterable[UnansweredRow], similarity: float = SIMILARITY) -> list[Group]:
    """Merge rows of the same text, then near-duplicate texts; groups by count, then most recent, first."""
    by_text: dict[str, Variant] = {}
    for row in rows:
        by_text.setdefault(row.text, Variant(row.text)).add(
            row.count, row.kind, row.first_seen, row.last_seen
        )
    groups: list[Group] = []
    # Most frequent first, so each group is shown by its most frequent text; compared without punctuation.
    heads: list[str] = []
    for variant in sorted(by_text.values(), key=_rank):
        plain = utils.default_process(variant.text)
        found = process.extractOne(plain, heads, scorer=fuzz.token_sort_ratio, score_cutoff=similarity)
        if found is None:
            group = Group(total=Variant(variant.text))
            groups.append(group)
            heads.append(plain)
        else:
            group = groups[found[2]]
        group.variants.append(variant)
        assert variant.first_seen is not None and variant.last_seen is not None
        group.total.add(variant.none, "none", variant.first_seen, variant.last_seen)
        group.total.add(variant.choices, "choices", variant.first_seen, variant.last_seen)
    return sorted(groups, key=lambda g: _rank(g.total))


def _rank(variant: Variant) -> tuple[int, float, str]:
    last = variant.last_seen.timestamp() if variant.last_seen is not None else 0.0
    return (-variant.count, -last, variant.text)
