"""The Telegram outbox sender: one reply to one chat, rendered like the channel does, errors made neutral.

The outbox worker (``bot.outbox.worker``) retries, reschedules and rate-limits; the sender sends once and
says what happened with :mod:`bot.outbox`'s errors. A reply longer than one message goes as several
parts; if a later part fails, a retry sends the earlier parts again (at-least-once, like the outbox).

Edits go with ``editMessageText`` (HTML and the inline keyboard, rendered as for a send; "message is not
modified" is success; a text longer than one message is cut to its first part, and the other parts of
the original stay as they are).
"""

from __future__ import annotations

import logging
import warnings
from datetime import timedelta

from telegram import Bot, InlineKeyboardMarkup
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)

from bot.adapters.telegram.channel import CAPTION_LIMIT, TEXT_LIMIT, keyboard
from bot.adapters.telegram.request import AiohttpRequest
from bot.config import TelegramConfig
from bot.markup import split, to_plain
from bot.messages import ChatRef, Reply
from bot.outbox import (
    ChatMovedError,
    PermanentDeliveryError,
    RateLimitedError,
    RecipientGoneError,
    RetryLaterError,
)

log = logging.getLogger(__name__)

# Refusals that mean the chat itself is unreachable, not that this one message was wrong.
_TELEGRAM_GONE = (
    "chat not found",
    "user not found",
    "peer_id_invalid",
    "group chat was deactivated",
    "chat_write_forbidden",
    "have no rights to send",
    "bot was kicked",
    "user is deactivated",
)


class TelegramSender:
    """Sends outbox replies over a PTB ``Bot``: HTML, an inline keyboard, long text split in parts.

    Why its own plain ``Bot`` (see :meth:`create`) and not the channel's: the channel's bot has PTB's
    ``AIORateLimiter``, which answers a 429 by sleeping ``retry_after`` and trying again, up to
    ``rate_limiter_retries`` times, inside the send. On the outbox path that would hold the row's lease
    for the whole sleep (a lease running out means another worker sends the same message again), multiply
    the retries (the limiter's times the outbox's ``max_attempts``) and keep the wait in memory, lost on
    a restart. So the outbox bot has no rate limiter: the outbox's own limiter
    (``bot.outbox.ratelimit``) spaces sends per platform, chat and group, and a 429 comes straight back
    as :class:`RetryLaterError`, whose ``retry_after`` is written to the row's ``due_at``. The price is
    that interactive replies and the outbox do not share one limiter; leave headroom in
    ``[outbox] telegram_per_second`` if both are busy.
    A ``Bot`` with a rate limiter still works here, with the double retry described above.
    """

    def __init__(self, bot: Bot, *, requests: tuple[AiohttpRequest, ...] = ()) -> None:
        self.bot = bot
        self._requests = requests

    @classmethod
    def create(cls, config: TelegramConfig, *, pool_size: int = 32) -> TelegramSender:
        """A sender over a dedicated ``Bot`` (no rate limiter) for ``config``; call :meth:`start` first."""
        requests = (AiohttpRequest(connection_pool_size=pool_size), AiohttpRequest(connection_pool_size=1))
        bot = Bot(
            config.token,
            base_url=config.base_url,
            base_file_url=config.base_file_url,
            request=requests[0],
            get_updates_request=requests[1],
        )
        return cls(bot, requests=requests)

    async def start(self) -> None:
        """Open the HTTP sessions (without PTB's getMe: the channel already checked the token)."""
        if not self._requests:
            await self.bot.initialize()
        for request in self._requests:
            await request.initialize()

    async def close(self) -> None:
        """Close the HTTP sessions."""
        if not self._requests:
            await self.bot.shutdown()
        for request in self._requests:
            await request.shutdown()

    async def send(self, chat: ChatRef, reply: Reply) -> str:
        """Send ``reply`` (buttons on its last part); return the last part's message id."""
        try:
            chat_id = int(chat.chat_id)
        except ValueError:
            raise RecipientGoneError("not a Telegram chat id") from None
        parts = split(reply.text, TEXT_LIMIT) if reply.text.strip() else []
        markup = keyboard(reply.buttons)
        if reply.image is not None:
            # A text that fits goes as the caption (with the buttons); a longer one follows the photo.
            caption = parts[0] if len(parts) == 1 and len(parts[0]) <= CAPTION_LIMIT else None
            message_id = await self._send_photo(chat_id, reply.image, caption, markup if caption else None)
            if caption is not None or not parts:
                return message_id
        if not parts:
            raise PermanentDeliveryError("empty message")
        message_id = ""
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            message_id = await self._send_text(chat_id, part, markup if last else None)
        return message_id

    async def _send_photo(
        self, chat_id: int, photo: bytes, caption: str | None, markup: InlineKeyboardMarkup | None
    ) -> str:
        try:
            message = await self.bot.send_photo(
                chat_id, photo, caption=caption, parse_mode=ParseMode.HTML, reply_markup=markup
            )
        except TelegramError as exc:
            raise telegram_delivery_error(exc) from None
        return str(message.message_id)

    async def _send_text(self, chat_id: int, text: str, markup: InlineKeyboardMarkup | None) -> str:
        try:
            try:
                message = await self.bot.send_message(
                    chat_id, text, parse_mode=ParseMode.HTML, reply_markup=markup
                )
            except BadRequest as exc:
                if "can't parse entities" not in exc.message.lower():
                    raise
                # Our markup should always parse; if a part does not, plain text still reaches the user.
                log.error("telegram outbox: markup refused (%s); sent as plain text", exc.message)
                message = await self.bot.send_message(chat_id, to_plain(text), reply_markup=markup)
        except TelegramError as exc:
            raise telegram_delivery_error(exc) from None
        return str(message.message_id)

    async def edit(self, chat: ChatRef, message_id: str, reply: Reply) -> None:
        """Change message ``message_id`` to ``reply`` (first part, with the buttons); unchanged is fine."""
        try:
            chat_id, target = int(chat.chat_id), int(message_id)
        except ValueError:
            raise PermanentDeliveryError("not a Telegram chat or message id") from None
        parts = split(reply.text, TEXT_LIMIT) if reply.text.strip() else []
        if not parts:
            raise PermanentDeliveryError("empty message")
        if len(parts) > 1:
            log.warning("telegram outbox: an edit longer than one message keeps its first part only")
        markup = keyboard(reply.buttons)
        try:
            try:
                await self.bot.edit_message_text(
                    parts[0],
                    chat_id=chat_id,
                    message_id=target,
                    parse_mode=ParseMode.HTML,
                    reply_markup=markup,
                )
            except BadRequest as exc:
                if "can't parse entities" not in exc.message.lower():
                    raise
                log.error("telegram outbox: markup refused (%s); edited as plain text", exc.message)
                await self.bot.edit_message_text(
                    to_plain(parts[0]), chat_id=chat_id, message_id=target, reply_markup=markup
                )
        except BadRequest as exc:
            if "message is not modified" in exc.message.lower():
                return  # Already shows this reply (an edit applied twice after a lost mark).
            raise telegram_delivery_error(exc) from None
        except TelegramError as exc:
            raise telegram_delivery_error(exc) from None


