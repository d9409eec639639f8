"""The reply markup: escaping, plain rendering and splitting at a platform limit."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.markup import bold, esc, link, nfc_length, split, to_plain


def test_plain_rendering_unescapes_and_keeps_link_targets() -> None:
    markup = f"{bold('A & B')} xem {link('https://x.vn/?a=1&b=2', 'cổng')} <i>{esc('<script>')}</i>"
    assert to_plain(markup) == "A & B xem cổng (https://x.vn/?a=1&b=2) <script>"


def test_plain_link_whose_label_is_the_url_is_shown_once() -> None:
    assert to_plain(link("https://a.vn", "https://a.vn")) == "https://a.vn"


def test_split_prefers_paragraphs() -> None:
    text = "a" * 30 + "\n\n" + "b" * 30 + "\n\n" + "c" * 30
    assert split(text, 70) == ["a" * 30 + "\n\n" + "b" * 30, "c" * 30]


def test_split_measures_after_nfc() -> None:
    decomposed = "e\u0301" * 10  # ten "é" written as two code points each
    assert nfc_length(decomposed) == 10
    assert split(decomposed, 10, nfc_length) == [decomposed]


@given(st.text(alphabet=st.sampled_from("ab \n\nđ"), max_size=400), st.integers(min_value=5, max_value=60))
def test_split_never_exceeds_the_limit_and_keeps_every_word(text: str, limit: int) -> None:
    parts = split(text, limit)
    assert all(len(p) <= limit for p in parts)
    assert "".join(text.split()) == "".join("".join(parts).split())
