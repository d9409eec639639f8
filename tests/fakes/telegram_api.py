"""A loopback fake of the Telegram Bot API that speaks the wire format python-telegram-bot uses.

It serves ``/bot<token>/<method>`` on 127.0.0.1 with a random port, keeps the getUpdates queue with
Telegram's offset semantics, validates what the bot sends the way Telegram does (text length, HTML
parse mode, button data) and records it, delivers updates to a webhook when one is set, and can inject
429 / 403 / 5xx answers or slow replies. An opt-in limits mode (:meth:`FakeTelegram.enable_limits`)
enforces Telegram's send limits and answers 429 with ``parameters.retry_after`` when they are exceeded.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import math
import re
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.fakes.loopback import LoopbackApi, current_via

JSON = dict[str, Any]

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_DATA_LIMIT = 64
SUPPORTED_TAGS = frozenset(
    {
        "b",
        "strong",
        "i",
        "em",
        "u",
        "ins",
        "s",
        "strike",
        "del",
        "span",
        "tg-spoiler",
        "a",
        "tg-emoji",
        "code",
        "pre",
        "blockquote",
    }
)
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_ENTITY = re.compile(r"&(#[0-9]{1,7}|#x[0-9a-fA-F]{1,6}|[a-zA-Z]+);")
_TAG_NAME = re.compile(r"[a-zA-Z][a-zA-Z0-9-]*")
# Telegram leaves these out unless they are asked for explicitly.
_OPT_IN_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
_SECRET_TOKEN = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


class ApiError(Exception):
    """An error answer of the Bot API."""

    def __init__(self, code: int, description: str, parameters: JSON | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters

    def body(self) -> JSON:
        """The JSON body Telegram sends for this error."""
        body: JSON = {"ok": False, "error_code": self.code, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def bad_request(description: str) -> ApiError:
    """A 400 answer with Telegram's ``Bad Request:`` prefix."""
    return ApiError(400, f"Bad Request: {description}")


@dataclass(frozen=True, slots=True)
class Fault:
    """What an injected call answers instead of its normal result (status 0: answer normally)."""

    status: int = 0
    description: str = ""
    parameters: tuple[tuple[str, int], ...] = ()
    delay: float = 0.0

    @classmethod
    def too_many_requests(cls, retry_after: int = 1) -> Fault:
        """429 with ``parameters.retry_after``."""
        return cls(429, f"Too Many Requests: retry after {retry_after}", (("retry_after", retry_after),))

    @classmethod
    def migrated(cls, new_chat_id: int) -> Fault:
        """400 for a group that became a supergroup, with ``parameters.migrate_to_chat_id``."""
        return cls(
            400,
            "Bad Request: group chat was upgraded to a supergroup chat",
            (("migrate_to_chat_id", new_chat_id),),
        )

    @classmethod
    def blocked(cls) -> Fault:
        """403 as for a user who blocked the bot."""
        return cls(403, "Forbidden: bot was blocked by the user")

    @classmethod
    def server_error(cls, status: int = 500) -> Fault:
        """A 5xx answer."""
        return cls(status, "Internal Server Error" if status == 500 else "Bad Gateway")

    @classmethod
    def slow(cls, seconds: float) -> Fault:
        """Answer normally, but only after ``seconds``."""
        return cls(delay=seconds)


@dataclass(frozen=True, slots=True)
class SendLimits:
    """Telegram's send limits: overall per second, per chat per second, per group (negative id) per minute.

    ``tolerance`` (seconds) shortens each window a little, as Telegram tolerates a sender spaced exactly
    at the limit whose requests arrive with a few milliseconds of network jitter.
    """

    per_second: int = 30
    per_chat_per_second: int = 1
    group_per_minute: int = 20
    tolerance: float = 0.05


@dataclass(frozen=True, slots=True)
class Throttled:
    """A send refused with 429: when (monotonic), to which chat, which limit, and the retry_after given."""

    at: float
    chat_id: int
    limit: str
    retry_after: int


