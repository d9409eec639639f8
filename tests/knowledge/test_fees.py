"""Fee cells read as stated: the amount cell and its description, and whether they disagree."""

from __future__ import annotations

from knowledge.fees import read_fee


def test_free_with_an_amount_in_the_description_disagrees() -> None:
    fee = read_fee("Miễn phí (- Lệ phí cấp giấy phép lái xe: 135.000 đồng/lần.)")
    assert (fee.amount, fee.disagrees) == ("Miễn phí", True)
    assert fee.note == "Lệ phí cấp giấy phép lái xe: 135.000 đồng/lần."


def test_an_amount_cell_that_lost_its_thousands_disagrees_with_the_description() -> None:
    assert read_fee("25 đồng (25.000.000đ/giấy thông hành (áp dụng đến hết ngày 31/12/2026).)").disagrees
    assert read_fee("40 đồng (4.000 đ/giấy thông hành)").disagrees
    # Dollars in the description are not the cell's đồng.
    assert read_fee("155 đồng (Thẻ tạm trú: 155 USD/thẻ.)").disagrees


def test_agreeing_cells_and_plain_text_are_read_as_they_are() -> None:
    fee = read_fee("70.000 đồng (- Cấp lại thẻ căn cước: 70.000 đồng/thẻ căn cước.)")
    assert (fee.amount, fee.disagrees, fee.doubtful) == ("70.000 đồng", False, False)
    # A circular's number is not an amount.
    assert not read_fee("Miễn phí (Phí cấp bản sao theo Thông tư số 281/2016/TT-BTC)").disagrees
    text = read_fee("Mức lệ phí cụ thể do Hội đồng nhân dân tỉnh quyết định")
    assert (text.amount, text.note) == ("", "Mức lệ phí cụ thể do Hội đồng nhân dân tỉnh quyết định")


def test_a_tiny_amount_nothing_else_confirms_is_doubtful() -> None:
    assert read_fee("100 đồng").doubtful
    assert not read_fee("5.000 đồng").doubtful


def test_an_amount_with_thousands_separators_needs_no_unit_and_stray_brackets_are_dropped() -> None:
    passport = read_fee("160.000 đồng (+ 160.000/hộ chiếu, cấp lại do bị mất: 320.000đ/hộ chiếu)")
    assert not passport.disagrees
    assert read_fee("Miễn phí ((Miễn lệ phí. Phí cấp bản sao)").note == "Miễn lệ phí. Phí cấp bản sao"


def test_a_free_cell_exempting_only_some_names_who() -> None:
    stated = read_fee(
        "Miễn phí (Mức lệ phí cụ thể do Hội đồng nhân dân tỉnh quyết định. Miễn lệ phí đối với trường hợp "
        "đăng ký khai tử đúng hạn, người thuộc hộ nghèo; người khuyết tật. Phí cấp bản sao theo Thông tư.)"
    )
    assert stated.free
    assert stated.free_for == "trường hợp đăng ký khai tử đúng hạn, người thuộc hộ nghèo; người khuyết tật"
    assert read_fee("Miễn phí (Không quy định)").free_for == ""
    assert not read_fee("70.000 đồng (Miễn lệ phí cho người thuộc hộ nghèo)").free
