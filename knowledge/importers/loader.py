"""Walk files and folders, detect each file's shape, and merge records by procedure code."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from openpyxl.utils.exceptions import InvalidFileException

from knowledge.importers import bqp_json, portal_json, xlsx_list
from knowledge.model import Procedure


class ImportError_(Exception):  # noqa: N801, N818 - "ImportError" is a builtin
    """A file is not one of the known shapes; the message names the file."""


@dataclass
class ImportResult:
    """Procedures read from files, with what could not be parsed."""

    procedures: dict[str, Procedure] = field(default_factory=dict)
    files: int = 0
    problems: list[str] = field(default_factory=list)
    """Per-file or per-record notes on what was skipped or left unparsed."""

    def unparsed_counts(self) -> dict[str, int]:
        """Count records by each field kept as raw text."""
        counts: dict[str, int] = {}
        for proc in self.procedures.values():
            for name in proc.unparsed:
                counts[name] = counts.get(name, 0) + 1
        return dict(sorted(counts.items()))


Progress = Callable[[int, int], None]
"""Called with (files done, files in total) once before the first file and after each file."""


def iter_files(paths: Iterable[Path]) -> list[Path]:
    """Expand folders into the JSON and XLSX files below them, in a stable order."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(p for p in sorted(path.rglob("*")) if _is_data_file(p))
        elif path.exists():
            files.append(path)
        else:
            raise ImportError_(f"{path}: không tìm thấy tệp hoặc thư mục")
    return files


def _is_data_file(path: Path) -> bool:
    # Office lock files ("~$list.xlsx") and hidden files sit next to real exports while they are open.
    hidden = path.name.startswith(("~$", "."))
    return path.is_file() and not hidden and path.suffix.lower() in {".json", ".xlsx"}


def read_file(path: Path) -> list[Procedure]:
    """Read one file of any known shape; raise :class:`ImportError_` naming the file otherwise."""
    suffix = path.suffix.lower()
    if suffix not in {".json", ".xlsx"}:
        raise ImportError_(f"{path}: định dạng không hỗ trợ (cần .json hoặc .xlsx)")
    try:
        if path.stat().st_size == 0:
            raise ImportError_(f"{path}: tệp rỗng")
        if suffix == ".xlsx":
            return xlsx_list.read(path)
        data = json.loads(path.read_text(encoding="utf-8-sig"))
        return _read_json(path, data)
    except ImportError_:
        raise
    except (
        OSError,
        UnicodeDecodeError,
        json.JSONDecodeError,
        zipfile.BadZipFile,
        InvalidFileException,
        ValueError,
        KeyError,
        TypeError,
        IndexError,
    ) as exc:
        raise ImportError_(f"{path}: không đọc được ({exc.__class__.__name__}: {exc})") from exc


def _read_json(path: Path, data: Any) -> list[Procedure]:
    records = data if isinstance(data, list) else [data]
    if not records:
        raise ImportError_(f"{path}: danh sách JSON rỗng, không có bản ghi thủ tục")
    out: list[Procedure] = []
    for index, record in enumerate(records):
        where = f"{path}" if len(records) == 1 else f"{path} [bản ghi {index}]"
        reader = _json_reader(record)
        if reader is None:
            raise ImportError_(f"{where}: không phải bản ghi thủ tục (JSON cổng DVC hoặc JSON có cấu trúc)")
        proc = reader(record)
        if not proc.code or not proc.name:
            raise ImportError_(f"{where}: bản ghi thiếu mã hoặc tên thủ tục")
        out.append(proc)
    return out


def _json_reader(record: Any) -> Callable[[dict[str, Any]], Procedure] | None:
    if not isinstance(record, dict):
        return None
    if portal_json.matches(record):
        return portal_json.parse
    if bqp_json.matches(record):
        return bqp_json.parse
    return None


def load_paths(paths: Iterable[Path | str], progress: Progress | None = None) -> ImportResult:
    """Read every file under ``paths``; XLSX list rows fill in details records lack, merged by code.

    A file that cannot be read raises :class:`ImportError_` before anything is returned, so a
    caller writing in one transaction never half-writes. A real record wins over a demo record
    with the same code, whatever the order of the files.
    """
    files = iter_files(Path(p) for p in paths)
    result = ImportResult()
    listed: dict[str, Procedure] = {}
    origin: dict[str, Path] = {}
    if progress is not None:
        progress(0, len(files))
    for done, path in enumerate(files, start=1):
        result.files += 1
        for proc in read_file(path):
            if proc.source == "xlsx":
                listed[proc.code] = proc
                continue
            previous = result.procedures.get(proc.code)
            if previous is not None:
                if proc.demo and not previous.demo:
                    continue
                if previous.demo == proc.demo:
                    result.problems.append(
                        f"{path}: mã {proc.code} đã có trong {origin[proc.code]}; dùng bản ghi đọc sau"
                    )
            result.procedures[proc.code] = proc
            origin[proc.code] = path
        if progress is not None:
            progress(done, len(files))
    list_only = 0
    for code, row in listed.items():
        detail = result.procedures.get(code)
        if detail is None:
            list_only += 1
            result.procedures[code] = row
        else:
            result.procedures[code] = merge_list_row(detail, row)
    if list_only:
        result.problems.append(f"{list_only} thủ tục chỉ có trong danh sách XLSX (không có trang chi tiết)")
    return result


def merge_list_row(detail: Procedure, row: Procedure) -> Procedure:
    """Fill empty fields of a detail record from its list-export row."""
    return replace(
        detail,
        name=detail.name or row.name,
        issuer=detail.issuer or row.issuer,
        agency=detail.agency or row.agency,
        field=detail.field or row.field,
    )
