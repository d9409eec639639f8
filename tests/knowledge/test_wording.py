"""The wording model (knowledge/wording.py): its terms, its scores as fitted, and its JSON form."""

from __future__ import annotations

import json
import math
from types import ModuleType
from typing import Any

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from knowledge.evaluation import Case
from knowledge.ranker import load_ranker
from knowledge.wording import MAX_SYLLABLES, Wording, terms
from tests.bench_scripts import load_bench

INSIDE = [
    "thủ tục đăng ký khai sinh cho con",
    "làm lại căn cước bị mất ở đâu",
    "hồ sơ xin giấy phép xây dựng nhà ở gồm gì",
    "dang ky tam tru cho nguoi thue tro",
    "cấp đổi giấy phép lái xe hết hạn",
    "đăng ký kết hôn cần giấy tờ gì",
    "xin cấp sổ đỏ lần đầu",
    "đăng ký hộ kinh doanh quán cà phê",
]
OUTSIDE = [
    "giá vàng hôm nay bao nhiêu",
    "thời tiết ngày mai thế nào",
    "nên mua bảo hiểm nhân thọ của hãng nào",
    "quán cà phê nào ngon gần đây",
    "giá xe máy cũ bao nhiêu",
    "tỷ giá đô hôm nay",
    "nên mua vàng hay gửi tiết kiệm",
    "lịch chiếu phim tối nay",
]


@pytest.fixture(scope="module")
def fit() -> ModuleType:
    return load_bench("fit_search")


def _cases() -> list[Case]:
    inside = [Case(q, frozenset({f"1.{n:06d}"}), "colloquial") for n, q in enumerate(INSIDE)]
    outside = [Case(q, frozenset(), "out_of_scope") for q in OUTSIDE]
    return [*inside, *outside]


def test_terms_are_folded_syllables_adjacent_pairs_and_syllables_typed_with_marks() -> None:
    folded = ["gia", "vang", "hom", "nay", "gia vang", "vang hom", "hom nay"]
    assert terms("Giá VÀNG, hôm-nay?") == [*folded, "giá", "vàng", "hôm"]
    assert terms("gia vang hom nay") == folded
    # "kỳ lân" (a unicorn) and "ký lần" fold alike; typed with marks, they are told apart.
    assert set(terms("kỳ lân")) - set(terms("ký lần")) == {"kỳ", "lân"}
    assert terms("  ?!  ") == []
    long = terms(" ".join(f"w{n}" for n in range(3 * MAX_SYLLABLES)))
    assert len(long) == MAX_SYLLABLES + MAX_SYLLABLES - 1


def test_the_model_scores_every_question_as_scikit_learn_does(fit: ModuleType) -> None:
    cases = _cases()
    model = fit.fit_wording(cases, 1.0)
    # The same fit, kept in scikit-learn's own objects.
    vectorizer = TfidfVectorizer(analyzer=terms, sublinear_tf=True, min_df=fit.WORDING_MIN_QUESTIONS)
    x = vectorizer.fit_transform([c.query for c in cases])
    reference = LogisticRegression(C=1.0, class_weight="balanced", max_iter=5000)
    reference.fit(x, [c.in_scope for c in cases])
    probes = [*INSIDE, *OUTSIDE, "giá vàng giá vàng giá vàng", "đăng ký đăng ký", "không có chữ nào biết", ""]
    expected = reference.decision_function(vectorizer.transform(probes))
    assert np.allclose([model.score(q) for q in probes], expected, atol=1e-9)
    # It learned something that can fail: the words of each side point its way.
    assert model.score("giá vàng hôm nay") < 0 < model.score("đăng ký khai sinh")


