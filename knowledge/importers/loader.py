"""Walk files and folders, detect each file's shape, and merge records by procedure code."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

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


def iter_files(paths: Iterable[Path]) -> list[Path]:
    """Expand folders into the JSON and XLSX files below them, in a stable order."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(p for p in sorted(path.rglob("*")) if p.suffix.lower() in {".json", ".xlsx"})
        elif path.exists():
            files.append(path)
        else:
            raise ImportError_(f"{path}: không tìm thấy tệp hoặc thư mục")
    return files


def read_file(path: Path) -> list[Procedure]:
    """Read one file of any known shape; raise :class:`ImportError_` naming the file otherwise."""
    suffix = path.suffix.lower()
    try:
        if suffix == ".xlsx":
            return xlsx_list.read(path)
        if suffix == ".json":
            data = json.loads(path.read_text(encoding="utf-8"))
            return _read_json(path, data)
    except ImportError_:
        raise
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, ValueError, KeyError, TypeError) as exc:
        raise ImportError_(f"{path}: không đọc được ({exc.__class__.__name__}: {exc})") from exc
    raise ImportError_(f"{path}: định dạng không hỗ trợ (cần .json hoặc .xlsx)")


def _read_json(path: Path, data: Any) -> list[Procedure]:
    records = data if isinstance(data, list) else [data]
    out: list[Procedure] = []
    for index, record in enumerate(records):
        reader = _json_reader(record)
        if reader is None:
            where = f"{path}" if len(records) == 1 else f"{path} [bản ghi {index}]"
            raise ImportError_(f"{where}: không phải bản ghi thủ tục (JSON cổng DVC hoặc JSON có cấu trúc)")
        out.append(reader(record))
    return out


def _json_reader(record: Any) -> Callable[[dict[str, Any]], Procedure] | None:
    if not isinstance(record, dict):
        return None
    if portal_json.matches(record):
        return portal_json.parse
    if bqp_json.matches(record):
        return bqp_json.parse
    return None


def load_paths(paths: Iterable[Path | str]) -> ImportResult:
    """Read every file under ``paths``; XLSX list rows fill in details records lack, merged by code.

    A file that cannot be read raises :class:`ImportError_` before anything is returned, so a
    caller writing in one transaction never half-writes.
    """
    result = ImportResult()
    listed: dict[str, Procedure] = {}
    for path in iter_files(Path(p) for p in paths):
        result.files += 1
        for proc in read_file(path):
            if proc.source == "xlsx":
                listed[proc.code] = proc
            else:
                result.procedures[proc.code] = proc
    for code, row in listed.items():
        detail = result.procedures.get(code)
        result.procedures[code] = row if detail is None else merge_list_row(detail, row)
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
