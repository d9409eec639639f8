"""Where a procedure is done: level and agency from the record, never naming two different places."""

from __future__ import annotations

import pytest

from knowledge.model import Procedure
from knowledge.places import body_level, levels_of, place_of


@pytest.mark.parametrize(
    ("body", "level"),
    [
        ("Ủy ban nhân dân cấp xã", "xã"),
        ("Công an cấp Tỉnh", "tỉnh"),
        ("Sở Nội vụ", "tỉnh"),
        ("Cục Cảnh sát quản lý hành chính về trật tự xã hội", "bộ"),
        ("Bảo hiểm xã hội Việt Nam", ""),
        ("Bảo hiểm xã hội tỉnh", "tỉnh"),
        ("Bộ phận một cửa Sở Tư pháp", "tỉnh"),
        ("Bộ Tư pháp", "bộ"),
        ("Văn phòng đăng ký đất đai", ""),
    ],
)
def test_a_bodys_level_is_read_from_its_name_or_left_unsaid(body: str, level: str) -> None:
    assert body_level(body) == level


def test_levels_the_agency_does_not_belong_to_are_not_shown_beside_it() -> None:
    household = Procedure(code="1", name="x", level="Cấp bộ, Cấp xã", agency="Ủy ban nhân dân cấp xã")
    assert place_of(household).level == "Cấp xã"
    contradicted = Procedure(code="2", name="x", level="Cấp Bộ", agency="Sở Nội vụ")
    assert (place_of(contradicted).level, place_of(contradicted).agency) == ("", "Sở Nội vụ")


def test_an_agency_whose_level_is_unclear_keeps_the_record_as_it_is() -> None:
    land = Procedure(
        code="3", name="x", level="Cấp xã", agency="Văn phòng đăng ký đất đai, Chủ tịch Ủy ban nhân dân xã"
    )
    assert (place_of(land).level, place_of(land).agency) == ("Cấp xã", land.agency)


def test_the_levels_a_procedure_is_done_at_follow_what_the_card_shows() -> None:
    def levels(level: str, agency: str) -> frozenset[str]:
        return levels_of(Procedure(code="9", name="x", level=level, agency=agency))

    assert levels("Cấp bộ, Cấp tỉnh", "") == {"bộ", "tỉnh"}
    assert levels("Cấp Xã", "Ủy ban nhân dân cấp xã") == {"xã"}
    assert levels("Cấp Bộ", "Sở Nội vụ") == {"tỉnh"}
    assert levels("Cơ quan khác", "Bảo hiểm xã hội Việt Nam") == set()
    assert levels("Cấp tỉnh", "Bộ phận một cửa") == {"tỉnh"}
