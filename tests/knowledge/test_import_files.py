"""Files and folders: shapes detected, broken files named in the error, list exports merged, progress."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import openpyxl
import pytest

from knowledge.importers import ImportError_, load_paths
from knowledge.importers.xlsx_list import HEADER
from knowledge.model import Channel, Document, LegalBasis

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "import"
PORTAL = FIXTURES / "portal_record.json"
STRUCTURED = FIXTURES / "structured_record.json"


def write_list(path: Path, rows: list[tuple[str, ...]], header: tuple[str, ...] = HEADER) -> Path:
    """Write a list export like the portal's: a title row, the header, then one row per procedure."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"])
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    workbook.save(path)
    return path


def test_a_portal_record_is_structured() -> None:
    [proc] = load_paths([PORTAL]).procedures.values()
    assert proc.name == "Thủ tục mẫu để kiểm thử bộ nhập"
    assert proc.channels == (
        Channel("Trực tiếp", "2 ngày làm việc", "15.000 đồng"),
        Channel("Trực tuyến", "", "Miễn phí"),
    )
    assert proc.documents == (Document("Đơn đề nghị", 1, 0, "Mẫu 01.docx"), Document("Ảnh chân dung", 0, 2))
    assert proc.legal_basis == (LegalBasis("Nghị định mẫu", "99/2099/NĐ-CP"),)
    assert proc.steps == ("Bước 1: Nộp hồ sơ.", "Bước 2: Nhận kết quả.")
    assert proc.result == "Giấy xác nhận"
    assert proc.conditions == ""
    # The online row has a time without a unit and nothing to recover it from: the raw text stays.
    assert set(proc.unparsed) == {"channels"}
    assert (proc.source, proc.demo) == ("dichvucong", False)


def test_a_structured_record_is_read() -> None:
    [proc] = load_paths([STRUCTURED]).procedures.values()
    assert proc.channels == (Channel("Trực tiếp", "5 ngày làm việc", "Lệ phí: 1,5 USD"),)
    assert proc.documents == (Document("Tờ khai", 2, 1, "Mẫu 1.docx; Mẫu 2.doc"),)
    assert proc.legal_basis == (LegalBasis("Thông tư mẫu", "1/2099/TT-BQP"),)
    assert proc.steps == ("Bước 1: Nộp.", "Bước 2: Nhận.")
    assert (proc.source, proc.issuer, proc.keywords) == ("bqp", "Bộ Quốc phòng", ())


