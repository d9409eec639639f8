"""Refit the search's weights and decision thresholds; writes ``knowledge/ranker.json``.

Run: ``make fit-search`` (``.venv/bin/python bench/fit_search.py [--source PATH] [--dry-run]``).

1. Candidates and their features (``ProcedureIndex.candidates``) for every labelled question.
2. Ranking weights: a listwise softmax regression on dev (the dev split, the fresh sets' dev parts, and the
   older dev sets less their questions about procedures judged on): for each question, the gold candidates'
   share of the softmax over all its candidates. Its L2 penalty is chosen on validation (the validation
   split and the fresh sets' validation parts): the strongest whose listwise loss there is within one
   standard error of the best.
3. The wording model (``knowledge.wording``: a balanced logistic regression over the TF-IDF of a question's
   terms, ``knowledge.wording.terms``, in scope or not), on dev; its penalty is chosen on validation (the best
   ROC AUC). Each dev question's ``wording`` feature comes from a model fitted without its fold.
4. The answer model (in scope or not: boosted trees) and the confidence model (is the best candidate
   right; out of scope it is not: a logistic regression, without CONFIDENCE_LEAVES_OUT), on dev over
   QUESTION_FEATURES, each dev question
   ranked by a ranking fitted without its fold (cross-fitting by procedure), so they learn how the ranking
   does on procedures it never saw.
5. Thresholds, on validation: answer when the answer model reaches the probability that meets both goals
   (false abstention, out-of-scope abstention) by the most standard errors, or, when no probability meets
   both, the highest that keeps false abstention within its goal (``choose_answer_at``); confident at the
   lowest certainty (of the confidence model) whose confident answers are right often enough; choices
   within a window of the best score that keeps nearly every reachable hit@3.
The questions of the locked test split and of the fresh sets' test parts are never scored here: only their
gold codes and folded text are read, to keep their procedures and questions out of training. The blind set
is not read at all.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import math
import os
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import NamedTuple

import numpy as np
import numpy.typing as npt
from scipy.optimize import minimize
from scipy.special import logsumexp
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from threadpoolctl import threadpool_limits

from knowledge.aliases import Aliases, load_aliases
from knowledge.evaluation import Case, load_cases, procedure_groups, question_key, split_each
from knowledge.importers import load_paths
from knowledge.index import Candidates, ProcedureIndex, question_features
from knowledge.ranker import (
    CANDIDATE_FEATURES,
    NAME_STAGE_FEATURES,
    QUESTION_FEATURES,
    Decision,
    Linear,
    Ranker,
    Trees,
    blank_ranker,
)
from knowledge.wording import Wording, terms

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
DEV = DATA / "search-dev.tsv"
VALIDATION = DATA / "search-validation.tsv"
TEST = DATA / "search-test.tsv"
"""Only its gold codes and folded questions are read, to keep them out of training; it is never scored."""
OLD = (DATA / "devset.tsv", DATA / "devset.heldout.tsv")
FRESH = tuple(DATA / f"search-fresh{n}.tsv" for n in ("", "2", "3", "4"))
"""Each split by ``by_split`` like the split files: their dev parts are trained on, their validation parts
chosen on, their test parts never scored."""
OUTPUT = ROOT / "knowledge" / "ranker.json"
FALSE_ABSTENTION_GOAL = 0.05
ABSTENTION_GOAL = 0.80
"""Out-of-scope questions answered "none", at least (issue 11)."""
CONFIDENT_PRECISION = 0.90
FOLDS = 5
LONE_QUANTILE = 0.99
TREE_DEPTH = 2
TREE_RATE = 0.1
TREES = 200
"""The answer model's trees: depth and rate chosen on validation AUC among depths 2-3 and rates 0.05-0.1."""
PENALTY_GRID = (0.00001, 0.0001, 0.0003, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3)
WORDING_GRID = (0.3, 1.0, 3.0, 10.0)
"""The wording model's inverse L2 penalties (scikit-learn's C), one chosen on validation."""
WORDING_MIN_QUESTIONS = 2
"""A term of fewer dev questions than this teaches nothing but that one question."""


