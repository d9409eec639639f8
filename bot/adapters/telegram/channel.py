"""The Telegram channel: python-telegram-bot's Application in, neutral messages through the core, HTML out."""

from __future__ import annotations

import asyncio
import logging
import re
import traceback
import warnings
from collections.abc import Awaitable, Callable
from typing import Any
from zoneinfo import ZoneInfo

from telegram import (
    Bot,
    CallbackQuery,
    Chat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    MessageEntity,
    ReplyParameters,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackContext,
    Defaults,
    TypeHandler,
)
from telegram.warnings import PTBUserWarning

from bot import texts
from bot.adapters import ChannelError
from bot.adapters.chats import ChatSerializer
from bot.adapters.platform_ids import telegram_ids_valid
from bot.adapters.telegram.request import AiohttpRequest, TolerantUpdatesRequest, withhold_unparsed_batches
from bot.config import TelegramConfig
from bot.markup import split, to_plain
from bot.messages import Button, ChatRef, Incoming, Platform, Reply

log = logging.getLogger(__name__)

# PTB warns when a method it wraps goes through do_api_request; we do it on purpose (see _post_message).
warnings.filterwarnings("ignore", message=r"Please use 'Bot\.sendMessage' instead", category=PTBUserWarning)

Answer = Callable[[Incoming], Awaitable[list[Reply]]]
TgApplication = Application[Any, Any, Any, Any, Any, Any]

TELEGRAM_AUTH_HEADER = "X-Telegram-Bot-Api-Secret-Token"
TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_DATA_LIMIT = 64
# Edited messages are left out on purpose: the original was already answered, and answering every
# correction again would flood the chat.
ALLOWED_UPDATES = ("message", "callback_query")
_GROUP_TYPES = frozenset({Chat.GROUP, Chat.SUPERGROUP})


def to_incoming(update: Update, *, bot_username: str = "", bot_id: int = 0) -> Incoming | None:
    """Map a Telegram update to a neutral message; None for what the bot ignores."""
    if not telegram_ids_valid(update):
        return None
    if not bot_username or not bot_id:
        bot_username, bot_id = _identity(update, bot_username, bot_id)
    try:
        if update.callback_query is not None:
            return _from_callback(update.update_id, update.callback_query)
        if update.message is not None:
            return _from_message(update.update_id, update.message, bot_username, bot_id)
    except (AttributeError, TypeError, ValueError, KeyError, RuntimeError):
        # PTB objects built from odd JSON may lack fields their types promise.
        log.warning("telegram update %s could not be read; ignored", update.update_id)
    return None


def _identity(update: Update, username: str, bot_id: int) -> tuple[str, int]:
    try:
        bot = update.get_bot()
        return username or bot.username, bot_id or bot.id
    except RuntimeError:
        return username, bot_id


def _from_callback(update_id: int, query: CallbackQuery) -> Incoming | None:
    data, message, user = query.data, query.message, query.from_user
    if not isinstance(data, str) or not data or message is None or user is None or user.is_bot:
        return None
    chat = message.chat
    if chat.type == Chat.CHANNEL:
        return None
    return Incoming(
        chat=ChatRef(Platform.TELEGRAM, str(chat.id), chat.type in _GROUP_TYPES),
        user_id=str(user.id),
        payload=data,
        event_id=str(update_id),
        user_name=user.full_name,
    )


def _from_message(update_id: int, message: Message, username: str, bot_id: int) -> Incoming | None:
    user, chat = message.from_user, message.chat
    if user is None or user.is_bot or chat.type == Chat.CHANNEL:
        return None
    text = message.text or message.caption or ""
    # Media without a caption still reaches the core (it says it reads text only); service messages
    # (members joining, pins...) carry neither text nor an attachment and are ignored.
    if not text.strip() and (text or message.effective_attachment is None):
        return None
    is_group = chat.type in _GROUP_TYPES
    addressed = True
    if is_group:
        entities = message.parse_entities() if message.text else message.parse_caption_entities()
        addressed = _is_addressed(message, entities, username, bot_id)
        if username:
            text = re.sub(rf"(?<![\w/])@{re.escape(username)}\b ?", "", text, flags=re.IGNORECASE).strip()
    return Incoming(
        chat=ChatRef(Platform.TELEGRAM, str(chat.id), is_group),
        user_id=str(user.id),
        text=text,
        event_id=str(update_id),
        user_name=user.full_name,
        addressed=addressed,
    )


