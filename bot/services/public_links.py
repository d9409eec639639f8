"""Where a procedure can be opened: its public page, and the Telegram link opening its card in chat."""

from __future__ import annotations

import re
from urllib.parse import quote

_CODE = re.compile(r"[0-9A-Za-z._-]{1,40}")
"""What a procedure code may look like in an address (anything else is not a code)."""
_DEEP_LINK_MAX = 64
"""Telegram's limit on a ``start`` parameter."""


def plausible_code(code: str) -> bool:
    """True when ``code`` can be a procedure code (checked before any lookup)."""
    return _CODE.fullmatch(code) is not None


def page_path(code: str) -> str:
    """The path of a procedure's public page, e.g. ``/p/1.001193``."""
    return "/p/" + quote(code, safe=".-_")


def page_url(public_url: str, code: str) -> str:
    """The full address of a procedure's public page under ``public_url``."""
    return public_url.rstrip("/") + page_path(code)


def start_payload(code: str) -> str:
    """The ``/start`` payload that opens a card in chat: dots become ``_`` (Telegram allows no dots)."""
    return "p_" + code.replace(".", "_")


def telegram_link(bot_username: str, code: str) -> str:
    """``https://t.me/<bot>?start=p_CODE``, or '' when the bot's name is unknown or the code does not fit."""
    payload = start_payload(code)
    if not bot_username or len(payload) > _DEEP_LINK_MAX or not plausible_code(code):
        return ""
    return f"https://t.me/{bot_username}?start={payload}"