class _Limiter:
    """Sliding windows of accepted sends; :meth:`check` says which limit a new send would exceed."""

    def __init__(self, limits: SendLimits) -> None:
        self.limits = limits
        self._all: deque[float] = deque()
        self._chats: dict[int, deque[float]] = {}
        self._groups: dict[int, deque[float]] = {}

    def check(self, chat_id: int, now: float) -> tuple[str, float] | None:
        """(limit name, seconds until allowed) when a send now would exceed a limit, else None."""
        limits = self.limits
        windows = [
            ("global", self._all, limits.per_second, 1.0),
            ("chat", self._chats.setdefault(chat_id, deque()), limits.per_chat_per_second, 1.0),
        ]
        if chat_id < 0:
            windows.append(
                ("group", self._groups.setdefault(chat_id, deque()), limits.group_per_minute, 60.0)
            )
        for name, events, limit, period in windows:
            span = period - limits.tolerance
            while events and events[0] <= now - span:
                events.popleft()
            if limit > 0 and len(events) >= limit:
                return name, events[0] + span - now
        return None

    def record(self, chat_id: int, now: float) -> None:
        """Count an accepted send."""
        self._all.append(now)
        self._chats.setdefault(chat_id, deque()).append(now)
        if chat_id < 0:
            self._groups.setdefault(chat_id, deque()).append(now)


_LIMITED_METHODS = frozenset({"sendmessage", "sendphoto", "editmessagetext"})


@dataclass(slots=True)
class _Injection:
    fault: Fault
    remaining: int | None
    chat_id: int | None


@dataclass(frozen=True, slots=True)
class Call:
    """One request the bot made, and the HTTP status it got."""

    method: str
    params: JSON
    at: float
    status: int
    via: str = field(default_factory=current_via)
    """The name the calling process gave in its base URL (see :func:`tests.fakes.loopback.current_via`)."""


@dataclass(slots=True)
class SentMessage:
    """A message the bot sent, as Telegram stored it."""

    message_id: int
    chat_id: int
    text: str
    """The visible text, after HTML parsing."""
    raw: str
    """The text or caption exactly as the bot sent it."""
    parse_mode: str | None
    reply_markup: JSON | None
    reply_to_message_id: int | None
    photo: bool = False
    at: float = field(default_factory=time.monotonic)
    photo_data: bytes = b""
    """The uploaded photo's bytes (empty when sent by file_id or URL)."""
    edits: list[str] = field(default_factory=list)
    """The visible texts it showed before each editMessageText, oldest first (text is the current one)."""

    @property
    def buttons(self) -> list[tuple[str, str]]:
        """(label, callback_data) of the inline keyboard, row by row."""
        rows = (self.reply_markup or {}).get("inline_keyboard", [])
        return [(b["text"], b.get("callback_data", "")) for row in rows for b in row]


UPLOAD = "upload:"
"""Prefix of the parameter holding a multipart file's bytes (the field itself reads "<file>")."""


def visible_text(text: str) -> str:
    """Parse Telegram's HTML parse mode like the server does; raise the same 400 on malformed markup."""
    out: list[str] = []
    stack: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char == "<":
            # Worked out only here: for every character it made long replies quadratic to check.
            offset = len(text[:i].encode("utf-8"))
            end = text.find(">", i)
            if end < 0:
                raise bad_request(f"can't parse entities: Unclosed start tag at byte offset {offset}")
            inner = text[i + 1 : end]
            if inner.startswith("/"):
                name = inner[1:].strip().lower()
                if not stack:
                    raise bad_request(f"can't parse entities: Unexpected end tag at byte offset {offset}")
                if stack[-1] != name:
                    raise bad_request(
                        f"can't parse entities: Unmatched end tag at byte offset {offset}, "
                        f'expected "</{stack[-1]}>", found "</{name}>"'
                    )
                stack.pop()
            else:
                match = _TAG_NAME.match(inner)
                name = match.group(0).lower() if match else ""
                if name not in SUPPORTED_TAGS:
                    raise bad_request(
                        f'can\'t parse entities: Unsupported start tag "{name}" at byte offset {offset}'
                    )
                stack.append(name)
            i = end + 1
        elif char == "&" and (entity := _decode_entity(text, i)) is not None:
            out.append(entity[0])
            i = entity[1]
        else:
            # A lone "&" that starts no entity is kept as text, as Telegram does.
            out.append(char)
            i += 1
    if stack:
        raise bad_request(
            f"can't parse entities: Can't find end tag corresponding to start tag \"{stack[-1]}\""
        )
    return "".join(out)


