"""Vietnamese folding: properties over any text, and the cases residents actually type."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from knowledge.normalize import accent_key, canonical, fold, marks, nfc_lower, syllables

VIETNAMESE = "aàảãáạăằẳẵắặâầẩẫấậeèẻẽéẹêềểễếệiìỉĩíịoòỏõóọôồổỗốộơờởỡớợuùủũúụưừửữứựyỳỷỹýỵđ"
vietnamese_text = st.text(alphabet=VIETNAMESE + VIETNAMESE.upper() + " ,.?!0123456789", max_size=80)
any_text = st.text(max_size=200)


@given(any_text)
def test_fold_is_idempotent(text: str) -> None:
    once = fold(text)
    assert fold(once) == once


@given(st.one_of(any_text, vietnamese_text))
def test_nfc_and_nfd_input_fold_alike(text: str) -> None:
    assert fold(unicodedata.normalize("NFD", text)) == fold(unicodedata.normalize("NFC", text))
    assert nfc_lower(unicodedata.normalize("NFD", text)) == nfc_lower(text)


@given(vietnamese_text)
def test_folded_vietnamese_is_plain_ascii(text: str) -> None:
    assert fold(text).isascii()


@settings(max_examples=50)
@given(st.text(alphabet=st.characters(codec="utf-8"), min_size=0, max_size=5000))
def test_folding_never_raises_on_any_text(text: str) -> None:
    for function in (fold, nfc_lower, syllables):
        function(text)


def test_folding_survives_huge_input_with_control_characters() -> None:
    text = ("Đăng ký\x00khai\u200bsinh\r\n\t\x1b[31m" * 10_000) + "\udcff"
    words = syllables(text)
    assert words[:3] == ["dang", "ky", "khai"]


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Đăng ký khai sinh", "dang ky khai sinh"),
        ("CĂN CƯỚC CÔNG DÂN", "can cuoc cong dan"),
        ("Giấy chứng nhận quyền sử dụng đất", "giay chung nhan quyen su dung dat"),
        ("hoà giải", "hoa giai"),
    ],
)
def test_fold_strips_tones_vowel_marks_and_d_bar(text: str, folded: str) -> None:
    assert fold(text) == folded


def test_syllables_split_on_punctuation() -> None:
    assert syllables("Cấp lại GPLX (bị mất)!") == ["cap", "lai", "gplx", "bi", "mat"]


@pytest.mark.parametrize(("written", "same_as"), [("ký", "kí"), ("lý", "lí"), ("sỹ", "sĩ"), ("quy", "qui")])
def test_accent_key_treats_i_and_y_spellings_alike(written: str, same_as: str) -> None:
    assert accent_key(written) == accent_key(same_as)


def test_accent_key_ignores_where_the_tone_mark_sits() -> None:
    assert accent_key("hoà") == accent_key("hòa")
    assert accent_key("hoá") != accent_key("hòa")


def test_accent_key_keeps_apart_words_that_fold_alike() -> None:
    assert fold("bản") == fold("bạn")
    assert accent_key("bản") != accent_key("bạn")
    assert accent_key("đá") != accent_key("da")


def test_canonical_only_rewrites_a_final_y_after_consonants() -> None:
    assert canonical("ky") == "ki"
    assert canonical("quy") == "qui"
    assert canonical("tuy") == "tuy"
    assert canonical("day") == "day"


def test_marks_are_empty_for_unaccented_syllables() -> None:
    assert marks("khai") == ""
    assert marks("đăng") != ""
