"""Measure search quality on a labelled set of questions (hit@1, hit@3, abstention)."""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from knowledge.normalize import fold


@dataclass(frozen=True, slots=True)
class Case:
    """One labelled question: acceptable codes (empty: the bot must abstain) and the kind of wording."""

    query: str
    expected: frozenset[str]
    kind: str
    pool: str = ""
    """Where its procedure was drawn from: ``random`` (stratified), ``popular`` (most used), ``oos``, or the
    file it belongs to (``fresh``, ``blind``, ``advice``: tests/data/README.md)."""

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
    false_abstention: float = 0.0
    """Share of in-scope questions answered with nothing."""
    one_card: float = 0.0
    """Share of all questions given one card alone (a confident answer); 0 when not told which those are."""
    one_card_right: float = 0.0
    """Share of those cards that are right (out of scope, a card is wrong)."""


def load_cases(path: Path) -> list[Case]:
    """Read a TSV set: ``query<TAB>code|code<TAB>kind[<TAB>pool]``; ``#`` lines and the header are skipped."""
    cases: list[Case] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#") or line.startswith("query\t"):
            continue
        parts = line.split("\t")
        if len(parts) not in (3, 4):
            raise ValueError(f"{path}:{number}: expected 3 or 4 tab-separated columns, got {len(parts)}")
        query, codes, kind = parts[:3]
        pool = parts[3] if len(parts) == 4 else ""
        cases.append(Case(query, frozenset(c for c in codes.split("|") if c), kind, pool))
    return cases


def evaluate(
    rank: Callable[[str], Sequence[str]],
    cases: Iterable[Case],
    confident: Callable[[str], bool] | None = None,
) -> Scores:
    """Score a ranking function that returns the codes it offers, best first (empty: it abstains).

    ``confident`` says, after ``rank``, whether it answered that question with one card alone.
    """
    first = top3 = abstained = in_scope = out_of_scope = silent = single = single_right = 0
    misses: list[str] = []
    answered: list[str] = []
    kind_total: Counter[str] = Counter()
    kind_hits: Counter[str] = Counter()
    for case in cases:
        codes = list(rank(case.query))
        kind_total[case.kind] += 1
        if confident is not None and codes and confident(case.query):
            single += 1
            single_right += codes[0] in case.expected
        if not case.in_scope:
            out_of_scope += 1
            if not codes:
                abstained += 1
                kind_hits[case.kind] += 1
            else:
                answered.append(case.query)
            continue
        in_scope += 1
        silent += not codes
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
        false_abstention=silent / in_scope if in_scope else 0.0,
        one_card=single / (in_scope + out_of_scope) if in_scope + out_of_scope else 0.0,
        one_card_right=single_right / single if single else 0.0,
    )


SPLITS = ("dev", "validation", "test")
"""Tune on dev, choose on validation, read the locked test split once for the closing figure."""
_SHARES = (0.6, 0.8)


def _share(key: str) -> float:
    digest = hashlib.sha256(key.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def question_key(query: str) -> str:
    """What two wordings of one question share: its words, folded ("Xin chào!" and "xin chao" are one)."""
    return " ".join(re.findall(r"\w+", fold(query)))


def procedure_groups(cases: Sequence[Case]) -> list[str]:
    """The group of each case: questions that share a gold code are one group (transitively), keyed by the
    group's smallest code; an out-of-scope question is a group of its own, keyed by its text."""
    parent: dict[str, str] = {}

    def root(code: str) -> str:
        while parent.setdefault(code, code) != code:
            parent[code] = parent[parent[code]]
            code = parent[code]
        return code

    for case in cases:
        codes = sorted(case.expected)
        for code in codes:
            a, b = root(codes[0]), root(code)
            if a != b:
                # The smaller root always wins, so a group's root is its smallest code: the key.
                parent[max(a, b)] = min(a, b)
    return ["q:" + case.query if not case.expected else "p:" + root(min(case.expected)) for case in cases]


def assign_splits(cases: Sequence[Case]) -> list[str]:
    """The split of each case: by procedure, so no procedure's questions sit in two splits.

    Each group of :func:`procedure_groups` is placed by a hash of its key.
    """
    out: list[str] = []
    for key in procedure_groups(cases):
        share = _share(key)
        out.append(SPLITS[0] if share < _SHARES[0] else SPLITS[1] if share < _SHARES[1] else SPLITS[2])
    return out


def by_split(cases: Sequence[Case]) -> dict[str, list[Case]]:
    """The cases of each split, as :func:`assign_splits` places them, in their order."""
    parts: dict[str, list[Case]] = {name: [] for name in SPLITS}
    for case, split in zip(cases, assign_splits(cases), strict=True):
        parts[split].append(case)
    return parts


def split_each(files: Iterable[Sequence[Case]]) -> dict[str, list[Case]]:
    """The cases of each split of several files' cases, each file split on its own (:func:`by_split`)."""
    parts: dict[str, list[Case]] = {name: [] for name in SPLITS}
    for cases in files:
        for name, placed in by_split(cases).items():
            parts[name].extend(placed)
    return parts
