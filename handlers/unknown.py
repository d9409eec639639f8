"""What to answer when no feature serves a message (the dispatcher's fallback)."""

from __future__ import annotations

from bot import texts
from bot.messages import Incoming, Reply
from bot.routing import Command


def fallback(msg: Incoming, command: Command | None = None) -> list[Reply]:
    """Unknown command -> help hint; stale button -> ask again; no text -> say we read text only."""
    if not msg.addressed:
        return []
    if msg.payload is not None:
        return [Reply(text=texts.CHOICE_EXPIRED)]
    if command is not None:
        return [Reply(text=texts.unknown_command(command.name))]
    if not msg.text.strip():
        return [Reply(text=texts.TEXT_ONLY)]
    return [Reply(text=texts.HELP)]
