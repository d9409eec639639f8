"""Import dossier events from a file: CSV (UTF-8, with or without BOM, header row) or JSON Lines.

Columns (CSV header names, or JSON Lines object keys; the order does not matter, unknown ones are
ignored, an empty CSV cell means "not given"):

==================  ========  ==========================================================================
column              required  meaning
==================  ========  ==========================================================================
``event_id``        no        the source's unique id of the change (1-128 characters); without it the row
                              gets a deterministic id from its content, so re-importing stays idempotent
``code``            yes       receipt code, e.g. ``000.00.24.H57-250722-0001``
``status``          yes       received, in_progress, supplement_requested, ready, returned, rejected,
                              withdrawn
``occurred_at``     yes       when the change happened, ISO 8601 (``2025-07-22T08:30:00+07:00``; without an
                              offset the time is Asia/Ho_Chi_Minh)
``note``            no        a note for the applicant (at most 2000 characters)
``new_due_at``      no        a new due date (an extension); a bare date means the end of that day
``procedure_code``  no        procedure code, e.g. ``1.001193``
``procedure_name``  no        procedure name
``agency``          no        the receiving agency
``received_at``     no        when the dossier was received (default: its earliest event)
``due_at``          no        the due date on the receipt (appointment slip)
``result_delivery`` no        how the result is returned
``online``          no        submitted online: true/false (CSV also 1/0, yes/no, có/không)
``phone``           no        the applicant's phone; only a keyed hash and the last 4 digits are stored
==================  ========  ==========================================================================

Every bad row is reported with its line number and reasons; good rows are applied in batches
(one transaction per batch) with source ``import``. A row reusing an ``event_id`` (of an earlier row or
an event already recorded) with other content is reported too, naming the id; the same id with the same
content is a duplicate, so re-importing a file changes nothing. A broken file (not UTF-8, not CSV or
JSON Lines, required columns missing) raises :class:`ImportFileError` before anything is written.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from bot.services.dossiers.events import DossierEventIn, FieldError, InvalidEventError, parse_event
from bot.services.dossiers.service import DossierService, apply_leaving_out_reused_ids

Format = Literal["csv", "jsonl"]

COLUMNS = (
    "event_id",
    "code",
    "status",
    "occurred_at",
    "note",
    "new_due_at",
    "procedure_code",
    "procedure_name",
    "agency",
    "received_at",
    "due_at",
    "result_delivery",
    "online",
    "phone",
)
REQUIRED_COLUMNS = ("code", "status", "occurred_at")
BATCH_SIZE = 1000
GENERATED_ID_PREFIX = "import:"
_TRUE = frozenset({"true", "1", "yes", "y", "có", "co", "x"})
_FALSE = frozenset({"false", "0", "no", "n", "không", "khong"})
_CHUNK = 1 << 20


class ImportFileError(Exception):
    """The file as a whole cannot be imported (nothing was written)."""


@dataclass(frozen=True, slots=True)
class RowError:
    """A row that was not applied: its line number in the file and every reason."""

    line: int
    errors: tuple[FieldError, ...]

    def __str__(self) -> str:
        reasons = "; ".join(f"{e.field}: {e.reason}" if e.field else e.reason for e in self.errors)
        return f"line {self.line}: {reasons}"


@dataclass(slots=True)
class ImportReport:
    """What an import did."""

    rows: int = 0
    applied: int = 0
    duplicates: int = 0
    stale: int = 0
    created: int = 0
    notices: int = 0
    errors: list[RowError] = field(default_factory=list)


def detect_format(path: Path) -> Format:
    """Guess the format from the name (``.csv``, ``.jsonl``/``.ndjson``), else from the first character."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return "csv"
    if suffix in (".jsonl", ".ndjson", ".json"):
        return "jsonl"
    with path.open("rb") as stream:
        head = stream.read(4096).decode("utf-8-sig", errors="replace").lstrip()
    return "jsonl" if head.startswith("{") else "csv"


def check_file(path: Path, fmt: Format) -> None:
    """Raise :class:`ImportFileError` unless the file is UTF-8 and structurally CSV or JSON Lines."""
    if not path.is_file():
        raise ImportFileError(f"{path}: not a file")
    decoder = codecs.getincrementaldecoder("utf-8")()
    offset = 0
    with path.open("rb") as stream:
        while chunk := stream.read(_CHUNK):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                raise ImportFileError(f"{path}: not UTF-8 text (byte {offset + exc.start})") from None
            offset += len(chunk)
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            raise ImportFileError(f"{path}: not UTF-8 text (truncated at the end)") from None
    if offset == 0:
        raise ImportFileError(f"{path}: the file is empty")
    # A structural CSV problem (a NUL byte, an unterminated quote) stops the reader: find it before writing.
    for line, row in _rows(path, fmt):
        if isinstance(row, _Broken):
            raise ImportFileError(f"{path}: line {line}: {row.reason}")


