"""Sorting a dossier's rows by who needs them, on rows written like the portal's."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from knowledge.documents import sort_documents, split_condition
from knowledge.model import Document


def test_a_leading_condition_is_split_from_its_paper() -> None:
    row = "- Trường hợp trẻ em bị bỏ rơi thì phải có biên bản về việc trẻ bị bỏ rơi."
    condition, paper = split_condition(row)
    assert condition == "Trường hợp trẻ em bị bỏ rơi"
    assert paper == "biên bản về việc trẻ bị bỏ rơi."


def test_an_alternative_after_a_semicolon_keeps_the_paper_for_everyone() -> None:
    assert split_condition("Giấy chứng sinh; trường hợp không có Giấy chứng sinh thì nộp văn bản")[0] == ""


def test_a_condition_inside_the_first_clause_makes_a_special_case() -> None:
    condition, paper = split_condition("Văn bản ủy quyền trong trường hợp ủy quyền thực hiện việc đăng ký.")
    assert condition == "Trong trường hợp ủy quyền thực hiện việc đăng ký"
    assert paper.startswith("Văn bản ủy quyền")


def test_rows_sorted_for_everyone_cases_and_notes() -> None:
    docs = (
        Document(name="Trường hợp ủy quyền thì nộp văn bản ủy quyền", originals=1),
        Document(name="Giấy chứng sinh", originals=1),
        Document(name="Mẫu điện tử tương tác (nếu nộp hồ sơ theo hình thức trực tuyến)", originals=1),
        Document(name="Tờ khai đăng ký khai sinh (nếu nộp trực tiếp hoặc qua bưu chính)", originals=1),
        Document(name="Hộ chiếu", originals=1, must_show=True, section="Giấy tờ phải xuất trình"),
        Document(name="Cơ quan đăng ký tra cứu dữ liệu", originals=0, section="Lưu ý"),
    )
    sorted_docs = sort_documents(docs)
    # The form first, then the other papers, then the online-only form.
    assert [p.text[:8] for p in sorted_docs.handed_in] == ["Tờ khai ", "Giấy chứ", "Mẫu điện"]
    assert sorted_docs.handed_in[0].channels == ("in_person", "post")
    assert [p.document.name[:7] for p in sorted_docs.shown] == ["Hộ chiế"]
    [case] = sorted_docs.cases
    assert case.condition == "Trường hợp ủy quyền"
    assert [p.text for p in case.papers] == ["văn bản ủy quyền"]
    assert [p.document.name[:7] for p in sorted_docs.notes] == ["Cơ quan"]


def test_variant_sections_become_cases_and_their_common_paper_is_for_everyone() -> None:
    docs = (
        Document(name="Đơn đề nghị", originals=1, section="a) Thành phần hồ sơ giao đất"),
        Document(name="Dự án đầu tư", originals=1, section="a) Thành phần hồ sơ giao đất"),
        Document(name="Đơn đề nghị", originals=1, section="b) Thành phần hồ sơ gia hạn"),
        Document(name="Giấy chứng nhận", copies=1, section="b) Thành phần hồ sơ gia hạn"),
    )
    sorted_docs = sort_documents(docs)
    assert [p.text for p in sorted_docs.handed_in] == ["Đơn đề nghị", "Đơn đề nghị"]
    assert [case.group for case in sorted_docs.cases] == [
        "a) Thành phần hồ sơ giao đất",
        "b) Thành phần hồ sơ gia hạn",
    ]
    assert sorted_docs.case_count() == 2


_ROW = st.text(alphabet="abcđ ;:.,()-+ThìNếuĐốivớiTrườnghợp", max_size=60)


_SECTION = st.sampled_from(["", "Lưu ý", "Trường hợp X"])


@given(st.lists(st.tuples(_ROW, st.integers(0, 2), _SECTION), max_size=8))
def test_no_row_is_ever_dropped_and_each_half_is_from_the_row(rows: list[tuple[str, int, str]]) -> None:
    docs = tuple(Document(name=name, originals=n, section=section) for name, n, section in rows)
    papers = sort_documents(docs).all_papers()
    assert sorted(id(p.document) for p in papers) == sorted(id(d) for d in docs)
    for paper in papers:
        squeezed = " ".join(paper.document.name.split())
        assert paper.text in squeezed or paper.note
        assert paper.condition.lower() in squeezed.lower()


def test_the_main_dossier_is_for_everyone_and_the_procedures_variants_are_cases() -> None:
    form = "Tờ khai thay đổi thông tin cư trú (Mẫu CT01 ban hành kèm theo Thông tư số 53/2025/TT-BCA)"
    docs = (
        Document(
            name=form + "; đối với người chưa thành niên…", originals=1, section="Hồ sơ đăng ký tạm trú gồm"
        ),
        Document(
            name=form + " (của từng người).", originals=1, section="Đăng ký tạm trú theo danh sách, hồ sơ gồm"
        ),
        Document(
            name="Văn bản đề nghị đăng ký tạm trú", originals=1, section="Đăng ký tạm trú theo danh sách"
        ),
        Document(name=form + ".", originals=1, section="Đăng ký tạm trú tại nơi đơn vị đóng quân"),
    )
    sorted_docs = sort_documents(docs, "Đăng ký tạm trú")
    assert [p.document for p in sorted_docs.handed_in] == [docs[0]]
    assert [case.group for case in sorted_docs.cases] == [
        "Đăng ký tạm trú theo danh sách, hồ sơ gồm",
        "Đăng ký tạm trú theo danh sách",
        "Đăng ký tạm trú tại nơi đơn vị đóng quân",
    ]
    assert len(sorted_docs.all_papers()) == len(docs)


def test_the_offices_own_forms_examples_and_notes_are_not_papers_to_bring() -> None:
    docs = (
        Document(
            name="Phiếu này là biểu mẫu điện tử, công dân kê khai đối với trường hợp nộp hồ sơ trực tuyến."
        ),
        Document(
            name="Phiếu đề nghị giải quyết thủ tục về căn cước (Mẫu DC02)", originals=1, template="DC02.doc"
        ),
        Document(name="Giấy tờ chứng minh là người đại diện hợp pháp của người dưới 14 tuổi", originals=1),
        Document(name="Phiếu CC01 được tạo lập khi trích xuất thông tin của công dân và in ra", originals=1),
        Document(
            name="Thông tin chứng minh về chỗ ở hợp pháp được khai thác trong căn cước điện tử", originals=1
        ),
        Document(name="Ví dụ: Trường hợp giấy tờ chứng nhận quyền sử dụng đất thì không phải xuất trình."),
        Document(name="Lưu ý: - Trường hợp văn bản cho thuê nhà thì không bắt buộc công chứng.", originals=1),
    )
    sorted_docs = sort_documents(docs)
    assert [p.document for p in sorted_docs.handed_in] == [docs[1]]
    assert [p.document for p in sorted_docs.by_office] == [docs[3], docs[4]]
    [case] = sorted_docs.cases
    assert case.condition == "Của người dưới 14 tuổi" and case.papers[0].document == docs[2]
    assert {p.document for p in sorted_docs.notes} == {docs[0], docs[5], docs[6]}
    assert len(sorted_docs.all_papers()) == len(docs)


def test_a_numbered_section_opening_with_a_condition_is_a_special_case() -> None:
    docs = (
        Document(name="Đơn đăng ký đất đai", originals=1, section="a) Đối với hộ gia đình, cá nhân"),
        Document(
            name="Quyết định xử phạt vi phạm hành chính",
            originals=1,
            section="a) Đối với hộ gia đình, cá nhân",
        ),
        Document(name="Đơn đăng ký đất đai", originals=1, section="b) Đối với người gốc Việt Nam"),
        Document(
            name="Đơn đề nghị cấp phép sửa chữa", originals=1, section="(1.2) Đối với công trình theo tuyến"
        ),
    )
    sorted_docs = sort_documents(docs)
    assert sorted_docs.handed_in == ()
    assert {case.group for case in sorted_docs.cases} == {
        "a) Đối với hộ gia đình, cá nhân",
        "b) Đối với người gốc Việt Nam",
        "(1.2) Đối với công trình theo tuyến",
    }


def test_a_paper_every_case_group_asks_for_is_for_everyone() -> None:
    docs = (
        Document(
            name="Đơn đăng ký đất đai, tài sản gắn liền với đất", originals=1, section="a) Đối với cá nhân"
        ),
        Document(name="Quyết định xử phạt vi phạm hành chính", originals=1, section="a) Đối với cá nhân"),
        Document(
            name="Đơn đăng ký đất đai, tài sản gắn liền với đất.", originals=1, section="b) Đối với tổ chức"
        ),
        Document(name="Giấy phép đầu tư", originals=1, section="b) Đối với tổ chức"),
    )
    sorted_docs = sort_documents(docs)
    assert [p.text for p in sorted_docs.handed_in] == [
        "Đơn đăng ký đất đai, tài sản gắn liền với đất",
        "Đơn đăng ký đất đai, tài sản gắn liền với đất.",
    ]
    assert sorted(p.text for c in sorted_docs.cases for p in c.papers) == [
        "Giấy phép đầu tư",
        "Quyết định xử phạt vi phạm hành chính",
    ]
    assert len(sorted_docs.all_papers()) == len(docs)


def test_the_only_declaration_named_by_several_groups_is_for_everyone_but_two_differing_forms_are_not() -> (
    None
):
    one_form = (
        Document(
            name="Tờ khai thay đổi thông tin cư trú (mẫu CT01)", originals=1, section="Trường hợp nhà riêng"
        ),
        Document(name="Giấy tờ về nhà", originals=1, section="Trường hợp nhà riêng"),
        Document(name="Hợp đồng thuê nhà", originals=1, section="Trường hợp nhà thuê"),
        Document(
            name="Tờ khai thay đổi thông tin cư trú (mẫu CT01).", originals=1, section="Trường hợp đơn vị"
        ),
    )
    assert [p.text[:7] for p in sort_documents(one_form).handed_in] == ["Tờ khai", "Tờ khai"]
    two_forms = (
        Document(
            name="Đơn đề nghị cấp giấy phép xây dựng (Mẫu số 1)", originals=1, section="Đối với nhà mới"
        ),
        Document(
            name="Đơn đề nghị cấp giấy phép sửa chữa (Mẫu số 1)", originals=1, section="Đối với tôn giáo"
        ),
        Document(
            name="Đơn đề nghị cấp giấy phép sửa chữa (Mẫu số 1)", originals=1, section="Đối với tượng đài"
        ),
    )
    assert sort_documents(two_forms).handed_in == ()


def test_a_fact_the_office_looks_up_with_a_fallback_is_the_paper_to_bring_when_it_cannot() -> None:
    row = (
        "Thông tin chứng minh về chỗ ở hợp pháp được khai thác trong Cơ sở dữ liệu quốc gia về dân cư. "
        "Trường hợp không khai thác được thông tin thì công dân xuất trình giấy tờ, tài liệu chứng minh "
        "chỗ ở "
        "hợp pháp theo quy định tại khoản 3 Điều 5 Nghị định 154/2024/NĐ-CP."
    )
    [paper] = sort_documents((Document(name=row, originals=1),)).handed_in
    assert not paper.office
    assert paper.fallback.startswith("giấy tờ, tài liệu chứng minh chỗ ở hợp pháp")
    looked_up = "Thông tin về nơi cư trú được khai thác trong Cơ sở dữ liệu quốc gia về dân cư."
    assert sort_documents((Document(name=looked_up, originals=1),)).by_office


def test_a_row_announcing_a_list_titles_the_rows_after_it_and_is_no_paper() -> None:
    docs = (
        Document(name="Tờ khai (theo mẫu)", originals=1),
        Document(name="Bản sao một trong các giấy tờ sau đây", copies=1),
        Document(name="Giấy chứng nhận đăng ký kinh doanh", copies=1),
        Document(name="Giấy phép đầu tư", copies=1),
        Document(name="Đơn đề nghị của thương nhân:", originals=1),
        Document(name="Đề án thành lập có tối thiểu các nội dung sau", originals=1),
        Document(name="Hồ sơ kèm theo gồm:", originals=1, section="Trường hợp ủy quyền"),
    )
    sorted_docs = sort_documents(docs)
    titled = [p.text for p in sorted_docs.handed_in if p.title == "Bản sao một trong các giấy tờ sau đây"]
    assert titled == ["Giấy chứng nhận đăng ký kinh doanh", "Giấy phép đầu tư"]
    # A declaration ends the list; a paper announcing its own contents is still a paper.
    assert "Đơn đề nghị của thương nhân:" in [p.text for p in sorted_docs.handed_in]
    assert "Đề án thành lập có tối thiểu các nội dung sau" in [p.text for p in sorted_docs.handed_in]
    headings = [p.text for p in sorted_docs.notes if p.heading]
    assert headings == ["Bản sao một trong các giấy tờ sau đây", "Hồ sơ kèm theo gồm:"]
    assert sorted_docs.titles() == {"Bản sao một trong các giấy tờ sau đây"}
    assert len(sorted_docs.all_papers()) == len(docs)
