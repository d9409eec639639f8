"""Small text clean-ups shared by the importers."""

from __future__ import annotations

import re
import unicodedata

NO_INFO = {"", "không có thông tin", "không", "không có"}


def clean(value: object) -> str:
    """Return NFC text with non-breaking spaces and runs of white space folded; '' for None."""
    if value is None:
        return ""
    text = unicodedata.normalize("NFC", str(value)).replace("\xa0", " ")
    text = re.sub(r"[ \t]+", " ", text)
    return "\n".join(line.strip() for line in text.strip().splitlines()).strip()


def informative(value: object) -> str:
    """Like :func:`clean`, but '' for the portal's "Không có thông tin" placeholders."""
    text = clean(value)
    return "" if text.lower().rstrip(".") in NO_INFO else text
