"""The durable outbox (DESIGN §5): messages the bot sends on its own, written with their cause.

A service that changes something users must hear about calls :func:`enqueue` inside the same
transaction as the change; a worker (``jobs.outbox``) later claims due rows, sends them with no
transaction open, and marks each sent, retried or failed. Enqueuing is idempotent by ``key``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.messages import Button, ChatRef, Reply
from bot.storage import OutboxMessage
from bot.storage.columns import utcnow

PENDING = "pending"
SENDING = "sending"
SENT = "sent"
FAILED = "failed"


def reply_to_payload(reply: Reply) -> dict[str, Any]:
    """Serialise a reply for the outbox (images are not stored: they go by link or are rendered at send)."""
    return {"text": reply.text, "buttons": [[b.label, b.payload] for b in reply.buttons]}


def payload_to_reply(payload: dict[str, Any]) -> Reply:
    """Rebuild the reply stored by :func:`reply_to_payload`."""
    buttons = tuple(Button(str(label), str(data)) for label, data in payload.get("buttons", []))
    return Reply(text=str(payload.get("text", "")), buttons=buttons)


async def enqueue(
    session: AsyncSession,
    *,
    key: str,
    chat: ChatRef,
    reply: Reply,
    kind: str,
    ref: str = "",
    due_at: datetime | None = None,
) -> bool:
    """Add one message to the outbox in the caller's transaction; False if ``key`` was already there."""
    now = utcnow()
    values = {
        "key": key,
        "platform": chat.platform.value,
        "chat_id": chat.chat_id,
        "is_group": chat.is_group,
        "kind": kind,
        "ref": ref,
        "payload": reply_to_payload(reply),
        "status": PENDING,
        "attempts": 0,
        "due_at": due_at or now,
        "created_at": now,
    }
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(OutboxMessage).values(**values).on_conflict_do_nothing(index_elements=["key"])
    result = await session.execute(statement)
    return bool(getattr(result, "rowcount", 0))
