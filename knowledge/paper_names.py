"""A paper's name in a few words, for the short card: the paper itself, not the sentence around it.

"Tờ khai thay đổi thông tin cư trú (Mẫu CT01 ban hành kèm theo Thông tư số 53/2025/TT-BCA); đối với
người…" reads "Tờ khai thay đổi thông tin cư trú" with the form "CT01". Only words are dropped, from the
end of the row or a legal reference in brackets, never changed: the row in full stays in the documents
section.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# "phải gửi kèm theo bản sao…", "nộp bản sao…": the verb before the paper is not its name.
_LEAD_VERB = re.compile(
    r"^(?:phải\s+)?(?:gửi kèm(?:\s+theo)?|nộp(?:\s+kèm(?:\s+theo)?)?|kèm theo|xuất trình|có)\s+(?=\S)",
    re.IGNORECASE,
)
# "7. Văn bản…", "a) Đơn…", "(ii) Bản sao…": the list's own numbering is not the paper's name.
_LIST_NUMBER = re.compile(
    r"^(?:\(?[0-9]{1,2}(?:\.[0-9]{1,2})*[.)]|\(?[a-zđ]\)|\(?[ivx]{1,4}\))\s+", re.IGNORECASE
)
# "01 (một) bản sao giấy chứng nhận…": the count is in the table's columns, the paper follows it.
_LEADING_COUNT = re.compile(
    r"^(?:0?\d{1,2}|một|hai|ba|các)\s*(?:\((?:một|hai|ba|bốn|năm)\)\s*)?"
    r"(?=(?:bản|tờ|đơn|ảnh|giấy|văn bản)\b)",
    re.IGNORECASE,
)
# The form a paper follows: "(Mẫu CT01 ban hành kèm theo …)", "theo Mẫu số 1 Phụ lục …", "mẫu TK01".
_FORM_CODE = re.compile(
    r"\bmẫu\s+(?:số\s+)?((?:[A-ZĐ]{1,5}[-.]?\d{1,3}[a-z]?|\d{1,3}[a-z]?)(?:[-/][A-ZĐ0-9]+)*)(?=[\s).,;:]|$)",
    re.IGNORECASE,
)
# Where the paper's name ends and its explanation begins.
_NAME_END = re.compile(
    r";|\.\s|\.$|:\s|\s\(|\s+trong đó\b|\s+ban hành kèm\b|\s+theo quy định\b|\s+theo mẫu\b|\s+theo Mẫu\b"
    r"|,\s(?:trường hợp|nếu|trừ|trong đó|kèm theo|có|ghi rõ|đã|được|do)\b"
    r"|,?\s+(?:(?:có|gồm|bao gồm)\s+)?(?:(?:tối thiểu|đầy đủ|ít nhất)\s+)?(?:các|những)\s+nội dung\b",
    re.IGNORECASE,
)
# Words a cut name must not end on: the phrase they open was cut off.
_DANGLING = re.compile(
    r"(?:[\s,]+(?:và|hoặc|của|các|về|theo|trong|đối với|để|cho|tại|với|nêu|do|được|là|có|thì|mà|như|từ|đến"
    r"|ở|khi|trên|dưới|bằng|gồm|một|những|số))+$",
    re.IGNORECASE,
)
_CERTIFIED = re.compile(r"bản sao (?:có |được )?chứng thực|bản sao y", re.IGNORECASE)
NAME_MAX = 60
"""A phone line: longer names are cut at a word and end with "…"."""


@dataclass(frozen=True, slots=True)
class PaperName:
    """A paper in a few words: its name, the code of its form ('' when none) and whether words were cut."""

    name: str
    form_code: str
    cut: bool


def _one_line(text: str) -> str:
    return " ".join(text.split())


def form_code(text: str) -> str:
    """The code of the form a row names ("CT01", "số 1"); '' when it names none."""
    match = _FORM_CODE.search(text)
    if match is None:
        return ""
    code = match.group(1)
    return f"số {code}" if code[:1].isdigit() else code.upper()


def says_certified(text: str) -> bool:
    """Tell whether the row asks for a certified copy (bản sao có chứng thực)."""
    return _CERTIFIED.search(text) is not None


def short_name(text: str, limit: int = NAME_MAX) -> PaperName:
    """The paper's name: the row up to where its explanation begins, at most ``limit`` characters."""
    whole = _LIST_NUMBER.sub("", _one_line(text).lstrip("-+*•– "))
    name = _LEADING_COUNT.sub("", _LEAD_VERB.sub("", whole))
    name = _NAME_END.split(name, maxsplit=1)[0].strip(" ,;:.")
    cut = False
    if len(name) > limit:
        head = name[:limit]
        comma = head.rfind(", ")
        # A cut at a comma ends on a whole phrase ("Ảnh mới chụp không quá 06 tháng, cỡ 4cm x 6cm…").
        name = head[:comma] if comma > limit // 2 else head.rsplit(" ", 1)[0]
        cut = True
    trimmed = _DANGLING.sub("", name).strip(" ,;:.-")
    if trimmed:
        name = trimmed
    name = name[:1].upper() + name[1:]
    return PaperName(name=name + ("…" if cut else ""), form_code=form_code(whole), cut=cut)


def same_paper_key(text: str) -> str:
    """A key under which two rows name the same paper (the same short name, folded)."""
    return re.sub(r"\W+", " ", short_name(text).name.rstrip("…")).casefold().strip()