@dataclass(frozen=True, slots=True)
class Example:
    """One labelled question with its candidates (None when the question had no candidate at all)."""

    case: Case
    found: Candidates | None
    wording: float = 0.0
    """The wording model's log-odds for it (``knowledge.wording``); see :func:`with_wording`."""


class Labelled(NamedTuple):
    """The questions a fit reads."""

    train: list[Case]
    validation: list[Case]
    older_left_out: int
    """Questions of the older sets left out of training: about a procedure judged on, or asked again there."""


def labelled_sets() -> Labelled:
    """Training and validation questions.

    Training: the dev split, the fresh sets' dev parts, and the older sets less their questions about
    procedures judged on (validation and test, of the split files and of the fresh sets) and the questions a
    judged set asks too (out of scope ones have no code to tell them by), so that nothing is both learned
    from and judged on. Validation: the validation split and the fresh sets' validation parts, so the
    thresholds rest on over twice the questions the split alone has.
    """
    fresh = split_each(load_cases(path) for path in FRESH)
    validation = [*load_cases(VALIDATION), *fresh["validation"]]
    judged = [*validation, *load_cases(TEST), *fresh["test"]]
    codes = {code for case in judged for code in case.expected}
    asked = {question_key(case.query) for case in judged}
    older = [c for path in OLD for c in load_cases(path)]
    kept = [c for c in older if not c.expected & codes and question_key(c.query) not in asked]
    return Labelled([*load_cases(DEV), *fresh["dev"], *kept], validation, len(older) - len(kept))


def examples(index: ProcedureIndex, cases: Sequence[Case]) -> list[Example]:
    """Candidates and features of each question."""
    out = []
    for case in cases:
        found = index.candidates(case.query)
        out.append(Example(case, found if not isinstance(found, str) and found.codes else None))
    return out


def standardiser(rows: Sequence[npt.NDArray[np.float64]]) -> tuple[npt.NDArray[np.float64], ...]:
    """Mean and scale of the stacked feature rows (scale 1 for a constant feature)."""
    stacked = np.vstack(rows)
    # An unknown feature (NaN: no word vectors for a small catalogue) counts as its mean, as in Linear.
    mean = np.nan_to_num(np.nanmean(stacked, axis=0))
    scale = np.nan_to_num(np.nanstd(stacked, axis=0))
    scale[scale < 1e-9] = 1.0
    return mean, scale


def fit_rank(train: Sequence[Example], penalty: float, mask: npt.NDArray[np.bool_]) -> Linear:
    """Listwise softmax regression: the gold candidates' share of each question's softmax, as large as can be.

    Every candidate of a question competes with the gold at once, in proportion to how close it comes, so
    the near siblings that decide hit@1 weigh most, and the many far candidates little (a pairwise fit over
    every pair let those far ones outvote the near ones). ``penalty`` is the L2 weight on the coefficients.
    """
    mean, scale = standardiser([e.found.features for e in train if e.found is not None])
    groups = [(np.nan_to_num((features - mean) / scale) * mask, gold) for features, gold in contests(train)]

    def loss(w: npt.NDArray[np.float64]) -> tuple[float, npt.NDArray[np.float64]]:
        total = 0.0
        grad = np.zeros_like(w)
        for z, gold in groups:
            s = z @ w
            every, right = logsumexp(s), logsumexp(s[gold])
            total += every - right
            grad += np.exp(s - every) @ z - np.exp(s[gold] - right) @ z[gold]
        return total / len(groups) + penalty * float(w @ w), grad / len(groups) + 2 * penalty * w

    if not groups:
        raise ValueError("no question has both a gold candidate and another one: nothing to rank")
    start = np.zeros(len(CANDIDATE_FEATURES))
    fitted = minimize(loss, start, jac=True, method="L-BFGS-B", options={"maxiter": 1000})
    if not fitted.success:
        raise RuntimeError(f"the ranking fit did not converge: {fitted.message}")
    return Linear(CANDIDATE_FEATURES, np.asarray(fitted.x) * mask, mean, scale)


