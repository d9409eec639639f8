"""Questions that ask what no procedure gives (advice, an opinion, a market price, the weather)."""

from __future__ import annotations

import numpy as np
import pytest

from knowledge.aliases import load_aliases, words_of
from knowledge.index import ProcedureIndex, question_features
from knowledge.model import Procedure
from knowledge.ranker import QUESTION_FEATURES

_INDEX = ProcedureIndex(
    [
        Procedure(code="1.000001", name="Đăng ký mua, thuê mua nhà ở xã hội", level="Cấp tỉnh"),
        Procedure(code="1.000002", name="Cấp giấy phép hoạt động dự báo, cảnh báo khí tượng thủy văn"),
        Procedure(code="1.000003", name="Đăng ký khai sinh", level="Cấp xã"),
    ]
)


@pytest.mark.parametrize(
    ("question", "asks"),
    [
        ("Có nên mua chung cư lúc này không?", True),
        ("co nen mua chung cu luc nay khong", True),
        ("giá vàng hôm nay bao nhiêu", True),
        ("thời tiết cuối tuần ở Đà Nẵng", True),
        ("ngân hàng nào cho vay mua nhà lãi thấp nhất", True),
        ("bệnh viện nào khám cho trẻ con tốt", True),
        ("công ty tính phí gửi xe vậy có đúng không", True),
        ("Should I buy land in Da Nang now?", True),
        # Accents typed must agree: a retired jurist ("luật gia về hưu") asks no fare ("giá vé").
        ("Tôi là luật gia về hưu muốn làm tư vấn viên", False),
        ("cô nên làm gì để đăng ký khai sinh cho con", False),
        ("làm giấy khai sinh cho con ở đâu", False),
        ("hỗ trợ lãi suất vay vốn trồng rừng", False),
        # Typed without accents "quán nào" is "cơ quan nào"; "the best way" asks how, not which is best.
        ("co quan nao cap giay phep xay dung nha o", False),
        ("what's the best way to register a birth", False),
    ],
)
def test_what_a_question_asks_outside_the_catalogue(question: str, asks: bool) -> None:
    aliases = load_aliases()
    assert aliases.asks_outside(aliases.expand_words(words_of(question))) is asks
    found = _INDEX.candidates(question)
    if not isinstance(found, str):
        assert found.asks_outside is asks
    if not isinstance(found, str) and found.codes:
        # The answer model reads it among the question's features.
        order = found.order(np.zeros(len(found.codes)))
        row = question_features(found, np.zeros(len(found.codes)), order, 1.0)
        assert row[QUESTION_FEATURES.index("asks_outside")] == float(asks)


def test_its_words_are_known_so_typo_repair_leaves_them_alone() -> None:
    """ "ngon" is in no name; were it unknown, repair could read it as a catalogue word."""
    assert {"ngon", "weather", "cheapest"} <= load_aliases().vocabulary()
