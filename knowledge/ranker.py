"""The learned part of the search: feature names, fitted weights, and the decision to answer.

Every number here comes from ``knowledge/ranker.json``, written by ``bench/fit_search.py`` (``make
fit-search``) from the labelled questions in ``tests/data/``: the ranking weights are a listwise softmax
regression on the dev split; the wording model (``knowledge.wording``: a question's own words) a logistic
regression; the answer model (in scope or not) is boosted trees and the confidence model (is the best
candidate right) a logistic regression, both on dev ranked by cross-fitted rankings; their thresholds are
chosen on the validation split.
The weights, trees and thresholds are fitted, not set by hand.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import numpy as np
import numpy.typing as npt

from knowledge.fields import FIELDS
from knowledge.wording import Wording, finite

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
    "wording",
)
"""What is measured of a question and its best candidates, for the decision to answer at all; ``wording``
is the question's own words read alone (``knowledge.wording``)."""


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


TREES_KIND = "boosted trees"
"""The ``kind`` of a model in ranker.json that is boosted trees (a linear model has none)."""


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
        return {"kind": TREES_KIND, "names": list(self.names), "baseline": self.baseline, "trees": trees}

    @classmethod
    def from_json(cls, data: Mapping[str, Any], expected: Sequence[str]) -> Trees:
        """Read the trees; the feature names must be the code's (and every tree well formed: see ``of``)."""
        names = tuple(str(n) for n in data["names"])
        if names != tuple(expected):
            raise ValueError(f"ranker.json: features {names} do not match the code's {tuple(expected)}")
        return cls.of(names, data["baseline"], data["trees"])

    @classmethod
    def of(cls, names: Sequence[str], baseline: Any, trees: Any) -> Trees:
        """Trees from their nodes as ranker.json holds them, every tree checked (see ``_tree``)."""
        start = finite(baseline, "the trees' baseline")
        if not isinstance(trees, list) or not trees:
            raise ValueError("ranker.json: the answer model has no tree")
        columns: list[list[Any]] = [[] for _ in range(7)]
        roots: list[int] = []
        depth = 0
        for number, nodes in enumerate(trees):
            roots.append(len(columns[0]))
            tree_depth = _tree(nodes, number, len(names), roots[-1], columns)
            depth = max(depth, tree_depth)
        feature, threshold, missing_left, left, right, leaf, value = columns
        arrays = (
            np.array(roots, dtype=np.intp),
            np.array(feature, dtype=np.intp),
            np.array(threshold, dtype=np.float64),
            np.array(missing_left, dtype=bool),
            np.array(left, dtype=np.intp),
            np.array(right, dtype=np.intp),
            np.array(leaf, dtype=bool),
            np.array(value, dtype=np.float64),
        )
        for array in arrays:
            array.flags.writeable = False
        return cls(tuple(names), start, *arrays, depth)


MAX_TREE_DEPTH = 16
"""Deeper trees are no answer model this project fits: a file holding one is refused."""


def _whole(value: Any, low: int, high: int) -> bool:
    """Whether ``value`` is an integer (not a bool) with ``low <= value < high``."""
    return isinstance(value, int) and not isinstance(value, bool) and low <= value < high


def _tree(nodes: Any, number: int, features: int, offset: int, columns: list[list[Any]]) -> int:
    """Check one tree and append its nodes (numbered from ``offset``) to ``columns``; return its depth.

    A node is ``[value]`` (a leaf) or ``[feature, threshold, missing_left, left, right]``; children come
    after their parent and every node but the root has exactly one parent, so a tree can neither loop nor
    share a branch, and its depth is found in one pass.
    """
    if not isinstance(nodes, list) or not nodes:
        raise ValueError(f"ranker.json: tree {number} has no node")
    depth_of = [0] + [-1] * (len(nodes) - 1)
    for n, node in enumerate(nodes):
        if depth_of[n] < 0:
            raise ValueError(f"ranker.json: tree {number}, node {n} has no parent")
        if not isinstance(node, list) or len(node) not in (1, 5):
            raise ValueError(f"ranker.json: tree {number}, node {n} is neither a leaf nor a split: {node!r}")
        if len(node) == 1:
            row: list[Any] = [0, 0.0, False, 0, 0, True, finite(node[0], f"tree {number}, leaf {n}")]
        else:
            feature, threshold, missing, left, right = node
            wrong = [
                not _whole(feature, 0, features),
                not isinstance(threshold, int | float) or isinstance(threshold, bool),
                isinstance(threshold, float) and (math.isnan(threshold) or threshold == -math.inf),
                missing not in (0, 1) or isinstance(missing, float),
                not _whole(left, n + 1, len(nodes)) or not _whole(right, n + 1, len(nodes)),
                left == right,
            ]
            if any(wrong):
                raise ValueError(f"ranker.json: tree {number}, node {n} is not a valid split: {node!r}")
            for child in (left, right):
                if depth_of[child] >= 0:
                    raise ValueError(f"ranker.json: tree {number}, node {child} has two parents")
                depth_of[child] = depth_of[n] + 1
            if depth_of[n] + 1 > MAX_TREE_DEPTH:
                raise ValueError(f"ranker.json: tree {number} is deeper than {MAX_TREE_DEPTH}")
            row = [feature, float(threshold), bool(missing), offset + left, offset + right, False, 0.0]
        for column, item in zip(columns, row, strict=True):
            column.append(item)
    return max(depth_of)


def model_from_json(data: Mapping[str, Any], expected: Sequence[str]) -> Linear | Trees:
    """A linear model, or boosted trees when the JSON says so."""
    if data.get("kind") == TREES_KIND:
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
    wording: Wording = field(default_factory=Wording)
    """The model of a question's own words, whose log-odds is the question feature ``wording``."""

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
            "wording": self.wording.to_json(),
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
            wording=Wording.from_json(data.get("wording")),
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
