"""The flattened-table parsers on small hand-made texts of each shape the portal produces."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from knowledge.importers.portal_tables import (
    CHANNEL_HEADER,
    DOCUMENT_HEADER,
    LEGAL_HEADER,
    clean_result,
    is_shown_only,
    parse_channels,
    parse_documents,
    parse_legal_basis,
    parse_steps,
    result_keywords,
)
from knowledge.importers.text import normalize_fee, normalize_time_limit
from knowledge.model import Channel, Document, LegalBasis


def test_one_channel_per_row_with_its_own_time_fee_and_note() -> None:
    text = (
        CHANNEL_HEADER + "Trực tiếp05 Ngày làm việc50,000 Việt Nam Đồng(/hồ sơ)Nộp tại bộ phận một cửa."
        "Trực tuyến3 NgàyMiễn phíDịch vụ bưu chính2 GiờKhông có thông tin"
    )
    assert parse_channels(text) == (
        (
            Channel("Trực tiếp", "5 ngày làm việc", "50.000 đồng (/hồ sơ)", "Nộp tại bộ phận một cửa."),
            Channel("Trực tuyến", "3 ngày", "Miễn phí"),
            Channel("Dịch vụ bưu chính", "2 giờ", ""),
        ),
        True,
    )


def test_channel_words_inside_a_description_do_not_start_a_row() -> None:
    text = CHANNEL_HEADER + "Trực tiếp1 Ngày làm việcMiễn phí- Trực tuyến: nộp qua Cổng dịch vụ công"
    parsed = parse_channels(text)
    assert parsed is not None
    [channel] = parsed[0]
    assert channel.note == "Trực tuyến: nộp qua Cổng dịch vụ công"


def test_time_without_unit_takes_the_unit_from_the_steps_or_stays_empty() -> None:
    text = CHANNEL_HEADER + "Trực tuyến3Miễn phí"
    assert parse_channels(text, "Trong thời hạn 03 ngày làm việc, cơ quan trả kết quả.") == (
        (Channel("Trực tuyến", "3 ngày làm việc", "Miễn phí"),),
        True,
    )
    assert parse_channels(text, "") == ((Channel("Trực tuyến", "", "Miễn phí"),), False)
    steps = "Bước 1: trong 01 ngày làm việc kiểm tra hồ sơ. Bước 2: trong 05 ngày làm việc thẩm định."
    one = parse_channels(CHANNEL_HEADER + "Trực tuyến1Miễn phí", steps)
    assert one == ((Channel("Trực tuyến", "", "Miễn phí"),), False)  # a step's duration is no evidence
    other_row = parse_channels(CHANNEL_HEADER + "Trực tuyến1Miễn phíTrực tiếp1 Ngày làm việcMiễn phí")
    assert other_row is not None
    assert [c.time_limit for c in other_row[0]] == ["1 ngày làm việc", "1 ngày làm việc"]


def test_time_glued_to_a_fee_is_split_only_when_one_cut_fits() -> None:
    certain = parse_channels(CHANNEL_HEADER + "Trực tiếp140 VNĐ(Lệ phí: 40.000 đồng/giấy)")
    assert certain is not None
    assert certain[0][0].fee == "40.000 đồng (Lệ phí: 40.000 đồng/giấy)"
    ambiguous = parse_channels(CHANNEL_HEADER + "Trực tiếp125 VNĐ")  # 1 + 25, or 12 + 5?
    assert ambiguous == ((Channel("Trực tiếp"),), False)


def test_free_text_time_cell_runs_up_to_the_fee() -> None:
    text = CHANNEL_HEADER + "Trực tuyếnHệ thống phản hồi tự động.Không có thông tinQua Cổng dịch vụ công"
    assert parse_channels(text) == (
        (Channel("Trực tuyến", "Hệ thống phản hồi tự động", "", "Qua Cổng dịch vụ công"),),
        True,
    )


def test_channel_text_of_another_shape_is_not_parsed() -> None:
    assert parse_channels("Nộp trực tiếp tại Ủy ban nhân dân xã") is None
    assert parse_channels(CHANNEL_HEADER + "nộp ở đâu cũng được") is None


def test_documents_with_counts_templates_and_sections() -> None:
    text = (
        "* Giấy tờ phải nộp:"
        + DOCUMENT_HEADER
        + "- Tờ khai theo mẫu quy định tại Thông tư số 04/2020/TT-BTP;"
        "Tờ khai.docx1 bản chính- Bản sao giấy tờ chứng minh nơi cư trú0 bản chính,1 bản sao"
        "* Giấy tờ phải xuất trình:" + DOCUMENT_HEADER + "Thẻ căn cước1 bản chính"
    )
    assert parse_documents(text) == (
        Document(
            "Tờ khai theo mẫu quy định tại Thông tư số 04/2020/TT-BTP",
            1,
            0,
            "Tờ khai.docx",
            False,
            "Giấy tờ phải nộp",
        ),
        Document("Bản sao giấy tờ chứng minh nơi cư trú", 0, 1, "", False, "Giấy tờ phải nộp"),
        Document("Thẻ căn cước", 1, 0, "", True, "Giấy tờ phải xuất trình"),
    )


def test_counts_inside_a_name_do_not_end_the_row() -> None:
    text = (
        "--"
        + DOCUMENT_HEADER
        + "Giấy đăng ký kiểm tra chất lượng: 01 bản chính;1 bản chínhẢnh 3x42 bản chính"
    )
    assert [(d.name, d.originals) for d in parse_documents(text) or ()] == [
        ("Giấy đăng ký kiểm tra chất lượng: 01 bản chính", 1),
        ("Ảnh 3x4", 2),
    ]


def test_several_templates_glued_to_one_name() -> None:
    text = (
        "--"
        + DOCUMENT_HEADER
        + "Đơn đề nghị theo Nghị định số 01/2025/NĐ-CPMẫu số 01.docxMẫu số 02.doc1 bản chính"
    )
    assert parse_documents(text) == (
        Document("Đơn đề nghị theo Nghị định số 01/2025/NĐ-CP", 1, 0, "Mẫu số 01.docx; Mẫu số 02.doc"),
    )


def test_case_sections_name_their_documents() -> None:
    text = (
        "Trường hợp nộp trực tiếp" + DOCUMENT_HEADER + "Đơn1 bản chính"
        "Trường hợp nộp qua bưu chính" + DOCUMENT_HEADER + "Đơn có chữ ký1 bản chính"
    )
    assert [(d.name, d.section) for d in parse_documents(text) or ()] == [
        ("Đơn", "Trường hợp nộp trực tiếp"),
        ("Đơn có chữ ký", "Trường hợp nộp qua bưu chính"),
    ]


def test_only_papers_to_show_are_marked_so() -> None:
    assert is_shown_only("Giấy tờ phải xuất trình")
    assert is_shown_only("Các giấy tờ phải xuất trình (bản chính), bao gồm")
    assert is_shown_only("Người yêu cầu chứng thực phải xuất trình các giấy tờ sau")
    assert not is_shown_only("Hồ sơ gồm bản sao và xuất trình bản chính để đối chiếu")
    assert not is_shown_only("Giấy tờ phải nộp")


def test_rows_without_a_name_are_dropped() -> None:
    text = "--" + DOCUMENT_HEADER + "***1 bản chính,1 bản saoĐơn1 bản chính"
    assert parse_documents(text) == (Document("Đơn", 1, 0),)


def test_document_text_without_a_table_is_not_parsed() -> None:
    assert parse_documents("Bước 2. Nộp hồ sơ cho cơ quan bảo hiểm xã hội") is None


def test_legal_basis_numbers_glued_to_titles_and_to_each_other() -> None:
    text = (
        LEGAL_HEADER + "Luật Hộ tịch60/2014/QH13Nghị định 123/2015/NĐ-CP123/2015/NĐ-CP"
        "Luật Cư trú năm 202068/2020/QH14Quyết định về thủ tục1234/QĐ-TTg"
        "Thông tư của Bộ Tài chính85/2019/TT-BTC"
    )
    assert parse_legal_basis(text) == (
        LegalBasis("Luật Hộ tịch", "60/2014/QH13"),
        LegalBasis("Nghị định 123/2015/NĐ-CP", "123/2015/NĐ-CP"),
        LegalBasis("Luật Cư trú năm 2020", "68/2020/QH14"),
        LegalBasis("Quyết định về thủ tục", "1234/QĐ-TTg"),
        LegalBasis("Thông tư của Bộ Tài chính", "85/2019/TT-BTC"),
    )


def test_numbers_cited_inside_a_title_stay_in_it() -> None:
    text = (
        LEGAL_HEADER
        + "Nghị quyết số 66.7/2025/NQ-CP về dữ liệu66.7/2025/NQ-CPThông tư số 53/2025/TT-BCAngày 01/7/2025"
    )
    text += " sửa đổi Thông tư số 55/2021/TT-BCA.53/2025/TT-BCA"
    assert [b.number for b in parse_legal_basis(text) or ()] == ["66.7/2025/NQ-CP", "53/2025/TT-BCA"]


def test_a_number_that_took_the_next_titles_capital_gives_it_back() -> None:
    text = LEGAL_HEADER + "Nghị định về phí10/2024/NĐ-CPLUẬT ĐẤT ĐAI31/2024/QH15"
    assert [b.number for b in parse_legal_basis(text) or ()] == ["10/2024/NĐ-CP", "31/2024/QH15"]


def test_steps_split_on_step_numbers_and_lines() -> None:
    text = "Bước 1: Nộp hồ sơ. Bước 2. Nhận kết quả\n- Trường hợp gửi qua bưu chính: nhận tại nhà.\n\n"
    assert parse_steps(text) == (
        "Bước 1: Nộp hồ sơ.",
        "Bước 2. Nhận kết quả",
        "- Trường hợp gửi qua bưu chính: nhận tại nhà.",
    )


def test_result_keeps_the_result_names_only() -> None:
    text = (
        "Giấy phépMã: KQ.G04.000501Văn bản từ chốiMã: KQ.G04.000502Từ khóaKhông có thông tin"
        "Mô tảKhông có thông tinChọn cơ quan thực hiệnTỉnh/ Thành phốNộp hồ sơ"
    )
    assert clean_result(text) == "Giấy phép\nVăn bản từ chối"
    assert result_keywords(text) == ()
    assert result_keywords("Thẻ ngànhMã: KQ.1Từ khóaTuyển chọn, công an; nghĩa vụMô tả") == (
        "Tuyển chọn",
        "công an",
        "nghĩa vụ",
    )
    long_phrase = "Cấp giấy thông hành cho cán bộ, công chức sang nước láng giềng tại Công an cấp tỉnh"
    assert result_keywords(f"Giấy phépTừ khóaCSDL»Bộ Công An»{long_phrase}Mô tả") == (long_phrase,)


def test_fee_and_time_limit_normalisation() -> None:
    assert normalize_fee("1,500,000 Việt Nam Đồng") == "1.500.000 đồng"
    assert normalize_fee("Phí : 0 Đồng") == "Miễn phí"
    assert normalize_fee("10 USD") == "10 USD"
    assert normalize_time_limit("07 Ngày làm việc") == "7 ngày làm việc"
    assert normalize_time_limit("0 Giờ") == ""
    assert normalize_time_limit("Không quy định") == "Không quy định"


pieces = st.sampled_from(
    [
        CHANNEL_HEADER,
        DOCUMENT_HEADER,
        LEGAL_HEADER,
        "Trực tiếp",
        "Trực tuyến",
        "Dịch vụ bưu chính",
        "1",
        "120 VNĐ",
        "(",
        ")",
        "Miễn phí",
        "Không có thông tin",
        " Ngày làm việc",
        "1 bản chính",
        ",0 bản sao",
        ".docx",
        "Mẫu",
        "12/2020/NĐ-CP",
        "Bước 1:",
        "Mã: KQ.1",
        "\n",
    ]
)


@given(st.lists(st.one_of(pieces, st.text(max_size=8)), max_size=25).map("".join))
def test_parsers_never_raise_on_odd_text(text: str) -> None:
    parse_channels(text, text)
    parse_documents(text)
    parse_legal_basis(text)
    parse_steps(text)
    clean_result(text)
