"""Procedure search over the real catalogue (dev set figures) and targeted behaviour on small indexes."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import knowledge.index as index_module
from knowledge.aliases import load_aliases, words_of
from knowledge.evaluation import Case, load_cases
from knowledge.evaluation import evaluate as evaluate_cases
from knowledge.importers import load_paths
from knowledge.index import MAX_QUERY_CHARS, ProcedureIndex
from knowledge.model import Procedure
from knowledge.ranker import CANDIDATE_FEATURES, load_ranker
from knowledge.results import SearchResult
from tests.bench_scripts import load_bench

ROOT = Path(__file__).resolve().parents[2]
DEVSET = ROOT / "tests" / "data" / "devset.tsv"
DEMO_KB = ROOT / "knowledge" / "demo"


@pytest.fixture(scope="module")
def catalogue(knowledge_source: Path) -> ProcedureIndex:
    """The full national catalogue, indexed once for this module."""
    return ProcedureIndex(load_paths([knowledge_source]).procedures.values())


@pytest.fixture(scope="module")
def devset() -> list[Case]:
    return load_cases(DEVSET)


def offered(result: SearchResult) -> list[str]:
    """The codes a resident would see, best first; none offered when the bot abstains."""
    return [] if result.answer == "none" else [h.code for h in result.hits]


def first_code(index: ProcedureIndex, query: str) -> str | None:
    result = index.search(query)
    return result.hits[0].code if result.answer != "none" and result.hits else None


# The dev set -----------------------------------------------------------------------------------------


def test_devset_is_large_mixed_and_well_formed(devset: list[Case]) -> None:
    kinds = {c.kind for c in devset}
    assert len(devset) >= 150
    assert {"formal", "colloquial", "no_diacritics", "typo", "abbreviation", "out_of_scope"} <= kinds
    assert sum(1 for c in devset if c.kind == "out_of_scope") >= 25
    assert all(c.in_scope == (c.kind != "out_of_scope") for c in devset)
    assert len({c.query for c in devset}) == len(devset)


def test_devset_codes_exist_in_the_catalogue(catalogue: ProcedureIndex, devset: list[Case]) -> None:
    unknown = sorted(code for c in devset for code in c.expected if catalogue.get(code) is None)
    assert unknown == []


def test_devset_quality_on_the_real_catalogue(catalogue: ProcedureIndex, devset: list[Case]) -> None:
    # Floors against regressions, a little under what the fitted ranker measures; the goals of issue 11
    # and the figures per split are in bench/search.py.
    scores = evaluate_cases(lambda q: offered(catalogue.search(q, limit=3)), devset)
    report = f"misses: {scores.misses}; answered out of scope: {scores.answered_out_of_scope}"
    assert scores.hit_at_1 >= 0.75, report
    assert scores.hit_at_3 >= 0.84, report
    assert scores.false_abstention <= 0.06, report
    assert scores.abstention >= 0.5, report


def test_validation_quality_on_the_real_catalogue(catalogue: ProcedureIndex) -> None:
    """The search keeps the decision the fit chose: both abstention goals met on all validation.

    All of it (the split and the fresh sets' validation parts, as ``bench/fit_search.py`` reads them), not
    the split alone: the threshold is set on the whole, and 187 questions alone stray from it by chance.
    The search reads a question as the fit does but for staff aliases and the like, so it may decline a
    few more than the fit counted; not many more.
    """
    fit = load_bench("fit_search")
    cases = fit.labelled_sets().validation
    alone = load_cases(fit.VALIDATION)
    answers = {c.query: offered(catalogue.search(c.query, limit=3)) for c in cases}
    scores = evaluate_cases(answers.__getitem__, cases)
    assert scores.hit_at_1 >= 0.45
    assert scores.hit_at_3 >= 0.60
    assert scores.false_abstention <= 0.06
    # The threshold meets both goals by some standard errors (bench/fit_search.choose_answer_at).
    assert scores.abstention >= 0.80
    # The split alone, looser: a refit that turned it away from its residents would still show here.
    split = evaluate_cases(answers.__getitem__, alone)
    assert split.false_abstention <= 0.09


# Targeted behaviour on the real catalogue ------------------------------------------------------------


def test_colloquial_birth_registration_finds_the_commune_procedure(catalogue: ProcedureIndex) -> None:
    result = catalogue.search("lam giay khai sinh cho con")
    assert result.answer != "none"
    assert result.hits[0].code == "1.001193"
    assert catalogue.get("1.001193") is not None
    assert "Cấp xã" in catalogue.get("1.001193").level  # type: ignore[union-attr]


def test_the_latent_vectors_find_what_no_name_says(catalogue: ProcedureIndex) -> None:
    # The names that say "trâu, bò" are about breeding; a sick herd is nearest the animal disease procedures
    # through the words of their records.
    found = catalogue.candidates("trâu bò chết vì dịch bệnh")
    assert not isinstance(found, str)
    semantic = found.features[:, CANDIDATE_FEATURES.index("semantic_record")]
    nearest = catalogue.get(found.codes[int(np.argmax(semantic))])
    assert nearest is not None
    assert "động vật" in nearest.name.lower()
    assert float(semantic.max()) > 0.3
    assert found.features[:, CANDIDATE_FEATURES.index("semantic_name")].any()


def test_lost_id_card_is_a_reissue_at_the_commune_first(catalogue: ProcedureIndex) -> None:
    result = catalogue.search("làm lại cccd bị mất")
    assert result.answer in ("confident", "choices")
    assert result.hits[0].code == "1.014064"


def test_abbreviated_building_permit_for_a_house(catalogue: ProcedureIndex) -> None:
    assert first_code(catalogue, "xin gpxd nha o") == "1.013225"


def test_the_card_change_is_found_at_one_of_its_levels(
    catalogue: ProcedureIndex,
) -> None:
    result = catalogue.search("cấp đổi thẻ căn cước")
    codes = [h.code for h in result.hits]
    # The same procedure at the commune, the province and the ministry: any is a right answer; the
    # commune's, the resident's usual door, must be on offer.
    assert codes[0] in {"1.014063", "2.001195", "1.000889"}
    assert result.answer == "confident" or "1.014063" in codes


def test_foreign_element_version_only_when_asked(catalogue: ProcedureIndex) -> None:
    assert first_code(catalogue, "đăng ký kết hôn") == "1.000894"
    assert first_code(catalogue, "đăng ký kết hôn với người nước ngoài") == "2.000806"


def test_first_issue_before_reissue_unless_asked(catalogue: ProcedureIndex) -> None:
    assert "3.000346" in [h.code for h in catalogue.search("làm bằng lái xe").hits[:2]]
    assert first_code(catalogue, "làm lại bằng lái xe bị mất") == "3.000348"


def test_a_paper_named_without_an_action_offers_first_issue_and_later_steps(
    catalogue: ProcedureIndex,
) -> None:
    result = catalogue.search("giấy phép lái xe")
    assert result.answer == "choices"
    assert {"3.000346", "3.000348"} <= {h.code for h in result.hits}


def test_run_together_syllables_and_typos_are_repaired(catalogue: ProcedureIndex) -> None:
    assert first_code(catalogue, "dang ky khaisinh") == "1.001193"
    assert "1.000894" in [h.code for h in catalogue.search("dang kyk ket hon").hits]


def test_a_long_stop_phrase_typed_without_accents_is_that_phrase(catalogue: ProcedureIndex) -> None:
    # "mat bao lau" is "mất bao lâu" (how long it takes), not a lost passport; two unaccented syllables
    # may still be real words ("cho bo": for the cows), so they stay, weakly.
    def said(question: str) -> set[str]:
        analysed = catalogue._analyse(question)
        assert not isinstance(analysed, str)
        return {t for c in analysed.concepts for a in c.alternatives for t in a}

    question = "lam ho chieu lan dau can nhung gi, mat bao lau thi co"
    assert not said(question) & {"mat", "bao", "lau", "can", "nhung", "gi"}
    assert first_code(catalogue, question) in {"1.001456", "1.001471"}
    assert "bo" in said("kiem dich cho bo")


def test_conversational_filler_does_not_dominate(catalogue: ProcedureIndex) -> None:
    plain = first_code(catalogue, "đăng ký tạm trú")
    chatty = first_code(catalogue, "cho em hỏi muốn đăng ký tạm trú thì cần những giấy tờ gì ở đâu ạ")
    assert plain == chatty == "1.004194"


@pytest.mark.parametrize(
    "greeting", ["xin chào", "Chào bạn!", "cảm ơn ạ", "cam on ban nhieu", "bạn là ai", "ok"]
)
def test_greetings_and_small_talk_are_chitchat(catalogue: ProcedureIndex, greeting: str) -> None:
    result = catalogue.search(greeting)
    assert (result.answer, result.reason, result.hits) == ("none", "chitchat", ())


@pytest.mark.parametrize("question", ["lịch chiếu phim", "mật khẩu wifi là gì", "hôm nay ăn gì"])
def test_out_of_scope_questions_get_an_honest_none(catalogue: ProcedureIndex, question: str) -> None:
    result = catalogue.search(question)
    assert (result.answer, result.reason) == ("none", "no_match")


@pytest.mark.parametrize(
    "question", ["giá vàng hôm nay", "bóng đá tối nay", "thời tiết hôm nay thế nào", "công thức nấu phở"]
)
def test_near_misses_never_get_a_confident_card(catalogue: ProcedureIndex, question: str) -> None:
    # They share words with real procedures (gold trading, weather forecasting licences): the resident
    # may be offered choices, never one card as if it were the answer.
    assert catalogue.search(question).answer != "confident"


@pytest.mark.parametrize("empty", ["", "   ", "???", "\n\t"])
def test_empty_questions(catalogue: ProcedureIndex, empty: str) -> None:
    assert (catalogue.search(empty).answer, catalogue.search(empty).reason) == ("none", "empty")


def test_garbage_does_not_raise_and_abstains(catalogue: ProcedureIndex) -> None:
    for garbage in [
        "asdfgh qwerty zxcv",
        "\x00\x01\x02",
        "👍👍👍",
        "ﷺ ﷽ ꧁꧂",
        "a" * 1900,
        "đ" * 500 + " x" * 600,
    ]:
        result = catalogue.search(garbage)
        assert result.answer == "none"


def test_huge_input_is_refused_before_any_analysis(
    catalogue: ProcedureIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    def must_not_run(text: str) -> list[object]:
        raise AssertionError("a 100 KB question must not be analysed")

    monkeypatch.setattr(index_module, "words_of", must_not_run)
    result = catalogue.search("đăng ký khai sinh " * 6000)
    assert len(result.query) > 100_000 > MAX_QUERY_CHARS
    assert (result.answer, result.reason) == ("none", "too_long")


async def test_searches_from_worker_threads_agree(catalogue: ProcedureIndex) -> None:
    questions = ["đăng ký kết hôn", "làm lại cccd bị mất", "xin gpxd nha o", "xin chào"] * 8
    results = await asyncio.gather(*(asyncio.to_thread(catalogue.search, q) for q in questions))
    assert [r.hits for r in results] == [catalogue.search(q).hits for q in questions]


# Small hand-made indexes -----------------------------------------------------------------------------

SMALL_PROCEDURES = (
    Procedure(code="ks", name="Thủ tục đăng ký khai sinh", level="Cấp xã"),
    Procedure(code="ks-nn", name="Thủ tục đăng ký khai sinh có yếu tố nước ngoài", level="Cấp xã"),
    Procedure(code="cc", name="Cấp lại thẻ căn cước", level="Cấp xã", audience="Công dân Việt Nam"),
    Procedure(code="cc-t", name="Cấp lại thẻ căn cước (thực hiện tại cấp tỉnh)", level="Cấp tỉnh"),
    Procedure(
        code="xd", name="Cấp giấy phép xây dựng mới đối với nhà ở riêng lẻ", field="Hoạt động xây dựng"
    ),
)
SMALL = ProcedureIndex(SMALL_PROCEDURES)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_search_never_raises_and_keeps_its_promises(query: str) -> None:
    result = SMALL.search(query, limit=3)
    assert result.query == query
    assert result.answer in ("confident", "choices", "none")
    if result.answer == "none":
        assert result.hits == ()
        assert result.reason in ("empty", "chitchat", "too_long", "no_match")
    else:
        assert 1 <= len(result.hits) <= 3
        assert all(0.0 <= h.score <= 100.0 for h in result.hits)
        assert [h.score for h in result.hits] == sorted((h.score for h in result.hits), reverse=True)
    if result.answer == "confident":
        assert len(result.hits) == 1


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(["đăng ký khai sinh", "cấp lại thẻ căn cước", "xin gpxd nhà ở"]), st.text(max_size=40))
def test_noise_around_a_real_question_never_raises(question: str, noise: str) -> None:
    SMALL.search(noise + " " + question + " " + noise)


def test_synonym_table_loads_and_is_reviewable() -> None:
    aliases = load_aliases()
    assert aliases.abbreviations["cccd"][0].folded == "can"
    assert {"cccd", "cmnd", "gplx", "gpxd", "hkd", "dkkd", "qsdd", "sdd"} <= set(aliases.abbreviations)
    with pytest.raises(ValueError, match=r"synonym\[0\]\.say"):
        load_aliases("[[synonym]]\nsay = 'not a list'\nmeans = ['x']\n")


CONTEXT_TABLE = """
[[synonym]]
say = ["mất"]
means = ["cấp lại"]

[[synonym]]
say = ["mất", "mới mất"]
after = ["bố", "ông nội", "con gái"]
between = ["tôi", "em"]
unless_before = ["thẻ", "căn cước", "con dấu"]
means = ["khai tử"]

[stopwords]
phrases = ["cho con", "tôi", "ông nội"]
"""


@pytest.mark.parametrize(
    ("question", "reading"),
    [
        ("bố tôi mới mất", ("khai", "tu")),
        ("bố mất", ("khai", "tu")),
        ("ông nội em mất hôm qua", ("khai", "tu")),
        ("bo toi mat", ("khai", "tu")),
        ("bố tôi em tôi mất", ("khai", "tu")),
        # A whole phrase of unless_before, not its first syllable; accents as typed.
        ("bố tôi mất, con cần làm gì", ("khai", "tu")),
        ("bố tôi mất the can cuoc", ("cap", "lai")),
        ("bố tôi mất thế giờ làm gì", ("khai", "tu")),
        # Not after a relative, or too far from one, or before a paper: the plain reading.
        ("tôi mất", ("cap", "lai")),
        ("bố tôi em tôi em mất", ("cap", "lai")),
        ("bố nói tôi mất", ("cap", "lai")),
        ("bố tôi mất thẻ", ("cap", "lai")),
        ("bố tôi mất căn cước", ("cap", "lai")),
        ("bố tôi mất con dấu", ("cap", "lai")),
        ("mất", ("cap", "lai")),
        # "bộ" is no "bố", though both fold to "bo".
        ("bộ tôi mất", ("cap", "lai")),
        # A relative that starts inside an earlier phrase ("cho con" then "gái") is none.
        ("cho con gái mất", ("cap", "lai")),
    ],
)
def test_a_synonym_in_context_reads_the_phrase_only_there(question: str, reading: tuple[str, ...]) -> None:
    aliases = load_aliases(CONTEXT_TABLE)
    (match,) = [m for m in aliases.scan(words_of(question), frozenset({"synonym", "stop"})) if m.rule]
    assert match.rule is not None
    assert match.rule.means == (reading,)


def _reads_a_death(question: str) -> bool:
    words = words_of(question)
    return any(
        m.rule is not None and ("khai", "tu") in m.rule.means
        for m in VOCABULARY.scan(words, frozenset({"synonym", "stop"}))
    )


VOCABULARY = load_aliases()


@pytest.mark.parametrize(
    "question",
    [
        "bố tôi mới mất",
        "bố tôi mất vì tai nạn",
        "bố tôi mất tại bệnh viện",
        "mẹ tôi mất đầu năm nay",
        "chồng tôi mất, chúng tôi cần làm gì",
        "nhà tôi mới mất",
        "anh tôi mới mất",
        "bà nội em mất rồi",
    ],
)
def test_the_vocabulary_reads_a_relative_who_died(question: str) -> None:
    assert _reads_a_death(question)


@pytest.mark.parametrize(
    "question",
    [
        "cmnd cũ mất rồi có làm căn cước được không",
        "học bạ của con mất rồi",
        "làm căn cước cho con gái mất bao nhiêu tiền",
        "làm hộ chiếu cho vợ tôi mất mấy ngày",
        "đổi bằng lái cho bố tôi mất phí không",
        "mẹ em mất cái ví",
        "vợ tôi mất bìa đỏ",
        "bố mất căn cước",
        "bà con mất giấy tờ",
        "em mất ví",
        "bố tôi mất cccd",
    ],
)
def test_the_vocabulary_reads_a_loss_or_an_amount_as_no_death(question: str) -> None:
    assert not _reads_a_death(question)


def test_a_synonym_in_context_takes_its_context_in() -> None:
    aliases = load_aliases(CONTEXT_TABLE)
    found = aliases.scan(words_of("hỏi ông nội em mới mất"), frozenset({"synonym", "stop"}))
    # "ông nội" was a stop word and "hỏi" stays a word of its own: the death is "ông nội em mới mất".
    assert [(m.start, m.end, m.action) for m in found] == [(1, 6, "synonym")]
    found = aliases.scan(words_of("bố tôi mất"), frozenset({"synonym", "stop"}))
    assert [(m.start, m.end) for m in found] == [(0, 3)]


def test_a_relative_who_died_is_a_death_not_a_lost_paper(catalogue: ProcedureIndex) -> None:
    death = "1.000656"
    for question in (
        "chồng tôi mất, tôi muốn đăng ký khai tử",
        "ông nội tôi mất hôm qua, làm giấy báo tử ở đâu",
    ):
        result = catalogue.search(question)
        assert result.answer != "none", question
        assert result.hits[0].code == death, question
    # Said alone, the death is what the ranking puts first (whether to answer so short a question at all is
    # the answer model's call).
    for question in ("bố tôi mới mất", "bố chồng tôi mất", "mẹ em vừa mất rồi"):
        assert catalogue.ranked(question)[:1] == [death], question
    lost = catalogue.search("bố tôi mất căn cước")
    assert lost.answer != "none"
    assert "Cấp lại thẻ căn cước" in lost.hits[0].name


def test_the_small_index_prefers_the_everyday_version() -> None:
    assert SMALL.search("làm giấy khai sinh").hits[0].code == "ks"
    assert SMALL.search("khai sinh cho con lấy chồng nước ngoài").hits[0].code == "ks-nn"
    assert SMALL.search("mất căn cước").hits[0].code == "cc"
    assert SMALL.search("cấp lại căn cước ở tỉnh").answer != "none"


def test_an_exact_accented_match_ranks_above_a_folded_one() -> None:
    index = ProcedureIndex(
        [
            Procedure(code="rent", name="Thủ tục thuê đất", level="Cấp xã"),
            Procedure(code="tax", name="Thủ tục thuế đất", level="Cấp xã"),
        ]
    )
    assert index.ranked("thuế đất")[0] == "tax"
    assert index.ranked("thuê đất")[0] == "rent"
    assert set(index.ranked("thue dat")) == {"rent", "tax"}


def test_index_basics() -> None:
    procedures = [Procedure(code="1", name="Đăng ký khai sinh"), Procedure(code="2", name="Đăng ký khai tử")]
    index = ProcedureIndex(procedures)
    assert len(index) == 2
    assert index.get("2") == procedures[1]
    assert index.get("nope") is None
    assert ProcedureIndex([]).search("đăng ký khai sinh").answer == "none"


def test_keywords_of_a_procedure_are_searched() -> None:
    index = ProcedureIndex(
        [
            Procedure(
                code="a", name="Thủ tục đăng ký khai sinh", keywords=("giấy khai sinh", "làm khai sinh")
            ),
            Procedure(code="b", name="Cấp phiếu lý lịch tư pháp", keywords=("lý lịch tư pháp",)),
        ]
    )
    assert index.search("phiếu lý lịch").hits[0].code == "b"


def test_a_question_equal_to_a_staff_alias_is_answered_with_its_procedure() -> None:
    index = ProcedureIndex(
        [
            Procedure(code="a", name="Thủ tục đăng ký khai sinh", keywords=("khai sinh",)),
            Procedure(code="b", name="Cấp phiếu lý lịch tư pháp"),
            Procedure(code="c", name="Đăng ký kết hôn"),
            Procedure(code="d", name="Đăng ký kết hôn có yếu tố nước ngoài"),
        ],
        staff={"b": ["xin giấy phép nuôi kỳ lân", "làm sao"], "c": ["Lấy vợ"], "d": ["lấy vợ"], "zz": ["x"]},
    )
    result = index.search("Xin giay phep nuoi ky lan")
    assert (result.answer, [h.code for h in result.hits]) == ("confident", ["b"])
    both = index.search("lấy vợ")
    assert (both.answer, [h.code for h in both.hits]) == ("choices", ["c", "d"])
    # Even a question of filler words only, which the search would never answer, is staff's to name.
    assert [h.code for h in index.search("làm sao").hits] == ["b"]


def test_an_imported_keyword_is_searched_but_not_taken_as_staff_s_word() -> None:
    index = ProcedureIndex(
        [
            Procedure(code="a", name="Cấp đổi hiện vật khen thưởng", keywords=("cấp lại",)),
            Procedure(code="b", name="Cấp lại thẻ căn cước"),
        ]
    )
    result = index.search("cấp lại")
    assert not (result.answer == "confident" and result.hits[0].code == "a" and result.hits[0].score == 100.0)


@pytest.mark.skipif(not DEMO_KB.is_dir(), reason="demo knowledge base not present")
def test_search_works_on_the_demo_knowledge_base(devset: list[Case]) -> None:
    procedures = load_paths([DEMO_KB]).procedures
    index = ProcedureIndex(procedures.values())
    # The dev-set questions whose answer is in the demo set, and every out-of-scope one.
    cases = [c for c in devset if not c.in_scope or c.expected & procedures.keys()]
    scores = evaluate_cases(lambda q: offered(index.search(q)), cases)
    report = f"misses: {scores.misses}; answered out of scope: {scores.answered_out_of_scope}"
    assert len(index) >= 30
    assert scores.in_scope >= 60
    assert scores.hit_at_1 >= 0.85, report
    assert scores.hit_at_3 >= 0.95, report
    assert scores.false_abstention <= 0.05, report
    assert scores.abstention >= 0.75, report
    assert index.search("xin chào").reason == "chitchat"


def test_an_abbreviation_is_read_only_when_typed_without_marks() -> None:
    aliases = load_aliases()
    gpxd, co_plain, co_accented = words_of("gpxd co cổ")
    assert aliases.abbreviation(gpxd) is not None
    assert aliases.abbreviation(co_accented) is None
    # "c/o" reaches the search as two syllables; a key that folds to "co" would read every "có"/"cơ".
    assert aliases.abbreviation(co_plain) is None
    with pytest.raises(ValueError, match="one syllable"):
        load_aliases('[abbreviations]\n"c/o" = "chứng nhận xuất xứ"\n')


def test_a_company_name_is_not_read_as_an_abbreviation() -> None:
    index = ProcedureIndex(
        [
            Procedure(code="joint-stock", name="Đăng ký thành lập công ty cổ phần", level="Cấp tỉnh"),
            Procedure(code="origin", name="Cấp giấy chứng nhận xuất xứ hàng hóa", level="Cấp bộ"),
        ]
    )
    assert index.ranked("chứng nhận xuất xứ")[0] == "origin"
    assert "joint-stock" not in index.ranked("chứng nhận xuất xứ")


def test_a_word_typed_with_marks_is_not_respelt_into_another() -> None:
    index = ProcedureIndex([Procedure(code="exam", name="Đăng ký dự thi tuyển sinh", level="Cấp tỉnh")])
    # "thìa" (spoon) is in neither this catalogue nor the vocabulary; it must not become "thi" (exam).
    # Unmarked, it may be a typo. ("thịt" was the example until the vocabulary learned it: a known word,
    # marked or not, is never respelt.)
    assert index.search("thìa").answer == "none"
    assert index.ranked("thìa") == []
    assert index.ranked("thia") == ["exam"]


def test_a_question_typed_with_accents_is_read_with_them() -> None:
    """In an accented question an unmarked syllable is meant unmarked: "tu bổ" says nothing of "khai tử"."""
    from knowledge.ranker import CANDIDATE_FEATURES

    index = ProcedureIndex(
        [
            Procedure(code="death", name="Thủ tục đăng ký khai tử", level="Cấp xã"),
            Procedure(code="relic", name="Cấp phép tu bổ di tích", level="Cấp tỉnh"),
        ]
    )
    said = CANDIDATE_FEATURES.index("name_said")

    def name_said(query: str, code: str) -> float:
        found = index.candidates(query)
        assert not isinstance(found, str)
        return float(found.features[found.codes.index(code), said]) if code in found.codes else 0.0

    accented = name_said("đăng ký tu bổ đình làng", "death")
    folded = name_said("dang ky tu bo dinh lang", "death")
    assert folded > accented > 0.0  # "đăng ký" is said either way, "tử" only when typed without accents
    assert name_said("đăng ký khai tử", "death") == pytest.approx(1.0)
    assert index.ranked("xin phép tu bổ đình làng")[0] == "relic"


def test_the_benchmark_counts_a_card_alone_only_for_a_confident_answer() -> None:
    bench = load_bench("search")
    fitted = load_ranker()
    questions = ("làm giấy khai sinh", "mất căn cước", "giá vàng hôm nay", "khai sinh")
    # The same catalogue with every answer confident, then none: what the benchmark counts follows.
    for confident_at, cards in ((0.0, True), (2.0, False)):
        ranker = replace(fitted, decision=replace(fitted.decision, confident_at=confident_at))
        index = ProcedureIndex(SMALL_PROCEDURES, ranker=ranker)
        rank, confident = bench.ours(index)
        for question in questions:
            result = index.search(question, limit=3)
            assert confident(question) == (result.answer == "confident")
            assert rank(question) == ([] if result.answer == "none" else [h.code for h in result.hits])
        assert any(confident(q) for q in questions) == cards
