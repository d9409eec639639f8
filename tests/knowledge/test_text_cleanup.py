"""Cleaning the portal's running text: joined, de-duplicated and marked, never reworded."""

from __future__ import annotations

from knowledge.text_cleanup import clean_lines


def _mark(fragment: str) -> str:
    return f"{fragment} [?]"


def test_a_line_cut_mid_sentence_is_joined_and_list_items_are_not() -> None:
    lines = ["Cơ quan thông báo rộng", "rãi kế hoạch.", "a)", "Bước 1: Nộp hồ sơ", "b) Nhận kết quả"]
    assert clean_lines(lines, _mark) == [
        "Cơ quan thông báo rộng rãi kế hoạch.",
        "a) Bước 1: Nộp hồ sơ",
        "b) Nhận kết quả",
    ]


def test_the_field_title_and_a_repeated_line_are_dropped() -> None:
    assert clean_lines(["Trình tự thực hiện:", "Nộp hồ sơ.", "Nộp hồ sơ."], _mark) == ["Nộp hồ sơ."]


def test_the_scrambled_birth_registration_step_is_marked_not_hidden() -> None:
    lines = [
        "nộp hồ sơ đăng ký khai tâm Phục vụ hành chính công;",
        "hoàn tất việc sinh tại Trung",
        "nộp hồ sơ.",
    ]
    cleaned = clean_lines(lines, _mark)
    assert cleaned[0] == "nộp hồ sơ đăng ký khai tâm Phục vụ [?] hành chính công;"
    assert cleaned[1] == "hoàn tất việc sinh tại Trung nộp [?] hồ sơ."


def test_a_proper_name_across_lines_is_joined_without_a_mark() -> None:
    assert clean_lines(["được Ủy", "ban nhân dân cấp xã xác nhận.", "tại Trung", "tâm Phục vụ."], _mark) == [
        "được Ủy ban nhân dân cấp xã xác nhận.",
        "tại Trung tâm Phục vụ.",
    ]
