"""Short cards and their sections over the whole real catalogue: short, and no paper ever lost."""

from __future__ import annotations

import re

import pytest

from bot import texts
from bot.adapters.telegram.channel import CALLBACK_DATA_LIMIT
from bot.markup import nfc_length, to_plain
from handlers.card_sections import (
    DOCUMENTS,
    SECTIONS,
    STEPS,
    parse_section_payload,
    render_section,
    section_buttons,
    sections_of,
)
from handlers.choices import choice_label, distinct_labels
from handlers.short_card import HARD_CAP, offers_online, render_short_card
from knowledge.documents import sort_documents
from knowledge.model import Procedure
from tests.handlers.support import CENTRE, markup_problem

_NOT_WORD = re.compile(r"\W+")


def _letters(text: str) -> str:
    """Only letters and digits, folded: what must survive rendering whatever the punctuation."""
    return _NOT_WORD.sub("", text).casefold()


def _bring(card: str) -> list[str]:
    """The lines of the short card's "what to bring" list, in order."""
    plain = to_plain(card)
    if "Cần mang" not in plain:
        return []
    block = plain.split("Cần mang", 1)[1].split("\n\n", 1)[0]
    return [line for line in block.split("\n") if line.startswith("•")]


@pytest.fixture(scope="module")
def by_code(catalogue: list[Procedure]) -> dict[str, Procedure]:
    """The catalogue by procedure code."""
    return {proc.code: proc for proc in catalogue}


def test_birth_registration_brings_the_declaration_and_birth_certificate_first(
    by_code: dict[str, Procedure],
) -> None:
    proc = by_code["1.001193"]
    card = render_short_card(proc, portal_url=CENTRE.portal_url)
    first, second, *_ = _bring(card)
    assert first.startswith("• Tờ khai đăng ký khai sinh")
    assert second.startswith("• Giấy chứng sinh")
    # The abandoned-child paper is a special case: only behind the button, never on the card.
    assert "bỏ rơi" not in card
    documents = "\n".join(render_section(proc, DOCUMENTS, portal_url=CENTRE.portal_url))
    assert "Trường hợp trẻ em bị bỏ rơi" in documents
    assert "biên bản về việc trẻ bị bỏ rơi" in documents
    assert "trường hợp đặc biệt" in to_plain(card)


def test_birth_registration_states_its_time_limit_with_the_source(by_code: dict[str, Procedure]) -> None:
    plain = to_plain(render_short_card(by_code["1.001193"]))
    assert "chưa ghi rõ" not in plain
    assert "Thời hạn: 1 ngày làm việc" in plain
    # Its source in plain words, not the portal's field names.
    assert "(theo Cổng Dịch vụ công, phần các bước thực hiện)" in plain
    assert "đơn vị lấy từ" not in plain and "Trình tự thực hiện" not in plain


def test_every_short_card_fits_one_zalo_message(catalogue: list[Procedure]) -> None:
    assert len(catalogue) >= 2800
    too_long = []
    for proc in catalogue:
        card = render_short_card(proc, portal_url=CENTRE.portal_url)
        if nfc_length(card) > HARD_CAP or nfc_length(to_plain(card)) > HARD_CAP:
            too_long.append(proc.code)
        assert markup_problem(card) is None, proc.code
    assert not too_long, too_long[:10]


def test_every_paper_of_every_record_appears_in_some_section(catalogue: list[Procedure]) -> None:
    lost: list[str] = []
    for proc in catalogue:
        docs = sort_documents(proc.documents)
        # Sorting keeps one row per document: none is dropped before rendering either.
        assert len(docs.all_papers()) == len(proc.documents), proc.code
        rendered = [render_short_card(proc, portal_url=CENTRE.portal_url)]
        for section in SECTIONS:
            parts = render_section(proc, section, portal_url=CENTRE.portal_url)
            assert all(nfc_length(part) <= 2000 and markup_problem(part) is None for part in parts), proc.code
            rendered.extend(parts)
        everything = _letters(to_plain("\n".join(rendered)))
        for paper in docs.all_papers():
            wanted = paper.document.name if paper.note else paper.text
            if _letters(wanted) not in everything or _letters(paper.condition) not in everything:
                lost.append(f"{proc.code}: {paper.document.name[:60]}")
    assert not lost, lost[:10]


