"""The ids a platform update carries, checked at the adapter boundary before the core sees the update.

The core keys conversation state, subscriptions and the outbox by chat and user id, and the senders turn
Telegram ids back into integers. An update whose ids are of the wrong type would be handled (state
written) and then fail at send: it is dropped here with a warning naming the field, never its value.
"""

from __future__ import annotations

import logging
from typing import Any

from telegram import Update

log = logging.getLogger(__name__)

TELEGRAM_ID_BITS = 63
"""Telegram ids fit in a signed 64-bit integer (in fact in 52 bits)."""
ZALO_ID_MAX = 64
"""The longest Zalo id kept: the outbox stores chat ids in 64 characters."""


def _telegram_id(value: object) -> bool:
    bound = 1 << TELEGRAM_ID_BITS
    return isinstance(value, int) and not isinstance(value, bool) and -bound <= value < bound


def _telegram_fields(update: Update) -> list[tuple[str, object]]:
    fields: list[tuple[str, object]] = []
    message, query = update.message, update.callback_query
    if message is not None:
        fields += [("message.chat.id", message.chat.id), ("message.message_id", message.message_id)]
        if message.from_user is not None:
            fields.append(("message.from.id", message.from_user.id))
    if query is not None:
        fields.append(("callback_query.from.id", query.from_user.id))
        if query.message is not None:
            fields += [
                ("callback_query.message.chat.id", query.message.chat.id),
                ("callback_query.message.message_id", query.message.message_id),
            ]
    return fields


def telegram_ids_valid(update: Update) -> bool:
    """True when every id the bot reads from ``update`` is an integer; otherwise False, with a warning."""
    update_id = update.update_id if _telegram_id(update.update_id) else "?"
    try:
        fields = [("update_id", update.update_id), *_telegram_fields(update)]
    except (AttributeError, TypeError):
        log.warning("telegram update %s dropped: its ids cannot be read", update_id)
        return False
    for name, value in fields:
        if not _telegram_id(value):
            log.warning("telegram update %s dropped: %s is not an integer id", update_id, name)
            return False
    return True


def _zalo_id(value: object, *, numbers: bool = False) -> bool:
    if numbers and isinstance(value, int) and not isinstance(value, bool):
        return True
    return (
        isinstance(value, str)
        and 0 < len(value) <= ZALO_ID_MAX
        and value.isprintable()
        and not any(c.isspace() for c in value)
    )


def zalo_ids_valid(message: dict[str, Any]) -> bool:
    """True when a Zalo message's chat and sender ids are usable ids; otherwise False, with a warning.

    A chat id is a non-empty string without spaces (at most 64 characters); a sender id may also be an
    integer; a message id, when present, is a string like a chat id.
    """
    chat, sender = message.get("chat"), message.get("from")
    fields: list[tuple[str, bool]] = [
        ("message.chat.id", isinstance(chat, dict) and _zalo_id(chat.get("id"))),
        ("message.from.id", isinstance(sender, dict) and _zalo_id(sender.get("id"), numbers=True)),
        ("message.message_id", "message_id" not in message or _zalo_id(message["message_id"])),
    ]
    for name, valid in fields:
        if not valid:
            log.warning("zalo event dropped: %s is missing or not an id", name)
            return False
    return True