def choose_penalty(scored: dict[float, tuple[float, float]]) -> float:
    """The strongest penalty whose validation loss is within one standard error of the best one's.

    ``scored`` maps each penalty to its mean listwise loss and that mean's standard error
    (:func:`ranking_loss`). Penalties whose losses are within that error of each other are apart by chance:
    the one-standard-error rule takes the simplest model chance cannot tell from the best. The loss reads
    every question's whole ranking; hit@1, read before, moves by whole questions, and its error spanned
    penalties ten times apart, so a small change of the vocabulary flipped the choice. A strong penalty
    flattens the softmax, which the loss counts against it even where the order stays: the rule's leaning
    to the strongest penalty within the error offsets that.
    """
    best, error = min(scored.values())
    return max(p for p, (loss, _) in scored.items() if loss <= best + error)


def contests(data: Sequence[Example]) -> list[tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_]]]:
    """The candidates' features and which are gold, for each question the listwise loss reads: in scope,
    with a gold candidate and another one."""
    out = []
    for e in data:
        if e.found is not None and e.case.expected:
            gold = np.array([code in e.case.expected for code in e.found.codes])
            if gold.any() and not gold.all():
                out.append((e.found.features, gold))
    return out


def ranking_loss(data: Sequence[Example], rank: Linear) -> tuple[float, float]:
    """The mean listwise loss (minus the log of the gold's softmax share) over :func:`contests`, as the fit
    minimises it, and the standard error of that mean."""
    losses = []
    for features, gold in contests(data):
        scores = rank.apply(features)
        losses.append(float(logsumexp(scores) - logsumexp(scores[gold])))
    if not losses:
        raise ValueError("no validation question has both a gold candidate and another one")
    spread = float(np.std(losses, ddof=1)) if len(losses) > 1 else 0.0
    return float(np.mean(losses)), spread / math.sqrt(len(losses))


def ranked(e: Example, rank: Linear) -> tuple[list[int], npt.NDArray[np.float64]]:
    """Candidate rows best first, and their scores."""
    assert e.found is not None
    scores = rank.apply(e.found.features)
    order = e.found.order(scores)
    return order, scores


def ranking_quality(data: Sequence[Example], rank: Linear) -> tuple[float, float]:
    """hit@1 and hit@3 of the ranking alone (always answering), on the in-scope questions."""
    first = top3 = total = 0
    for e in data:
        if not e.case.expected:
            continue
        total += 1
        if e.found is None:
            continue
        order, _ = ranked(e, rank)
        codes = [e.found.codes[r] for r in order[:3]]
        first += codes[0] in e.case.expected
        top3 += bool(e.case.expected.intersection(codes))
    return first / max(total, 1), top3 / max(total, 1)


def lone_margin(data: Sequence[Example], ranks: Sequence[Linear]) -> float:
    """What a lone candidate leads by: as wide a lead as the widest 1 % of the leads the models learn from.

    Each question is ranked by its own ranking (``crossfitted_ranks``), as the answer and confidence models
    see it; a high quantile rather than the maximum, so one odd question does not set it.
    """
    leads = []
    for e, rank in zip(data, ranks, strict=True):
        if e.found is not None and len(e.found.codes) > 1:
            order, scores = ranked(e, rank)
            leads.append(float(scores[order[0]] - scores[order[1]]))
    return float(np.quantile(leads, LONE_QUANTILE)) if leads else 0.0


def question_rows(
    data: Sequence[Example], rank: Linear, lone_margin: float
) -> list[npt.NDArray[np.float64] | None]:
    """QUESTION_FEATURES of each question (None without candidates)."""
    rows: list[npt.NDArray[np.float64] | None] = []
    for e in data:
        if e.found is None:
            rows.append(None)
            continue
        order, scores = ranked(e, rank)
        rows.append(question_features(e.found, scores, order, lone_margin, e.wording))
    return rows


