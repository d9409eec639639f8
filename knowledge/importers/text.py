"""Small text clean-ups shared by the importers."""

from __future__ import annotations

import re
import unicodedata

NO_INFO = {"", "không có thông tin", "không", "không có"}
_LONGEST_NO_INFO = 20
# Only runs of two or more, or tabs: replacing every single space would be the slowest part of an import.
_SPACES = re.compile(r"[ \t]{2,}|\t")


def clean(value: object) -> str:
    """Return NFC text with non-breaking spaces and runs of white space folded; '' for None."""
    if value is None:
        return ""
    text = str(value)
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    text = text.replace("\xa0", " ")
    if "  " in text or "\t" in text:
        text = _SPACES.sub(" ", text)
    if "\n" not in text and "\r" not in text:
        return text.strip()
    return "\n".join(line.strip() for line in text.strip().splitlines()).strip()


def informative(value: object) -> str:
    """Like :func:`clean`, but '' for the portal's "Không có thông tin" placeholders."""
    text = clean(value)
    return "" if len(text) <= _LONGEST_NO_INFO and text.lower().rstrip(".") in NO_INFO else text


_TIME_LIMIT = re.compile(
    r"^0*([0-9]+(?:[.,][0-9]+)?)\s*(ngày làm việc|ngày|giờ|tháng|năm|phút)$", re.IGNORECASE
)


def normalize_time_limit(value: object) -> str:
    """Write "07 Ngày làm việc" as "7 ngày làm việc" ('' for a zero); other text is only cleaned."""
    text = informative(value)
    match = _TIME_LIMIT.match(text)
    if not match:
        return text
    if not match.group(1).strip("0.,"):
        return ""
    return f"{match.group(1)} {match.group(2).lower()}"


_AMOUNT = re.compile(
    r"([0-9]{1,3}(?:[.,][0-9]{3})+|[0-9]+)(?:[.,]([0-9]+))?\s*(Việt Nam Đồng|VNĐ|VND|đồng|Đồng|USD)"
)


def _amount(match: re.Match[str]) -> str:
    digits = re.sub(r"[.,]", "", match.group(1))
    unit = "USD" if match.group(3) == "USD" else "đồng"
    grouped = f"{int(digits):,}".replace(",", ".")
    decimals = f",{match.group(2)}" if match.group(2) and set(match.group(2)) != {"0"} else ""
    return f"{grouped}{decimals} {unit}"


def normalize_fee(value: object) -> str:
    """Write amounts the Vietnamese way ("20,000 Việt Nam Đồng" -> "20.000 đồng"); zero means free."""
    text = informative(value)
    text = re.sub(r"\s+:\s*", ": ", text)
    if re.fullmatch(r"(?:Lệ phí|Phí)?:?\s*(?:0|[Kk]hông)?\s*(?:Đồng|đồng)?", text):
        return "Miễn phí" if re.search(r"0|[Kk]hông", text) else ""
    return _AMOUNT.sub(_amount, text)