def test_every_section_button_fits_telegram_and_opens_a_section_with_content(
    catalogue: list[Procedure],
) -> None:
    longest = 0
    for proc in catalogue:
        card = to_plain(render_short_card(proc, portal_url=CENTRE.portal_url))
        buttons = section_buttons(proc)
        opened = [parse_section_payload(b.payload) for b in buttons]
        assert [key for key, _ in filter(None, opened)] == sections_of(proc), proc.code
        assert {code for _, code in filter(None, opened)} <= {proc.code}
        for button, (key, _) in zip(buttons, filter(None, opened), strict=True):
            longest = max(longest, len(button.payload.encode("utf-8")))
            parts = render_section(proc, key, portal_url=CENTRE.portal_url)
            assert texts.SECTION_NONE not in parts[0], (proc.code, key)
        # Whenever the card sends the resident to the special cases, the button is there.
        if texts.SECTION_DOCUMENTS in card:
            assert DOCUMENTS in sections_of(proc), proc.code
    assert 0 < longest <= CALLBACK_DATA_LIMIT


_DANGLING = re.compile(r"\s(?:và|hoặc|của|các|về|theo|trong|để|cho|tại|với|nêu|do|được|là)…?$")


def test_temporary_residence_brings_the_declaration_and_the_proof_of_residence_and_no_examples(
    by_code: dict[str, Procedure],
) -> None:
    proc = by_code["1.004194"]
    bring = _bring(render_short_card(proc, portal_url=CENTRE.portal_url))
    # The proof of lawful residence: the office looks it up first, the resident brings it when it cannot.
    assert bring == [
        "• Tờ khai thay đổi thông tin cư trú (theo mẫu CT01; 1 bản chính)",
        f"• Giấy tờ, tài liệu chứng minh chỗ ở hợp pháp (1 bản chính; {texts.SHORT_IF_NOT_LOOKED_UP})",
    ]
    # The list and barracks variants are special cases, one tap away.
    documents = to_plain("\n".join(render_section(proc, DOCUMENTS, portal_url=CENTRE.portal_url)))
    assert "Đăng ký tạm trú theo danh sách, hồ sơ gồm" in documents
    assert "Văn bản đề nghị đăng ký tạm trú" in documents


def test_id_card_reissue_does_not_ask_for_the_polices_own_form(by_code: dict[str, Procedure]) -> None:
    proc = by_code["1.014064"]
    card = to_plain(render_short_card(proc, portal_url=CENTRE.portal_url))
    assert _bring(card) == ["• Phiếu đề nghị giải quyết thủ tục về căn cước (theo mẫu DC02; 1 bản chính)"]
    assert "CC01" not in card and "Phiếu này" not in card
    documents = to_plain("\n".join(render_section(proc, DOCUMENTS, portal_url=CENTRE.portal_url)))
    assert texts.SECTION_BY_OFFICE in documents and "Phiếu CC01 được tạo lập" in documents
    assert "người dưới 14 tuổi" in documents.split(texts.SECTION_GENERAL_FULL)[0]


def test_no_card_repeats_a_paper_or_ends_one_on_a_dangling_word(catalogue: list[Procedure]) -> None:
    repeated, dangling = [], []
    for proc in catalogue:
        lines = _bring(render_short_card(proc, portal_url=CENTRE.portal_url))
        if len(set(lines)) != len(lines):
            repeated.append(proc.code)
        names = [line.removeprefix("• ").split(" (", 1)[0] for line in lines]
        dangling.extend(f"{proc.code}: {name}" for name in names if _DANGLING.search(name))
    assert not repeated, repeated[:10]
    assert not dangling, dangling[:10]


_FREE_WITH_AMOUNT = re.compile(r"(?:^|: )Miễn phí \([^;]*\d[\d.,]*\s*(?:đồng|đ\b|VNĐ)", re.IGNORECASE)


def test_no_card_says_free_beside_an_amount_or_shows_a_cut_amount_as_it_is(
    catalogue: list[Procedure],
) -> None:
    contradicting, bare_small = [], []
    for proc in catalogue:
        plain = to_plain(render_short_card(proc, portal_url=CENTRE.portal_url))
        fee = plain.split("Phí, lệ phí: ", 1)[1].split("\n", 1)[0] if "Phí, lệ phí: " in plain else ""
        if _FREE_WITH_AMOUNT.search(fee):
            contradicting.append(f"{proc.code}: {fee[:80]}")
        if re.match(r"\d{1,3} đồng(?:$|;)", fee):
            bare_small.append(f"{proc.code}: {fee[:80]}")
    assert not contradicting, contradicting[:5]
    assert not bare_small, bare_small[:5]


def test_a_driving_licence_fee_is_shown_as_stated_with_the_cell_that_says_free(
    by_code: dict[str, Procedure],
) -> None:
    plain = to_plain(render_short_card(by_code["3.000347"], portal_url=CENTRE.portal_url))
    assert "Phí, lệ phí: Lệ phí cấp giấy phép lái xe: 135.000 đồng/lần" in plain
    assert "lại ghi “Miễn phí”" in plain


