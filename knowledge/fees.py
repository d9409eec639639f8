"""A channel's fee as the source states it, and whether its own parts disagree.

The portal's fee cell holds an amount ("70.000 đồng", "Miễn phí") and a description in brackets. The
two sometimes say different things: "Miễn phí (Lệ phí cấp giấy phép lái xe: 135.000 đồng/lần…)", or
"25 đồng (25.000.000đ/giấy thông hành…)" where the amount cell lost its thousands. Nothing is computed
or corrected here: the reader is told what each part states, so a card never shows "Miễn phí" beside
an amount as if they agreed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_AMOUNT = re.compile(
    r"(?<![\d.,])(\d{1,3}(?:[.,]\d{3})+|\d+)\s*(đồng|đ|vnđ|vnd|usd)(?![a-zà-ỹ])", re.IGNORECASE
)
# "160.000/hộ chiếu": an amount with thousands separators needs no unit to be an amount in đồng.
_GROUPED = re.compile(r"(?<![\d.,/])(\d{1,3}(?:[.,]\d{3})+)(?![\d.,])")
_FREE = re.compile(r"^(?:miễn phí|miễn lệ phí|không thu|không có phí)\b", re.IGNORECASE)
# "Miễn lệ phí đối với trường hợp đăng ký khai tử đúng hạn, người thuộc hộ nghèo; …": who is exempt.
_FREE_FOR = re.compile(
    r"\b(?:miễn|không thu)\s+(?:nộp\s+)?(?:lệ phí|phí)?[^.;:()]{0,50}?\s(?:cho|đối với)\s+(?P<who>[^.]{3,})",
    re.IGNORECASE,
)
SMALL = 1000
"""An amount cell below this many đồng, with no description stating an amount, is likely cut short."""


@dataclass(frozen=True, slots=True)
class StatedFee:
    """One fee cell read as stated: its amount part, its description, and how the two relate."""

    amount: str
    """The amount cell as written ("70.000 đồng", "Miễn phí"); '' when the cell is only text."""
    note: str
    """The description in brackets, without them; '' for none."""
    disagrees: bool = False
    """The description states amounts and the amount cell says free, or names none of them."""
    doubtful: bool = False
    """The amount cell states less than :data:`SMALL` đồng and nothing else states an amount."""
    free: bool = False
    """The amount cell says free ("Miễn phí", "Không thu")."""
    free_for: str = ""
    """When the cell says free and its description exempts only some ("Miễn lệ phí cho …"): who."""


def _value(digits: str) -> int:
    return int(re.sub(r"\D", "", digits))


def _unit(word: str) -> str:
    return "usd" if word.lower() == "usd" else "đồng"


def amounts(text: str) -> set[tuple[int, str]]:
    """The amounts a text states, as (value, unit) with unit "đồng" or "usd"."""
    found = {(_value(m.group(1)), _unit(m.group(2))) for m in _AMOUNT.finditer(text)}
    return found | {(_value(m.group(1)), "đồng") for m in _GROUPED.finditer(text)}


def read_fee(fee: str) -> StatedFee:
    """Read a fee cell ("70.000 đồng (…)", "Miễn phí (…)", or plain text)."""
    text = " ".join(fee.split())
    head, bracket, rest = text.partition(" (")
    note = rest[:-1] if bracket and rest.endswith(")") else rest
    note = note.strip().lstrip("-+ ").strip()
    if note.startswith("(") and note.count("(") > note.count(")"):
        note = note[1:].strip()
    if not bracket:
        head, note = text, ""
    head_amounts = amounts(head) if len(head) <= 40 else set()
    free = _FREE.match(head) is not None
    if not (free or head_amounts):
        return StatedFee(amount="", note=text)
    stated = amounts(note)
    disagrees = bool(stated) and (free or not head_amounts & stated)
    small = {value for value, unit in head_amounts if unit == "đồng" and value < SMALL}
    doubtful = bool(small) and not stated and head_amounts == {(v, "đồng") for v in small}
    exempt = _FREE_FOR.search(note) if free else None
    return StatedFee(
        amount=head,
        note=note,
        disagrees=disagrees,
        doubtful=doubtful,
        free=free,
        free_for=exempt.group("who").strip(" ;,:") if exempt else "",
    )