@pytest.mark.parametrize(
    "name",
    ["not_a_procedure.json", "truncated.json", "empty.json", "notes.txt"],
)
def test_a_file_of_another_shape_is_an_error_naming_it(name: str) -> None:
    path = FIXTURES / name
    with pytest.raises(ImportError_) as caught:
        load_paths([path])
    assert str(path) in str(caught.value)


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("list.json", b"[]"),
        ("numbers.json", b"[1, 2, 3]"),
        (
            "nameless.json",
            json.dumps({"metadata": {"mã_thủ_tục": "", "tên_thủ_tục": ""}, "content": {}}).encode(),
        ),
        ("utf16.json", '{"tên": "Đăng ký"}'.encode("utf-16")),
    ],
)
def test_json_without_procedures_is_an_error_naming_the_file(
    tmp_path: Path, name: str, content: bytes
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(ImportError_, match=re.escape(str(path))):
        load_paths([path])


def test_a_bad_record_in_a_json_list_is_named_by_index(tmp_path: Path) -> None:
    good = json.loads(STRUCTURED.read_text(encoding="utf-8"))
    path = tmp_path / "two.json"
    path.write_text(json.dumps([good, {"tên": "không phải thủ tục"}], ensure_ascii=False), encoding="utf-8")
    with pytest.raises(ImportError_, match=r"two\.json \[bản ghi 1\]"):
        load_paths([path])


def test_an_xlsx_without_the_header_is_an_error_naming_it(tmp_path: Path) -> None:
    path = write_list(tmp_path / "other.xlsx", [("1.000001", "Tên")], header=("Mã", "Tên thủ tục"))
    with pytest.raises(ImportError_, match=re.escape(str(path))):
        load_paths([path])


@pytest.mark.parametrize("content", [b"", b"this is not a zip file"])
def test_an_xlsx_that_is_not_a_workbook_is_an_error_naming_it(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "broken.xlsx"
    path.write_bytes(content)
    with pytest.raises(ImportError_, match=re.escape(str(path))):
        load_paths([path])


def test_a_missing_path_is_an_error_naming_it(tmp_path: Path) -> None:
    with pytest.raises(ImportError_, match="nowhere"):
        load_paths([tmp_path / "nowhere"])


def test_one_bad_file_in_a_folder_fails_the_whole_import(tmp_path: Path) -> None:
    shutil.copy(PORTAL, tmp_path / "a.json")
    shutil.copy(FIXTURES / "truncated.json", tmp_path / "b.json")
    shutil.copy(STRUCTURED, tmp_path / "c.json")
    with pytest.raises(ImportError_, match=r"b\.json"):
        load_paths([tmp_path])


def test_folders_skip_files_that_are_not_data(tmp_path: Path) -> None:
    shutil.copy(PORTAL, tmp_path / "a.json")
    (tmp_path / "README.md").write_text("# Ghi chú\n", encoding="utf-8")
    (tmp_path / "~$list.xlsx").write_bytes(b"lock file of an open workbook")
    (tmp_path / ".hidden.json").write_text("{", encoding="utf-8")
    (tmp_path / "sub").mkdir()
    shutil.copy(STRUCTURED, tmp_path / "sub" / "b.JSON")
    result = load_paths([tmp_path])
    assert sorted(result.procedures) == ["9.900001", "9.900002"]
    assert result.files == 2


def test_list_rows_fill_details_and_list_only_rows_stay(tmp_path: Path) -> None:
    shutil.copy(PORTAL, tmp_path / "detail.json")
    write_list(
        tmp_path / "list.xlsx",
        [
            ("9.900001", "Tên khác trong danh sách", "Bộ Kiểm thử", "Cơ quan A\nCơ quan B", "Lĩnh vực khác"),
            (
                "9.900009",
                " Thủ tục chỉ có trong danh sách ",
                "Bộ Kiểm thử",
                "Cơ quan A\nCơ quan B",
                "Kiểm thử",
            ),
            ("", "", "", "", ""),
        ],
    )
    result = load_paths([tmp_path])
    detail, listed = result.procedures["9.900001"], result.procedures["9.900009"]
    # The detail page wins where it has a value; the list fills what it lacks.
    assert (detail.name, detail.issuer, detail.field) == (
        "Thủ tục mẫu để kiểm thử bộ nhập",
        "Bộ Kiểm thử",
        "Kiểm thử",
    )
    assert detail.source == "dichvucong"
    assert (listed.name, listed.agency, listed.source) == (
        "Thủ tục chỉ có trong danh sách",
        "Cơ quan A; Cơ quan B",
        "xlsx",
    )
    assert any("chỉ có trong danh sách XLSX" in note for note in result.problems)


def test_a_real_record_wins_over_a_demo_record_in_any_order(tmp_path: Path) -> None:
    real = json.loads(STRUCTURED.read_text(encoding="utf-8"))
    demo = json.loads(STRUCTURED.read_text(encoding="utf-8")) | {"demo": True}
    demo["metadata"] = demo["metadata"] | {"tên_thủ_tục": "Bản demo"}
    for first, second in ((real, demo), (demo, real)):
        folder = tmp_path / ("a" if first is real else "b")
        folder.mkdir()
        (folder / "1.json").write_text(json.dumps(first, ensure_ascii=False), encoding="utf-8")
        (folder / "2.json").write_text(json.dumps(second, ensure_ascii=False), encoding="utf-8")
        proc = load_paths([folder]).procedures["9.900002"]
        assert (proc.name, proc.demo, proc.source) == ("Thủ tục có cấu trúc để kiểm thử", False, "bqp")


def test_the_same_code_twice_is_reported(tmp_path: Path) -> None:
    shutil.copy(STRUCTURED, tmp_path / "a.json")
    shutil.copy(STRUCTURED, tmp_path / "b.json")
    result = load_paths([tmp_path])
    assert len(result.procedures) == 1
    assert any("9.900002" in note and "a.json" in note for note in result.problems)


def test_progress_counts_every_file(tmp_path: Path) -> None:
    for index in range(3):
        shutil.copy(PORTAL, tmp_path / f"{index}.json")
    calls: list[tuple[int, int]] = []
    load_paths([tmp_path], progress=lambda done, total: calls.append((done, total)))
    assert calls == [(0, 3), (1, 3), (2, 3), (3, 3)]
