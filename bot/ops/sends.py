"""An outbox sender that counts each send and edit by its result, for :mod:`bot.ops.metrics`."""

from __future__ import annotations

from collections.abc import Mapping

from bot.messages import ChatRef, Platform, Reply
from bot.ops.metrics import Metrics
from bot.outbox import (
    ChatMovedError,
    PermanentDeliveryError,
    RateLimitedError,
    RecipientGoneError,
    RetryLaterError,
    Sender,
)


def result_of(exc: BaseException) -> str:
    """The metrics label of a failed send."""
    if isinstance(exc, RateLimitedError):
        return "rate_limited"
    if isinstance(exc, RetryLaterError):
        return "retry"
    if isinstance(exc, ChatMovedError):
        return "moved"
    if isinstance(exc, RecipientGoneError):
        return "gone"
    if isinstance(exc, PermanentDeliveryError):
        return "refused"
    return "error"


class CountingSender:
    """Delegates to a platform's sender and counts what came of each call."""

    def __init__(self, inner: Sender, platform: Platform, metrics: Metrics) -> None:
        self._inner = inner
        self._platform = platform.value
        self._metrics = metrics

    async def send(self, chat: ChatRef, reply: Reply) -> str:
        """Send through the platform's sender, counting the result."""
        try:
            message_id = await self._inner.send(chat, reply)
        except Exception as exc:
            self._metrics.sent(self._platform, result_of(exc))
            raise
        self._metrics.sent(self._platform, "sent")
        return message_id

    async def edit(self, chat: ChatRef, message_id: str, reply: Reply) -> None:
        """Edit through the platform's sender, counting the result."""
        try:
            await self._inner.edit(chat, message_id, reply)
        except Exception as exc:
            self._metrics.sent(self._platform, result_of(exc))
            raise
        self._metrics.sent(self._platform, "sent")


def counting(senders: Mapping[Platform, Sender], metrics: Metrics) -> dict[Platform, Sender]:
    """Each sender wrapped in a :class:`CountingSender`."""
    return {platform: CountingSender(sender, platform, metrics) for platform, sender in senders.items()}
