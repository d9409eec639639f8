"""Cleaning the portal's running text: joined, de-duplicated and marked, never reworded."""

from __future__ import annotations

from knowledge.text_cleanup import clean_lines, clean_words, is_syllable, needs_next


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


def test_a_line_ending_on_a_word_that_needs_more_joins_the_next_though_it_starts_in_capitals() -> None:
    lines = ["Hồ sơ gửi tới Ủy ban nhân dân theo quy định của", "Bộ Tư pháp.", "b) Nhận kết quả"]
    assert clean_lines(lines, _mark) == [
        "Hồ sơ gửi tới Ủy ban nhân dân theo quy định của Bộ Tư pháp.",
        "b) Nhận kết quả",
    ]


def test_a_list_item_after_an_open_word_stays_on_its_own_line() -> None:
    assert clean_lines(["a) Giấy tờ A; hoặc", "b) Giấy tờ B."], _mark) == [
        "a) Giấy tờ A; hoặc",
        "b) Giấy tờ B.",
    ]


def test_needs_next() -> None:
    assert needs_next("Các loại giấy tờ quy định tại Thông tư số")
    assert needs_next("hồ sơ gồm:")
    assert not needs_next("Nộp hồ sơ.")
    assert not needs_next("Giấy khai sinh (1 bản chính)")


def test_syllables_glued_at_a_case_change_are_set_apart_but_names_and_links_are_not() -> None:
    assert clean_words("Hồ sơ gửiTờ khai, xử lýBước 10", _mark) == "Hồ sơ gửi Tờ khai, xử lý Bước 10"
    for kept in ("VNeID", "MasterCard", "CoA", "tưI", "https://a.vn/GiayPhep", "Mau_DonDangKy.docx"):
        assert clean_words(kept, _mark) == kept


def test_a_consonant_split_from_its_syllable_is_joined_only_into_a_syllable() -> None:
    assert clean_words("đăng k ý khai sinh d o B ộ Tư pháp", _mark) == "đăng ký khai sinh do Bộ Tư pháp"
    # A letter naming a point of an article stays; so do letters that make no syllable.
    assert clean_words("theo điểm k ý kiến", _mark) == "theo điểm k ý kiến"
    assert clean_words("X Y Z", _mark) == "X Y Z"
    assert clean_words("k xy", _mark) == "k xy"


def test_a_syllable_three_times_in_a_row_is_marked_not_removed() -> None:
    assert clean_words("Quân đội nhân nhân nhân dân", _mark) == "Quân đội nhân nhân nhân [?] dân"
    assert clean_words("nhân nhân dân", _mark) == "nhân nhân dân"


def test_is_syllable() -> None:
    assert all(is_syllable(w) for w in ("ký", "nghiêng", "Bước", "quốc", "gì"))
    assert not any(is_syllable(w) for w in ("Master", "Card", "xyz", "DANGKY"))
