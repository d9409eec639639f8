"""The refit's own steps (bench/fit_search.py) on small made-up candidate sets: what each step promises."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from knowledge.evaluation import Case
from knowledge.index import Candidates
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


def _example(fit: ModuleType, number: int, rng: np.random.Generator, candidates: int = 30) -> object:
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
    # A feature the mask leaves out gets no weight at all.
    without = fit.fit_rank(train, 0.0001, np.arange(len(CANDIDATE_FEATURES)) != TELLING)
    assert without.coef[TELLING] == 0.0
    assert fit.ranking_quality(held, without)[0] < 0.5


def test_cross_fitting_ranks_each_question_by_a_model_that_never_saw_its_fold(fit: ModuleType) -> None:
    rng = np.random.default_rng(7)
    train = [_example(fit, n, rng) for n in range(40)]
    ranks = fit.crossfitted_ranks(train, 0.001)
    folds = [fit.fold_of(e, at) for at, e in enumerate(train)]
    assert len(set(folds)) == fit.FOLDS
    for i in range(len(train)):
        for j in range(len(train)):
            assert (ranks[i] is ranks[j]) == (folds[i] == folds[j])
    # The fold is the gold procedure's, not the question's place: the same procedure, the same fold.
    assert fit.fold_of(train[3], 3) == fit.fold_of(train[3], 99)


def test_a_lone_candidate_is_given_the_widest_lead_seen(fit: ModuleType) -> None:
    rng = np.random.default_rng(11)
    train = [_example(fit, n, rng) for n in range(20)]
    rank = fit.fit_rank(train, 0.001, np.ones(len(CANDIDATE_FEATURES), dtype=bool))
    leads = []
    for e in train:
        scores = np.sort(rank.apply(e.found.features))[::-1]
        leads.append(scores[0] - scores[1])
    assert fit.widest_margin(train, rank) == pytest.approx(max(leads))