def folds_of(data: Sequence[Example]) -> list[int]:
    """The cross-fitting fold of each question: by procedure group (``procedure_groups``), so the questions
    about one procedure, and about procedures that share a question, share a fold; an out-of-scope question
    by its folded text, so that one asked with and without accents is in one fold."""
    keys = procedure_groups([e.case for e in data])
    keys = [key if e.case.expected else question_key(e.case.query) for key, e in zip(keys, data, strict=True)]
    return [int(hashlib.sha256(key.encode()).hexdigest(), 16) % FOLDS for key in keys]


def fit_wording(cases: Sequence[Case], penalty: float) -> Wording:
    """The wording model fitted on these questions (in scope or not), inverse penalty ``penalty``."""
    vectorizer = TfidfVectorizer(analyzer=terms, sublinear_tf=True, min_df=WORDING_MIN_QUESTIONS)
    x = vectorizer.fit_transform([case.query for case in cases])
    model = LogisticRegression(C=penalty, class_weight="balanced", max_iter=5000)
    model.fit(x, [case.in_scope for case in cases])
    vocabulary = vectorizer.get_feature_names_out()
    return Wording.of(vocabulary, vectorizer.idf_, model.coef_[0], float(model.intercept_[0]))


def choose_wording(train: Sequence[Case], validation: Sequence[Case]) -> tuple[float, Wording]:
    """The penalty of WORDING_GRID whose model, fitted on dev, best tells validation's questions apart."""
    best: tuple[float, float, Wording] | None = None
    inside = [case.in_scope for case in validation]
    for penalty in WORDING_GRID:
        model = fit_wording(train, penalty)
        auc = float(roc_auc_score(inside, [model.score(case.query) for case in validation]))
        if best is None or auc > best[0]:
            best = (auc, penalty, model)
    assert best is not None
    return best[1], best[2]


def crossfitted_wording(train: Sequence[Example], penalty: float) -> list[float]:
    """Each dev question's wording log-odds from a model fitted without its fold (``folds_of``)."""
    folds = folds_of(train)
    scores = [0.0] * len(train)
    for k in range(FOLDS):
        model = fit_wording([e.case for e, f in zip(train, folds, strict=True) if f != k], penalty)
        for i, f in enumerate(folds):
            if f == k:
                scores[i] = model.score(train[i].case.query)
    return scores


def with_wording(data: Sequence[Example], scores: Sequence[float]) -> list[Example]:
    """The questions with their wording log-odds."""
    return [replace(e, wording=score) for e, score in zip(data, scores, strict=True)]


def crossfitted_ranks(train: Sequence[Example], penalty: float) -> list[Linear]:
    """For each question, a ranking fitted without its fold: how the ranking does on procedures it never saw.

    The answer and confidence models learn from these. Ranked by a model fitted on them, dev questions
    come out right far more often than new ones do, and the models learned from that were overconfident.
    """
    folds = folds_of(train)
    every = np.ones(len(CANDIDATE_FEATURES), dtype=bool)
    models = [
        fit_rank([e for e, f in zip(train, folds, strict=True) if f != k], penalty, every)
        for k in range(FOLDS)
    ]
    return [models[f] for f in folds]


def question_matrix(
    train: Sequence[Example], ranks: Sequence[Linear], lone_margin: float, label: str
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_]]:
    """QUESTION_FEATURES of the questions with candidates, and their label: ``in_scope``, or ``right``
    (the best is gold). ``ranks`` holds the ranking each question is ranked by (``crossfitted_ranks``)."""
    x_rows: list[npt.NDArray[np.float64]] = []
    y: list[bool] = []
    for e, rank in zip(train, ranks, strict=True):
        if e.found is None:
            continue
        order, scores = ranked(e, rank)
        x_rows.append(question_features(e.found, scores, order, lone_margin, e.wording))
        if label == "in_scope":
            y.append(bool(e.case.expected))
        else:
            # Out of scope, the best candidate is wrong by definition: a card for it would mislead.
            y.append(e.found.codes[order[0]] in e.case.expected)
    return np.vstack(x_rows), np.array(y)


