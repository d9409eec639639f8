"""The outbox sender of the web chat: what the bot sends later reaches the visitor's open tabs.

A visitor with no tab open gets it on the next connection, if that comes within ``[web_chat]
keep_minutes`` and to this process (the visitors' sockets live in the process that accepted them).
"""

from __future__ import annotations

import itertools

from bot.adapters.web.chat.render import reply_frame
from bot.adapters.web.chat.visitors import Visitors
from bot.messages import ChatRef, Reply
from bot.outbox import EditUnsupportedError, PermanentDeliveryError


class WebSender:
    """Delivers outbox replies to the web chat's sockets (kept for a while when none is open)."""

    def __init__(self, visitors: Visitors) -> None:
        self._visitors = visitors
        self._ids = itertools.count(1)

    async def start(self) -> None:
        """Nothing to open."""

    async def close(self) -> None:
        """Nothing to release."""

    async def send(self, chat: ChatRef, reply: Reply) -> str:
        """Push ``reply`` to the visitor's sockets (or keep it for them); a message id of this process."""
        if not reply.text.strip() and reply.image is None:
            raise PermanentDeliveryError("empty message")
        await self._visitors.push(chat.chat_id, reply_frame(reply), reply.buttons)
        return f"web-{next(self._ids)}"

    async def edit(self, chat: ChatRef, message_id: str, reply: Reply) -> None:
        """The web chat shows what was sent; it has no edits."""
        raise EditUnsupportedError("web chat cannot edit messages")
