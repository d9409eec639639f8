"""The Zalo outbox sender: plain text, numbered choices, 2,000-character parts, photos by URL; no edits.

The outbox worker (``bot.outbox.worker``) retries, reschedules and rate-limits; the sender sends once and
says what happened with :mod:`bot.outbox`'s errors. Zalo's Bot API cannot edit a message:
:meth:`ZaloSender.edit` raises :class:`~bot.outbox.EditUnsupportedError` without a call.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from typing import Any

from bot.adapters.zalo.channel import TEXT_LIMIT, ImageHost, render
from bot.adapters.zalo.client import ZaloClient, ZaloPermanentError, ZaloTimeoutError, ZaloTransientError
from bot.config import ZaloConfig
from bot.markup import nfc_length, split
from bot.messages import ChatRef, Reply
from bot.outbox import (
    EditUnsupportedError,
    PermanentDeliveryError,
    RateLimitedError,
    RecipientGoneError,
    RetryLaterError,
)

log = logging.getLogger(__name__)

# Refusals that mean the chat itself is unreachable, not that this one message was wrong.
_ZALO_GONE = ("chat not found", "blocked", "not a member", "user not found")
_ZALO_UNAUTHORIZED = 401
_TOO_MANY_REQUESTS = 429


class ZaloSender:
    """Sends outbox replies over a ZaloClient: plain text, buttons as numbered lines, 2,000-char parts."""

    def __init__(self, client: ZaloClient, *, image_host: ImageHost | None = None) -> None:
        """``image_host`` puts a reply's image somewhere Zalo can fetch it (sendPhoto takes a URL)."""
        self.client = client
        self._image_host = image_host

    @classmethod
    def create(cls, config: ZaloConfig, *, image_host: ImageHost | None = None) -> ZaloSender:
        """A sender over a dedicated client for ``config`` (so stopping the channel does not close it)."""
        return cls(ZaloClient(config.token, config.base_url), image_host=image_host)

    async def start(self) -> None:
        """Nothing to open: the client opens its session on first use."""

    async def close(self) -> None:
        """Close the client's HTTP session."""
        await self.client.close()

    async def send(self, chat: ChatRef, reply: Reply) -> str:
        """Send ``reply`` (numbered choices for its buttons; an image by sendPhoto); the last message id."""
        [(text, image)] = render([reply])
        parts = split(text, TEXT_LIMIT, nfc_length) if text.strip() else []
        url = await self._host(image) if image is not None else None
        message_id = ""
        if url is not None:
            caption = parts.pop(0) if len(parts) == 1 else ""
            message_id = await self._call(self.client.send_photo(chat.chat_id, url, caption))
        elif not parts:
            raise PermanentDeliveryError("empty message")
        for part in parts:
            message_id = await self._call(self.client.send_message(chat.chat_id, part))
        return message_id

    async def _host(self, image: bytes) -> str | None:
        if self._image_host is None:
            log.warning("zalo outbox: a reply has an image but no image host is configured; text only")
            return None
        return await self._image_host(image)

    @staticmethod
    async def _call(request: Awaitable[Any]) -> str:
        """Await one send; its message id, or the neutral delivery error."""
        try:
            result = await request
        except ZaloTimeoutError:
            # It may have been delivered; the retry counts as a possible duplicate (attempts > 1).
            raise RetryLaterError("timed out") from None
        except ZaloTransientError as exc:
            reason = f"{exc.code}: {exc.description}"
            if exc.code == _TOO_MANY_REQUESTS:
                raise RateLimitedError(reason, exc.retry_after) from None
            raise RetryLaterError(reason, exc.retry_after) from None
        except ZaloPermanentError as exc:
            reason = f"{exc.code}: {exc.description}"
            if exc.code == _ZALO_UNAUTHORIZED:
                raise RetryLaterError(reason) from None
            if exc.code == 403 or any(m in exc.description.lower() for m in _ZALO_GONE):
                raise RecipientGoneError(reason) from None
            raise PermanentDeliveryError(reason) from None
        found = result.get("message_id") if isinstance(result, dict) else None
        return str(found) if found is not None else ""

    async def edit(self, chat: ChatRef, message_id: str, reply: Reply) -> None:
        """Zalo's Bot API cannot edit a message: always :class:`EditUnsupportedError`, without a call."""
        raise EditUnsupportedError("unsupported: zalo cannot edit messages")
