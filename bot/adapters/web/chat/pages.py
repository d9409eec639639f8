"""The web chat's pages: ``/chat`` (page, ``?embed=1`` for the widget, ``?kiosk=1`` for the office),
``/widget.js`` (one script tag on any site), and ``POST /chat/session`` (the kiosk's fresh start)."""

from __future__ import annotations

import json
from pathlib import Path

from aiohttp import web

from bot.adapters.web.chat import sessions
from bot.adapters.web.chat.socket import ChatSockets
from bot.adapters.web.pages import pages
from bot.adapters.web.security import CSP
from bot.config import WebChatConfig
from bot.texts import web_chat as say

STATIC = Path(__file__).parent.parent / "static"
EMBED_CSP = CSP.replace("frame-ancestors 'none'", "frame-ancestors *")
"""Only the embeddable chat page may be framed, by any site (the widget puts it in an iframe)."""
_TEXTS_MARK = "__WIDGET_TEXTS__"


class ChatPages:
    """Renders the chat page and the widget script; starts kiosk sessions afresh."""

    def __init__(self, settings: WebChatConfig, sockets: ChatSockets) -> None:
        self._settings = settings
        self._sockets = sockets
        texts = {"open": say.WIDGET_OPEN, "close": say.WIDGET_CLOSE, "title": say.CHAT_TITLE}
        script = (STATIC / "widget.js").read_text(encoding="utf-8")
        self._widget = script.replace(_TEXTS_MARK, json.dumps(texts, ensure_ascii=True))

    async def chat(self, request: web.Request) -> web.Response:
        """``GET /chat``: the conversation, full page, embedded (``embed=1``) or kiosk (``kiosk=1``)."""
        embed = request.query.get("embed") == "1"
        kiosk = request.query.get("kiosk") == "1" and not embed
        mode = "embed" if embed else "kiosk" if kiosk else "page"
        response = pages(request).response(
            "chat/chat.html",
            say=say,
            mode=mode,
            max_chars=self._settings.max_message_chars,
            kiosk_idle=self._settings.kiosk_idle_seconds,
        )
        if sessions.session_token(request) is None:
            sessions.set_session(response, sessions.new_token(), https=self._sockets.https, embedded=embed)
        if embed:
            response.headers["Content-Security-Policy"] = EMBED_CSP
        response.headers["Cache-Control"] = "no-store"
        return response

    async def widget(self, request: web.Request) -> web.Response:
        """``GET /widget.js``: the button and iframe any site adds with one script tag."""
        return web.Response(
            text=self._widget,
            content_type="text/javascript",
            charset="utf-8",
            headers={"Cache-Control": "public, max-age=3600"},
        )

    async def new_session(self, request: web.Request) -> web.Response:
        """``POST /chat/session``: a new anonymous session (the kiosk after inactivity)."""
        if not self._sockets.same_site(request):
            raise web.HTTPForbidden(text="cross-site request refused")
        response = web.Response(status=204)
        embed = request.query.get("embed") == "1"
        sessions.set_session(response, sessions.new_token(), https=self._sockets.https, embedded=embed)
        return response
