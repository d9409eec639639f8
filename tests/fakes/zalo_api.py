"""A loopback fake of the Zalo Bot Platform API, speaking its wire format.

It serves ``/bot<token>/<method>`` on 127.0.0.1 at a random port. Like the real API it answers every
call with ``{ok, result}`` or ``{ok: false, error_code, description}``; getUpdates hands out ONE update
per call, waits (long poll) and ends an idle poll with HTTP 408; message ids are hex strings and dates
are milliseconds; sendMessage refuses empty text or more than 2000 characters (counted after NFC).
setWebhook makes it POST each event as ``{ok: true, result: {event_name, message}}`` with the secret in
``X-Bot-Api-Secret-Token``. Faults (rate limit, 5xx, refusals, slow answers) can be injected per method
and chat. Error descriptions are plausible, not verbatim copies of Zalo's.

A long poll whose client went away is NOT ended: like an aiohttp server (and plausibly Zalo's), the fake
keeps waiting and hands the next update to the dead connection. getUpdates has no offset to confirm
with, so that update is lost; the losses the fake can see are kept in :attr:`FakeZalo.lost`. This is what
makes a client that abandons its poll (on stop, say) lose messages, as it would in production.
"""

from __future__ import annotations

import asyncio
import secrets
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from aiohttp import web

from tests.fakes.loopback import LoopbackApi, current_via

JSON = dict[str, Any]

TEXT_LIMIT = 2000
SECRET_HEADER = "X-Bot-Api-Secret-Token"
TEXT_EVENT = "message.text.received"
IMAGE_EVENT = "message.image.received"
STICKER_EVENT = "message.sticker.received"


def hex_id() -> str:
    """A message or chat id shaped like Zalo's (20 hex digits)."""
    return secrets.token_hex(10)


def now_ms() -> int:
    """The current time in milliseconds, as Zalo dates are."""
    return int(time.time() * 1000)