CONFIDENCE_LEAVES_OUT = ("wording",)
"""Question features the confidence model does without: the wording model tells in scope from out of scope,
which the confidence model's label mixes in (out of scope, the best is wrong), not which candidate is right;
with it, short questions worded like a request got one card far more often, and more of them wrong."""


def fit_question_model(
    train: Sequence[Example],
    ranks: Sequence[Linear],
    lone_margin: float,
    label: str,
    leave_out: Sequence[str] = (),
) -> Linear:
    """Balanced logistic regression on question features (see :func:`question_matrix`), weighing none of
    ``leave_out``."""
    x, y = question_matrix(train, ranks, lone_margin, label)
    mean, scale = standardiser([x])
    # An unknown feature counts as its mean, as in Linear.apply: it weighs nothing; so does one left out.
    z = np.nan_to_num((x - mean) / scale)
    out = [QUESTION_FEATURES.index(name) for name in leave_out]
    z[:, out] = 0.0
    model = LogisticRegression(C=1.0, class_weight="balanced", max_iter=2000)
    model.fit(z, y)
    coef = model.coef_[0].copy()
    coef[out] = 0.0
    return Linear(QUESTION_FEATURES, coef, mean, scale, float(model.intercept_[0]))


def fit_answer_trees(train: Sequence[Example], ranks: Sequence[Linear], lone_margin: float) -> Trees:
    """Balanced boosted trees (depth TREE_DEPTH) telling in-scope questions from out-of-scope ones.

    A logistic regression over the same features tells them apart less well: the evidence of a short
    question, of one in English or of one whose best name is barely said does not add up linearly.
    """
    x, y = question_matrix(train, ranks, lone_margin, "in_scope")
    model = HistGradientBoostingClassifier(
        max_depth=TREE_DEPTH,
        learning_rate=TREE_RATE,
        max_iter=TREES,
        class_weight="balanced",
        # Past 10,000 questions "auto" would stop early on a random hold-out: always all TREES.
        early_stopping=False,
        random_state=0,
    )
    model.fit(x, y)
    return trees_of(model)


def trees_of(model: HistGradientBoostingClassifier) -> Trees:
    """The fitted trees of a binary HistGradientBoostingClassifier, as knowledge.ranker.Trees reads them."""
    # Private attributes (the fitted predictors): the tests check that the trees read here score every
    # row as the model does, so a change of them in scikit-learn cannot pass unnoticed.
    baseline = float(np.asarray(model._baseline_prediction).ravel()[0])
    trees = []
    for predictors in model._predictors:
        if len(predictors) != 1:
            raise ValueError("not a binary model: one tree per iteration expected")
        nodes = []
        for node in predictors[0].nodes:
            if node["is_categorical"]:
                raise ValueError("a categorical split: the answer model's features are all numbers")
            if node["is_leaf"]:
                nodes.append([float(node["value"])])
            else:
                nodes.append(
                    [
                        int(node["feature_idx"]),
                        float(node["num_threshold"]),
                        int(node["missing_go_to_left"]),
                        int(node["left"]),
                        int(node["right"]),
                    ]
                )
        trees.append(nodes)
    return Trees.of(QUESTION_FEATURES, baseline, trees)