def test_no_fee_on_a_short_card_ends_in_a_condition_cut_mid_sentence(catalogue: list[Procedure]) -> None:
    cut: list[str] = []
    for proc in catalogue:
        plain = to_plain(render_short_card(proc, portal_url=CENTRE.portal_url))
        [fee] = [line for line in plain.split("\n") if line.startswith("💰")]
        # Wherever the fee line was cut, it ends saying where the whole of it is.
        # (or, where the portal contradicts itself, that the resident should ask the office).
        pointers = (texts.FEE_CONDITIONS, texts.FEE_MORE) if offers_online(proc) else ()
        ends = (
            *pointers,
            texts.FEE_CONDITIONS_ASK,
            texts.FEE_MORE_ASK,
            texts.CASES_ONLINE,
            texts.CASES_ASK,
            "bạn hỏi lại bộ phận một cửa)",
        )
        if "…" in fee and not fee.endswith(ends):
            cut.append(f"{proc.code}: {fee[-80:]}")
    assert not cut, (len(cut), cut[:5])


def test_the_id_card_fee_is_its_amount_and_where_its_conditions_are(by_code: dict[str, Procedure]) -> None:
    plain = to_plain(render_short_card(by_code["1.014064"], portal_url=CENTRE.portal_url))
    assert f"💰 Phí, lệ phí: 70.000 đồng {texts.FEE_CONDITIONS}" in plain
    assert "đến hết ngày…" not in plain


def test_the_business_household_card_names_one_level_the_agency_belongs_to(
    by_code: dict[str, Procedure],
) -> None:
    plain = to_plain(render_short_card(by_code["1.001612"], portal_url=CENTRE.portal_url))
    assert plain.split("\n")[1] == "Cấp xã · Ủy ban nhân dân cấp xã"


def test_permanent_residence_brings_its_declaration_though_the_portal_lists_papers_only_by_case(
    by_code: dict[str, Procedure],
) -> None:
    card = render_short_card(by_code["1.004222"], portal_url=CENTRE.portal_url)
    assert _bring(card) == ["• Tờ khai thay đổi thông tin cư trú (theo mẫu CT01; 1 bản chính)"]
    assert texts.SHORT_BRING_NONE not in to_plain(card)


def test_a_land_title_card_brings_its_application_and_no_conditional_fine(
    by_code: dict[str, Procedure],
) -> None:
    proc = by_code["1.013978"]
    card = render_short_card(proc, portal_url=CENTRE.portal_url)
    assert _bring(card) == ["• Đơn đăng ký đất đai, tài sản gắn liền với đất (1 bản chính, 1 bản sao)"]
    documents = to_plain("\n".join(render_section(proc, DOCUMENTS, portal_url=CENTRE.portal_url)))
    assert "Quyết định xử phạt vi phạm hành chính trong lĩnh vực đất đai" in documents


def test_a_building_permit_card_does_not_ask_for_both_the_new_build_and_the_repair_forms(
    by_code: dict[str, Procedure],
) -> None:
    card = to_plain(render_short_card(by_code["1.013225"], portal_url=CENTRE.portal_url))
    bring = "\n".join(_bring(card))
    assert "sửa chữa, cải tạo" not in bring and "Đơn đề nghị cấp giấy phép xây dựng" not in bring
    # What every kind of building needs is there: the land papers.
    assert "Giấy chứng nhận quyền sử dụng đất" in bring


_ANNOUNCING_END = re.compile(r"(?:\bsau đây|\bnhư sau|\bsau|\bbao gồm|\bgồm(?: có)?)$")


def test_no_card_shows_a_list_heading_as_a_paper_with_nothing_after_it(catalogue: list[Procedure]) -> None:
    dangling = []
    for proc in catalogue:
        for line in _bring(render_short_card(proc, portal_url=CENTRE.portal_url)):
            name = re.sub(r"\s*\([^()]*\)$", "", line.removeprefix("• ")).rstrip(" .…")
            if _ANNOUNCING_END.search(name):
                dangling.append(f"{proc.code}: {line}")
    assert not dangling, dangling[:10]


def test_no_documents_section_lists_a_paper_twice_in_one_group(catalogue: list[Procedure]) -> None:
    repeated = []
    for proc in catalogue:
        for part in render_section(proc, DOCUMENTS, portal_url=CENTRE.portal_url):
            # A group: the papers listed one after the other, under one heading.
            for run in re.split(r"\n(?!•)[^\n]*", to_plain(part)):
                lines = [line for line in run.split("\n") if line.startswith("•")]
                if len(set(lines)) != len(lines):
                    repeated.append(f"{proc.code}: {lines[0][:60]}")
    assert not repeated, repeated[:10]