def _is_addressed(message: Message, entities: dict[MessageEntity, str], username: str, bot_id: int) -> bool:
    """In a group: a command (for us or for every bot), an @mention of us, or a reply to us."""
    me = username.lower()
    for entity, value in entities.items():
        if entity.type == MessageEntity.BOT_COMMAND and entity.offset == 0:
            _, _, target = value.partition("@")
            if not target or (me and target.lower() == me):
                return True
        mentioned = entity.type == MessageEntity.MENTION and bool(me) and value.lower() == f"@{me}"
        named = (
            entity.type == MessageEntity.TEXT_MENTION and entity.user is not None and entity.user.id == bot_id
        )
        if mentioned or named:
            return True
    replied = message.reply_to_message
    return bool(replied and replied.from_user and bot_id and replied.from_user.id == bot_id)


def keyboard(buttons: tuple[Button, ...]) -> InlineKeyboardMarkup | None:
    """One inline button per row; a payload Telegram would refuse (> 64 bytes) is left out and logged."""
    rows = []
    for button in buttons:
        if not 1 <= len(button.payload.encode("utf-8")) <= CALLBACK_DATA_LIMIT:
            log.error(
                "button payload of %d bytes does not fit Telegram's callback data; left out",
                len(button.payload.encode("utf-8")),
            )
            continue
        rows.append([InlineKeyboardButton(button.label, callback_data=button.payload)])
    return InlineKeyboardMarkup(rows) if rows else None


def parse_update(data: object, bot: Bot) -> Update | None:
    """Build an Update from a webhook body; None (logged) when it is not a readable update."""
    if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
        return None
    try:
        return Update.de_json(data, bot)
    except (AttributeError, TypeError, ValueError, KeyError):
        log.warning("telegram update %s is malformed; ignored", data["update_id"])
        return None


def telegram_update_id(body: dict[str, Any]) -> str | None:
    """The de-duplication key of a Telegram webhook body; None when it is not an update."""
    update_id = body.get("update_id")
    return str(update_id) if isinstance(update_id, int) and not isinstance(update_id, bool) else None


def build_application(config: TelegramConfig, timezone: str, *, concurrency: int = 32) -> TgApplication:
    """The real PTB Application for our settings (no JobQueue, no persistence, no built-in webhook server)."""
    # Each update being answered holds at most one connection at a time; the rest serve callback acks.
    pool = max(2 * concurrency, 8)
    builder = (
        ApplicationBuilder()
        .token(config.token)
        .request(AiohttpRequest(connection_pool_size=pool))
        .get_updates_request(TolerantUpdatesRequest(connection_pool_size=1))
        .base_url(config.base_url)
        .base_file_url(config.base_file_url)
        .rate_limiter(AIORateLimiter(max_retries=config.rate_limiter_retries))
        .defaults(Defaults(tzinfo=ZoneInfo(timezone), parse_mode=ParseMode.HTML))
        .concurrent_updates(concurrency)
        .job_queue(None)
    )
    if config.mode == "webhook":
        builder = builder.updater(None)
    else:
        withhold_unparsed_batches()
    return builder.build()


