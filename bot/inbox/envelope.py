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
        return cls(platform, update_id, chat, body)
