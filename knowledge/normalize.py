"""Vietnamese folding: NFC, lower case, tone and vowel marks stripped, đ -> d."""

from __future__ import annotations

import re
import unicodedata

# Letters and digits only; everything else (punctuation, symbols, control characters) separates syllables.
_WORD = re.compile(r"[^\W_]+")
_CONSONANTS = frozenset("bcdghklmnpqrstvx")


def nfc_lower(text: str) -> str:
    """Return NFC lower-case text (accents kept)."""
    return unicodedata.normalize("NFC", unicodedata.normalize("NFC", text).lower())


def _strip_marks(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d"))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def fold(text: str) -> str:
    """Strip diacritics: ``"Đăng ký khai sinh"`` -> ``"dang ky khai sinh"``."""
    # Lower-casing and stripping can each expose characters the other changes (e.g. "İ", "ǅ"), so the
    # pair is applied until stable; two rounds suffice for every code point we know of. ASCII is stable.
    folded = text
    for _ in range(3):
        if folded.isascii():
            return folded.lower()
        previous = folded
        folded = unicodedata.normalize("NFC", _strip_marks(nfc_lower(folded)))
        if folded == previous:
            break
    return folded


def canonical(syllable: str) -> str:
    """Spelling-normalise one folded syllable: final ``y`` after consonants becomes ``i`` (ký/kí, sỹ/sĩ)."""
    if len(syllable) >= 2 and syllable[-1] == "y":
        head = syllable[:-1]
        if head == "qu" or all(c in _CONSONANTS for c in head):
            return head + "i"
    return syllable


def syllables(text: str) -> list[str]:
    """Split folded text into syllables (words)."""
    return _WORD.findall(fold(text))


def marks(syllable: str) -> str:
    """Return the diacritics of a syllable in a canonical order, ``đ`` included (empty when unmarked)."""
    lowered = nfc_lower(syllable)
    decomposed = unicodedata.normalize("NFD", lowered)
    found = sorted(c for c in decomposed if unicodedata.combining(c))
    return ("đ" if "đ" in lowered else "") + "".join(found)


def accent_key(syllable: str) -> str:
    """Return a syllable's spelling with accents, tone position and i/y normalised (``hoà`` == ``hòa``)."""
    folded = "".join(_WORD.findall(fold(syllable)))
    return canonical(folded) + "|" + marks(syllable)


def accented_syllables(text: str) -> list[str]:
    """Split text into syllables keeping accents (NFC, lower case)."""
    return _WORD.findall(nfc_lower(text))
