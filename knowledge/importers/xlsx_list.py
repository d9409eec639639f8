"""The portal's XLSX list exports: code, name, issuer, agency, field."""

from __future__ import annotations

from pathlib import Path

import openpyxl

from knowledge.importers.text import clean
from knowledge.model import Procedure

HEADER = ("Mã số", "Tên", "Cơ quan ban hành", "Cơ quan thực hiện", "Lĩnh vực")


def read(path: Path) -> list[Procedure]:
    """Read the list rows below the header row; raise ValueError if there is no header."""
    workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        rows = list(workbook.worksheets[0].iter_rows(values_only=True))
    finally:
        workbook.close()
    start = next((i for i, row in enumerate(rows) if tuple(clean(c) for c in row[:5]) == HEADER), None)
    if start is None:
        raise ValueError(f"không thấy dòng tiêu đề {', '.join(HEADER)}")
    out: list[Procedure] = []
    for row in rows[start + 1 :]:
        cells = [clean(c) for c in (*row, None, None, None, None, None)[:5]]
        if not cells[0] or not cells[1]:
            continue
        out.append(
            Procedure(
                code=cells[0],
                name=cells[1],
                issuer=cells[2],
                agency="; ".join(part for part in cells[3].split("\n") if part),
                field=cells[4],
                source="xlsx",
            )
        )
    return out
