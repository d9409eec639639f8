"""The web chat: ``/chat`` and its WebSocket, the embeddable widget, the kiosk, and an outbox sender.

The same router, handlers and conversation state as Telegram and Zalo answer it: each message becomes an
``Incoming`` on ``Platform.WEB`` whose chat id is (a hash of) the visitor's anonymous session.
"""

from __future__ import annotations

from aiohttp import web

from bot.adapters.web import CONFIG_KEY, DISPATCH_KEY
from bot.adapters.web.chat.pages import ChatPages
from bot.adapters.web.chat.sender import WebSender
from bot.adapters.web.chat.socket import ChatSockets
from bot.adapters.web.chat.visitors import Visitors

SOCKETS_KEY: web.AppKey[ChatSockets] = web.AppKey("chat_sockets")


def register(app: web.Application) -> None:
    """Add the web chat's routes (after ``mount_web`` stored the config and the dispatcher)."""
    config = app[CONFIG_KEY]
    visitors = Visitors(config.web_chat.keep_minutes * 60.0)
    sockets = ChatSockets(config, app[DISPATCH_KEY], visitors)
    app[SOCKETS_KEY] = sockets
    chat_pages = ChatPages(config.web_chat, sockets)
    app.router.add_get("/chat", chat_pages.chat)
    app.router.add_get("/chat/ws", sockets.handle)
    app.router.add_post("/chat/session", chat_pages.new_session)
    app.router.add_get("/widget.js", chat_pages.widget)


def outbox_sender(app: web.Application) -> WebSender | None:
    """The outbox sender delivering to this app's web chat visitors; None when the chat is not mounted."""
    sockets = app.get(SOCKETS_KEY)
    return None if sockets is None else WebSender(sockets.visitors)


__all__ = ["SOCKETS_KEY", "WebSender", "outbox_sender", "register"]
