"""The labelled search set is split once, by procedure, and never moves."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from knowledge.evaluation import SPLITS, Case, assign_splits, by_split, evaluate, load_cases, question_key

DATA = Path(__file__).resolve().parent.parent / "data"
PINNED = {
    "dev": "dd46a06173dd074e6cb68c181d2cf0689164a2814ed0faccc3db8e913ea6c6d1",
    "validation": "81cd1e3feb0accb094fd306b8f442f9f8a829c2c9989f2f0b1668cb2fdb73867",
    "test": "53b394d7907e167d916d9dd850fa44b4999b09ba6fa802efc6f8009476880d10",
}


def _split(name: str) -> list[Case]:
    return load_cases(DATA / f"search-{name}.tsv")


@pytest.mark.parametrize("name", SPLITS)
def test_the_split_files_never_change(name: str) -> None:
    digest = hashlib.sha256((DATA / f"search-{name}.tsv").read_bytes()).hexdigest()
    assert digest == PINNED[name], f"search-{name}.tsv changed: the split must never move"


def test_every_question_sits_in_the_split_its_procedure_hashes_to() -> None:
    cases = [(name, case) for name in SPLITS for case in _split(name)]
    assigned = assign_splits([case for _, case in cases])
    moved = [case.query for (name, case), split in zip(cases, assigned, strict=True) if name != split]
    assert moved == []


def test_no_procedure_is_in_two_splits() -> None:
    seen: dict[str, str] = {}
    for name in SPLITS:
        for case in _split(name):
            for code in case.expected:
                assert seen.setdefault(code, name) == name, f"{code} is in {seen[code]} and {name}"


def test_the_set_is_large_and_mixed_as_the_issue_asks() -> None:
    cases = [case for name in SPLITS for case in _split(name)]
    assert len(cases) >= 1000
    kinds = {case.kind for case in cases}
    assert kinds == {"formal", "colloquial", "no_diacritics", "typo", "mixed", "out_of_scope"}
    out_of_scope = sum(not case.in_scope for case in cases) / len(cases)
    assert 0.08 <= out_of_scope <= 0.15
    assert len({q.query.lower() for q in cases}) == len(cases), "a question is repeated"
    shares = {name: len(_split(name)) / len(cases) for name in SPLITS}
    assert 0.5 <= shares["dev"] <= 0.7 and 0.12 <= shares["test"] <= 0.28


def test_the_split_moves_a_whole_group_of_sibling_codes_together() -> None:
    cases = [
        Case("a", frozenset({"1.000001"}), "formal"),
        Case("b", frozenset({"1.000001", "1.000002"}), "formal"),
        Case("c", frozenset({"1.000002"}), "formal"),
        Case("d", frozenset(), "out_of_scope"),
    ]
    assigned = assign_splits(cases)
    assert assigned[0] == assigned[1] == assigned[2]
    assert assign_splits(cases) == assigned


FRESH_DIGEST = "68a37b60ad2fefeab6304bc458512be788b397c1a17ca488e0724428dd2cb77e"
FRESH2_DIGEST = "d397a37d1cc80410cc91f3cb0288c1318f3a85060643e77edc1218acee9c9c8e"
FRESH3_DIGEST = "7d601ee0cff412a16bca1e7a4c5060c85566c87add0764fc76c4f92846941a15"
FRESH4_DIGEST = "2125340de77775649e335dee029c91b298f92295169f3ea0bb72be27f45eb2be"
BLIND_DIGEST = "1393339c7d0b1af8cac0187090988da78f1ec7242fe692ad76e233935095a9cb"
SHORT_DIGEST = "570b0c9e273cf12b7b3740b9d30cfe483348cb2882aad4ca23829dcfc4c31b64"
OTHERS = (
    "search-dev.tsv",
    "search-validation.tsv",
    "search-test.tsv",
    "devset.tsv",
    "devset.heldout.tsv",
)
"""Every labelled file but the fresh sets and the blind set (the older sets are partly trained on)."""


def _codes(*names: str) -> set[str]:
    return {code for name in names for case in load_cases(DATA / name) for code in case.expected}


def _asked(*names: str) -> set[str]:
    return {question_key(case.query) for name in names for case in load_cases(DATA / name)}


def test_the_fresh_set_asks_only_about_procedures_no_other_file_names() -> None:
    fresh = load_cases(DATA / "search-fresh.tsv")
    assert hashlib.sha256((DATA / "search-fresh.tsv").read_bytes()).hexdigest() == FRESH_DIGEST
    assert len(fresh) >= 1000 and len({question_key(c.query) for c in fresh}) == len(fresh)
    assert not [case.query for case in fresh if case.expected & _codes(*OTHERS)]


def test_the_second_fresh_set_shares_no_procedure_and_no_question_with_any_other_file() -> None:
    second = load_cases(DATA / "search-fresh2.tsv")
    assert hashlib.sha256((DATA / "search-fresh2.tsv").read_bytes()).hexdigest() == FRESH2_DIGEST
    assert len(second) >= 600 and len({question_key(c.query) for c in second}) == len(second)
    assert sum(not c.expected for c in second) >= 200
    others = (*OTHERS, "search-fresh.tsv", "search-blind.tsv")
    assert not [case.query for case in second if case.expected & _codes(*others)]
    asked = _asked(*others)
    assert not [case.query for case in second if question_key(case.query) in asked]


@pytest.mark.parametrize(
    ("name", "digest", "parts"),
    [
        ("search-fresh3.tsv", FRESH3_DIGEST, {"dev": 128, "validation": 50, "test": 50}),
        ("search-fresh4.tsv", FRESH4_DIGEST, {"dev": 104, "validation": 24, "test": 31}),
    ],
)
def test_the_advice_sets_are_in_scope_of_every_kind_and_share_nothing_with_any_other_file(
    name: str, digest: str, parts: dict[str, int]
) -> None:
    asks = load_cases(DATA / name)
    assert hashlib.sha256((DATA / name).read_bytes()).hexdigest() == digest
    assert len({question_key(c.query) for c in asks}) == len(asks)
    assert all(c.expected for c in asks) and {c.pool for c in asks} == {"advice"}
    assert {c.kind for c in asks} == {"formal", "colloquial", "no_diacritics", "typo", "mixed"}
    assert {part: len(cases) for part, cases in by_split(asks).items()} == parts
    fresh = ("search-fresh.tsv", "search-fresh2.tsv", "search-fresh3.tsv", "search-fresh4.tsv")
    others = tuple(other for other in (*OTHERS, *fresh, "search-blind.tsv") if other != name)
    assert not [case.query for case in asks if case.expected & _codes(*others)]
    asked = _asked(*others)
    assert not [case.query for case in asks if question_key(case.query) in asked]


def test_the_blind_set_shares_no_procedure_and_no_question_with_any_other_file() -> None:
    """bench/fit_search.py never opens it (test_fit_search.py checks that), so nothing is fitted on it."""
    blind = load_cases(DATA / "search-blind.tsv")
    assert hashlib.sha256((DATA / "search-blind.tsv").read_bytes()).hexdigest() == BLIND_DIGEST
    assert len(blind) >= 500 and len({question_key(c.query) for c in blind}) == len(blind)
    kinds = {"formal", "colloquial", "no_diacritics", "typo", "mixed", "out_of_scope"}
    assert {c.kind for c in blind} == kinds
    others = (*OTHERS, "search-fresh.tsv", "search-fresh2.tsv", "search-fresh3.tsv", "search-fresh4.tsv")
    assert not [case.query for case in blind if case.expected & _codes(*others)]
    asked = _asked(*others)
    assert not [case.query for case in blind if question_key(case.query) in asked]


def test_the_short_set_is_short_and_asks_no_question_another_file_asks() -> None:
    """Its procedures may be any file's (short questions are mostly about the common ones), never its
    questions; bench/fit_search.py never opens it (test_fit_search.py checks that)."""
    short = load_cases(DATA / "search-short.tsv")
    assert hashlib.sha256((DATA / "search-short.tsv").read_bytes()).hexdigest() == SHORT_DIGEST
    assert len({question_key(c.query) for c in short}) == len(short) >= 150
    # One to three words, a word being one or two syllables ("xe máy"): at most four syllables.
    assert all(1 <= len(c.query.split()) <= 4 for c in short)
    assert {c.kind for c in short} == {"no_diacritics", "typo", "mixed", "out_of_scope"}
    assert {c.pool for c in short} == {"short"} and sum(not c.in_scope for c in short) >= 40
    others = (*OTHERS, *(f"search-fresh{n}.tsv" for n in ("", "2", "3", "4")), "search-blind.tsv")
    asked = _asked(*others)
    assert not [case.query for case in short if question_key(case.query) in asked]


def test_single_answers_are_counted_and_judged_out_of_scope_too() -> None:
    cases = [
        Case("a", frozenset({"1"}), "formal"),
        Case("b", frozenset({"2"}), "formal"),
        Case("c", frozenset({"3"}), "typo"),
        Case("d", frozenset(), "out_of_scope"),
    ]
    offered = {"a": ["1"], "b": ["9"], "c": ["3"], "d": ["4"]}
    # "c" offers one code but as a choice (a lone candidate the ranker is unsure of): not a card alone.
    alone = {"a", "b", "d"}
    scores = evaluate(lambda q: offered[q], cases, lambda q: q in alone)
    assert (scores.hit_at_1, scores.hit_at_3) == (2 / 3, 2 / 3)
    # Three of four questions get one card; only "a"'s is right ("d" is out of scope: a card misleads).
    assert scores.one_card == 3 / 4
    assert scores.one_card_right == 1 / 3
    assert evaluate(lambda q: offered[q], cases).one_card == 0.0
    nothing = evaluate(lambda q: [], cases, lambda q: True)
    assert (nothing.one_card, nothing.one_card_right) == (0.0, 0.0)
