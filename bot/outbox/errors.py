"""What a sender is, and the errors it raises: the worker decides from them to retry, fail or move a row."""

from __future__ import annotations

from typing import Protocol

from bot.messages import ChatRef, Reply

REASON_LIMIT = 255


class Sender(Protocol):
    """Sends one reply to one chat on one platform; raises a :class:`DeliveryError` when it cannot."""

    async def send(self, chat: ChatRef, reply: Reply) -> str:
        """Deliver ``reply`` to ``chat`` and return the platform's message id (of the last part)."""

    async def edit(self, chat: ChatRef, message_id: str, reply: Reply) -> None:
        """Change message ``message_id`` in ``chat`` to ``reply``; "not modified" is success.

        Raises :class:`EditUnsupportedError` on a platform without edits.
        """


class DeliveryError(Exception):
    """A reply could not be delivered; ``reason`` is the platform's description, never user text."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason[:REASON_LIMIT]


class RetryLaterError(DeliveryError):
    """Rate limit, server error, timeout or network failure: the same send may succeed later.

    ``retry_after`` (seconds) is the platform's own wait, when it said one.
    """

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


class RateLimitedError(RetryLaterError):
    """The platform answered 429 (too many requests): the worker pauses the whole platform, not one chat."""


class RecipientGoneError(DeliveryError):
    """The chat will not take messages any more (blocked the bot, chat not found, bot removed)."""


class ChatMovedError(DeliveryError):
    """The chat has a new id (a Telegram group became a supergroup); the same send goes there at once."""

    def __init__(self, reason: str, new_chat_id: str) -> None:
        super().__init__(reason)
        self.new_chat_id = new_chat_id


class PermanentDeliveryError(DeliveryError):
    """The platform refused this message for good (bad request...); retrying will not help."""


class EditUnsupportedError(PermanentDeliveryError):
    """The platform cannot edit a message it delivered (Zalo)."""