def choose_decision(
    data: Sequence[Example], rank: Linear, answer: Linear | Trees, confident: Linear, lone_margin: float
) -> Decision:
    """Thresholds from validation (see the module docstring)."""
    probe = Ranker(rank, answer, confident, Decision(0, 0, 0, lone_margin), {})
    rows = question_rows(data, rank, lone_margin)
    prob = [probe.probability(r) if r is not None else 0.0 for r in rows]
    answer_at = choose_answer_at(
        [p for e, p in zip(data, prob, strict=True) if e.case.expected],
        [p for e, p in zip(data, prob, strict=True) if not e.case.expected],
    )
    facts = []
    for e, r, p in zip(data, rows, prob, strict=True):
        if r is None or p < answer_at:
            continue
        assert e.found is not None
        order, _ = ranked(e, rank)
        facts.append((probe.certainty(r), e.found.codes[order[0]] in e.case.expected))
    confident_at = 1.0
    for at in sorted({c for c, _ in facts}, reverse=True):
        chosen = [right for c, right in facts if c >= at]
        if sum(chosen) / len(chosen) >= CONFIDENT_PRECISION:
            confident_at = at
    return Decision(
        answer_at=answer_at,
        confident_at=confident_at,
        choice_window=choose_window(data, rank),
        lone_margin=lone_margin,
    )


def abstention(data: Sequence[Example], ranker: Ranker) -> tuple[float, float]:
    """Out-of-scope abstention and false abstention of ``ranker``'s decision to answer on ``data``."""
    rows = question_rows(data, ranker.rank, ranker.decision.lone_margin)
    silent = [r is None or ranker.probability(r) < ranker.decision.answer_at for r in rows]
    outside = [s for e, s in zip(data, silent, strict=True) if not e.case.expected]
    inside = [s for e, s in zip(data, silent, strict=True) if e.case.expected]
    return sum(outside) / max(len(outside), 1), sum(inside) / max(len(inside), 1)


def choose_answer_at(inside: Sequence[float], outside: Sequence[float]) -> float:
    """The threshold of the answer model's probability below which the search answers "none".

    When some threshold meets both goals on validation, the one that meets them by the most standard
    errors, the fewer of the two (a binomial standard error at each goal): neither goal is then met by a
    hair that a new set of questions would undo. Of equals, the lowest (fewer residents declined).
    Otherwise, the highest threshold whose false abstention stays within its goal: a resident wrongly told
    "I don't know" goes to the office for nothing, while an out-of-scope question answered with choices
    costs a glance; the out-of-scope abstention this leaves is reported, met or not.
    """
    if not inside:
        return 0.5
    declined_inside = np.sort(np.asarray(inside, dtype=np.float64))
    everything = [*inside, *outside]
    held = _below(float(declined_inside[int(FALSE_ABSTENTION_GOAL * len(inside))]), everything)
    if not outside:
        return held
    inside_error = math.sqrt(FALSE_ABSTENTION_GOAL * (1 - FALSE_ABSTENTION_GOAL) / len(inside))
    outside_error = math.sqrt(ABSTENTION_GOAL * (1 - ABSTENTION_GOAL) / len(outside))
    declined_outside = np.sort(np.asarray(outside, dtype=np.float64))
    best: tuple[float, float] | None = None
    for at in sorted({*inside, *outside}):
        false = np.searchsorted(declined_inside, at, side="left") / len(inside)
        kept_out = np.searchsorted(declined_outside, at, side="left") / len(outside)
        margin = min(
            (FALSE_ABSTENTION_GOAL - false) / inside_error, (kept_out - ABSTENTION_GOAL) / outside_error
        )
        if best is None or margin > best[0]:
            best = (float(margin), float(at))
    return _below(best[1], everything) if best is not None and best[0] >= 0 else held


def _below(at: float, probabilities: Sequence[float]) -> float:
    """Halfway from ``at`` (a question's probability) down to the next lower one, or to 0: the same
    questions fall on each side, but none sits on the line, where rounding in ranker.json or in the last
    digit of a feature would move it across."""
    return (at + max((p for p in probabilities if p < at), default=0.0)) / 2


def choose_window(data: Sequence[Example], rank: Linear) -> float:
    """The smallest window of scores whose choices reach 99 % of the best possible hit@3."""
    gaps: list[float] = []
    for e in data:
        if not e.case.expected or e.found is None:
            continue
        order, scores = ranked(e, rank)
        hits = [r for r in order[:3] if e.found.codes[r] in e.case.expected]
        if hits:
            gaps.append(float(scores[order[0]] - scores[hits[0]]))
    if not gaps:
        return 1.0
    return float(np.quantile(gaps, 0.99)) + 1e-6


