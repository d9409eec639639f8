"""One incoming update as a channel hands it to the inbox."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.messages import Platform

PENDING = "pending"
CLAIMED = "claimed"
DONE = "done"

UPDATE_ID_LIMIT = 128
CHAT_KEY_LIMIT = 160


@dataclass(frozen=True, slots=True)
class Envelope:
    """An update to store: its platform, its unique id there, the chat it orders within, its raw body."""

    platform: Platform
    update_id: str
    chat_key: str
    """Updates with the same key are handled one after the other, in the order they were stored."""
    body: dict[str, Any]

    @classmethod
    def of(
        cls, platform: Platform, update_id: str, chat_id: str | None, body: dict[str, Any]
    ) -> Envelope | None:
        """An envelope, or None when the update id is empty or too long to be a real one.

        An update without a chat (or with an unusable one) is ordered with nothing else.
        """
        if not update_id or len(update_id) > UPDATE_ID_LIMIT:
            return None
        chat = f"{platform.value}:{chat_id}" if chat_id else ""
        if not chat or len(chat) > CHAT_KEY_LIMIT:
            chat = f"{platform.value}#{update_id}"
        storable = _storable(body)
        return None if storable is None else cls(platform, update_id, chat, storable)


def _storable(body: dict[str, Any]) -> dict[str, Any] | None:
    """The body without NUL characters, which PostgreSQL's JSONB refuses; None if nested too deep."""
    try:
        # repr writes a NUL as the four characters \x00; a cheap test for the rare body that has one.
        return body if "\\x00" not in repr(body) else _without_nul(body)
    except RecursionError:
        return None


def _without_nul(value: Any) -> Any:
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, dict):
        return {_without_nul(k): _without_nul(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_without_nul(v) for v in value]
    return value