class TelegramChannel:
    """Receives Telegram updates, asks the core for replies and sends them back."""

    def __init__(
        self,
        config: TelegramConfig,
        answer: Answer,
        *,
        timezone: str = "Asia/Ho_Chi_Minh",
        poll_timeout: int = 30,
        send_retries: int = 2,
        retry_delay: float = 1.0,
        concurrency: int = 32,
        answer_unaddressed: bool = False,
    ) -> None:
        self.config = config
        self.application = build_application(config, timezone, concurrency=concurrency)
        self._answer = answer
        self._poll_timeout = poll_timeout
        self._send_retries = send_retries
        self._retry_delay = retry_delay
        self._answer_unaddressed = answer_unaddressed
        self._chats = ChatSerializer()
        self.application.add_handler(TypeHandler(Update, self._on_update))
        self.application.add_error_handler(self._on_error)

    @property
    def bot(self) -> Bot:
        """The application's bot."""
        bot: Bot = self.application.bot
        return bot

    async def start(self) -> None:
        """Initialise (getMe), start processing, then poll or register the webhook.

        Raises :class:`bot.adapters.ChannelError` when Telegram refuses or cannot be reached.
        """
        try:
            await self._start()
        except TelegramError as exc:
            # PTB quotes the token in InvalidToken's message.
            reason = str(exc).replace(self.config.token, "<token>")
            raise ChannelError(f"telegram: {type(exc).__name__}: {reason}") from None

    async def _start(self) -> None:
        app = self.application
        await app.initialize()
        await app.start()
        if self.config.mode == "webhook":
            await app.bot.set_webhook(
                url=self.config.webhook_url,
                secret_token=self.config.webhook_secret,
                allowed_updates=list(ALLOWED_UPDATES),
                drop_pending_updates=False,
            )
            log.info("telegram: webhook registered, serving as @%s", app.bot.username)
        else:
            assert app.updater is not None
            # Pending updates are kept: they are what residents sent while the bot was down.
            await app.updater.start_polling(
                timeout=self._poll_timeout,
                allowed_updates=list(ALLOWED_UPDATES),
                drop_pending_updates=False,
                error_callback=self._on_polling_error,
            )
            log.info("telegram: polling as @%s", app.bot.username)

    async def stop(self) -> None:
        """Stop receiving, finish the updates in flight, then release the HTTP clients."""
        app = self.application
        if app.updater is not None and app.updater.running:
            await app.updater.stop()
        if app.running:
            await app.stop()
        await app.shutdown()

    async def feed(self, data: dict[str, Any]) -> None:
        """Queue one webhook update body for processing."""
        update = parse_update(data, self.application.bot)
        if update is not None:
            await self.application.update_queue.put(update)

    async def _on_update(self, update: Update, context: CallbackContext[Any, Any, Any, Any]) -> None:
        bot = self.application.bot
        msg = to_incoming(update, bot_username=bot.username, bot_id=bot.id)
        wanted = msg is not None and (msg.addressed or self._answer_unaddressed)
        if msg is None or not wanted:
            if update.callback_query is not None:
                await self._acknowledge(update.callback_query)
            return
        reply_to = update.message.message_id if msg.chat.is_group and update.message is not None else None
        # The chat's turn is taken before the first await, so its updates are answered in arrival order.
        async with self._chats.turn(msg.chat.key):
            if update.callback_query is not None:
                await self._acknowledge(update.callback_query)
            try:
                replies = await self._answer(msg)
            except Exception:
                # The resident hears that something went wrong; the error handler logs the bug.
                await self.deliver(int(msg.chat.chat_id), [Reply(texts.ERROR)], reply_to=reply_to)
                raise
            await self.deliver(int(msg.chat.chat_id), replies, reply_to=reply_to)

    async def _acknowledge(self, query: CallbackQuery) -> None:
        try:
            await query.answer()
        except TelegramError as exc:
            log.info("telegram: callback query not acknowledged: %s", type(exc).__name__)

    async def deliver(
        self, chat_id: int, replies: list[Reply], *, reply_to: int | None = None, migrated: bool = False
    ) -> None:
        """Send replies to one chat; a chat that blocked the bot or vanished is logged and skipped."""
        sent = 0
        try:
            for reply in replies:
                await self._send_reply(chat_id, reply, reply_to)
                reply_to = None
                sent += 1
        except ChatMigrated as exc:
            log.info("telegram: chat %s became %s; replying there", chat_id, exc.new_chat_id)
            if not migrated:
                await self.deliver(int(exc.new_chat_id), replies[sent:], migrated=True)
        except Forbidden as exc:
            log.warning("telegram: chat %s refuses messages (%s); skipped", chat_id, _reason(exc))
        except BadRequest as exc:
            log.warning("telegram: chat %s: request refused (%s); skipped", chat_id, _reason(exc))
        except RetryAfter as exc:
            log.warning(
                "telegram: chat %s still rate limited after retries (%s); skipped", chat_id, _reason(exc)
            )
        except NetworkError as exc:
            log.warning("telegram: chat %s: network failure (%s); skipped", chat_id, type(exc).__name__)

    async def _send_reply(self, chat_id: int, reply: Reply, reply_to: int | None) -> None:
        markup = keyboard(reply.buttons)
        parts = split(reply.text, TEXT_LIMIT) if reply.text.strip() else []
        params = ReplyParameters(reply_to, allow_sending_without_reply=True) if reply_to else None
        if reply.image is not None:
            caption = parts[0] if len(parts) == 1 and len(parts[0]) <= CAPTION_LIMIT else None
            photo = reply.image
            await self._retrying(
                lambda: self.bot.send_photo(
                    chat_id,
                    photo,
                    caption=caption,
                    reply_markup=markup if caption else None,
                    reply_parameters=params,
                )
            )
            if caption is not None:
                return
            params = None
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            await self._send_text(chat_id, part, markup if last else None, params)
            params = None

    async def _send_text(
        self, chat_id: int, text: str, markup: InlineKeyboardMarkup | None, params: ReplyParameters | None
    ) -> None:
        try:
            await self._retrying(lambda: self._post_message(chat_id, text, ParseMode.HTML, markup, params))
        except BadRequest as exc:
            if "can't parse entities" not in str(exc).lower():
                raise
            # Our markup should always parse; if a part does not, plain text still reaches the user.
            log.error("telegram: reply markup refused (%s); sent as plain text", _reason(exc))
            plain = to_plain(text)
            await self._retrying(lambda: self._post_message(chat_id, plain, None, markup, params))

    async def _post_message(
        self,
        chat_id: int,
        text: str,
        parse_mode: str | None,
        markup: InlineKeyboardMarkup | None,
        params: ReplyParameters | None,
    ) -> None:
        """sendMessage without turning Telegram's answer into a Message object, which nothing here reads.

        ``send_message`` would build that Message for every part, a cost that shows under load
        (``bench/throughput.py`` gives today's figures). ``do_api_request`` goes through the same
        request object, rate limiter and error mapping; it skips the Defaults, so the parse mode is
        passed explicitly.
        """
        kwargs: dict[str, object] = {"chat_id": chat_id, "text": text}
        if parse_mode is not None:
            kwargs["parse_mode"] = parse_mode
        if markup is not None:
            kwargs["reply_markup"] = markup
        if params is not None:
            kwargs["reply_parameters"] = params
        await self.bot.do_api_request("sendMessage", api_kwargs=kwargs)

    async def _retrying(self, send: Callable[[], Awaitable[object]]) -> None:
        """Retry transient server and network failures; the rate limiter already retries 429s."""
        for attempt in range(self._send_retries + 1):
            try:
                await send()
                return
            except (BadRequest, TimedOut):
                # A timed-out send may have been delivered: never risk a duplicate.
                raise
            except NetworkError:
                if attempt == self._send_retries:
                    raise
                await asyncio.sleep(self._retry_delay * (2**attempt))

    async def _on_error(self, update: object, context: CallbackContext[Any, Any, Any, Any]) -> None:
        error = context.error
        update_id = update.update_id if isinstance(update, Update) else None
        frames = "".join(traceback.format_tb(error.__traceback__)) if error is not None else ""
        # The exception's message can quote user text, so only its type and the frames are logged.
        log.error("telegram: update %s failed with %s\n%s", update_id, type(error).__name__, frames)

    def _on_polling_error(self, error: TelegramError) -> None:
        log.warning("telegram: polling failed (%s: %s); retrying", type(error).__name__, _reason(error))


def _reason(error: TelegramError) -> str:
    """Telegram's own description (never user text)."""
    return error.message
