"""Section text on small records: cut between sentences, shells joined, repeats dropped, lists led in."""

from __future__ import annotations

from bot.markup import nfc_length, to_plain
from handlers.card_sections import (
    DOCUMENTS,
    LEGAL,
    PART_LIMIT,
    STEPS,
    render_section,
    sentence_lines,
    without_repeats,
)
from knowledge.model import Document, LegalBasis, Procedure
from tests.handlers.support import markup_problem


def _plain(proc: Procedure, section: str) -> list[str]:
    parts = render_section(proc, section)
    assert all(nfc_length(p) <= PART_LIMIT and markup_problem(p) is None for p in parts)
    return [to_plain(p) for p in parts]


def test_a_long_line_is_cut_after_a_sentence_not_in_the_middle_of_one() -> None:
    sentence = "Giấy tờ về đất đai của chủ rừng và hợp đồng cho thuê môi trường rừng. "
    line = ("• " + sentence * 40).rstrip()
    pieces = sentence_lines(line, 500)
    assert len(pieces) > 1
    assert all(nfc_length(p) <= 500 and p.endswith("rừng.") for p in pieces)
    assert " ".join(pieces) == line


def test_without_a_sentence_end_a_long_line_is_cut_after_a_comma_then_never_after_cua() -> None:
    assert sentence_lines("một, hai ba của bốn", 12) == ["một,", "hai ba", "của bốn"]
    assert sentence_lines("hai ba của bốn năm", 12) == ["hai ba", "của bốn năm"]
    # A tagged span is never cut.
    assert sentence_lines("<i>một. hai. ba.</i> bốn năm sáu bảy", 22) == [
        "<i>một. hai. ba.</i>",
        "bốn năm sáu bảy",
    ]


def test_no_part_of_a_long_section_ends_on_a_word_that_needs_the_next() -> None:
    step = (
        "Cơ quan tiếp nhận hồ sơ theo quy định của pháp luật, chuyển cho bộ phận giải quyết theo quy định của"
    )
    steps = tuple(f"Bước {n}: {step}\nỦy ban nhân dân cấp xã." for n in range(1, 40))
    parts = _plain(Procedure(code="9.1", name="Thử", steps=steps), STEPS)
    assert len(parts) > 1
    assert all(not part.rstrip().endswith("của") for part in parts)
    assert sum(part.count("của Ủy ban nhân dân cấp xã.") for part in parts) == 39


def test_a_bare_thong_tu_so_joins_its_number_or_what_follows_and_is_never_a_line_alone() -> None:
    proc = Procedure(
        code="9.2",
        name="Thử",
        legal_basis=(
            LegalBasis(
                title="Thông tư số 03/2023/TT-BTP ngày 02/8/2023 của Bộ Tư phápThông tư số",
                number="03/2023/TT-BTP",
            ),
            LegalBasis(title="Thông tư số", number="64/2025/TT-BCT"),
            LegalBasis(title="Luật", number=""),
            LegalBasis(title="Nghị quyết số 66/2025/NQ-CP về cắt giảmNghị quyết số", number=""),
            LegalBasis(title="Luật Đất đaiNghị định số", number=""),
        ),
    )
    lines = _plain(proc, LEGAL)[0].split("\n")[2:]
    assert lines == [
        "• Thông tư số 03/2023/TT-BTP ngày 02/8/2023 của Bộ Tư pháp",
        "• Thông tư số 64/2025/TT-BCT",
        "• Luật",
        # Its words are in the line above already.
        "• Nghị quyết số 66/2025/NQ-CP về cắt giảm",
        "• Luật Đất đai “Nghị định số” [chữ bị lỗi trên Cổng Dịch vụ công]",
    ]


def test_a_line_repeating_the_one_before_is_dropped_and_the_first_kept() -> None:
    assert without_repeats(["<b>Lưu ý</b>", "• Lưu ý:", "• A.", "", "• A.", "• a."]) == [
        "<b>Lưu ý</b>",
        "• A.",
        "",
        "• A.",
    ]


def test_a_note_announcing_a_list_heads_the_papers_after_it() -> None:
    proc = Procedure(
        code="9.3",
        name="Đăng ký khai sinh",
        documents=(
            Document(name="Bản chụp phải rõ nét.", section="Lưu ý"),
            Document(name="Người yêu cầu nộp các giấy tờ sau:"),
            Document(name="Tờ khai đăng ký khai sinh", originals=1),
            Document(name="Giấy chứng sinh", originals=1),
        ),
    )
    text = "\n".join(_plain(proc, DOCUMENTS))
    lead = text.index("Người yêu cầu nộp các giấy tờ sau:")
    assert lead < text.index("• Tờ khai đăng ký khai sinh") < text.index("Bản chụp phải rõ nét.")
    assert text.count("Người yêu cầu nộp các giấy tờ sau:") == 1