class ApiError(Exception):
    """An error answer: ``{ok: false, error_code, description}`` with an HTTP status."""

    def __init__(self, code: int, description: str, status: int | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.status = code if status is None else status

    def body(self) -> JSON:
        """The JSON body of the error."""
        return {"ok": False, "error_code": self.code, "description": self.description}


@dataclass(frozen=True, slots=True)
class Fault:
    """What an injected call answers instead of its normal result (code 0: answer normally)."""

    code: int = 0
    description: str = ""
    status: int | None = None
    """HTTP status of the error answer (default: the error code; 200 models ``ok: false`` on HTTP 200)."""
    delay: float = 0.0

    @classmethod
    def rate_limited(cls) -> Fault:
        """429 Too Many Requests."""
        return cls(429, "Too Many Requests")

    @classmethod
    def server_error(cls, code: int = 500) -> Fault:
        """A 5xx answer."""
        return cls(code, "Internal Server Error" if code == 500 else "Bad Gateway")

    @classmethod
    def bad_request(cls, description: str = "Bad Request") -> Fault:
        """400, which retrying does not fix."""
        return cls(400, description)

    @classmethod
    def forbidden(cls) -> Fault:
        """403, as for a chat that does not accept the bot's messages."""
        return cls(403, "Forbidden: user has blocked the bot")

    @classmethod
    def slow(cls, seconds: float) -> Fault:
        """Answer normally, but only after ``seconds``."""
        return cls(delay=seconds)


@dataclass(slots=True)
class _Injection:
    fault: Fault
    remaining: int | None
    chat_id: str | None


@dataclass(frozen=True, slots=True)
class Call:
    """One request the bot made, and the HTTP status it got."""

    method: str
    params: JSON
    at: float
    status: int
    via: str = field(default_factory=current_via)
    """The name the calling process gave in its base URL (see :func:`tests.fakes.loopback.current_via`)."""


@dataclass(frozen=True, slots=True)
class SentMessage:
    """A message (text or photo) the bot sent."""

    message_id: str
    chat_id: str
    text: str
    """The text, or a photo's caption."""
    photo: str | None = None
    at: float = field(default_factory=time.monotonic)


class FakeZalo(LoopbackApi):
    """The fake Zalo Bot API server; use as ``async with FakeZalo() as zalo:``."""

    # Pinned, not left to aiohttp's default: a client going away must not end its long poll.
    RUNNER_OPTIONS: ClassVar[dict[str, Any]] = {"handler_cancellation": False}
    DELIVERY_TIMEOUT: ClassVar[float] = 10.0

    def __init__(
        self,
        token: str = "1459232241454765289:fake-zalo-token",
        *,
        display_name: str = "Bot Một Cửa",
        account_name: str = "bot.MotCuaTest",
    ) -> None:
        super().__init__()
        self.token = token
        self.bot_id = token.split(":", 1)[0]
        self.display_name = display_name
        self.account_name = account_name
        self.calls: list[Call] = []
        self.sent: list[SentMessage] = []
        self.webhook_url = ""
        self.webhook_secret = ""
        self.webhook_deliveries: list[tuple[str, int]] = []
        """(message_id or event name, HTTP status) of each webhook POST."""
        self.blocked_chats: set[str] = set()
        self.idle_polls = 0
        self.waiting_polls = 0
        self.lost: list[JSON] = []
        """Updates handed to a getUpdates whose client had already gone."""
        self._updates: list[JSON] = []
        self._known_chats: set[str] = set()
        self._injections: dict[str, list[_Injection]] = {}
        self._methods: dict[str, Callable[[JSON], Any]] = {
            "getme": self._get_me,
            "getupdates": self._get_updates,
            "setwebhook": self._set_webhook,
            "deletewebhook": self._delete_webhook,
            "getwebhookinfo": self._get_webhook_info,
            "sendmessage": self._send_message,
            "sendphoto": self._send_photo,
            "sendchataction": self._send_chat_action,
        }

    # --- addresses -------------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """What to give ``ZaloConfig.base_url``."""
        return f"http://127.0.0.1:{self._port}"

    # --- test controls ---------------------------------------------------------------------------

    def inject(self, method: str, fault: Fault, *, times: int | None = 1, chat_id: str | None = None) -> None:
        """Answer the next ``times`` calls of ``method`` (None: all) with ``fault``, maybe for one chat."""
        self._injections.setdefault(method.lower(), []).append(_Injection(fault, times, chat_id))

    def block(self, chat_id: str) -> None:
        """Make every send to ``chat_id`` fail with 403."""
        self.blocked_chats.add(chat_id)

    def add_chat(self, chat_id: str) -> None:
        """Make a chat known, as if its user had written to the bot before (needed to send to it)."""
        self._known_chats.add(chat_id)

    def message(
        self,
        chat_id: str,
        *,
        user_id: str | None = None,
        chat_type: str = "PRIVATE",
        display_name: str = "Dân",
        **content: Any,
    ) -> JSON:
        """A message object as Zalo sends it (``content``: text, photo, caption, sticker...)."""
        self._known_chats.add(chat_id)
        return {
            "from": {"id": user_id or chat_id, "display_name": display_name, "is_bot": False},
            "chat": {"id": chat_id, "chat_type": chat_type},
            "message_id": hex_id(),
            "date": now_ms(),
            **content,
        }

    def push_text(
        self, chat_id: str, text: str, *, user_id: str | None = None, chat_type: str = "PRIVATE"
    ) -> str:
        """Queue (or deliver) a user's text; return its message_id."""
        message = self.message(chat_id, user_id=user_id, chat_type=chat_type, text=text)
        self.push_event(TEXT_EVENT, message)
        return str(message["message_id"])

    def text_update(self, chat_id: str, text: str, *, user_id: str | None = None) -> JSON:
        """A private text message as the webhook body Zalo POSTs; not delivered (see :meth:`post`)."""
        message = self.message(chat_id, user_id=user_id, text=text)
        return {"ok": True, "result": {"event_name": TEXT_EVENT, "message": message}}

    def webhook_headers(self) -> dict[str, str]:
        """The headers of a webhook POST: the secret the bot registered with setWebhook."""
        return {SECRET_HEADER: self.webhook_secret}

    def push_image(self, chat_id: str, caption: str = "") -> str:
        """Queue (or deliver) a photo from a user; return its message_id."""
        content: JSON = {"photo": "https://photo.zalo.example/abc.jpg"}
        if caption:
            content["caption"] = caption
        message = self.message(chat_id, **content)
        self.push_event(IMAGE_EVENT, message)
        return str(message["message_id"])

    def push_sticker(self, chat_id: str) -> str:
        """Queue (or deliver) a sticker; return its message_id."""
        message = self.message(chat_id, sticker="0e078a2fb66a5f34067b", url="https://sticker.zalo.example/1")
        self.push_event(STICKER_EVENT, message)
        return str(message["message_id"])

    def push_event(self, event_name: str, message: JSON | None = None) -> JSON:
        """Queue (or deliver) any event as is, e.g. an unknown ``event_name``; return it."""
        event: JSON = {"event_name": event_name}
        if message is not None:
            event["message"] = message
        if self.webhook_url:
            self._spawn(self._deliver(event))
        else:
            self._updates.append(event)
            self._pulse()
        return event

    def redeliver(self, event: JSON) -> None:
        """POST an event to the webhook again, as Zalo does when it did not get a 2xx in time."""
        self._spawn(self._deliver(event))

    @property
    def pending(self) -> list[JSON]:
        """Events not yet handed out by getUpdates."""
        return list(self._updates)

    def messages_to(self, chat_id: str) -> list[SentMessage]:
        """Messages sent to ``chat_id`` so far, in order."""
        return [m for m in self.sent if m.chat_id == chat_id]

    async def wait_messages(self, chat_id: str, count: int, within: float = 3.0) -> list[SentMessage]:
        """Wait until at least ``count`` messages were sent to ``chat_id``; return them all."""
        return await self.wait_for(
            lambda: msgs if len(msgs := self.messages_to(chat_id)) >= count else None, within
        )

    def calls_of(self, method: str) -> list[Call]:
        """Recorded calls of one method."""
        return [c for c in self.calls if c.method.lower() == method.lower()]

    # --- HTTP ------------------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if request.match_info["token"] != self.token:
            return self._record(method, {}, ApiError(401, "Unauthorized"))
        params: JSON = dict(request.query)
        if request.can_read_body:
            try:
                body = await request.json()
            except ValueError:
                return self._record(method, params, ApiError(400, "Bad Request: invalid JSON"))
            if not isinstance(body, dict):
                return self._record(method, params, ApiError(400, "Bad Request: invalid JSON"))
            params.update(body)
        fault = self._take_injection(method, params)
        if fault is not None:
            if fault.delay:
                await asyncio.sleep(fault.delay)
            if fault.code:
                return self._record(method, params, ApiError(fault.code, fault.description, fault.status))
        implementation = self._methods.get(method.lower())
        if implementation is None:
            return self._record(method, params, ApiError(404, "Not Found"))
        try:
            result = await implementation(params)
        except ApiError as exc:
            return self._record(method, params, exc)
        if method.lower() == "getupdates" and (request.transport is None or request.transport.is_closing()):
            self.lost.append(result)
        return self._record(method, params, result)

    def _record(self, method: str, params: JSON, outcome: Any) -> web.Response:
        if isinstance(outcome, ApiError):
            status, body = outcome.status, outcome.body()
        else:
            status, body = 200, {"ok": True, "result": outcome}
        self.calls.append(Call(method, params, time.monotonic(), status))
        self._pulse()
        return web.json_response(body, status=status)

    def _take_injection(self, method: str, params: JSON) -> Fault | None:
        chat_id = params.get("chat_id")
        for injection in self._injections.get(method.lower(), []):
            if injection.remaining == 0 or (injection.chat_id is not None and injection.chat_id != chat_id):
                continue
            if injection.remaining is not None:
                injection.remaining -= 1
            return injection.fault
        return None

    async def _deliver(self, event: JSON) -> None:
        assert self._session is not None
        message = event.get("message")
        key = str(message.get("message_id")) if isinstance(message, dict) else str(event["event_name"])
        headers = {SECRET_HEADER: self.webhook_secret}
        try:
            async with self._session.post(
                self.webhook_url, json={"ok": True, "result": event}, headers=headers
            ) as response:
                status = response.status
        except (OSError, TimeoutError):
            status = 0
        self.webhook_deliveries.append((key, status))
        self._pulse()

    # --- methods ---------------------------------------------------------------------------------

    async def _get_me(self, params: JSON) -> JSON:
        me: JSON = {
            "id": self.bot_id,
            "account_name": self.account_name,
            "account_type": "BASIC",
            "can_join_groups": True,
        }
        # The public getMe sample has no display_name: an empty one leaves the key out likewise.
        if self.display_name:
            me["display_name"] = self.display_name
        return me

    async def _get_updates(self, params: JSON) -> JSON:
        if self.webhook_url:
            raise ApiError(400, "Bad Request: webhook is active, use deleteWebhook before getUpdates")
        try:
            timeout = float(str(params.get("timeout", "30")))
        except ValueError as exc:
            raise ApiError(400, "Bad Request: invalid timeout") from exc
        deadline = time.monotonic() + timeout
        announced = False
        while True:
            if self._updates:
                return self._updates.pop(0)
            if self._closing or time.monotonic() >= deadline:
                self.idle_polls += 1
                raise ApiError(408, "Request timeout")
            self.waiting_polls += 1
            if not announced:
                announced = True
                self._pulse()
            changed = self._changed
            try:
                await asyncio.wait_for(changed.wait(), deadline - time.monotonic())
            except TimeoutError:
                continue
            finally:
                self.waiting_polls -= 1

    async def _set_webhook(self, params: JSON) -> JSON:
        url = str(params.get("url") or "")
        secret = str(params.get("secret_token") or "")
        if not url.startswith(("https://", "http://127.0.0.1")):
            raise ApiError(400, "Bad Request: url must be HTTPS")
        if not 8 <= len(secret) <= 256:
            raise ApiError(400, "Bad Request: secret_token must be 8-256 characters")
        self.webhook_url, self.webhook_secret = url, secret
        pending, self._updates = self._updates, []
        for event in pending:
            self._spawn(self._deliver(event))
        self._pulse()
        return {"url": url, "updated_at": now_ms()}

    async def _delete_webhook(self, params: JSON) -> JSON:
        self.webhook_url, self.webhook_secret = "", ""
        return {"url": "", "updated_at": now_ms()}

    async def _get_webhook_info(self, params: JSON) -> JSON:
        if not self.webhook_url:
            raise ApiError(404, "Not Found")
        return {"url": self.webhook_url, "updated_at": now_ms()}

    def _chat(self, params: JSON) -> str:
        chat_id = params.get("chat_id")
        if not isinstance(chat_id, str) or not chat_id:
            raise ApiError(400, "Bad Request: chat_id is required")
        if chat_id in self.blocked_chats:
            raise ApiError(403, "Forbidden: user has blocked the bot")
        if chat_id not in self._known_chats:
            raise ApiError(400, "Bad Request: chat not found")
        return chat_id

    async def _send_message(self, params: JSON) -> JSON:
        chat_id = self._chat(params)
        text = params.get("text")
        if not isinstance(text, str) or not text.strip():
            raise ApiError(400, "Bad Request: text is required")
        if len(unicodedata.normalize("NFC", text)) > TEXT_LIMIT:
            raise ApiError(400, "Bad Request: text must be 1-2000 characters")
        return self._store(chat_id, text, None)

    async def _send_photo(self, params: JSON) -> JSON:
        chat_id = self._chat(params)
        photo = params.get("photo")
        if not isinstance(photo, str) or not photo.startswith(("https://", "http://")):
            raise ApiError(400, "Bad Request: photo must be a URL")
        caption = params.get("caption", "")
        if not isinstance(caption, str) or len(unicodedata.normalize("NFC", caption)) > TEXT_LIMIT:
            raise ApiError(400, "Bad Request: caption must be 1-2000 characters")
        return self._store(chat_id, caption, photo)

    async def _send_chat_action(self, params: JSON) -> None:
        self._chat(params)
        if params.get("action") not in ("typing", "upload_photo"):
            raise ApiError(400, "Bad Request: invalid action")

    def _store(self, chat_id: str, text: str, photo: str | None) -> JSON:
        sent = SentMessage(hex_id(), chat_id, text, photo)
        self.sent.append(sent)
        return {"message_id": sent.message_id, "date": now_ms()}