def test_crossfitting_scores_each_question_by_a_model_that_never_saw_its_fold(
    fit: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    cases = [Case(f"{c.query} {n}", c.expected, c.kind) for n in range(4) for c in _cases()]
    train = [fit.Example(c, None) for c in cases]
    trained_on: dict[int, set[str]] = {}
    kept: list[Wording] = []  # alive to the end, so that no two models share an id
    original = fit.fit_wording

    def recording(data: list[Case], penalty: float) -> Wording:
        model: Wording = original(data, penalty)
        kept.append(model)
        trained_on[id(model)] = {c.query for c in data}
        return model

    scored_by: dict[str, int] = {}
    original_score = Wording.score

    def score(self: Wording, query: str) -> float:
        scored_by[query] = id(self)
        return original_score(self, query)

    monkeypatch.setattr(fit, "fit_wording", recording)
    monkeypatch.setattr(Wording, "score", score)
    scores = fit.crossfitted_wording(train, 1.0)
    folds = fit.folds_of(train)
    assert len(scores) == len(train) and len(set(folds)) > 1
    for e, fold in zip(train, folds, strict=True):
        seen = trained_on[scored_by[e.case.query]]
        assert seen == {o.case.query for o, f in zip(train, folds, strict=True) if f != fold}
    with_scores = fit.with_wording(train, scores)
    assert [e.wording for e in with_scores] == scores


def test_the_penalty_is_chosen_by_its_model_s_score_on_validation(
    fit: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    train, validation = _cases(), [Case(f"{c.query} nữa", c.expected, c.kind) for c in _cases()]
    fitted_on: list[tuple[float, list[str]]] = []
    original = fit.fit_wording

    def recording(data: list[Case], penalty: float) -> Wording:
        fitted_on.append((penalty, [c.query for c in data]))
        original(data, penalty)
        # A model that scores every question its penalty: validation "prefers" the grid's third.
        return Wording({}, {}, penalty)

    def auc(labels: list[bool], scores: list[float]) -> float:
        assert labels == [c.in_scope for c in validation]
        return -abs(scores[0] - fit.WORDING_GRID[2])

    monkeypatch.setattr(fit, "fit_wording", recording)
    monkeypatch.setattr(fit, "roc_auc_score", auc)
    penalty, model = fit.choose_wording(train, validation)
    assert penalty == fit.WORDING_GRID[2]
    assert model.intercept == fit.WORDING_GRID[2]
    # Every penalty is fitted on dev alone.
    assert [p for p, _ in fitted_on] == list(fit.WORDING_GRID)
    assert all(queries == [c.query for c in train] for _, queries in fitted_on)


def test_json_round_trip_and_what_it_refuses() -> None:
    model = Wording.of(["gia", "gia vang", "dang ky"], [1.5, 2.0, 1.2], [-1.0, -2.0, 1.5], 0.25)
    again = Wording.from_json(json.loads(json.dumps(model.to_json())))
    for q in ("giá vàng", "đăng ký", "gì đó", ""):
        assert again.score(q) == pytest.approx(model.score(q))
    assert model.score("gì đó") == 0.25
    assert Wording().score("giá vàng") == 0.0

    def broken(change: Any) -> dict[str, Any]:
        data = model.to_json()
        change(data)
        return data

    for data in (
        {"intercept": 0.0},
        broken(lambda d: d["terms"].append(["x", 1.0])),
        broken(lambda d: d["terms"].append(["", 1.0, 1.0])),
        broken(lambda d: d["terms"].append(["x", math.inf, 1.0])),
        broken(lambda d: d["terms"].append(["x", 0.0, 1.0])),
        broken(lambda d: d["terms"].append(["x", 1.0, "1"])),
        broken(lambda d: d.update(intercept=float("nan"))),
        broken(lambda d: d["terms"].append(list(d["terms"][0]))),
        None,
        [["gia", 1.0, 1.0]],
    ):
        with pytest.raises(ValueError, match=r"ranker\.json"):
            Wording.from_json(data)


def test_the_packaged_model_reads_out_of_scope_wording_as_such() -> None:
    wording = load_ranker().wording
    assert len(wording.idf) > 1000
    asks = [wording.score(q) for q in ("thủ tục đăng ký khai sinh", "xin cấp lại giấy phép lái xe bị mất")]
    chats = [wording.score(q) for q in ("giá vàng hôm nay bao nhiêu", "dự báo thời tiết cuối tuần")]
    assert min(asks) > max(chats)