@dataclass(frozen=True, slots=True)
class _Broken:
    reason: str


def _rows(path: Path, fmt: Format) -> Iterator[tuple[int, dict[str, Any] | RowError | _Broken]]:
    if fmt == "csv":
        yield from _csv_rows(path)
    else:
        yield from _jsonl_rows(path)


def _csv_rows(path: Path) -> Iterator[tuple[int, dict[str, Any] | RowError | _Broken]]:
    with path.open(encoding="utf-8-sig", newline="") as stream:
        reader = csv.reader(stream, strict=True)
        try:
            header = next(reader, None)
        except csv.Error as exc:
            yield 1, _Broken(f"not CSV ({exc})")
            return
        names = [name.strip().lower() for name in header or []]
        missing = [name for name in REQUIRED_COLUMNS if name not in names]
        if missing:
            yield (
                1,
                _Broken(
                    "not a dossier events CSV: missing required columns "
                    + ", ".join(missing)
                    + " (header: "
                    + ", ".join(names[:20])[:300]
                    + ")"
                ),
            )
            return
        while True:
            line = reader.line_num + 1
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                yield line, _Broken(f"not CSV ({exc})")
                return
            if not any(cell.strip() for cell in cells):
                continue
            if len(cells) > len(names):
                yield line, RowError(line, (FieldError("", f"{len(cells)} cells but {len(names)} columns"),))
                continue
            yield line, _csv_values(dict(zip(names, cells, strict=False)))


def _csv_values(row: dict[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name in COLUMNS:
        cell = row.get(name, "").strip()
        if not cell:
            continue
        if name == "online":
            folded = cell.lower()
            values[name] = True if folded in _TRUE else False if folded in _FALSE else cell
        else:
            values[name] = cell
    return values


def _jsonl_rows(path: Path) -> Iterator[tuple[int, dict[str, Any] | RowError | _Broken]]:
    seen_object = False
    with path.open(encoding="utf-8-sig", newline="") as stream:
        for number, text in enumerate(stream, start=1):
            if not text.strip():
                continue
            try:
                value = json.loads(text)
            except (ValueError, RecursionError):
                value = None
                problem = "not valid JSON"
            else:
                problem = "" if isinstance(value, dict) else "not a JSON object"
            if problem:
                if not seen_object:
                    yield number, _Broken(f"not JSON Lines ({problem})")
                    return
                yield number, RowError(number, (FieldError("", problem),))
                continue
            seen_object = True
            yield number, value


def generated_event_id(row: dict[str, Any]) -> str:
    """Return a deterministic event id for a row without one (a hash of its content)."""
    canonical = json.dumps(
        {k: row[k] for k in COLUMNS if k in row and k != "event_id"},
        sort_keys=True,
        ensure_ascii=False,
        default=str,
    )
    return GENERATED_ID_PREFIX + hashlib.sha256(canonical.encode()).hexdigest()[:40]


def read_events(path: Path, fmt: Format) -> Iterator[tuple[int, DossierEventIn | RowError]]:
    """Yield each data row's line number with its event, or with why it is bad."""
    for line, row in _rows(path, fmt):
        if isinstance(row, RowError):
            yield line, row
            continue
        if isinstance(row, _Broken):
            raise ImportFileError(f"{path}: line {line}: {row.reason}")
        if row.get("event_id") in (None, ""):
            row = {**row, "event_id": generated_event_id(row)}
        try:
            yield line, parse_event(row)
        except InvalidEventError as exc:
            yield line, RowError(line, exc.errors)


async def import_file(
    service: DossierService,
    path: Path,
    fmt: Format | None = None,
    *,
    batch_size: int = BATCH_SIZE,
    progress: Callable[[ImportReport], None] | None = None,
) -> ImportReport:
    """Apply every good row of ``path`` (source ``import``) in batches; report bad rows by line."""
    chosen = fmt or detect_format(path)
    check_file(path, chosen)
    report = ImportReport()
    batch: list[tuple[int, DossierEventIn]] = []
    for line, item in read_events(path, chosen):
        report.rows += 1
        if isinstance(item, RowError):
            report.errors.append(item)
            continue
        batch.append((line, item))
        if len(batch) >= batch_size:
            await _apply(service, batch, report)
            batch = []
            if progress is not None:
                progress(report)
    if batch:
        await _apply(service, batch, report)
    return report


async def _apply(
    service: DossierService, batch: list[tuple[int, DossierEventIn]], report: ImportReport
) -> None:
    events = [event for _, event in batch]
    result, refused = await apply_leaving_out_reused_ids(service.applier("import"), events)
    for position in refused:
        line, event = batch[position]
        reason = f"already used for an event with different content: {event.event_id}"
        report.errors.append(RowError(line, (FieldError("event_id", reason),)))
    report.errors.sort(key=lambda error: error.line)
    report.applied += result.applied
    report.duplicates += result.duplicates
    report.stale += result.stale
    report.created += result.created
    report.notices += result.notices
