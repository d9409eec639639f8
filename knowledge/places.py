"""Where a procedure is done, from the record's own agency and level fields, without contradictions.

The portal's level field may list several levels ("Cấp bộ, Cấp xã") or name a level the agency field
does not ("Cấp Bộ" with "Sở Nội vụ"). The agency field (the body that carries out the procedure) is
the one source of the place: the levels shown are those its bodies belong to, and a level it
contradicts is not shown beside it. Words are only selected, never rewritten.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from knowledge.model import Procedure

_EXPLICIT = re.compile(r"\bcấp\s+(xã|tỉnh|bộ|trung ương)\b", re.IGNORECASE)
_IMPLIED = {
    # "Bảo hiểm xã hội" is no commune, "Bộ phận một cửa" no ministry.
    "xã": re.compile(r"\b(?:xã(?!\s+hội)|phường|thị trấn|đặc khu)\b", re.IGNORECASE),
    "tỉnh": re.compile(r"\b(?:tỉnh|sở|thành phố trực thuộc trung ương)\b", re.IGNORECASE),
    "bộ": re.compile(r"^(?:bộ(?!\s+phận)|cục|tổng cục|ủy ban quốc gia|ngân hàng nhà nước)\b", re.IGNORECASE),
}
_LEVEL_WORDS = {"xã": "xã", "tỉnh": "tỉnh", "bộ": "bộ", "trung ương": "bộ"}


@dataclass(frozen=True, slots=True)
class Place:
    """The levels and the agency to show: both from the record, never contradicting each other."""

    level: str
    agency: str


def body_level(body: str) -> str:
    """The level a body belongs to ("xã", "tỉnh", "bộ"), or '' when its name does not say."""
    explicit = {_LEVEL_WORDS[m.group(1).lower()] for m in _EXPLICIT.finditer(body)}
    if len(explicit) == 1:
        return explicit.pop()
    if explicit:
        return ""
    implied = [level for level, pattern in _IMPLIED.items() if pattern.search(body)]
    return implied[0] if len(implied) == 1 else ""


def _levels(level_field: str) -> list[tuple[str, str]]:
    """The level field's parts with the level each names: [("Cấp bộ", "bộ"), ("Cấp xã", "xã")]."""
    parts = [part.strip() for part in re.split(r"[,;]", level_field) if part.strip()]
    return [(part, body_level(part if "cấp" in part.lower() else f"cấp {part}")) for part in parts]


def _placed(proc: Procedure) -> tuple[list[tuple[str, str]], set[str], str]:
    """The level field's parts to show with their levels, the agency's bodies' levels, and the agency."""
    agency = " ".join(proc.agency.split())
    levels = _levels(" ".join(proc.level.split()))
    bodies = {body_level(body) for body in re.split(r"[,;]", agency) if body.strip()}
    if not agency or "" in bodies or not levels:
        return levels, bodies, agency
    # A level the agency contradicts is not shown; the agency (who does the work) is the place.
    return [(part, level) for part, level in levels if level in bodies], bodies, agency


def place_of(proc: Procedure) -> Place:
    """The record's level and agency as shown together: levels its agency does not belong to are left out."""
    shown, _, agency = _placed(proc)
    return Place(level=", ".join(part for part, _ in shown), agency=agency)


def levels_of(proc: Procedure) -> frozenset[str]:
    """The levels ("xã", "tỉnh", "bộ") a procedure is done at, as :func:`place_of` shows them.

    When the shown level names none (the portal's "Cơ quan khác", or a level its agency contradicts), the
    agency's own bodies say.
    """
    shown, bodies, _ = _placed(proc)
    return frozenset({level for _, level in shown} - {""} or bodies - {""})
