"""Putting messages into the outbox: one batched insert, in the caller's transaction, idempotent by key.

A service that changes something users must hear about calls :func:`enqueue_many` (or the one-message
:func:`enqueue` and :func:`enqueue_edit`) inside the same transaction as the change. A row whose ``key``
is already there is skipped, so enqueuing the same notification twice is harmless. The session is
marked, so the :class:`bot.outbox.core.Outbox` wakes the worker once the transaction commits.

An edit (``edit_of`` set) changes a message the outbox sent (Telegram only: Zalo has no edits, so an
edit for it is left out and nothing is queued). The worker applies an edit once the original row is
sent, fails it when the original failed, and applies only the newest of several edits of one message.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncSession

from bot.messages import Button, ChatRef, Platform, Reply
from bot.storage import OutboxMessage
from bot.storage.bulk import insert_new
from bot.storage.columns import utcnow

PENDING = "pending"
SENDING = "sending"
SENT = "sent"
FAILED = "failed"
EDITABLE_PLATFORMS = frozenset({Platform.TELEGRAM})
"""Platforms whose messages can be edited (Zalo's Bot API has no edit method)."""
EDIT_OF = "edit_of"
"""On an edit row's payload: the key of the row whose sent message it changes."""
QUEUED = "outbox.queued"
"""Set in ``session.info`` when rows were queued: the outbox wakes its worker after the commit."""

_TABLE = cast(Table, OutboxMessage.__table__)


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One message for the outbox: where it goes, what it says, what caused it, and when it is due."""

    key: str
    """Unique: a second message with the same key is not queued."""
    chat: ChatRef
    reply: Reply
    kind: str
    """What caused it, e.g. ``dossier.ready`` or ``directive``: reports group by it."""
    ref: str = ""
    """The object it is about (a receipt code, a directive id)."""
    due_at: datetime | None = None
    """Not before (default: now)."""
    edit_of: str = ""
    """For an edit: the key of the row whose sent message this one changes."""


def reply_to_payload(reply: Reply) -> dict[str, Any]:
    """Serialise a reply for the outbox; an image (a chart, a few dozen kB) is kept in base64."""
    payload: dict[str, Any] = {"text": reply.text, "buttons": [[b.label, b.payload] for b in reply.buttons]}
    if reply.image is not None:
        payload["image"] = base64.b64encode(reply.image).decode("ascii")
    return payload


def payload_to_reply(payload: dict[str, Any]) -> Reply:
    """Rebuild the reply stored by :func:`reply_to_payload`."""
    buttons = tuple(Button(str(label), str(data)) for label, data in payload.get("buttons", []))
    image = payload.get("image")
    return Reply(
        text=str(payload.get("text", "")),
        buttons=buttons,
        image=base64.b64decode(image) if isinstance(image, str) and image else None,
    )


async def enqueue_many(session: AsyncSession, messages: Iterable[Outgoing]) -> int:
    """Add messages to the outbox in the caller's transaction; return how many were new.

    The only way rows get into the outbox. Of several messages with one key the first counts; an edit
    for a platform that cannot edit is left out.
    """
    now = utcnow()
    rows: dict[str, dict[str, Any]] = {}
    # Many subscribers often get the same reply: serialise it once.
    payloads: dict[Reply, dict[str, Any]] = {}
    for message in messages:
        if message.key in rows:
            continue
        if message.edit_of and message.chat.platform not in EDITABLE_PLATFORMS:
            continue
        payload = payloads.get(message.reply)
        if payload is None:
            payload = payloads[message.reply] = reply_to_payload(message.reply)
        if message.edit_of:
            payload = {**payload, EDIT_OF: message.edit_of}
        rows[message.key] = {
            "key": message.key,
            "platform": message.chat.platform.value,
            "chat_id": message.chat.chat_id,
            "is_group": message.chat.is_group,
            "kind": message.kind,
            "ref": message.ref,
            "payload": payload,
            "status": PENDING,
            "attempts": 0,
            "due_at": message.due_at or now,
            "created_at": now,
        }
    if not rows:
        return 0
    if session.new or session.deleted or session.dirty:
        # The insert goes straight to the connection: write what the caller added to the session first.
        await session.flush()
    inserted = await insert_new(await session.connection(), _TABLE, "key", list(rows.values()))
    if inserted:
        session.info[QUEUED] = True
    return len(inserted)


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
    return bool(await enqueue_many(session, [Outgoing(key, chat, reply, kind, ref, due_at)]))


async def enqueue_edit(
    session: AsyncSession, *, key: str, chat: ChatRef, of_key: str, reply: Reply, kind: str, ref: str = ""
) -> bool:
    """Queue an edit of the message sent by row ``of_key`` to ``reply``; False if ``key`` was there.

    Also False (nothing queued) on a platform that cannot edit messages (see ``EDITABLE_PLATFORMS``).
    """
    return bool(await enqueue_many(session, [Outgoing(key, chat, reply, kind, ref, edit_of=of_key)]))
