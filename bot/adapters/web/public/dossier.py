"""``/hoso``: a dossier's status by receipt code, with the chat's rules (status only, rate-limited).

The code travels in a POST body, never in an address. A POST is accepted only from this site's own
pages (its ``Origin``), so another site cannot spend a visitor's lookups. Lookups are limited per
network address, which is kept only as a keyed hash inside the rate limiter's key.
"""

from __future__ import annotations

import hashlib
import hmac

from aiohttp import web

from bot import texts
from bot.adapters.web import CONFIG_KEY
from bot.adapters.web.limits import client_address
from bot.adapters.web.pages import pages
from bot.adapters.web.public.chat import ask
from bot.adapters.web.public.links import onward
from bot.adapters.web.public.markup import to_html
from bot.adapters.web.security import same_origin
from bot.config import Config
from bot.texts import web_public as say

CODE_MAX = 60
"""A receipt code is 25 characters; anything much longer is cut before it reaches the chat's rules."""


async def form(request: web.Request) -> web.Response:
    """The empty form."""
    return _page(request)


async def lookup(request: web.Request) -> web.Response:
    """The status of the posted receipt code, as the chat's ``/hoso CODE`` answers it."""
    config = request.app[CONFIG_KEY]
    if not same_origin(request, config):
        return _page(request, answer=say.DOSSIER_FORBIDDEN, status=403)
    posted = await request.post()
    value = posted.get("ma", "")
    typed = " ".join(value.split())[:CODE_MAX] if isinstance(value, str) else ""
    replies = await ask(request, text=f"/hoso {typed}".strip(), user=visitor(request, config))
    answer = "\n\n".join(reply.text for reply in replies)
    limited = any(reply.text == texts.DOSSIER_RATE_LIMITED for reply in replies)
    return _page(request, answer=answer, typed=typed, status=429 if limited else 200)


def visitor(request: web.Request, config: Config) -> str:
    """Who the lookup limit counts: a keyed hash of the network address (the address itself is not kept)."""
    address = client_address(request).encode()
    key = config.dossiers.hash_key.encode() or b"motcua-web-visitor"
    return "ip-" + hmac.new(key, address, hashlib.sha256).hexdigest()[:20]


def _page(request: web.Request, *, answer: str = "", typed: str = "", status: int = 200) -> web.Response:
    config = request.app[CONFIG_KEY]
    response = pages(request).response(
        "public/dossier.html",
        status=status,
        say=say,
        answer_html=to_html(answer) if answer else "",
        typed=typed,
        onward=onward(config),
    )
    # Under "no-referrer" a browser posts the form with "Origin: null"; this keeps the origin on our site.
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["Cache-Control"] = "no-store"
    return response