def _decode_entity(text: str, start: int) -> tuple[str, int] | None:
    match = _ENTITY.match(text, start)
    if match is None:
        return None
    name = match.group(1)
    if name.startswith("#"):
        code = int(name[2:], 16) if name[1:2] in ("x", "X") else int(name[1:])
        return (chr(code), match.end()) if 0 < code <= 0x10FFFF else None
    decoded = _NAMED_ENTITIES.get(name)
    return (decoded, match.end()) if decoded is not None else None


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _entities(text: str) -> list[JSON]:
    """The bot_command and mention entities Telegram attaches to a user's text."""
    found: list[JSON] = []
    command = re.match(r"/[A-Za-z0-9_]+(@[A-Za-z0-9_]+)?", text)
    if command:
        found.append({"type": "bot_command", "offset": 0, "length": _utf16_len(command.group(0))})
    for mention in re.finditer(r"(?<![\w/])@[A-Za-z0-9_]{5,32}", text):
        found.append(
            {
                "type": "mention",
                "offset": _utf16_len(text[: mention.start()]),
                "length": _utf16_len(mention.group(0)),
            }
        )
    return found


class FakeTelegram(LoopbackApi):
    """The fake Bot API server; use as ``async with FakeTelegram() as tg:``."""

    def __init__(self, token: str = "123456:TEST-fake-token", *, username: str = "MotcuaTestBot") -> None:
        super().__init__()
        self.token = token
        self.bot_id = int(token.split(":", 1)[0])
        self.username = username
        self.calls: list[Call] = []
        self.sent: list[SentMessage] = []
        self.answered_callbacks: dict[str, JSON] = {}
        self.commands: list[JSON] = []
        self.webhook_url = ""
        self.webhook_secret = ""
        self.webhook_deliveries: list[tuple[int, int]] = []
        self.blocked_chats: set[int] = set()
        self.waiting_polls = 0
        self._updates: list[JSON] = []
        self._chats: dict[int, JSON] = {}
        self._callbacks: set[str] = set()
        self._injections: dict[str, list[_Injection]] = {}
        self._update_ids = itertools.count(1000)
        self._message_ids = itertools.count(1)
        self._limiter: _Limiter | None = None
        self._limit_clock: Callable[[], float] = time.monotonic
        self.throttled: list[Throttled] = []
        self._methods: dict[str, Callable[[JSON], Any]] = {
            "getme": self._get_me,
            "getupdates": self._get_updates,
            "sendmessage": self._send_message,
            "sendphoto": self._send_photo,
            "answercallbackquery": self._answer_callback_query,
            "editmessagereplymarkup": self._edit_message_reply_markup,
            "editmessagetext": self._edit_message_text,
            "setwebhook": self._set_webhook,
            "deletewebhook": self._delete_webhook,
            "getwebhookinfo": self._get_webhook_info,
            "setmycommands": self._set_my_commands,
        }

    # --- addresses -------------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """What to give ``ApplicationBuilder.base_url``."""
        return f"http://127.0.0.1:{self._port}/bot"

    @property
    def base_file_url(self) -> str:
        """What to give ``ApplicationBuilder.base_file_url``."""
        return f"http://127.0.0.1:{self._port}/file/bot"

    # --- test controls ---------------------------------------------------------------------------

    def inject(self, method: str, fault: Fault, *, times: int | None = 1, chat_id: int | None = None) -> None:
        """Answer the next ``times`` calls of ``method`` (None: all) with ``fault``, maybe for one chat."""
        self._injections.setdefault(method.lower(), []).append(_Injection(fault, times, chat_id))

    def enable_limits(
        self, limits: SendLimits | None = None, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        """Enforce Telegram's send limits from now on (off by default): exceeding answers 429.

        ``clock`` (seconds, monotonic) is injectable so tests decide how much time passes.
        """
        self._limiter = _Limiter(limits or SendLimits())
        self._limit_clock = clock
        self.throttled = []

    def block(self, chat_id: int) -> None:
        """Make every send to ``chat_id`` fail with 403 as for a user who blocked the bot."""
        self.blocked_chats.add(chat_id)

    def add_chat(self, chat_id: int, chat_type: str = "private", title: str = "Nhóm thử") -> JSON:
        """Make a chat known to the fake (it is implicit when a user writes from it)."""
        chat: JSON = {"id": chat_id, "type": chat_type}
        if chat_type == "private":
            chat["first_name"] = "Dân"
        else:
            chat["title"] = title
        self._chats[chat_id] = chat
        return chat

    def user(self, user_id: int, first_name: str = "Dân") -> JSON:
        """A user object as Telegram sends it."""
        return {"id": user_id, "is_bot": False, "first_name": first_name, "language_code": "vi"}

    def bot_user(self) -> JSON:
        """The bot's own user object."""
        return {"id": self.bot_id, "is_bot": True, "first_name": "Một cửa", "username": self.username}

    def push_text(
        self,
        chat_id: int,
        text: str,
        *,
        user_id: int | None = None,
        chat_type: str = "private",
        reply_to_bot: bool = False,
    ) -> int:
        """Queue a user's text message (with the entities Telegram computes); return its update_id."""
        return self.push_raw(
            self._text_message(chat_id, text, user_id=user_id, chat_type=chat_type, reply_to_bot=reply_to_bot)
        )

    def text_update(self, chat_id: int, text: str, *, user_id: int | None = None) -> JSON:
        """A private text message as the webhook body Telegram POSTs, with a new update_id; not delivered.

        For a test that delivers it itself (see :meth:`LoopbackApi.post` and :meth:`webhook_headers`).
        """
        return {"update_id": next(self._update_ids), **self._text_message(chat_id, text, user_id=user_id)}

    def webhook_headers(self) -> dict[str, str]:
        """The headers of a webhook POST: the secret the bot registered with setWebhook."""
        return {"X-Telegram-Bot-Api-Secret-Token": self.webhook_secret} if self.webhook_secret else {}

    def _text_message(
        self,
        chat_id: int,
        text: str,
        *,
        user_id: int | None = None,
        chat_type: str = "private",
        reply_to_bot: bool = False,
    ) -> JSON:
        chat = self._chats.get(chat_id) or self.add_chat(chat_id, chat_type)
        message: JSON = {
            "message_id": next(self._message_ids),
            "from": self.user(user_id if user_id is not None else abs(chat_id)),
            "chat": chat,
            "date": int(time.time()),
            "text": text,
        }
        if entities := _entities(text):
            message["entities"] = entities
        if reply_to_bot:
            message["reply_to_message"] = {
                "message_id": next(self._message_ids),
                "from": self.bot_user(),
                "chat": chat,
                "date": int(time.time()),
                "text": "…",
            }
        return {"message": message}

    def push_callback(self, chat_id: int, data: str, *, user_id: int | None = None) -> str:
        """Queue a press on an inline button of the bot's last message in the chat; return the query id."""
        chat = self._chats.get(chat_id) or self.add_chat(chat_id)
        last = next((m for m in reversed(self.sent) if m.chat_id == chat_id), None)
        message: JSON = {
            "message_id": last.message_id if last else next(self._message_ids),
            "from": self.bot_user(),
            "chat": chat,
            "date": int(time.time()),
            "text": last.text if last else "…",
        }
        if last and last.reply_markup:
            message["reply_markup"] = last.reply_markup
        query_id = str(next(self._update_ids) * 7919)
        self._callbacks.add(query_id)
        self.push_raw(
            {
                "callback_query": {
                    "id": query_id,
                    "from": self.user(user_id if user_id is not None else abs(chat_id)),
                    "chat_instance": f"ci{chat_id}",
                    "message": message,
                    "data": data,
                }
            }
        )
        return query_id

    def push_raw(self, update: JSON) -> int:
        """Queue any update body as is (an update_id is added when missing); return its update_id."""
        update = {"update_id": next(self._update_ids), **update}
        if self.webhook_url:
            self._spawn(self._deliver(update))
        else:
            self._updates.append(update)
            self._pulse()
        return int(update["update_id"])

    @property
    def pending(self) -> list[JSON]:
        """Updates not yet confirmed by a getUpdates offset."""
        return list(self._updates)

    def message(self, chat_id: int, message_id: int) -> SentMessage | None:
        """The bot's message ``message_id`` in ``chat_id`` as it is now (edits applied), if any."""
        return next((m for m in self.sent if m.chat_id == chat_id and m.message_id == message_id), None)

    def messages_to(self, chat_id: int) -> list[SentMessage]:
        """Messages sent to ``chat_id`` so far, in order."""
        return [m for m in self.sent if m.chat_id == chat_id]

    async def wait_messages(self, chat_id: int, count: int, within: float = 3.0) -> list[SentMessage]:
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
            return web.json_response(ApiError(401, "Unauthorized").body(), status=401)
        try:
            params = await _read_params(request)
        except ApiError as exc:
            return self._record(method, {}, exc)
        injection = self._take_injection(method, params)
        if injection is not None:
            if injection.delay:
                await asyncio.sleep(injection.delay)
            if injection.status:
                error = ApiError(injection.status, injection.description, dict(injection.parameters))
                return self._record(method, params, error)
        implementation = self._methods.get(method.lower())
        if implementation is None:
            return self._record(method, params, ApiError(404, "Not Found"))
        limited = self._limiter is not None and method.lower() in _LIMITED_METHODS
        chat_id = 0
        if limited:
            try:
                chat_id = _opt_int(params, "chat_id") or 0
            except ApiError as exc:
                return self._record(method, params, exc)
            if (refusal := self._throttle(chat_id)) is not None:
                return self._record(method, params, refusal)
        try:
            result = await implementation(params)
        except ApiError as exc:
            return self._record(method, params, exc)
        if limited and self._limiter is not None:
            self._limiter.record(chat_id, self._limit_clock())
        return self._record(method, params, result)

    def _throttle(self, chat_id: int) -> ApiError | None:
        """429 with ``retry_after`` (whole seconds, as Telegram gives) when a limit would be exceeded."""
        assert self._limiter is not None
        now = self._limit_clock()
        exceeded = self._limiter.check(chat_id, now)
        if exceeded is None:
            return None
        limit, wait = exceeded
        retry_after = max(1, math.ceil(wait))
        self.throttled.append(Throttled(now, chat_id, limit, retry_after))
        return ApiError(429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after})

    def _record(self, method: str, params: JSON, outcome: Any) -> web.Response:
        if isinstance(outcome, ApiError):
            status, body = outcome.code, outcome.body()
        else:
            status, body = 200, {"ok": True, "result": outcome}
        self.calls.append(Call(method, params, time.monotonic(), status))
        self._pulse()
        return web.json_response(body, status=status)

    def _take_injection(self, method: str, params: JSON) -> Fault | None:
        chat_id = _opt_int(params, "chat_id")
        for injection in self._injections.get(method.lower(), []):
            if injection.remaining == 0 or (injection.chat_id is not None and injection.chat_id != chat_id):
                continue
            if injection.remaining is not None:
                injection.remaining -= 1
            return injection.fault
        return None

    async def _deliver(self, update: JSON) -> None:
        assert self._session is not None
        headers = {"X-Telegram-Bot-Api-Secret-Token": self.webhook_secret} if self.webhook_secret else {}
        try:
            async with self._session.post(self.webhook_url, json=update, headers=headers) as response:
                status = response.status
        except (OSError, TimeoutError):
            status = 0
        self.webhook_deliveries.append((int(update["update_id"]), status))
        self._pulse()

    # --- methods ---------------------------------------------------------------------------------

    async def _get_me(self, params: JSON) -> JSON:
        return {
            **self.bot_user(),
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    async def _get_updates(self, params: JSON) -> list[JSON]:
        if self.webhook_url:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = _opt_int(params, "offset") or 0
        limit = min(max(_opt_int(params, "limit") or 100, 1), 100)
        timeout = float(_opt_int(params, "timeout") or 0)
        allowed = _opt_json(params, "allowed_updates")
        if offset < 0:
            self._updates = self._updates[offset:]
        elif offset > 0:
            # An offset confirms, and so forgets, every update with a lower id.
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        deadline = time.monotonic() + timeout
        announced = False
        while True:
            self._updates = [u for u in self._updates if _allowed(u, allowed)]
            if self._updates or self._closing or time.monotonic() >= deadline:
                return self._updates[:limit]
            self.waiting_polls += 1
            if not announced:
                # Only once per poll: two polls re-announcing would wake each other for ever.
                announced = True
                self._pulse()
            # Captured after the pulse (and with no await since the check), so only news wakes us.
            changed = self._changed
            try:
                await asyncio.wait_for(changed.wait(), deadline - time.monotonic())
            except TimeoutError:
                continue
            finally:
                self.waiting_polls -= 1

    def _chat_for_send(self, params: JSON) -> tuple[int, JSON]:
        chat_id = _opt_int(params, "chat_id")
        if chat_id is None:
            raise bad_request("chat_id is empty")
        if chat_id in self.blocked_chats:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        chat = self._chats.get(chat_id)
        if chat is None:
            raise bad_request("chat not found")
        return chat_id, chat

    async def _send_message(self, params: JSON) -> JSON:
        chat_id, chat = self._chat_for_send(params)
        raw = _opt_str(params, "text") or ""
        parse_mode = _opt_str(params, "parse_mode")
        text = _parse(raw, parse_mode)
        if not text.strip():
            raise bad_request("message text is empty")
        if len(text) > TEXT_LIMIT:
            raise bad_request("message is too long")
        return self._store(chat_id, chat, text, raw, parse_mode, params, photo=False)

    async def _send_photo(self, params: JSON) -> JSON:
        chat_id, chat = self._chat_for_send(params)
        if params.get("photo") in (None, ""):
            raise bad_request("there is no photo in the request")
        raw = _opt_str(params, "caption") or ""
        parse_mode = _opt_str(params, "parse_mode")
        caption = _parse(raw, parse_mode)
        if len(caption) > CAPTION_LIMIT:
            raise bad_request("message caption is too long")
        return self._store(chat_id, chat, caption, raw, parse_mode, params, photo=True)

    def _store(
        self,
        chat_id: int,
        chat: JSON,
        text: str,
        raw: str,
        parse_mode: str | None,
        params: JSON,
        *,
        photo: bool,
    ) -> JSON:
        markup = _opt_json(params, "reply_markup")
        if markup is not None:
            _validate_markup(markup)
        reply_to = _opt_json(params, "reply_parameters")
        reply_to_id = reply_to.get("message_id") if isinstance(reply_to, dict) else None
        sent = SentMessage(
            next(self._message_ids), chat_id, text, raw, parse_mode, markup, reply_to_id, photo
        )
        upload = params.get(f"{UPLOAD}photo")
        if photo and isinstance(upload, bytes):
            sent.photo_data = upload
        self.sent.append(sent)
        message: JSON = {
            "message_id": sent.message_id,
            "from": self.bot_user(),
            "chat": chat,
            "date": int(time.time()),
        }
        if photo:
            message["photo"] = [
                {
                    "file_id": f"photo{sent.message_id}",
                    "file_unique_id": f"u{sent.message_id}",
                    "width": 320,
                    "height": 320,
                }
            ]
            if text:
                message["caption"] = text
        else:
            message["text"] = text
        if markup is not None:
            message["reply_markup"] = markup
        return message

    async def _answer_callback_query(self, params: JSON) -> bool:
        query_id = _opt_str(params, "callback_query_id") or ""
        if query_id not in self._callbacks or query_id in self.answered_callbacks:
            raise bad_request("query is too old and response timeout expired or query ID is invalid")
        self.answered_callbacks[query_id] = dict(params)
        return True

    def _message_to_edit(self, params: JSON) -> SentMessage:
        chat_id = _opt_int(params, "chat_id")
        if chat_id is None:
            raise bad_request("chat_id is empty")
        message_id = _opt_int(params, "message_id")
        if message_id is None:
            raise bad_request("message identifier is not specified")
        if chat_id in self.blocked_chats:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        if chat_id not in self._chats:
            raise bad_request("chat not found")
        target = self.message(chat_id, message_id)
        if target is None:
            raise bad_request("message to edit not found")
        return target

    async def _edit_message_text(self, params: JSON) -> JSON:
        target = self._message_to_edit(params)
        if target.photo:
            raise bad_request("there is no text in the message to edit")
        raw = _opt_str(params, "text") or ""
        parse_mode = _opt_str(params, "parse_mode")
        text = _parse(raw, parse_mode)
        if not text.strip():
            raise bad_request("message text is empty")
        if len(text) > TEXT_LIMIT:
            raise bad_request("MESSAGE_TOO_LONG")
        # Without reply_markup Telegram removes the inline keyboard.
        markup = _opt_json(params, "reply_markup")
        if markup is not None:
            _validate_markup(markup)
        # Telegram compares the text with its entities; the raw markup stands in for the entities here.
        same_text = text == target.text and (raw if parse_mode else text) == (
            target.raw if target.parse_mode else target.text
        )
        if same_text and markup == target.reply_markup:
            raise bad_request(
                "message is not modified: specified new message content and reply markup are exactly "
                "the same as a current content and reply markup of the message"
            )
        target.edits.append(target.text)
        target.text, target.raw, target.parse_mode, target.reply_markup = text, raw, parse_mode, markup
        message: JSON = {
            "message_id": target.message_id,
            "from": self.bot_user(),
            "chat": self._chats[target.chat_id],
            "date": int(time.time()),
            "edit_date": int(time.time()),
            "text": text,
        }
        if markup is not None:
            message["reply_markup"] = markup
        return message

    async def _edit_message_reply_markup(self, params: JSON) -> JSON:
        chat_id = _opt_int(params, "chat_id")
        message_id = _opt_int(params, "message_id")
        target = next((m for m in self.sent if m.chat_id == chat_id and m.message_id == message_id), None)
        if target is None:
            raise bad_request("message to edit not found")
        markup = _opt_json(params, "reply_markup")
        if markup is not None:
            _validate_markup(markup)
        if markup == target.reply_markup:
            raise bad_request(
                "message is not modified: specified new message content and reply markup are exactly "
                "the same as a current content and reply markup of the message"
            )
        target.reply_markup = markup
        message: JSON = {
            "message_id": target.message_id,
            "from": self.bot_user(),
            "chat": self._chats[target.chat_id],
            "date": int(time.time()),
            "text": target.text,
        }
        if markup is not None:
            message["reply_markup"] = markup
        return message

    async def _set_webhook(self, params: JSON) -> bool:
        url = _opt_str(params, "url") or ""
        secret = _opt_str(params, "secret_token") or ""
        if secret and not _SECRET_TOKEN.match(secret):
            raise bad_request("secret token contains unallowed characters")
        if url and not url.startswith(("https://", "http://127.0.0.1")):
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        if _opt_bool(params, "drop_pending_updates"):
            self._updates.clear()
        self.webhook_url, self.webhook_secret = url, secret
        self._pulse()
        for update in self._updates if url else ():
            self._spawn(self._deliver(update))
        if url:
            self._updates = []
        return True

    async def _delete_webhook(self, params: JSON) -> bool:
        if _opt_bool(params, "drop_pending_updates"):
            self._updates.clear()
        self.webhook_url, self.webhook_secret = "", ""
        return True

    async def _get_webhook_info(self, params: JSON) -> JSON:
        return {
            "url": self.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }

    async def _set_my_commands(self, params: JSON) -> bool:
        commands = _opt_json(params, "commands")
        if not isinstance(commands, list):
            raise bad_request("commands are empty")
        self.commands = commands
        return True


async def _read_params(request: web.Request) -> JSON:
    """Parameters as PTB sends them: form fields (JSON-encoded when not strings), multipart, or JSON."""
    params: JSON = dict(request.query)
    if request.content_type == "application/json":
        try:
            body = await request.json()
        except ValueError as exc:
            raise bad_request("can't parse JSON") from exc
        if not isinstance(body, dict):
            raise bad_request("parameters must be a JSON object")
        params.update(body)
    elif request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.post()
        for key, value in form.items():
            params[key] = value if isinstance(value, str) else "<file>"
            if isinstance(value, web.FileField):
                params[f"{UPLOAD}{key}"] = value.file.read()
    return params


def _parse(raw: str, parse_mode: str | None) -> str:
    if parse_mode is None or parse_mode == "":
        return raw
    if parse_mode.upper() != "HTML":
        raise bad_request(f"unsupported parse_mode {parse_mode!r} in this fake")
    return visible_text(raw)


def _validate_markup(markup: Any) -> None:
    rows = markup.get("inline_keyboard") if isinstance(markup, dict) else None
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request('field "inline_keyboard" of the InlineKeyboardMarkup must be an Array')
    for row in rows:
        for button in row:
            if not isinstance(button, dict) or not button.get("text"):
                raise bad_request("BUTTON_TEXT_EMPTY")
            data = button.get("callback_data")
            if data is not None and not 1 <= len(str(data).encode("utf-8")) <= CALLBACK_DATA_LIMIT:
                raise bad_request("BUTTON_DATA_INVALID")


def _allowed(update: Mapping[str, Any], allowed: Any) -> bool:
    kinds = set(update) - {"update_id"}
    if isinstance(allowed, list) and allowed:
        return bool(kinds & set(allowed))
    return not kinds & _OPT_IN_UPDATES


def _opt_int(params: JSON, name: str) -> int | None:
    value = params.get(name)
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    try:
        return int(str(value))
    except ValueError as exc:
        raise bad_request(f"invalid {name} specified") from exc


def _opt_str(params: JSON, name: str) -> str | None:
    value = params.get(name)
    return None if value is None else str(value)


def _opt_bool(params: JSON, name: str) -> bool:
    value = params.get(name)
    return value is True or value in ("true", "True", "1")


def _opt_json(params: JSON, name: str) -> Any:
    value = params.get(name)
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError as exc:
            raise bad_request(f"can't parse {name} JSON object") from exc
    return value
