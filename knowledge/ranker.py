"""The learned part of the search: feature names, fitted weights, and the decision to answer.

Every number here comes from ``knowledge/ranker.json``, written by ``bench/fit_search.py`` (``make
fit-search``) from the labelled questions in ``tests/data/``: the ranking weights are a listwise softmax
regression on the dev split; the answer model (in scope or not) is boosted trees and the confidence model
(is the best candidate right) a logistic regression, both on dev ranked by cross-fitted rankings; their
thresholds are chosen on the validation split.
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
class Trees:
    """Boosted decision trees: ``baseline`` plus, for each tree, the value of the leaf a row falls in.

    The nodes of every tree are numbered together; a row goes left at a node when its feature is at most
    the threshold, and an unknown feature (NaN) goes the side the fit sent most of its questions.
    """

    names: tuple[str, ...]
    baseline: float
    roots: npt.NDArray[np.intp]
    feature: npt.NDArray[np.intp]
    threshold: npt.NDArray[np.float64]
    missing_left: npt.NDArray[np.bool_]
    left: npt.NDArray[np.intp]
    right: npt.NDArray[np.intp]
    leaf: npt.NDArray[np.bool_]
    value: npt.NDArray[np.float64]
    depth: int

    def apply(self, rows: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """The raw score (log-odds) of each row of a feature matrix."""
        out = np.empty(len(rows), dtype=np.float64)
        for i, row in enumerate(rows):
            # Every tree at once, one level per step: a node that is a leaf stays where it is.
            node = self.roots
            for _ in range(self.depth):
                values = row[self.feature[node]]
                left = np.where(np.isnan(values), self.missing_left[node], values <= self.threshold[node])
                node = np.where(self.leaf[node], node, np.where(left, self.left[node], self.right[node]))
            out[i] = self.baseline + float(self.value[node].sum())
        return out

    def to_json(self) -> dict[str, Any]:
        """The JSON form stored in ranker.json: per tree, one row per node."""
        trees = []
        ends = [*self.roots[1:], len(self.value)]
        for start, end in zip(self.roots, ends, strict=True):
            nodes = []
            for n in range(int(start), int(end)):
                if self.leaf[n]:
                    nodes.append([round(float(self.value[n]), 9)])
                else:
                    nodes.append(
                        [
                            int(self.feature[n]),
                            float(self.threshold[n]),
                            int(self.missing_left[n]),
                            int(self.left[n] - start),
                            int(self.right[n] - start),
                        ]
                    )
            trees.append(nodes)
        return {"kind": "boosted trees", "names": list(self.names), "baseline": self.baseline, "trees": trees}

    @classmethod
    def from_json(cls, data: Mapping[str, Any], expected: Sequence[str]) -> Trees:
        """Read the trees; the feature names must be the code's, and every node must be well formed."""
        names = tuple(str(n) for n in data["names"])
        if names != tuple(expected):
            raise ValueError(f"ranker.json: features {names} do not match the code's {tuple(expected)}")
        columns: dict[str, list[Any]] = {k: [] for k in ("feature", "threshold", "missing", "left", "right")}
        leaf: list[bool] = []
        value: list[float] = []
        roots: list[int] = []
        depth = 0
        for number, nodes in enumerate(data["trees"]):
            start = len(leaf)
            roots.append(start)
            if not nodes:
                raise ValueError(f"ranker.json: tree {number} has no node")
            for node in nodes:
                if len(node) == 1:
                    row: list[Any] = [0, 0.0, False, 0, 0]
                    value.append(float(node[0]))
                elif len(node) == 5:
                    feature, left, right = int(node[0]), int(node[3]), int(node[4])
                    if (
                        not 0 <= feature < len(names)
                        or not 0 < left < len(nodes)
                        or not 0 < right < len(nodes)
                    ):
                        raise ValueError(f"ranker.json: tree {number} has a node out of range: {node}")
                    row = [feature, float(node[1]), bool(node[2]), start + left, start + right]
                    value.append(0.0)
                else:
                    raise ValueError(f"ranker.json: tree {number} has a node of {len(node)} values: {node}")
                leaf.append(len(node) == 1)
                for key, item in zip(columns, row, strict=True):
                    columns[key].append(item)
            depth = max(depth, _depth(nodes))
        arrays = (
            np.array(roots, dtype=np.intp),
            np.array(columns["feature"], dtype=np.intp),
            np.array(columns["threshold"], dtype=np.float64),
            np.array(columns["missing"], dtype=bool),
            np.array(columns["left"], dtype=np.intp),
            np.array(columns["right"], dtype=np.intp),
            np.array(leaf, dtype=bool),
            np.array(value, dtype=np.float64),
        )
        for array in arrays:
            array.flags.writeable = False
        return cls(names, float(data["baseline"]), *arrays, depth)


def _depth(nodes: Sequence[Sequence[Any]]) -> int:
    """How many steps from the root to the deepest leaf; a node's children come after it (no cycles)."""
    deepest = 0
    pending = [(0, 0)]
    while pending:
        n, steps = pending.pop()
        if steps > len(nodes):
            raise ValueError("ranker.json: a tree loops back on itself")
        if len(nodes[n]) == 1:
            deepest = max(deepest, steps)
        else:
            pending += [(int(nodes[n][3]), steps + 1), (int(nodes[n][4]), steps + 1)]
    return deepest


def model_from_json(data: Mapping[str, Any], expected: Sequence[str]) -> Linear | Trees:
    """A linear model, or boosted trees when the JSON says so."""
    if data.get("kind") == "boosted trees":
        return Trees.from_json(data, expected)
    return Linear.from_json(data, expected)


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
    answer: Linear | Trees
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
            answer=model_from_json(data["answer"], QUESTION_FEATURES),
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
