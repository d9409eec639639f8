"""The time limit of a procedure, only as a source states it, and which source that is.

The portal's channel table often gives a bare number ("Trực tuyến1Miễn phí") or nothing. The unit or
the whole limit is then looked for in the rest of the record: the steps, the conditions and the
legal-basis titles. A limit is stated only when the evidence names it as the time to settle the case
(or names the table's own number with a unit); otherwise the card says the portal does not state it.
The portal's XLSX list exports carry no time-limit column, so they are not a source here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from knowledge.model import Procedure

TABLE = "table"
"""The channel table states the limit with its unit."""
TABLE_AND_STEPS = "table+steps"
"""The table gives the number; the steps give its unit."""
TABLE_AND_CONDITIONS = "table+conditions"
TABLE_AND_LEGAL = "table+legal"
STEPS = "steps"
"""The steps state the whole limit (the table says nothing)."""
CONDITIONS = "conditions"

_UNITS = r"ngày làm việc|ngày|giờ|tháng|năm|phút"
_KINDS = r"Trực tiếp|Trực tuyến|Dịch vụ bưu chính"
# A bare number in the raw table: a kind glued to digits glued to the fee cell.
_BARE = re.compile(rf"({_KINDS})([0-9]{{1,3}})(?=Miễn phí|Không có thông tin|Mức|\(|Phí|Lệ phí|$)")
_SPELLED = {
    "một": 1,
    "hai": 2,
    "ba": 3,
    "bốn": 4,
    "năm": 5,
    "sáu": 6,
    "bảy": 7,
    "tám": 8,
    "chín": 9,
    "mười": 10,
    "mười lăm": 15,
    "hai mươi": 20,
    "ba mươi": 30,
}
_NUMBER = r"[0-9]{1,3}|" + "|".join(sorted(_SPELLED, key=len, reverse=True))
_AMOUNT = re.compile(rf"(?<![0-9.,/])(?:0*)({_NUMBER})\s*(?:\(\s*[0-9]+\s*\)\s*)?({_UNITS})\b", re.IGNORECASE)
# Words that make a sentence about the time to settle the case, not about some step's own duration.
_DEADLINE = re.compile(
    r"thời hạn giải quyết|thời gian giải quyết|thời hạn trả kết quả|thời gian xử lý|thời hạn xử lý"
    r"|kể từ ngày (?:nhận|tiếp nhận)(?: được| đủ)? hồ sơ|kể từ (?:khi|thời điểm) nhận(?: được| đủ)? hồ sơ",
    re.IGNORECASE,
)
# The time to tell the applicant a dossier is incomplete is not the time to settle the case.
_INCOMPLETE = re.compile(
    r"bổ sung,? hoàn thiện|yêu cầu bổ sung|để bổ sung|thông báo[^.;]{0,80}bổ sung|tính đầy đủ", re.IGNORECASE
)
# Only a sentence naming the time to settle the case states a whole limit; a step's "trong thời hạn 05
# ngày làm việc kể từ ngày nhận hồ sơ" is often the duration of that step alone.
_OUTRIGHT = re.compile(r"thời (?:hạn|gian) giải quyết|thời hạn trả kết quả", re.IGNORECASE)
_NOT_COUNTED = re.compile(r"không tính vào|không kể", re.IGNORECASE)
_SAME_DAY = re.compile(
    r"trả kết quả[^.;\n]{0,80}trong ngày làm việc tiếp theo|trả kết quả ngay trong ngày", re.IGNORECASE
)
_SENTENCE = re.compile(r"(?<=[.;!?\n])\s+")


@dataclass(frozen=True, slots=True)
class TimeLimit:
    """A stated time limit, the channels it applies to (() for all) and its source."""

    text: str
    source: str
    channels: tuple[str, ...] = ()


def _number(word: str) -> int:
    return int(word) if word.isdigit() else _SPELLED[word.lower()]


def _amounts(text: str) -> list[tuple[int, str]]:
    return [(_number(m.group(1)), m.group(2).lower()) for m in _AMOUNT.finditer(text)]


def _deadline_sentences(text: str) -> list[str]:
    return [s for s in _SENTENCE.split(text) if _DEADLINE.search(s) and not _INCOMPLETE.search(s)]


def bare_numbers(proc: Procedure) -> dict[str, int]:
    """The numbers without unit the channel table gives, by channel kind."""
    raw = proc.unparsed.get("channels", "")
    return {m.group(1): int(m.group(2)) for m in _BARE.finditer(raw) if int(m.group(2)) > 0}


def _legal_text(proc: Procedure) -> str:
    return "\n".join(basis.title for basis in proc.legal_basis)


def _unit_for(number: int, sources: list[tuple[str, str]]) -> tuple[str, str]:
    """The unit one source writes ``number`` with in a sentence about the deadline: (unit, source)."""
    for source, text in sources:
        sentences = _deadline_sentences(text)
        units = {unit for sentence in sentences for n, unit in _amounts(sentence) if n == number}
        if len(units) == 1:
            return units.pop(), source
        if number == 1 and not units and _SAME_DAY.search(text):
            # "trả kết quả trong ngày làm việc tiếp theo": a one-day limit counted in working days.
            return "ngày làm việc", source
    return "", ""


def _whole_limit(sources: list[tuple[str, str]]) -> tuple[str, str]:
    """A limit the steps or conditions state outright, when they state exactly one."""
    for source, text in sources:
        sentences = [
            s for s in _deadline_sentences(text) if _OUTRIGHT.search(s) and not _NOT_COUNTED.search(s)
        ]
        found = {amount for sentence in sentences for amount in _amounts(sentence)}
        if len(found) == 1:
            [(number, unit)] = found
            return f"{number} {unit}", source
    return "", ""


def stated_time_limits(proc: Procedure) -> tuple[TimeLimit, ...]:
    """The record's time limits with their sources; () when no source states one."""
    table = [(c.kind, c.time_limit) for c in proc.channels if c.time_limit]
    if table:
        return _grouped([(kind, text, TABLE) for kind, text in table], len(proc.channels))
    steps = "\n".join(proc.steps)
    sources = [
        (TABLE_AND_STEPS, steps),
        (TABLE_AND_CONDITIONS, proc.conditions),
        (TABLE_AND_LEGAL, _legal_text(proc)),
    ]
    bare = bare_numbers(proc)
    if bare:
        found: list[tuple[str, str, str]] = []
        for kind, number in bare.items():
            unit, source = _unit_for(number, sources)
            if unit:
                found.append((kind, f"{number} {unit}", source))
        return _grouped(found, len(bare)) if len(found) == len(bare) else ()
    text, source = _whole_limit([(STEPS, steps), (CONDITIONS, proc.conditions)])
    return (TimeLimit(text=text, source=source),) if text else ()


def _grouped(rows: list[tuple[str, str, str]], channels: int) -> tuple[TimeLimit, ...]:
    """One limit per distinct (text, source), naming its channels unless it covers all of them."""
    groups: dict[tuple[str, str], list[str]] = {}
    for kind, text, source in rows:
        groups.setdefault((text, source), []).append(kind)
    if len(groups) == 1 and len(rows) == channels:
        [(text, source)] = groups
        return (TimeLimit(text=text, source=source),)
    return tuple(TimeLimit(text=t, source=s, channels=tuple(k)) for (t, s), k in groups.items())


def mentions_time_limit(proc: Procedure) -> bool:
    """Loosely tell whether any part of the record speaks of a time limit (an upper bound for recovery)."""
    if any(c.time_limit for c in proc.channels):
        return True
    text = "\n".join((*proc.steps, proc.conditions, _legal_text(proc)))
    return any(_amounts(sentence) for sentence in _deadline_sentences(text))
