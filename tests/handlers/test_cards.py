"""Procedure cards, choices and "none" answers rendered from small in-test procedures."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.markup import to_plain
from handlers.card_sections import DOCUMENTS, LEGAL, legal_titles, render_section
from handlers.cards import (
    DOCUMENTS_SHOWN,
    render_card,
    render_none,
    shorten,
    split_steps,
)
from handlers.choices import render_choices
from knowledge.model import Channel, Document, LegalBasis, Procedure
from knowledge.results import SearchResult
from tests.handlers.support import CENTRE, lines_balanced, markup_problem

BIRTH = Procedure(
    code="1.001193",
    name="Thủ tục đăng ký khai sinh",
    level="Cấp xã",
    field="Hộ tịch",
    agency="Ủy ban nhân dân cấp xã",
    audience="Công dân Việt Nam",
    steps=("- Nộp hồ sơ tại bộ phận một cửa.", "- Nhận kết quả."),
    documents=(
        Document(name="Tờ khai đăng ký khai sinh", originals=1, template="https://example.vn/to-khai.docx"),
        Document(name="Giấy chứng sinh", originals=1, copies=2),
        Document(name="Căn cước của cha hoặc mẹ", originals=1, must_show=True),
    ),
    channels=(
        Channel(kind="Trực tiếp", time_limit="Ngay trong ngày", fee="Miễn lệ phí"),
        Channel(kind="Trực tuyến", time_limit="1 ngày làm việc", fee="Miễn lệ phí", note="Nộp qua VNeID"),
        Channel(kind="Dịch vụ bưu chính", time_limit="3 ngày làm việc", fee="Theo giá cước"),
    ),
    conditions="Trẻ em sinh ra còn sống.",
    result="Giấy khai sinh (bản chính)",
    url="https://dichvucong.gov.vn/p/1.001193",
)


def test_card_has_every_section_in_vietnamese() -> None:
    card = render_card(BIRTH)
    plain = to_plain(card)
    for expected in (
        "Thủ tục đăng ký khai sinh",
        "Mã thủ tục: 1.001193",
        "Cấp thực hiện: Cấp xã",
        "Cơ quan thực hiện: Ủy ban nhân dân cấp xã",
        "Dành cho: Công dân Việt Nam",
        "Hồ sơ cần nộp",
        "• Giấy chứng sinh (1 bản chính, 2 bản sao)",
        "• Trực tiếp: thời hạn Ngay trong ngày; phí, lệ phí: Miễn lệ phí",
        "• Trực tuyến: thời hạn 1 ngày làm việc; phí, lệ phí: Miễn lệ phí; Nộp qua VNeID",
        "• Dịch vụ bưu chính: thời hạn 3 ngày làm việc",
        "Các bước thực hiện",
        "• Nộp hồ sơ tại bộ phận một cửa.",
        "Điều kiện\nTrẻ em sinh ra còn sống.",
        "Kết quả\nGiấy khai sinh (bản chính)",
        "Xem đầy đủ trên Cổng Dịch vụ công (https://dichvucong.gov.vn/p/1.001193)",
    ):
        assert expected in plain, expected
    assert '<a href="https://example.vn/to-khai.docx">mẫu</a>' in card
    assert "DỮ LIỆU MẪU" not in card
    assert "rút gọn" not in card
    assert markup_problem(card) is None
    assert lines_balanced(card)


def test_documents_to_show_are_listed_apart_from_those_handed_in() -> None:
    plain = to_plain(render_card(BIRTH))
    handed_in, _, shown = plain.partition("Giấy tờ phải xuất trình")
    assert "Căn cước của cha hoặc mẹ" in shown
    assert "Căn cước của cha hoặc mẹ" not in handed_in
    assert "Giấy chứng sinh" in handed_in


def test_documents_are_grouped_under_their_case_once_each() -> None:
    docs = (
        Document(name="Tờ khai", originals=1, section="Giấy tờ phải nộp"),
        Document(name="Tờ khai", originals=1, section="Giấy tờ phải nộp"),
        Document(name="Văn bản ủy quyền", originals=1, section="Trường hợp ủy quyền"),
        Document(name="Tờ khai", originals=1, section="Trường hợp ủy quyền"),
    )
    card = render_card(Procedure(code="1.4", name="Z", documents=docs))
    assert (
        "Hồ sơ cần nộp</b>\n• Tờ khai (1 bản chính)\n<i>Trường hợp ủy quyền:</i>\n• Văn bản ủy quyền" in card
    )
    assert card.count("• Tờ khai (1 bản chính)") == 2
    assert "Giấy tờ phải nộp" not in card


def test_link_falls_back_to_the_centre_portal_and_demo_is_flagged() -> None:
    demo = Procedure(code="DEMO.1", name="Đăng ký tạm trú", demo=True)
    card = render_card(demo, portal_url=CENTRE.portal_url)
    assert card.startswith("⚠️ <b>DỮ LIỆU MẪU</b>")
    assert f'<a href="{CENTRE.portal_url}">' in card
    assert render_card(demo).count("<a ") == 0


def test_empty_record_renders_header_only() -> None:
    card = render_card(Procedure(code="2.000001", name="Cấp bản sao trích lục"))
    assert card == "<b>Cấp bản sao trích lục</b>\nMã thủ tục: <code>2.000001</code>"


def test_raw_text_is_shown_trimmed_when_the_importer_could_not_structure_it() -> None:
    raw = "* Giấy tờ phải nộp:Tên giấy tờSố lượng- Tờ khai1 bản chính- Giấy chứng sinh1 bản chính "
    raw += "x" * 2000
    proc = Procedure(
        code="1.000001", name="Đăng ký khai sinh", unparsed={"documents": raw, "channels": "Trực tiếp5 Ngày"}
    )
    card = render_card(proc, portal_url=CENTRE.portal_url)
    plain = to_plain(card)
    expected = (
        "Hồ sơ cần nộp\n* Giấy tờ phải nộp:Tên giấy tờSố lượng\n- Tờ khai1 bản chính\n- Giấy chứng sinh"
    )
    assert expected in plain
    assert "Cách nộp, thời hạn và lệ phí\nTrực tiếp5 Ngày" in plain
    assert "x" * 2000 not in plain
    assert "…" in plain
    assert "rút gọn" in plain
    assert lines_balanced(card)


def test_catalogue_text_is_escaped() -> None:
    proc = Procedure(
        code="1.0<9>",
        name="Cấp phép <b>xả thải</b> & khai thác",
        agency='Sở "Nông nghiệp" & Môi trường',
        documents=(Document(name="Đơn <script>alert(1)</script>", template="Mẫu 01 <x>"),),
        channels=(Channel(kind="Trực <tiếp>", fee="1.000 & 2.000 đồng"),),
        url='https://x.vn/?a=1&b="2"',
    )
    card = render_card(proc)
    assert markup_problem(card) is None
    assert "<script>" not in card and "&lt;script&gt;" in card
    assert "Cấp phép &lt;b&gt;xả thải&lt;/b&gt; &amp; khai thác" in card
    assert to_plain(card).startswith("Cấp phép <b>xả thải</b> & khai thác\nMã thủ tục: 1.0<9>")


def test_long_steps_are_shortened_with_an_ellipsis_and_a_pointer_to_the_portal() -> None:
    steps = tuple(f"- Bước phụ số {n}: " + "kiểm tra hồ sơ " * 40 for n in range(12))
    card = render_card(Procedure(code="1.2", name="X", steps=steps, url="https://p.vn/x"))
    plain = to_plain(card)
    assert "Bước phụ số 0" in plain
    assert "Bước phụ số 11" not in plain
    assert "bước nữa" in plain
    assert plain.count("…") >= 2
    assert "Nội dung đã rút gọn" in plain
    assert len(card) < 2500


def test_run_on_steps_are_split_at_step_markers() -> None:
    text = "Bước 1: Nộp hồ sơ. Bước 2: Cơ quan thẩm định. Bước 3: Trả kết quả."
    assert split_steps([text]) == ["Bước 1: Nộp hồ sơ.", "Bước 2: Cơ quan thẩm định.", "Bước 3: Trả kết quả."]


def test_many_documents_are_capped_with_a_count_of_the_rest() -> None:
    docs = tuple(Document(name=f"Giấy tờ {n}") for n in range(DOCUMENTS_SHOWN + 3))
    plain = to_plain(render_card(Procedure(code="1.3", name="Y", documents=docs)))
    assert f"Giấy tờ {DOCUMENTS_SHOWN - 1}" in plain
    assert f"Giấy tờ {DOCUMENTS_SHOWN}\n" not in plain
    assert "… và 3 giấy tờ khác" in plain


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("ngắn", 10, ("ngắn", False)),
        ("một hai ba bốn năm sáu", 12, ("một hai ba…", True)),
        ("a\x00b\u200bc  d\n\n\ne", 20, ("a b c d\ne", False)),
        ("x\ud800y", 5, ("x y", False)),
    ],
)
def test_shorten(text: str, limit: int, expected: tuple[str, bool]) -> None:
    assert shorten(text, limit) == expected
    assert len(shorten(text, limit)[0]) <= limit


def test_choices_have_short_labels_with_level_and_card_payloads() -> None:
    commune = Procedure(code="1.001193", name="Thủ tục đăng ký khai sinh", level="Cấp xã")
    abroad = Procedure(code="1.000110", name="Thủ tục đăng ký khai sinh", level="Cấp xã")
    long = Procedure(code="2.5", name="Cấp giấy phép " + "rất dài " * 20, level="Cấp tỉnh")
    reply = render_choices([commune, abroad, long])
    assert "chọn" in reply.text
    labels = [button.label for button in reply.buttons]
    assert labels[0] == "Đăng ký khai sinh (Cấp xã) · 1.001193"
    assert labels[1] == "Đăng ký khai sinh (Cấp xã) · 1.000110"
    assert labels[2].endswith("… (Cấp tỉnh)") and len(labels[2]) <= 80
    assert [button.payload for button in reply.buttons] == ["p:1.001193", "p:1.000110", "p:2.5"]


def test_none_answers_depend_on_the_reason() -> None:
    chat = render_none(SearchResult(query="xin chào", answer="none", reason="chitchat"), CENTRE)
    assert "thủ tục" in chat.text and "xin chào" not in chat.text
    miss = render_none(SearchResult(query="<b>xyz</b> & co", answer="none", reason="no_match"), CENTRE)
    assert "&lt;b&gt;xyz&lt;/b&gt; &amp; co" in miss.text
    for detail in (CENTRE.name, CENTRE.phone, CENTRE.address, CENTRE.portal_url):
        assert detail in miss.text
    assert markup_problem(miss.text) is None
    long = render_none(SearchResult(query="q", answer="none", reason="too_long"), CENTRE)
    assert "ngắn gọn" in long.text
    empty = render_none(SearchResult(query="", answer="none", reason="empty"), CENTRE)
    assert "/tim" in empty.text


def test_channels_with_the_same_details_share_one_line() -> None:
    same = Channel(kind="", time_limit="5 ngày làm việc", fee="50.000 đồng")
    proc = Procedure(
        code="9.000001",
        name="Đổi giấy phép lái xe",
        channels=(
            Channel(kind="Trực tiếp", time_limit=same.time_limit, fee=same.fee),
            Channel(kind="Trực tuyến", time_limit=same.time_limit, fee=same.fee),
            Channel(kind="Dịch vụ bưu chính", time_limit="7 ngày làm việc", fee=same.fee),
        ),
    )
    plain = to_plain(render_card(proc))
    assert "• Trực tiếp, Trực tuyến: thời hạn 5 ngày làm việc" in plain
    assert "• Dịch vụ bưu chính: thời hạn 7 ngày làm việc" in plain
    assert plain.count("50.000 đồng") == 1
    assert "chưa ghi rõ" not in plain


def test_a_card_without_any_time_limit_says_so_instead_of_staying_silent() -> None:
    proc = Procedure(
        code="9.000002",
        name="Đăng ký khai tử",
        channels=(Channel(kind="Trực tiếp", fee="Miễn phí"), Channel(kind="Trực tuyến", fee="Miễn phí")),
    )
    plain = to_plain(render_card(proc))
    assert "• Trực tiếp, Trực tuyến\n" in plain
    assert "Thời hạn giải quyết: Cổng Dịch vụ công chưa ghi rõ" in plain


def test_a_card_is_rendered_once_per_record_and_afresh_after_a_reimport() -> None:
    first = render_card(BIRTH, portal_url="https://portal.example")
    assert render_card(BIRTH, portal_url="https://portal.example") is first
    reimported = replace(BIRTH, result="Giấy khai sinh (bản điện tử)")
    card = render_card(reimported, portal_url="https://portal.example")
    assert "bản điện tử" in card and "bản điện tử" not in first
    same_content = replace(BIRTH)
    assert same_content is not BIRTH
    assert render_card(same_content, portal_url="https://portal.example") == first


def test_sections_read_like_text_for_a_resident_not_staff_notes() -> None:
    proc = Procedure(
        code="9.000001",
        name="Đăng ký tạm trú",
        documents=(
            Document(name="Tờ khai (Mẫu CT01)", originals=1, template="1.MuCT01banhnhkmtheoThngts53.doc"),
            Document(name="Đơn đề nghị", originals=1, template="Mau-01.docx"),
            Document(
                name="Phiếu đề nghị", originals=1, template="Mẫu DC02 Phiếu đề nghị giải quyết thủ tục.doc"
            ),
            Document(
                name="Lưu ý: - Văn bản cho thuê không cần công chứng. - Người nước ngoài cần quyết định."
            ),
        ),
        legal_basis=(
            LegalBasis(
                title="Thông tư số 53/2025/TT-BCAngày 01/7/2025 của Bộ Công an; "
                "Thông tư số 56/2021/TT-BCA ngày 15/5",
                number="53/2025/TT-BCA",
            ),
        ),
    )
    papers = to_plain("\n".join(render_section(proc, DOCUMENTS)))
    # Raw file names without a link never reach the resident; a readable template name may.
    assert ".doc" not in papers and "MuCT01" not in papers and "Mau-01" not in papers
    assert "Tờ khai (Mẫu CT01) (theo mẫu CT01; 1 bản chính)" in papers
    assert "Đơn đề nghị (theo mẫu; 1 bản chính)" in papers
    assert "(theo mẫu: Mẫu DC02 Phiếu đề nghị giải quyết thủ tục; 1 bản chính)" in papers
    assert "• Văn bản cho thuê không cần công chứng.\n• Người nước ngoài cần quyết định." in papers
    legal = to_plain("\n".join(render_section(proc, LEGAL)))
    # One line per legal document, the glued date set apart.
    assert (
        "• Thông tư số 53/2025/TT-BCA ngày 01/7/2025 của Bộ Công an\n• Thông tư số 56/2021/TT-BCA ngày 15/5"
        in legal
    )


def test_legal_titles_glued_to_a_number_or_to_the_next_title_are_set_apart() -> None:
    # As the portal writes them for birth registration (1.001193).
    assert legal_titles(
        "Nghị định sửa đổi một số nghị định của Bộ Tư pháp18/2026/NĐ-CP Nghị định quy định về hộ tịch điện tử"
    ) == [
        "Nghị định sửa đổi một số nghị định của Bộ Tư pháp (18/2026/NĐ-CP)",
        "Nghị định quy định về hộ tịch điện tử",
    ]
    assert legal_titles("Quyết định công bố của Bộ Tư phápThông tư số 02/2020/TT-BTP") == [
        "Quyết định công bố của Bộ Tư pháp",
        "Thông tư số 02/2020/TT-BTP",
    ]
    # A number written apart, and a code whose letters are capitals, stay as they are.
    assert legal_titles("Luật Cư trú số 68/2020/QH14") == ["Luật Cư trú số 68/2020/QH14"]
