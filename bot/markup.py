"""The reply markup: a tiny HTML subset, escaping, plain-text rendering and splitting."""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Callable

_TAG = re.compile(r"<(/?)(b|i|code|a)(?:\s+href=\"([^\"]*)\")?>")


def esc(text: str) -> str:
    """Escape user or catalogue text for inclusion in a reply."""
    return html.escape(text, quote=True)


def bold(text: str) -> str:
    """Return escaped text in bold."""
    return f"<b>{esc(text)}</b>"


def link(url: str, label: str) -> str:
    """Return an escaped hyperlink."""
    return f'<a href="{esc(url)}">{esc(label)}</a>'


def to_plain(markup: str) -> str:
    """Render markup as plain text (links become ``label (url)``)."""

    def replace(match: re.Match[str]) -> str:
        closing, tag, href = match.group(1), match.group(2), match.group(3)
        if tag == "a" and not closing and href:
            return "\x00" + href + "\x00"
        return "\x01" if tag == "a" and closing else ""

    text = _TAG.sub(replace, markup)
    # Re-attach the url after the label: "\x00url\x00label\x01" -> "label (url)".
    text = re.sub(r"\x00([^\x00]*)\x00([^\x01]*)\x01", lambda m: _link_plain(m.group(2), m.group(1)), text)
    return html.unescape(text.replace("\x00", "").replace("\x01", ""))


def _link_plain(label: str, href: str) -> str:
    href = html.unescape(href)
    return href if html.unescape(label) == href else f"{label} ({href})"


def nfc_length(text: str) -> int:
    """Count characters after NFC normalisation (how Zalo counts)."""
    return len(unicodedata.normalize("NFC", text))


def split(text: str, limit: int, measure: Callable[[str], int] = len) -> list[str]:
    """Split text into parts of at most ``limit``, preferring paragraph, then line, then word boundaries.

    Parts never cut inside a tag, because the renderer keeps tags within one line.
    """
    if measure(text) <= limit:
        return [text]
    parts: list[str] = []
    current = ""
    for piece in _pieces(text, limit, measure):
        candidate = piece if not current else current + piece
        if measure(candidate.rstrip()) <= limit:
            current = candidate
            continue
        if current.strip():
            parts.append(current.rstrip())
        current = piece.lstrip("\n")
    if current.strip():
        parts.append(current.rstrip())
    return parts


def _pieces(text: str, limit: int, measure: Callable[[str], int]) -> list[str]:
    """Cut text into units no longer than ``limit``: paragraphs, else lines, else words, else characters."""
    out: list[str] = []
    for paragraph in re.split(r"(?<=\n\n)", text):
        if measure(paragraph) <= limit:
            out.append(paragraph)
            continue
        for line in re.split(r"(?<=\n)", paragraph):
            if measure(line) <= limit:
                out.append(line)
                continue
            for word in re.split(r"(?<= )", line):
                while measure(word) > limit:
                    cut = limit
                    while cut > 1 and measure(word[:cut]) > limit:
                        cut -= 1
                    out.append(word[:cut])
                    word = word[cut:]
                out.append(word)
    return out
