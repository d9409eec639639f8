"""Reading acknowledgements typed or pressed by recipients (pure helpers)."""

from __future__ import annotations

from bot.services.directives.model import ACK_KEYWORDS, ACK_PREFIX
from knowledge.normalize import fold


def parse_ack_payload(payload: str | None) -> int | None:
    """The directive id of an ``ack:{id}`` button payload, or None."""
    if not payload or not payload.startswith(ACK_PREFIX):
        return None
    number = payload[len(ACK_PREFIX) :]
    return int(number) if number.isdigit() and len(number) <= 18 else None


def is_ack_keyword(text: str) -> bool:
    """True for "đã nhận" typed with or without marks (the Zalo way to acknowledge)."""
    words = fold(text).replace(".", " ").replace("!", " ").split()
    return " ".join(words) in ACK_KEYWORDS
