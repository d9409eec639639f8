"""Measure search quality on a labelled set of questions (hit@1, hit@3, abstention)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Case:
    """One labelled question: acceptable codes (empty: the bot must abstain) and the kind of wording."""

    query: str
    expected: frozenset[str]
    kind: str

    @property
    def in_scope(self) -> bool:
        """True when some procedure answers the question."""
        return bool(self.expected)


@dataclass(frozen=True, slots=True)
class Scores:
    """Quality figures; ``misses`` lists the in-scope questions whose first answer was wrong."""

    hit_at_1: float
    hit_at_3: float
    abstention: float
    in_scope: int
    out_of_scope: int
    misses: tuple[str, ...] = ()
    answered_out_of_scope: tuple[str, ...] = ()
    by_kind: dict[str, float] = field(default_factory=dict)


def load_cases(path: Path) -> list[Case]:
    """Read the TSV dev set: ``query<TAB>code|code<TAB>kind``; ``#`` lines and the header are skipped."""
    cases: list[Case] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#") or line.startswith("query\t"):
            continue
        parts = line.split("\t")
        if len(parts) != 3:
            raise ValueError(f"{path}:{number}: expected 3 tab-separated columns, got {len(parts)}")
        query, codes, kind = parts
        cases.append(Case(query, frozenset(c for c in codes.split("|") if c), kind))
    return cases


def evaluate(rank: Callable[[str], Sequence[str]], cases: Iterable[Case]) -> Scores:
    """Score a ranking function that returns the codes it offers, best first (empty: it abstains)."""
    first = top3 = abstained = in_scope = out_of_scope = 0
    misses: list[str] = []
    answered: list[str] = []
    kind_total: Counter[str] = Counter()
    kind_hits: Counter[str] = Counter()
    for case in cases:
        codes = list(rank(case.query))
        kind_total[case.kind] += 1
        if not case.in_scope:
            out_of_scope += 1
            if not codes:
                abstained += 1
                kind_hits[case.kind] += 1
            else:
                answered.append(case.query)
            continue
        in_scope += 1
        if codes and codes[0] in case.expected:
            first += 1
            kind_hits[case.kind] += 1
        else:
            misses.append(case.query)
        if case.expected.intersection(codes[:3]):
            top3 += 1
    return Scores(
        hit_at_1=first / in_scope if in_scope else 0.0,
        hit_at_3=top3 / in_scope if in_scope else 0.0,
        abstention=abstained / out_of_scope if out_of_scope else 0.0,
        in_scope=in_scope,
        out_of_scope=out_of_scope,
        misses=tuple(misses),
        answered_out_of_scope=tuple(answered),
        by_kind={k: kind_hits[k] / n for k, n in kind_total.items()},
    )
