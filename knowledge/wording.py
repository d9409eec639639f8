"""How much a question's own wording reads like a request for a procedure: a learned bag of words.

The answer model's other features measure the question against its best candidates, so a question that
only shares words with a procedure ("giá vàng hôm nay", "nên mua bảo hiểm nhân thọ nào") looks answered.
This model reads the words alone: TF-IDF over folded syllables, adjacent syllable pairs and the syllables
typed with marks (``terms``; sublinear term frequency, each question's vector of unit length) and a
balanced logistic regression telling the labelled in-scope questions from the out-of-scope ones, fitted by
``bench/fit_search.py``. Its log-odds is one of the answer model's features
(``knowledge.ranker.QUESTION_FEATURES``); every number comes from ranker.json.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from knowledge.normalize import accented_syllables, fold

MAX_SYLLABLES = 80
"""Only a question's first syllables are read (as the search reads them: ``index.MAX_QUERY_SYLLABLES``)."""


def terms(query: str) -> list[str]:
    """The terms of a question, as the model reads them: folded syllables, adjacent pairs, and each
    syllable typed with marks as typed ("kỳ" is not "ký", though both fold to "ky")."""
    typed = accented_syllables(query)[:MAX_SYLLABLES]
    syllables = [fold(t) for t in typed]
    marked = [t for t, f in zip(typed, syllables, strict=True) if t != f]
    return [*syllables, *(f"{a} {b}" for a, b in itertools.pairwise(syllables)), *marked]


@dataclass(frozen=True, slots=True)
class Wording:
    """The fitted model: each known term's IDF and weight, and the intercept."""

    idf: Mapping[str, float] = field(default_factory=dict)
    weight: Mapping[str, float] = field(default_factory=dict)
    intercept: float = 0.0

    def score(self, query: str) -> float:
        """The log-odds that the question asks for a procedure, from its words alone (0 with no model)."""
        counts = Counter(t for t in terms(query) if t in self.idf)
        values = {t: (1.0 + math.log(n)) * self.idf[t] for t, n in counts.items()}
        norm = math.sqrt(sum(v * v for v in values.values()))
        if norm == 0.0:
            return self.intercept
        return self.intercept + sum(v * self.weight[t] for t, v in values.items()) / norm

    def to_json(self) -> dict[str, Any]:
        """The JSON form stored in ranker.json: one ``[term, idf, weight]`` per term, in term order."""
        return {
            "terms": [[t, round(self.idf[t], 6), round(self.weight[t], 6)] for t in sorted(self.idf)],
            "intercept": round(self.intercept, 6),
        }

    @classmethod
    def from_json(cls, data: Any) -> Wording:
        """Read the model; a term that is not text or a number that is not finite is refused."""
        idf: dict[str, float] = {}
        weight: dict[str, float] = {}
        if not isinstance(data, Mapping):
            raise ValueError("ranker.json: the wording model is not an object")
        rows = data.get("terms")
        if not isinstance(rows, list):
            raise ValueError("ranker.json: the wording model has no list of terms")
        for row in rows:
            if not (isinstance(row, list) and len(row) == 3 and isinstance(row[0], str) and row[0]):
                raise ValueError(f"ranker.json: a wording term is not [term, idf, weight]: {row!r}")
            if row[0] in idf:
                raise ValueError(f"ranker.json: the wording term {row[0]!r} is listed twice")
            idf[row[0]] = finite(row[1], f"the idf of {row[0]!r}")
            weight[row[0]] = finite(row[2], f"the weight of {row[0]!r}")
            if idf[row[0]] <= 0:
                raise ValueError(f"ranker.json: the idf of {row[0]!r} is not positive")
        intercept = finite(data.get("intercept", 0.0), "the wording model's intercept")
        return cls(MappingProxyType(idf), MappingProxyType(weight), intercept)

    @classmethod
    def of(
        cls, vocabulary: Sequence[str], idf: Sequence[float], weight: Sequence[float], intercept: float
    ) -> Wording:
        """A model from its terms and their IDF and weight, in the same order."""
        return cls(
            MappingProxyType(dict(zip(vocabulary, map(float, idf), strict=True))),
            MappingProxyType(dict(zip(vocabulary, map(float, weight), strict=True))),
            float(intercept),
        )


def finite(value: Any, what: str) -> float:
    """``value`` as a float; a ValueError naming ``what`` if it is no finite number (a bool is none)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"ranker.json: {what} is not a finite number: {value!r}")
    return float(value)
