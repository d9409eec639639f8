"""What a poster lists: the "Cần mang" lines of a procedure's short card, as plain text."""

from __future__ import annotations

import re

from bot import texts
from bot.markup import to_plain

# Emoji and other symbols outside the Basic Multilingual Plane have no glyph in the poster's font.
_WIDE = re.compile(r"[\U00010000-\U0010FFFF]\s*")


def bring_lines(card: str) -> list[str]:
    """The lines under "Cần mang" in a short card's markup (papers and what to show), without emoji."""
    lines = [_WIDE.sub("", line).strip() for line in to_plain(card).split("\n")]
    out: list[str] = []
    inside = False
    for line in lines:
        if not inside:
            inside = line == texts.SHORT_BRING
            continue
        if not line:
            break
        out.append(line)
    return out
