"""The learned part of the search: feature names, fitted weights, and the decision to answer.

Every number here comes from ``knowledge/ranker.json``, written by ``bench/fit_search.py`` (``make
fit-search``) from the labelled questions in ``tests/data/``: the ranking weights are a listwise softmax
regression on the dev split; the answer model (in scope or not) and the confidence model (is the best
candidate right) are logistic regressions on dev, ranked by cross-fitted rankings; their thresholds are
chosen on the validation split.
The weights and thresholds are fitted, not set by hand.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

import numpy as np
import numpy.typing as npt

from knowledge.fields import FIELDS

NAME_STAGE_FEATURES: tuple[str, ...] = (
    "coverage",
    "head",
    "accents",
    "commune",
    "province",
    "citizen",
    "first_issue",
    "unasked_special",
)
"""What the name stage measures: the old hand-weighted scorer's terms, but for its fuzzy similarity."""

CANDIDATE_FEATURES: tuple[str, ...] = (
    *NAME_STAGE_FEATURES,
    *(f"bm25_{f}" for f in FIELDS),
    *(f"plain_{f}" for f in FIELDS),
    "name_rank",
    "record_rank",
    "step_not_named",
    "missing",
    "name_said",
    "name_unsaid",
    "name_pairs_share",
    "name_pairs",
    "name_length",
    "semantic_record",
    "semantic_name",
    "level_named",
    "level_other",
)
"""What is measured of each (question, procedure) pair; see ``ProcedureIndex._features``."""

QUESTION_FEATURES: tuple[str, ...] = (
    "best",
    "margin",
    "best_coverage",
    "best_head",
    "best_body",
    "unknown_share",
    "concepts",
    "best_plain_name",
    "best_plain_body",
    "best_missing",
    "best_name_said",
    "best_name_pairs",
    "most_name_said",
    "best_semantic",
    "most_semantic",
)
"""What is measured of a question and its best candidates, for the decision to answer at all."""


@dataclass(frozen=True, slots=True)
class Linear:
    """Standardised linear model: ``coef · (x - mean) / scale + intercept``."""

    names: tuple[str, ...]
    coef: npt.NDArray[np.float64]
    mean: npt.NDArray[np.float64]
    scale: npt.NDArray[np.float64]
    intercept: float = 0.0

    def apply(self, rows: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """Score each row of a feature matrix; an unknown feature (NaN) counts as its mean: neither way."""
        known = np.where(np.isnan(rows), self.mean, rows)
        return np.asarray(((known - self.mean) / self.scale) @ self.coef + self.intercept, dtype=np.float64)

    def to_json(self) -> dict[str, Any]:
        """The JSON form stored in ranker.json."""
        return {
            "names": list(self.names),
            "coef": [round(float(v), 6) for v in self.coef],
            "mean": [round(float(v), 6) for v in self.mean],
            "scale": [round(float(v), 6) for v in self.scale],
            "intercept": round(self.intercept, 6),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any], expected: Sequence[str]) -> Linear:
        """Read one model; the feature names must be the ones the code computes, in order."""
        names = tuple(str(n) for n in data["names"])
        if names != tuple(expected):
            raise ValueError(f"ranker.json: features {names} do not match the code's {tuple(expected)}")

        def vector(key: str) -> npt.NDArray[np.float64]:
            values = np.array([float(v) for v in data[key]], dtype=np.float64)
            if values.shape != (len(names),):
                raise ValueError(f"ranker.json: {key} has {values.shape[0]} values for {len(names)} features")
            return values

        coef, mean, scale = vector("coef"), vector("mean"), vector("scale")
        scale[scale == 0] = 1.0
        for values in (coef, mean, scale):
            values.flags.writeable = False
        return cls(names, coef, mean, scale, float(data.get("intercept", 0.0)))

    @classmethod
    def blank(cls, names: Sequence[str]) -> Linear:
        """A model that weighs nothing: what a first fit starts from."""
        zeros = np.zeros(len(names))
        return cls(tuple(names), zeros, zeros, np.ones(len(names)))


@dataclass(frozen=True, slots=True)
class Decision:
    """Thresholds of the decision to answer, chosen on the validation split."""

    answer_at: float
    """Answer at all when the answer model's probability reaches this."""
    confident_at: float
    """Answer with one card when the confidence model's probability that the best is right reaches this."""
    choice_window: float
    """Offer as choices the candidates whose ranking score is within this of the best."""
    lone_margin: float
    """The lead of a lone candidate: a high quantile of the leads of the best over the second on dev."""


@dataclass(frozen=True, slots=True)
class Ranker:
    """The fitted ranking model, answer model and decision thresholds."""

    rank: Linear
    answer: Linear
    confident: Linear
    decision: Decision
    provenance: Mapping[str, Any]

    def probability(self, question: npt.NDArray[np.float64]) -> float:
        """How likely the catalogue answers this question, from its question features."""
        return _sigmoid(float(self.answer.apply(question.reshape(1, -1))[0]))

    def certainty(self, question: npt.NDArray[np.float64]) -> float:
        """How likely the best candidate is the right one, from the question features."""
        return _sigmoid(float(self.confident.apply(question.reshape(1, -1))[0]))

    def to_json(self) -> dict[str, Any]:
        """The JSON form stored in ranker.json."""
        return {
            "provenance": dict(self.provenance),
            "rank": self.rank.to_json(),
            "answer": self.answer.to_json(),
            "confident": self.confident.to_json(),
            "decision": {
                "answer_at": round(self.decision.answer_at, 6),
                "confident_at": round(self.decision.confident_at, 6),
                "choice_window": round(self.decision.choice_window, 6),
                "lone_margin": round(self.decision.lone_margin, 6),
            },
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Ranker:
        """Read a ranker; errors name what is wrong."""
        d = data["decision"]
        return cls(
            rank=Linear.from_json(data["rank"], CANDIDATE_FEATURES),
            answer=Linear.from_json(data["answer"], QUESTION_FEATURES),
            confident=Linear.from_json(data["confident"], QUESTION_FEATURES),
            decision=Decision(
                answer_at=float(d["answer_at"]),
                confident_at=float(d["confident_at"]),
                choice_window=float(d["choice_window"]),
                lone_margin=float(d["lone_margin"]),
            ),
            provenance=dict(data.get("provenance", {})),
        )


def blank_ranker() -> Ranker:
    """A ranker with no weights, to gather candidates and features before any fit."""
    return Ranker(
        Linear.blank(CANDIDATE_FEATURES),
        Linear.blank(QUESTION_FEATURES),
        Linear.blank(QUESTION_FEATURES),
        Decision(0.0, 1.0, 0.0, 0.0),
        {},
    )


def _sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-40.0, min(40.0, z))))


def load_ranker(text: str | None = None) -> Ranker:
    """Load the packaged ``ranker.json`` (or the given JSON text)."""
    if text is None:
        text = resources.files("knowledge").joinpath("ranker.json").read_text(encoding="utf-8")
    return Ranker.from_json(json.loads(text))