def telegram_delivery_error(
    exc: TelegramError,
) -> RetryLaterError | RecipientGoneError | ChatMovedError | PermanentDeliveryError:
    """The neutral delivery error for a PTB error (messages are Telegram's descriptions, never user text)."""
    if isinstance(exc, RetryAfter):
        return RateLimitedError(f"429: {exc.message}", _retry_seconds(exc))
    if isinstance(exc, ChatMigrated):
        return ChatMovedError("group became a supergroup", str(exc.new_chat_id))
    if isinstance(exc, Forbidden):
        return RecipientGoneError(f"403: {exc.message}")
    if isinstance(exc, BadRequest):
        reason = f"400: {exc.message}"
        if any(marker in exc.message.lower() for marker in _TELEGRAM_GONE):
            return RecipientGoneError(reason)
        return PermanentDeliveryError(reason)
    if isinstance(exc, TimedOut):
        # It may have been delivered; the retry counts as a possible duplicate (attempts > 1).
        return RetryLaterError("timed out")
    if isinstance(exc, NetworkError):
        return RetryLaterError(f"network: {exc.message}")
    if isinstance(exc, InvalidToken):
        # A configuration mistake: keep the rows for after the fix (max_attempts still bounds it).
        return RetryLaterError("invalid token")
    return RetryLaterError(f"{type(exc).__name__}: {exc.message}")


def _retry_seconds(exc: RetryAfter) -> float:
    value: object = getattr(exc, "_retry_after", None)
    if not isinstance(value, timedelta):
        with warnings.catch_warnings():
            # PTB 22 warns that the int form of retry_after is deprecated; both forms are read.
            warnings.simplefilter("ignore")
            value = exc.retry_after
    if isinstance(value, timedelta):
        return value.total_seconds()
    return float(value) if isinstance(value, int | float) else 1.0
