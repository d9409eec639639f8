"""The refit's own steps (bench/fit_search.py) on small made-up candidate sets: what each step promises."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest

from knowledge.evaluation import Case, assign_splits, load_cases
from knowledge.index import Candidates, question_features
from knowledge.ranker import CANDIDATE_FEATURES

FIT_SEARCH = Path(__file__).resolve().parents[2] / "bench" / "fit_search.py"
TELLING = CANDIDATE_FEATURES.index("coverage")
MISLEADING = CANDIDATE_FEATURES.index("name_length")


@pytest.fixture(scope="module")
def fit() -> ModuleType:
    spec = importlib.util.spec_from_file_location("fit_search", FIT_SEARCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["fit_search"] = module
    spec.loader.exec_module(module)
    return module


def _example(fit: ModuleType, number: int, rng: np.random.Generator, candidates: int = 30) -> Any:
    """A question whose gold has the highest "coverage"; "name_length" is noise, larger on a near sibling."""
    codes = tuple(f"{number}.{i:03d}" for i in range(candidates))
    features = rng.normal(size=(candidates, len(CANDIDATE_FEATURES)))
    gold = int(rng.integers(candidates))
    features[gold, TELLING] = features[:, TELLING].max() + 2.0
    sibling = (gold + 1) % candidates
    features[sibling, MISLEADING] = features[:, MISLEADING].max() + 3.0
    case = Case(f"question {number}", frozenset({codes[gold]}), "formal")
    return fit.Example(case, Candidates(codes, features, 0.0, 3))


def test_the_listwise_fit_learns_the_telling_feature_and_ranks_gold_first(fit: ModuleType) -> None:
    rng = np.random.default_rng(5)
    train = [_example(fit, n, rng) for n in range(60)]
    held = [_example(fit, n, rng) for n in range(60, 100)]
    every = np.ones(len(CANDIDATE_FEATURES), dtype=bool)
    rank = fit.fit_rank(train, 0.0001, every)
    weights = rank.coef / rank.scale
    assert weights[TELLING] > 0
    assert weights[TELLING] > 5 * abs(weights[MISLEADING])
    assert fit.ranking_quality(held, rank) == (1.0, 1.0)
    # Without the telling feature, the noise and the misleading one are all it has.
    without = fit.fit_rank(train, 0.0001, np.arange(len(CANDIDATE_FEATURES)) != TELLING)
    assert without.coef[TELLING] == 0.0
    assert fit.ranking_quality(held, without)[0] < 0.5


def test_cross_fitting_ranks_each_question_by_a_model_that_never_saw_its_fold(
    fit: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = np.random.default_rng(7)
    train = [_example(fit, n, rng) for n in range(40)]
    trained_on: dict[int, set[int]] = {}
    original = fit.fit_rank

    def recording(data: list[Any], penalty: float, mask: Any) -> Any:
        model = original(data, penalty, mask)
        trained_on[id(model)] = {id(e) for e in data}
        return model

    monkeypatch.setattr(fit, "fit_rank", recording)
    ranks = fit.crossfitted_ranks(train, 0.001)
    folds = [fit.fold_of(e, at) for at, e in enumerate(train)]
    assert len(set(folds)) == fit.FOLDS
    for e, rank, fold in zip(train, ranks, folds, strict=True):
        seen = trained_on[id(rank)]
        assert id(e) not in seen
        # Every other fold's questions, and none of its own.
        assert seen == {id(o) for o, f in zip(train, folds, strict=True) if f != fold}


def test_the_questions_about_one_procedure_share_a_fold(fit: ModuleType) -> None:
    rng = np.random.default_rng(3)
    one, other = _example(fit, 1, rng), _example(fit, 2, rng)
    same = fit.Example(Case("another question", one.case.expected, "colloquial"), other.found)
    assert fit.fold_of(one, 0) == fit.fold_of(same, 17)
    outside = [fit.Example(Case(f"q{n}", frozenset(), "out_of_scope"), None) for n in range(50)]
    assert len({fit.fold_of(e, at) for at, e in enumerate(outside)}) == fit.FOLDS


def test_a_lone_candidate_leads_as_far_as_the_widest_leads_seen(fit: ModuleType) -> None:
    rng = np.random.default_rng(11)
    train = [_example(fit, n, rng) for n in range(200)]
    ranks = fit.crossfitted_ranks(train, 0.001)
    lone = fit.lone_margin(train, ranks)
    leads = []
    for e, rank in zip(train, ranks, strict=True):
        scores = np.sort(rank.apply(e.found.features))[::-1]
        leads.append(scores[0] - scores[1])
    assert np.mean(np.array(leads) <= lone) >= 0.98
    assert lone < max(leads)
    alone = Candidates(("1.000001",), np.zeros((1, len(CANDIDATE_FEATURES))), 0.0, 2)
    row = question_features(alone, np.array([3.0]), [0], lone)
    assert row[1] == lone


def test_training_never_holds_a_procedure_judged_on(fit: ModuleType) -> None:
    dev, validation, left_out = fit.labelled_sets()
    fresh = load_cases(fit.FRESH)
    parts = dict(zip((c.query for c in fresh), assign_splits(fresh), strict=True))
    trained = {c.query for c in dev}
    chosen = {c.query for c in validation}
    assert {q for q, part in parts.items() if part == "dev"} <= trained
    assert {q for q, part in parts.items() if part == "validation"} <= chosen
    assert not {q for q, part in parts.items() if part == "test"} & (trained | chosen)
    assert not {c.query for c in load_cases(fit.TEST)} & (trained | chosen)
    judged = {code for c in [*validation, *load_cases(fit.TEST)] for code in c.expected}
    assert not [c.query for c in dev if c.expected & judged]
    assert left_out > 0
