"""Vietnamese folding: NFC, lower case, tone and vowel marks stripped, đ -> d."""

from __future__ import annotations

import re
import unicodedata

_WORD = re.compile(r"[0-9a-zà-ỹđ]+", re.IGNORECASE)


def nfc_lower(text: str) -> str:
    """Return NFC lower-case text (accents kept)."""
    return unicodedata.normalize("NFC", text).lower()


def fold(text: str) -> str:
    """Strip diacritics: ``"Đăng ký khai sinh"`` -> ``"dang ky khai sinh"``."""
    decomposed = unicodedata.normalize("NFD", nfc_lower(text).replace("đ", "d"))
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return unicodedata.normalize("NFC", stripped)


def syllables(text: str) -> list[str]:
    """Split folded text into syllables (words)."""
    return _WORD.findall(fold(text))