GROUPS = {
    "name stage only (the old scorer's features)": NAME_STAGE_FEATURES,
    "+ per-field BM25 of the analysed question": tuple(
        f for f in CANDIDATE_FEATURES if f.startswith("bm25_")
    ),
    "+ per-field BM25 of the plain syllables": tuple(f for f in CANDIDATE_FEATURES if f.startswith("plain_")),
    "+ ranks of both stages, later step not named": ("name_rank", "record_rank", "step_not_named"),
    "+ the heaviest notion the procedure misses": ("missing",),
    "+ the name's side: its words and pairs said, unsaid, its length": (
        "name_said",
        "name_unsaid",
        "name_pairs_share",
        "name_pairs",
        "name_length",
    ),
    "+ latent semantic similarity (record, name)": ("semantic_record", "semantic_name"),
    "+ the level of government the question names": ("level_named", "level_other"),
}


def load_aliases_only_synonyms() -> Aliases:
    """The tables of synonyms.toml alone, without the vocabulary files."""
    return load_aliases((ROOT / "knowledge" / "synonyms.toml").read_text(encoding="utf-8"))


def ablation(train: Sequence[Example], held: Sequence[Example], penalty: float) -> None:
    """What each group of features buys on validation, the groups added one by one (the last is all)."""
    grouped = [f for names in GROUPS.values() for f in names]
    assert sorted(grouped) == sorted(CANDIDATE_FEATURES), "every feature belongs to one ablation group"
    chosen: list[str] = []
    for label, names in GROUPS.items():
        chosen += names
        mask = np.array([f in chosen for f in CANDIDATE_FEATURES])
        rank = fit_rank(train, penalty, mask)
        h1, h3 = ranking_quality(held, rank)
        print(f"  {label:<48} ranking hit@1 {h1:.3f}  hit@3 {h3:.3f}")


def ranker_text(ranker: Ranker) -> str:
    """ranker.json's text: indented, but a list of plain values (a tree's node, weights) on one line."""
    text = json.dumps(ranker.to_json(), ensure_ascii=False, indent=1)
    return (
        re.sub(r"\[\n\s*([^\[\]{}]*?)\n\s*\]", lambda m: "[" + re.sub(r",\n\s*", ", ", m[1]) + "]", text)
        + "\n"
    )


