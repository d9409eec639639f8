"""The web chat's WebSocket: each frame from the browser becomes an ``Incoming`` on ``Platform.WEB``.

Frames from the browser are JSON: ``{"type": "text", "text": ...}`` or ``{"type": "button", "payload":
...}`` (only a payload this session was shown). The server answers each with ``reply`` frames (see
:mod:`bot.adapters.web.chat.render`), or one ``error`` frame, then ``done``. A malformed, oversized or
too frequent message gets an ``error`` frame in Vietnamese; the socket and every other session go on.
"""

from __future__ import annotations

import collections
import itertools
import json
import logging
import traceback
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

from aiohttp import WSMsgType, web

from bot import texts
from bot.adapters.chats import ChatSerializer
from bot.adapters.web.chat import sessions
from bot.adapters.web.chat.render import reply_frame
from bot.adapters.web.chat.visitors import Visitor, Visitors, send
from bot.adapters.web.limits import PerMinute
from bot.config import Config
from bot.messages import ChatRef, Incoming, Platform, Reply
from bot.texts import web_chat as say

log = logging.getLogger(__name__)

Dispatch = Callable[[Incoming], Awaitable[list[Reply]]]

MAX_FRAME = 64 * 1024
"""A frame larger than this closes the socket (1009); up to it, a long message gets a polite error."""
HEARTBEAT = 30.0
DONE: dict[str, Any] = {"type": "done"}


class ChatSockets:
    """Accepts the browsers' sockets and answers their messages through the core's dispatcher."""

    def __init__(self, config: Config, dispatch: Dispatch, visitors: Visitors) -> None:
        settings = config.web_chat
        self._dispatch = dispatch
        self.visitors = visitors
        self._per_session = PerMinute(settings.per_session_per_minute)
        self._per_address = PerMinute(settings.per_address_per_minute)
        self._max_chars = settings.max_message_chars
        self._sockets_per_address = settings.sockets_per_address
        self._forwarded_for = settings.forwarded_for
        self._chats = ChatSerializer()
        self._open: collections.Counter[str] = collections.Counter()
        self._events = itertools.count(1)
        public = urlsplit(config.http.public_url)
        self.https = public.scheme == "https"
        self._public_host = public.netloc.lower()

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """``GET /chat/ws``: one browser tab's conversation."""
        if not self.same_site(request):
            raise web.HTTPForbidden(text="cross-site WebSocket refused")
        address = self._address(request)
        if self._open[address] >= self._sockets_per_address:
            raise web.HTTPTooManyRequests(text=say.TOO_MANY_SOCKETS)
        self._open[address] += 1
        try:
            return await self._serve(request, address)
        finally:
            self._open[address] -= 1
            if self._open[address] <= 0:
                del self._open[address]

    async def _serve(self, request: web.Request, address: str) -> web.StreamResponse:
        token = sessions.session_token(request)
        socket = web.WebSocketResponse(heartbeat=HEARTBEAT, max_msg_size=MAX_FRAME)
        if token is None:
            token = sessions.new_token()
            embedded = request.query.get("embed") == "1"
            sessions.set_session(socket, token, https=self.https, embedded=embedded)
        chat_id = sessions.chat_id(token)
        await socket.prepare(request)
        visitor = self.visitors.join(chat_id, socket)
        if visitor is None:
            await send(socket, _error(say.TOO_MANY_TABS))
            await socket.close()
            return socket
        try:
            for frame in self.visitors.take_pending(visitor):
                await send(socket, frame)
            async for message in socket:
                if message.type is WSMsgType.TEXT:
                    await self._answer(socket, visitor, chat_id, address, message.data)
                elif message.type is WSMsgType.BINARY:
                    await _reply_error(socket, say.BAD_FRAME)
        finally:
            self.visitors.leave(chat_id, socket)
        return socket

    async def _answer(
        self, socket: web.WebSocketResponse, visitor: Visitor, chat_id: str, address: str, raw: str
    ) -> None:
        if not self._per_session.allow(chat_id):
            await _reply_error(socket, say.TOO_FAST_SESSION)
            return
        if not self._per_address.allow(address):
            await _reply_error(socket, say.TOO_FAST_ADDRESS)
            return
        msg_or_error = self._incoming(raw, chat_id)
        if isinstance(msg_or_error, str):
            await _reply_error(socket, msg_or_error)
            return
        msg = msg_or_error
        # One session's messages (several tabs) are answered in order, like one chat's on Telegram. A web
        # session never gets a role: the people service refuses to link one (ANONYMOUS_PLATFORMS).
        async with self._chats.turn(msg.chat.key):
            replies = await self._replies(msg)
        for reply in replies:
            self.visitors.offer(visitor, reply.buttons)
            await send(socket, reply_frame(reply))
        await send(socket, DONE)

    def _incoming(self, raw: str, chat_id: str) -> Incoming | str:
        """The message a frame carries, or the Vietnamese error to answer it with."""
        try:
            data = json.loads(raw)
        except (ValueError, RecursionError):
            return say.BAD_FRAME
        kind = data.get("type") if isinstance(data, dict) else None
        chat = ChatRef(Platform.WEB, chat_id)
        event_id = str(next(self._events))
        if kind == "text":
            text = data.get("text")
            if not isinstance(text, str):
                return say.BAD_FRAME
            text = text.strip()
            if not text:
                return say.EMPTY
            if len(text) > self._max_chars:
                return say.TOO_LONG.format(limit=self._max_chars)
            return Incoming(chat=chat, user_id=chat_id, text=text, event_id=event_id)
        if kind == "button":
            payload = data.get("payload")
            if not isinstance(payload, str) or not payload:
                return say.BAD_FRAME
            if not self.visitors.was_offered(chat_id, payload):
                return say.EXPIRED_CHOICE
            return Incoming(chat=chat, user_id=chat_id, payload=payload, event_id=event_id)
        return say.BAD_FRAME

    async def _replies(self, msg: Incoming) -> list[Reply]:
        try:
            return await self._dispatch(msg)
        except Exception as exc:
            frames = "".join(traceback.format_tb(exc.__traceback__))
            # The exception's message can quote user text, so only its type and the frames are logged.
            log.error("web chat: message %s failed with %s\n%s", msg.event_id, type(exc).__name__, frames)
            return [Reply(texts.ERROR)]

    def same_site(self, request: web.Request) -> bool:
        """A browser's socket must come from this site's pages (no cross-site WebSocket hijacking)."""
        origin = request.headers.get("Origin")
        if origin is None:
            return True
        host = urlsplit(origin).netloc.lower()
        return bool(host) and host in {request.host.lower(), self._public_host}

    def _address(self, request: web.Request) -> str:
        # Only a reverse proxy on this machine may say who the visitor is; anyone else would choose it.
        if self._forwarded_for and request.remote in _LOOPBACK:
            forwarded = request.headers.get("X-Forwarded-For", "")
            last = forwarded.rsplit(",", 1)[-1].strip()
            if last:
                return last
        return request.remote or "?"


_LOOPBACK = frozenset({"127.0.0.1", "::1"})


def _error(text: str) -> dict[str, Any]:
    return {"type": "error", "text": text}


async def _reply_error(socket: web.WebSocketResponse, text: str) -> None:
    await send(socket, _error(text))
    await send(socket, DONE)
