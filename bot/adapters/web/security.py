"""Security headers on every web response: a strict Content-Security-Policy and its companions.

Nothing is loaded from another site: scripts, styles and images come from this server only, no inline
script runs, and no page may be framed unless its handler says so (the web chat's embeddable page sets
its own ``frame-ancestors``).
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from aiohttp import web
from aiohttp.typedefs import Handler

from bot.config import Config
from bot.texts import web as texts

log = logging.getLogger(__name__)

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


@web.middleware
async def security_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Add the policy headers a handler did not set itself (errors included)."""
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        response = exc
        _add(response)
        raise
    except Exception as exc:  # a bug in one page must still answer with the policy, and say nothing inside
        # The route's pattern, not the path: a path may hold a login token.
        resource = request.match_info.route.resource
        route = resource.canonical if resource is not None else "?"
        log.error("web: %s %s failed with %s", request.method, route, type(exc).__name__)
        response = web.Response(status=500, text=texts.ERROR_PAGE, content_type="text/plain", charset="utf-8")
    _add(response)
    return response


def _add(response: web.StreamResponse) -> None:
    response.headers.setdefault("Content-Security-Policy", CSP)
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)


def same_origin(request: web.Request, config: Config) -> bool:
    """True when the request's ``Origin`` is this site (as reached, or as ``public_url`` names it)."""
    origin = _site(request.headers.get("Origin", ""))
    if origin is None:
        return False
    public = _site(config.http.public_url)
    if public is not None and origin == public:
        return True
    # The Host header has no scheme: read it with the Origin's, so a default port counts as said.
    return origin == _site(f"{origin[0]}://{request.host}")


def _site(url: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) of an address, lower case and with the scheme's default port; None if none."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    try:
        port = parts.port
    except ValueError:
        return None
    return parts.scheme, parts.hostname.lower(), port or (443 if parts.scheme == "https" else 80)