def digest(path: Path) -> str:
    """Short SHA-256 of a file, for the provenance."""
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def main(argv: Sequence[str] | None = None) -> int:
    """Fit and write the ranker."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--source", type=Path, default=ROOT.parent / "shared" / "knowledge-source")
    parser.add_argument("--dry-run", action="store_true", help="print the figures, write nothing")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    parser.add_argument("--ablation", action="store_true", help="print what each feature group buys")
    args = parser.parse_args(argv)
    if not args.source.is_dir():
        print(f"knowledge source not found: {args.source}", file=sys.stderr)
        return 2
    procedures = list(load_paths([args.source]).procedures.values())
    dev, validation, left_out = labelled_sets()
    all_features = np.ones(len(CANDIDATE_FEATURES), dtype=bool)
    # Candidates and features do not depend on the weights: one pass gathers them for every fit.
    index = ProcedureIndex(procedures, ranker=blank_ranker())
    train, held = examples(index, dev), examples(index, validation)
    wording_penalty, wording = choose_wording(dev, validation)
    train = with_wording(train, crossfitted_wording(train, wording_penalty))
    held = with_wording(held, [wording.score(e.case.query) for e in held])
    print(f"wording model: C {wording_penalty}, {len(wording.idf)} terms")
    fitted = {p: fit_rank(train, p, all_features) for p in PENALTY_GRID}
    chosen = choose_penalty({p: ranking_loss(held, rank) for p, rank in fitted.items()})
    rank = fitted[chosen]
    ranks = crossfitted_ranks(train, chosen)
    lone = lone_margin(train, ranks)
    answer = fit_answer_trees(train, ranks, lone)
    confident = fit_question_model(train, ranks, lone, "right", CONFIDENCE_LEAVES_OUT)
    decision = choose_decision(held, rank, answer, confident, lone)
    h1, h3 = ranking_quality(held, rank)
    print(f"penalty={chosen}: validation ranking hit@1 {h1:.3f} hit@3 {h3:.3f}; {decision}")
    oos, false = abstention(held, Ranker(rank, answer, confident, decision, {}, wording))
    print(f"validation at these thresholds: out-of-scope abstention {oos:.3f}, false abstention {false:.3f}")
    if args.ablation:
        print("ablation on validation (ranking alone, always answering):")
        ablation(train, held, chosen)
        plain_tables = ProcedureIndex(procedures, aliases=load_aliases_only_synonyms(), ranker=blank_ranker())
        h1, h3 = ranking_quality(
            examples(plain_tables, validation),
            fit_rank(examples(plain_tables, dev), chosen, all_features),
        )
        print(f"  {'all features, without knowledge/vocabulary/':<48} ranking hit@1 {h1:.3f}  hit@3 {h3:.3f}")
    provenance = {
        "fitted": dt.date.today().isoformat(),
        "command": "make fit-search",
        "rank": f"listwise softmax regression, L2 penalty {chosen} (on validation, the strongest within "
        "one standard error of the best listwise loss)",
        "answer": f"{TREES} boosted trees of depth {TREE_DEPTH}, rate {TREE_RATE}, balanced classes, "
        f"in scope vs out of scope, on dev ranked by {FOLDS}-fold cross-fitted rankings",
        "confident": "logistic regression, balanced, best candidate right or wrong (out of scope: wrong), "
        f"on dev ranked by {FOLDS}-fold cross-fitted rankings, without {', '.join(CONFIDENCE_LEAVES_OUT)}",
        "wording": f"logistic regression, balanced, C {wording_penalty} (on validation, the best ROC AUC), "
        "in scope vs out of scope, over TF-IDF of folded syllables, pairs and syllables with marks of "
        f"{WORDING_MIN_QUESTIONS}+ dev questions; dev questions' feature from {FOLDS}-fold cross-fitted "
        "models",
        "thresholds": f"answer: false abstention <= {FALSE_ABSTENTION_GOAL} and out-of-scope abstention >= "
        f"{ABSTENTION_GOAL} on validation, each by the most standard errors (else the highest threshold "
        f"with false abstention <= {FALSE_ABSTENTION_GOAL}); "
        f"confident: precision >= {CONFIDENT_PRECISION} on validation",
        "dev": {
            **{p.name: digest(p) for p in (DEV, *OLD)},
            **{f"{path.name} (its assign_splits dev part)": digest(path) for path in FRESH},
        },
        "validation": {
            VALIDATION.name: digest(VALIDATION),
            **{f"{path.name} (its assign_splits validation part)": digest(path) for path in FRESH},
        },
        "dev_questions": len(dev),
        "older_questions_left_out": left_out,
        "validation_questions": len(validation),
        "procedures": len(procedures),
    }
    ranker = Ranker(rank, answer, confident, decision, provenance, wording)
    for name, weight in zip(CANDIDATE_FEATURES, ranker.rank.coef / ranker.rank.scale, strict=True):
        print(f"  {name:<18} {weight:+.3f}")
    if not args.dry_run:
        args.output.write_text(ranker_text(ranker), "utf-8")
        print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    # Sums over sets of words follow the order of their hashes, and one BLAS thread sums in one order: with
    # either varying from run to run, last-digit differences moved the trees' splits and a refit did not
    # reproduce ranker.json.
    if os.environ.get("PYTHONHASHSEED") != "0":
        os.execve(sys.executable, [sys.executable, *sys.argv], {**os.environ, "PYTHONHASHSEED": "0"})
    with threadpool_limits(limits=1):
        sys.exit(main())
