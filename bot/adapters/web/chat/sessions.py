"""The web chat's anonymous session: a random id in an HttpOnly cookie, never stored as such.

The conversation is keyed by a hash of the cookie's value, so the database (and the outbox) hold no
value that would let anyone take over a visitor's session.
"""

from __future__ import annotations

import hashlib
import re
import secrets

from aiohttp import web

COOKIE = "motcua_chat"
_TOKEN = re.compile(r"[A-Za-z0-9_-]{32}")
MAX_AGE = 30 * 24 * 3600


def new_token() -> str:
    """A fresh random session id (192 bits)."""
    return secrets.token_urlsafe(24)


def session_token(request: web.Request) -> str | None:
    """The request's session id, when its cookie holds a well-formed one."""
    token = request.cookies.get(COOKIE, "")
    return token if _TOKEN.fullmatch(token) else None


def chat_id(token: str) -> str:
    """The chat id the core sees for a session (a hash: the cookie's value is never stored)."""
    return hashlib.sha256(token.encode("ascii")).hexdigest()[:32]


def set_session(response: web.StreamResponse, token: str, *, https: bool, embedded: bool) -> None:
    """Give the browser its session cookie.

    Inside another site's page (the widget) a SameSite=Lax cookie is never sent back, so there it is
    SameSite=None and Partitioned (one per embedding site) when served over https.
    """
    cross_site = embedded and https
    response.set_cookie(
        COOKIE,
        token,
        max_age=MAX_AGE,
        path="/chat",
        httponly=True,
        secure=https,
        samesite="None" if cross_site else "Lax",
        partitioned=cross_site or None,
    )
