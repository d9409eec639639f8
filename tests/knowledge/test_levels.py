"""The level of government a question names ("lên xã", "Sở Tư pháp", "Bộ Tài chính") and what it does."""

from __future__ import annotations

import pytest

from knowledge.aliases import load_aliases, words_of
from knowledge.index import ProcedureIndex
from knowledge.model import Procedure

_INDEX = ProcedureIndex([Procedure(code="1.000009", name="Đăng ký tạm trú", level="Cấp xã")])


@pytest.mark.parametrize(
    ("question", "levels"),
    [
        ("lên xã làm giấy khai sinh", {"commune"}),
        ("len xa lam giay khai sinh", {"commune"}),
        ("ra UBND phường hỏi", {"commune"}),
        ("nộp hồ sơ ở Sở Tư pháp", {"province"}),
        ("ubnd tinh", {"province"}),
        ("gửi bo tai chinh", {"ministry"}),
        ("xin UBCK chấp thuận", {"ministry"}),
        ("lên xã rồi lên Sở Y tế", {"commune", "province"}),
        ("về xã hỏi", {"commune"}),
        ("cấp bộ nào giải quyết", {"ministry"}),
        ("thành phố trực thuộc trung ương", {"province"}),
        # Words that contain a level's words without naming one.
        ("mua nhà ở xã hội", set()),
        ("trợ cấp xã hội hàng tháng", set()),
        ("cán bộ xã hội", set()),
        ("nhà ở xã hội ở xã", {"commune"}),
        ("bệnh viện trung ương", set()),
        ("bố tôi mất", set()),
        # Typed bare, short phrases are other words too: "tôi xa nhà", "đèn xa", "cấp bổ sung", "sổ y tế".
        ("toi xa nha", set()),
        ("den xa", set()),
        ("cap bo sung", set()),
        ("so y te", set()),
        ("toi tinh lam so do", set()),
        ("ve phuong thuc nop ho so", set()),
        ("dua ra phuong an", set()),
        ("len phuong an", set()),
        # "cán bộ" is a civil servant, "toàn bộ" all: no ministry; "cán bộ tư pháp" is the commune's.
        ("hỏi cán bộ y tế", set()),
        ("toàn bộ tài chính", set()),
        ("cán bộ tư pháp xã", {"commune"}),
        ("gửi Bộ Y tế", {"ministry"}),
        # Typed bare, "lên xã hỏi" reads as "xã hội": the rarer loss, accepted (see levels.toml).
        ("len xa hoi thu tuc", set()),
    ],
)
def test_the_levels_a_question_names(question: str, levels: set[str]) -> None:
    analysed = _INDEX._analyse(question)
    assert not isinstance(analysed, str)
    assert analysed.levels == levels
    # The table alone reads the words the same way as the search's analysis does here.
    aliases = load_aliases()
    assert aliases.levels_named(aliases.expand_words(words_of(question))) == levels


def test_a_named_level_puts_that_level_s_procedure_first() -> None:
    """Twins by name: only the level the question names tells them apart, each way."""
    name = "Cấp giấy phép hoạt động bến thủy nội địa"
    index = ProcedureIndex(
        [
            Procedure(code="1.000001", name=name, level="Cấp tỉnh", field="Đường thủy nội địa"),
            Procedure(code="1.000002", name=name, level="Cấp xã", field="Đường thủy nội địa"),
        ]
    )
    at_commune = index.search("lên xã xin giấy phép hoạt động bến thủy nội địa")
    at_province = index.search("nộp ở Sở Xây dựng xin giấy phép hoạt động bến thủy nội địa")
    assert [h.code for h in at_commune.hits][:1] == ["1.000002"]
    assert [h.code for h in at_province.hits][:1] == ["1.000001"]
    # Equal names are twins: whichever comes first, the resident is offered both.
    assert {h.code for h in at_commune.hits} == {h.code for h in at_province.hits} == {"1.000001", "1.000002"}


def test_an_unaccented_bare_word_in_an_accented_question_names_no_level() -> None:
    """In "con tôi ở xa", typed with accents, a bare "xa" is "far", not the commune."""
    index = ProcedureIndex([Procedure(code="1.000003", name="Đăng ký tạm trú", level="Cấp xã")])
    analysed = index._analyse("con tôi ở xa muốn đăng ký tạm trú")
    assert not isinstance(analysed, str)
    assert analysed.levels == frozenset()
    analysed = index._analyse("con tôi ở xã muốn đăng ký tạm trú")
    assert not isinstance(analysed, str)
    assert analysed.levels == frozenset({"commune"})