def test_permanent_residence_lists_its_declaration_once_among_the_general_papers(
    by_code: dict[str, Procedure],
) -> None:
    proc = by_code["1.004222"]
    documents = to_plain("\n".join(render_section(proc, DOCUMENTS, portal_url=CENTRE.portal_url)))
    general = documents.split(texts.SECTION_GENERAL_FULL, 1)[1].split("\n\n", 1)[0]
    assert general.count("Tờ khai thay đổi thông tin cư trú (mẫu CT01") == 1


def test_a_free_fee_with_conditions_says_who_is_exempt_and_that_others_may_pay(
    by_code: dict[str, Procedure],
) -> None:
    plain = to_plain(render_short_card(by_code["1.000656"], portal_url=CENTRE.portal_url))
    [fee] = [line for line in plain.split("\n") if line.startswith("💰")]
    assert "Miễn phí cho trường hợp đăng ký khai tử đúng hạn" in fee
    assert "trường hợp khác có thể phải nộp phí, lệ phí" in fee


def test_no_card_says_free_alone_beside_a_description_cut_short(catalogue: list[Procedure]) -> None:
    bare_free = []
    for proc in catalogue:
        plain = to_plain(render_short_card(proc, portal_url=CENTRE.portal_url))
        [fee] = [line for line in plain.split("\n") if line.startswith("💰")]
        if re.search(r"Miễn phí \((?:có điều kiện|còn tiếp)", fee):
            bare_free.append(f"{proc.code}: {fee[:90]}")
    assert not bare_free, bare_free[:5]


def test_a_table_with_one_row_per_case_gives_the_fee_and_time_limit_by_case(
    by_code: dict[str, Procedure],
) -> None:
    plain = to_plain(render_short_card(by_code["1.014272"], portal_url=CENTRE.portal_url))
    assert "⏱ Thời hạn: tùy trường hợp: 17 ngày làm việc hoặc 34 ngày làm việc" in plain
    assert f"💰 Phí, lệ phí: tùy trường hợp: miễn phí hoặc 500.000 đồng {texts.CASES_ONLINE}" in plain


def test_a_bare_number_time_limit_says_in_plain_words_that_the_unit_is_not_given(
    catalogue: list[Procedure],
) -> None:
    # A number right before the source or a separator, with no unit after it.
    bare = re.compile(r"(?:^|[:;] |hoặc )\d+ ?(?:\(theo|;|$| hoặc)")
    unclear = []
    for proc in catalogue:
        plain = to_plain(render_short_card(proc, portal_url=CENTRE.portal_url))
        [limit] = [line for line in plain.split("\n") if line.startswith("⏱")]
        if "chỉ ghi con số" in limit:
            assert "không nói là ngày, ngày làm việc hay tháng" in limit
        elif bare.search(limit.split("Thời hạn: ", 1)[1]):
            unclear.append(f"{proc.code}: {limit}")
    assert not unclear, unclear[:5]


def test_the_birth_registration_steps_mark_the_portals_garbled_words_and_keep_them(
    by_code: dict[str, Procedure],
) -> None:
    steps = to_plain("\n".join(render_section(by_code["1.001193"], STEPS, portal_url=CENTRE.portal_url)))
    assert f"nộp hồ sơ đăng ký “khai tâm Phục vụ” {texts.GARBLED} hành chính công có thẩm quyền" in steps
    assert f"hoàn tất việc sinh tại “Trung nộp” {texts.GARBLED} hồ sơ" in steps


def test_procedures_whose_choice_labels_read_the_same_get_labels_a_resident_can_tell_apart(
    catalogue: list[Procedure],
) -> None:
    alike: dict[str, list[Procedure]] = {}
    for proc in catalogue:
        alike.setdefault(choice_label(proc), []).append(proc)
    groups = [procs for procs in alike.values() if len(procs) > 1]
    assert groups
    coded = 0
    for procs in groups:
        labels = distinct_labels(procs)
        assert len(set(labels)) == len(labels), labels
        assert all(len(label) <= 130 for label in labels), labels
        coded += sum(1 for label, proc in zip(labels, procs, strict=True) if proc.code in label)
    # The code only where neither the name, the level nor the agency tells them apart.
    assert coded <= len(groups) // 2


def test_the_same_name_at_two_levels_names_each_level_and_agency() -> None:
    commune = Procedure(code="9.1", name="Cấp giấy phép X", level="Cấp xã", agency="Ủy ban nhân dân cấp xã")
    province = Procedure(code="9.2", name="Cấp giấy phép X", level="Cấp xã", agency="Sở Xây dựng")
    assert distinct_labels([commune, province]) == [
        "Cấp giấy phép X (Cấp xã · Ủy ban nhân dân cấp xã)",
        "Cấp giấy phép X (Sở Xây dựng)",
    ]
