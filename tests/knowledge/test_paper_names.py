"""A paper's name in a few words: only words dropped from the end or a bracketed reference, never changed."""

from __future__ import annotations

import pytest

from knowledge.paper_names import form_code, same_paper_key, says_certified, short_name


@pytest.mark.parametrize(
    ("row", "name", "code"),
    [
        (
            "Tờ khai thay đổi thông tin cư trú (Mẫu CT01 ban hành kèm theo Thông tư số 53/2025); đối với",
            "Tờ khai thay đổi thông tin cư trú",
            "CT01",
        ),
        (
            "Tờ khai đăng ký khai sinh theo mẫu (nếu người có yêu cầu lựa chọn nộp trực tiếp)",
            "Tờ khai đăng ký khai sinh",
            "",
        ),
        ("Giấy chứng sinh; trường hợp không có Giấy chứng sinh thì nộp văn bản", "Giấy chứng sinh", ""),
        (
            "gửi kèm theo bản sao có chứng thực các giấy tờ phải xuất trình nêu trên",
            "Bản sao có chứng thực các giấy tờ phải xuất trình",
            "",
        ),
        (
            "Đơn đề nghị cấp giấy phép xây dựng theo Mẫu số 1 Phụ lục số II Nghị định",
            "Đơn đề nghị cấp giấy phép xây dựng",
            "số 1",
        ),
        (
            "Văn bản đề nghị đăng ký tạm trú, trong đó ghi rõ thông tin về chỗ ở",
            "Văn bản đề nghị đăng ký tạm trú",
            "",
        ),
        ("01 (một) bản chính Danh sách hành khách (nếu có)", "Bản chính Danh sách hành khách", ""),
    ],
)
def test_the_name_stops_where_the_explanation_begins(row: str, name: str, code: str) -> None:
    short = short_name(row)
    assert (short.name, short.form_code, short.cut) == (name, code, False)


def test_a_long_name_is_cut_at_a_phrase_and_never_ends_on_a_dangling_word() -> None:
    short = short_name(
        "Ảnh mới chụp không quá 06 tháng, cỡ 4cm x 6cm, mặt nhìn thẳng, đầu để trần, không đeo kính"
    )
    assert short.name == "Ảnh mới chụp không quá 06 tháng, cỡ 4cm x 6cm…" and short.cut
    cut = short_name(
        "Giấy tờ, tài liệu có giá trị pháp lý chứng minh là người đại diện hợp pháp của người dưới 14 tuổi"
    )
    assert len(cut.name) <= 61 and not cut.name.removesuffix("…").endswith((" của", " là", " và"))


def test_rows_naming_the_same_paper_share_a_key_and_certified_copies_are_seen() -> None:
    assert same_paper_key("Tờ khai thay đổi thông tin cư trú (Mẫu CT01 …); đối với") == same_paper_key(
        "Tờ khai thay đổi thông tin cư trú (của từng người) (Mẫu CT01)."
    )
    assert says_certified("Bản sao có chứng thực Giấy khai sinh") and not says_certified(
        "Bản sao Giấy khai sinh"
    )
    assert form_code("theo mẫu TK1-TS") == "TK1-TS" and form_code("Giấy chứng sinh") == ""


def test_a_list_number_is_not_part_of_a_papers_name() -> None:
    assert (
        short_name("(1) Đơn đăng ký biến động đất đai theo Mẫu số 18").name == "Đơn đăng ký biến động đất đai"
    )
    assert short_name("7. Văn bản của cơ quan thuế xác nhận").name == "Văn bản của cơ quan thuế xác nhận"
    assert short_name("(viii) Bản sao giấy phép").name == "Bản sao giấy phép"
    # A count is not a list number: "1 bản sao" is read by the count rule, never as "1." or "1)".
    assert short_name("1 bản sao giấy phép").name == "Bản sao giấy phép"
    assert short_name("1. Giấy phép").name == "Giấy phép"
