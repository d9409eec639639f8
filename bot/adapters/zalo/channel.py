"""The Zalo channel: events in by long polling or webhook; plain text and numbered choices out."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import json
import logging
import re
import traceback
from collections.abc import Awaitable, Callable, Sequence
from typing import Any
from urllib.parse import urlsplit

from bot import texts
from bot.adapters import ChannelError
from bot.adapters.chats import ChatSerializer
from bot.adapters.http_server import RecentKeys
from bot.adapters.platform_ids import zalo_ids_valid
from bot.adapters.zalo.client import (
    POLL_SLACK,
    BotInfo,
    ZaloClient,
    ZaloError,
    ZaloPermanentError,
    ZaloTimeoutError,
    ZaloTransientError,
)
from bot.config import ZaloConfig
from bot.markup import nfc_length, split, to_plain
from bot.messages import Button, ChatRef, Incoming, Platform, Reply
from bot.services.directives import may_acknowledge

log = logging.getLogger(__name__)

Answer = Callable[[Incoming], Awaitable[list[Reply]]]
ImageHost = Callable[[bytes], Awaitable[str | None]]

ZALO_AUTH_HEADER = "X-Bot-Api-Secret-Token"
TEXT_LIMIT = 2000
TEXT_EVENT = "message.text.received"
# Media the bot cannot read still reaches the core, which answers that it reads text only.
MEDIA_EVENTS = frozenset({"message.image.received", "message.sticker.received"})
GROUP = "GROUP"
TYPING_WAIT = 2.0


def unwrap(body: dict[str, Any]) -> dict[str, Any] | None:
    """The event inside a webhook body ``{ok, result: {event_name, message}}`` (a bare event is accepted)."""
    result = body.get("result") if "result" in body else body
    if isinstance(result, dict) and isinstance(result.get("event_name"), str):
        return result
    return None


def zalo_event_id(body: dict[str, Any]) -> str | None:
    """The de-duplication key of a Zalo webhook body; None when it is not a Zalo event."""
    event = unwrap(body)
    if event is None:
        return None
    message = event.get("message")
    message_id = message.get("message_id") if isinstance(message, dict) else None
    if isinstance(message_id, str) and message_id:
        return message_id
    # Events without a message id (unknown kinds) are keyed by content, so a redelivery still matches.
    digest = hashlib.sha256(json.dumps(event, sort_keys=True, default=str).encode("utf-8")).hexdigest()
    return f"{event['event_name']}:{digest[:32]}"


def to_incoming(event: dict[str, Any], *, bot_names: Sequence[str] = (), bot_id: str = "") -> Incoming | None:
    """Map a Zalo event to a neutral message; None for what the bot ignores.

    In a group the bot is addressed by a command or by ``@`` one of ``bot_names`` or its id.
    """
    name = event.get("event_name")
    message = event.get("message")
    if name not in MEDIA_EVENTS and name != TEXT_EVENT:
        return None
    if not isinstance(message, dict) or not zalo_ids_valid(message):
        return None
    chat, sender = message.get("chat"), message.get("from")
    if not isinstance(chat, dict) or not isinstance(sender, dict):
        return None
    chat_id, user_id = chat.get("id"), sender.get("id")
    if not isinstance(chat_id, str) or not chat_id or not isinstance(user_id, str | int):
        return None
    if sender.get("is_bot") is True or (bot_id and str(user_id) == bot_id):
        return None
    text = message.get("text") if name == TEXT_EVENT else ""
    if not isinstance(text, str):
        return None
    if name == TEXT_EVENT and not text.strip():
        return None
    is_group = str(chat.get("chat_type", "")).upper() == GROUP
    addressed = True
    if is_group:
        text, mentioned = _strip_mention(text, [*bot_names, bot_id])
        addressed = mentioned or text.lstrip().startswith("/")
    message_id = message.get("message_id")
    return Incoming(
        chat=ChatRef(Platform.ZALO, chat_id, is_group),
        user_id=str(user_id),
        text=text,
        event_id=message_id if isinstance(message_id, str) else "",
        user_name=str(sender.get("display_name") or sender.get("first_name") or ""),
        addressed=addressed,
    )


def _strip_mention(text: str, names: Sequence[str]) -> tuple[str, bool]:
    """Remove ``@<name>`` (any of ``names``) from a group message; report whether it was there."""
    names = [n for n in names if n]
    if not names:
        return text, False
    pattern = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
    stripped, count = re.subn(rf"(?<!\w)@(?:{pattern})(?!\w) ?", "", text, flags=re.IGNORECASE)
    return (stripped.strip(), True) if count else (text, False)


def render(replies: list[Reply]) -> list[tuple[str, bytes | None]]:
    """Plain text per reply; buttons become numbered lines ("1. label") counted across all replies."""
    rendered: list[tuple[str, bytes | None]] = []
    number = 0
    for reply in replies:
        text = to_plain(reply.text).strip()
        lines = []
        for button in reply.buttons:
            number += 1
            lines.append(f"{number}. {_label(button)}")
        if lines:
            text = f"{text}\n\n" + "\n".join(lines) if text else "\n".join(lines)
        rendered.append((text, reply.image))
    return rendered


def _label(button: Button) -> str:
    return " ".join(button.label.split())


class ZaloChannel:
    """Receives Zalo events (polling or webhook), asks the core for replies and sends them back."""

    def __init__(
        self,
        config: ZaloConfig,
        answer: Answer,
        *,
        client: ZaloClient | None = None,
        send_retries: int = 3,
        retry_delay: float = 1.0,
        max_backoff: float = 30.0,
        image_host: ImageHost | None = None,
        answer_unaddressed: bool = False,
        typing: bool = True,
        dedup_capacity: int = 10_000,
        replace_webhook: bool = False,
    ) -> None:
        self.config = config
        self.client = client or ZaloClient(config.token, config.base_url)
        self._answer = answer
        self._send_retries = send_retries
        self._retry_delay = retry_delay
        self._max_backoff = max_backoff
        self._image_host = image_host
        self._answer_unaddressed = answer_unaddressed
        self._typing = typing
        self._replace_webhook = replace_webhook
        self._seen = RecentKeys(dedup_capacity)
        self._chats = ChatSerializer()
        self._tasks: set[asyncio.Task[None]] = set()
        self._poller: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()
        self.me = BotInfo(id="")

    async def start(self) -> None:
        """Check the token (getMe), then register the webhook or start polling.

        Polling refuses to start while a webhook is set, unless ``replace_webhook`` is true.
        Raises :class:`bot.adapters.ChannelError` when Zalo refuses or cannot be reached.
        """
        try:
            self.me = await self.client.get_me()
            if self.config.mode == "webhook":
                await self.client.set_webhook(self.config.webhook_url, self.config.webhook_secret)
                log.info("zalo: webhook registered, serving as %s", self.me.account_name or self.me.id)
            else:
                await self._clear_webhook()
                self._stopping.clear()
                self._poller = asyncio.create_task(self._poll())
                log.info("zalo: polling as %s", self.me.account_name or self.me.id)
        except ZaloError as exc:
            await self.client.close()
            raise ChannelError(f"zalo: {type(exc).__name__}: {exc}") from None
        except ChannelError:
            await self.client.close()
            raise

    async def _clear_webhook(self) -> None:
        """Delete the webhook getUpdates needs gone, but never a live one by mistake."""
        url = await self._webhook_url()
        if url and not self._replace_webhook:
            # A polling instance started by mistake would otherwise cut the production webhook off.
            host = urlsplit(url).netloc or "?"
            raise ChannelError(
                f"zalo: a webhook is set (host {self.client.redact(host)}); polling would delete it. "
                'Use mode = "webhook", or delete the webhook first if polling is really meant.'
            )
        if url:
            log.warning("zalo: deleting the webhook set at %s to poll", urlsplit(url).netloc or "?")
        await self.client.delete_webhook()

    async def _webhook_url(self) -> str:
        try:
            info = await self.client.get_webhook_info()
        except ZaloPermanentError as exc:
            # Some deployments answer 404 when no webhook is set.
            if exc.code == 404:
                return ""
            raise
        url = info.get("url") if isinstance(info, dict) else None
        return url if isinstance(url, str) else ""

    async def stop(self) -> None:
        """Stop asking for updates, let the long poll in flight end and answer it, then close."""
        self._stopping.set()
        poller, self._poller = self._poller, None
        if poller is not None:
            # getUpdates has no offset: a poll abandoned here stays open on Zalo's side, takes the next
            # message and writes it to a dead connection. So the poll (at most poll_timeout seconds) is
            # awaited, not cancelled; only a forced stop (this coroutine cancelled) still cancels it.
            try:
                await asyncio.wait({poller}, timeout=self.config.poll_timeout + POLL_SLACK)
                if not poller.done():
                    log.warning("zalo: the last long poll did not end in time; cancelled")
            finally:
                if not poller.done():
                    poller.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await poller
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.client.close()

    async def feed(self, body: dict[str, Any]) -> None:
        """Process one webhook body (``{ok, result: {event_name, message}}``) to the end."""
        event = unwrap(body)
        if event is not None:
            await self.handle(event)

    async def handle(self, event: dict[str, Any]) -> None:
        """Answer one event once: de-duplicate on message_id, ask the core, send the replies in order."""
        name = event.get("event_name")
        message = event.get("message")
        message_id = message.get("message_id") if isinstance(message, dict) else None
        if isinstance(message_id, str) and message_id and not self._seen.add(message_id):
            log.info("zalo: duplicate message %s ignored", message_id)
            return
        # getMe may leave out display_name: the account name is how members mention the bot then.
        names = (self.me.display_name, self.me.account_name)
        msg = to_incoming(event, bot_names=names, bot_id=self.me.id)
        if msg is None:
            log.debug("zalo: event %s ignored", name if isinstance(name, str) else "?")
            return
        # In a group an acknowledgement needs no mention (Zalo users answer a directive as it asks);
        # the core stays silent unless it records one. Other chatter is not the bot's business.
        if not (msg.addressed or self._answer_unaddressed or may_acknowledge(msg.text)):
            return
        # The chat's turn is taken before the first await, so its messages are answered in arrival order.
        async with self._chats.turn(msg.chat.key):
            typing = await self._typing_for(msg.chat.chat_id)
            try:
                replies = await self._answer(msg)
            except Exception as exc:
                frames = "".join(traceback.format_tb(exc.__traceback__))
                # The exception's message can quote user text, so only its type and the frames are logged.
                log.error("zalo: message %s failed with %s\n%s", msg.event_id, type(exc).__name__, frames)
                replies = [Reply(texts.ERROR)]
            finally:
                if typing is not None:
                    typing.cancel()
            await self.deliver(msg.chat.chat_id, replies)

    async def _typing_for(self, chat_id: str) -> asyncio.TimerHandle | None:
        """Show the typing indicator now (delay 0) or once the answer turns out slow; a handle to cancel."""
        if not self._typing:
            return None
        delay = self.config.typing_delay
        if delay <= 0:
            await self._show_typing(chat_id)
            return None
        # Most answers take milliseconds: an indicator for each would double the API calls for nothing.
        return asyncio.get_running_loop().call_later(delay, self._start_typing, chat_id)

    def _start_typing(self, chat_id: str) -> None:
        self._spawn(self._show_typing(chat_id))

    async def deliver(self, chat_id: str, replies: list[Reply]) -> None:
        """Send replies to one chat in order; a chat Zalo refuses is logged and skipped."""
        try:
            for text, image in render(replies):
                await self._send_one(chat_id, text, image)
        except ZaloPermanentError as exc:
            log.warning(
                "zalo: chat %s: %s refused (%s %s); skipped", chat_id, exc.method, exc.code, exc.description
            )
        except ZaloTimeoutError as exc:
            log.warning("zalo: chat %s: %s timed out; not sent again in case it arrived", chat_id, exc.method)
        except ZaloTransientError as exc:
            log.warning(
                "zalo: chat %s: %s still failing (%s %s); skipped",
                chat_id,
                exc.method,
                exc.code,
                exc.description,
            )

    async def _send_one(self, chat_id: str, text: str, image: bytes | None) -> None:
        parts = split(text, TEXT_LIMIT, nfc_length) if text.strip() else []
        if image is not None:
            url = await self._host(image)
            if url is not None:
                caption = parts[0] if len(parts) == 1 else ""
                await self._retrying(functools.partial(self.client.send_photo, chat_id, url, caption))
                if caption:
                    return
        for part in parts:
            await self._retrying(functools.partial(self.client.send_message, chat_id, part))

    async def _host(self, image: bytes) -> str | None:
        # Zalo's sendPhoto takes a URL, not bytes: without somewhere public to put the image, only text goes.
        if self._image_host is None:
            log.warning("zalo: a reply has an image but no image host is configured; text only")
            return None
        return await self._image_host(image)

    async def _retrying(self, send: Callable[[], Awaitable[object]]) -> None:
        """Retry rate limits, server and network errors with bounded backoff; never a timed-out send."""
        for attempt in range(self._send_retries + 1):
            try:
                await send()
                return
            except ZaloTimeoutError:
                # The message may have been delivered: a retry could show it twice.
                raise
            except ZaloTransientError as exc:
                if attempt == self._send_retries:
                    raise
                delay = exc.retry_after if exc.retry_after is not None else self._retry_delay * 2**attempt
                await asyncio.sleep(min(delay, self._max_backoff))

    async def _show_typing(self, chat_id: str) -> None:
        try:
            # A courtesy only: a slow or failing indicator must not hold the answer back.
            await asyncio.wait_for(self.client.send_chat_action(chat_id, "typing"), TYPING_WAIT)
        except (ZaloError, TimeoutError) as exc:
            log.debug("zalo: typing indicator not shown (%s)", type(exc).__name__)

    async def _poll(self) -> None:
        """Ask for one update at a time until stopped; an idle poll (408) is normal."""
        failures = 0
        while not self._stopping.is_set():
            try:
                event = await self.client.get_updates(self.config.poll_timeout)
            except ZaloError as exc:
                failures += 1
                delay = min(self._retry_delay * 2 ** (failures - 1), self._max_backoff)
                level = logging.ERROR if isinstance(exc, ZaloPermanentError) else logging.WARNING
                log.log(
                    level,
                    "zalo: polling failed (%s %s); retrying in %.1f s",
                    exc.code,
                    exc.description,
                    delay,
                )
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), delay)
                continue
            failures = 0
            if event is not None:
                self._spawn(self.handle(event))

    def _spawn(self, coro: Awaitable[None]) -> None:
        task = asyncio.ensure_future(self._guarded(coro))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _guarded(self, coro: Awaitable[None]) -> None:
        try:
            await coro
        except Exception as exc:  # one bad event must not stop polling
            log.error("zalo: event failed with %s", type(exc).__name__)
