"""Asking the core what the chat would answer: the public pages show exactly that."""

from __future__ import annotations

from aiohttp import web

from bot.adapters.web import DISPATCH_KEY
from bot.messages import ChatRef, Incoming, Platform, Reply

PAGES_CHAT = ChatRef(Platform.WEB, "public-pages")
"""The one conversation the pages speak in: it holds no visitor's data, only the last buttons shown."""


async def ask(
    request: web.Request, *, text: str = "", payload: str | None = None, user: str = ""
) -> list[Reply]:
    """The replies the chat gives to ``text`` (or a pressed ``payload``), as ``user`` of the pages' chat."""
    dispatch = request.app[DISPATCH_KEY]
    return await dispatch(
        Incoming(chat=PAGES_CHAT, user_id=user or PAGES_CHAT.chat_id, text=text, payload=payload)
    )
