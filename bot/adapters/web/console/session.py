"""Logging in with the link ``/web`` sent, the console's front page, logging out, and the audit log.

The link's page asks for one press before the session opens: a chat app fetching the link for a
preview must not spend the one-time token.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from aiohttp import web

from bot.adapters.web import CONFIG_KEY, SERVICES_KEY
from bot.adapters.web.console.auth import ADMINS, COOKIE, STAFF, console, guarded, refused, set_cookie
from bot.adapters.web.console.render import page
from bot.adapters.web.pages import pages
from bot.adapters.web.security import same_origin
from bot.services.web_login import ConsoleSession
from bot.texts import web_console as say

TOKEN_MAX = 128


async def login_help(request: web.Request) -> web.Response:
    """Where a visitor without a session lands: how to get a link."""
    return refused(request, say.LOGIN_NEEDED_TITLE, say.LOGIN_NEEDED, 200)


async def login_confirm(request: web.Request) -> web.Response:
    """The link's page: one button that posts the token."""
    token = request.match_info["token"]
    if len(token) > TOKEN_MAX:
        return refused(request, say.LOGIN_REFUSED_TITLE, say.LOGIN_REFUSED, 403)
    response = pages(request).response("console/login.html", say=say, token=token)
    # The browser then posts with its real Origin (under "no-referrer" it would send "null"); "strict"
    # keeps the path, which holds the token, out of any Referer.
    response.headers["Referrer-Policy"] = "strict-origin"
    response.headers["Cache-Control"] = "no-store"
    return response


async def login(request: web.Request) -> web.StreamResponse:
    """Exchange a link's token for a session cookie, then open the console; refuse a spent or stale link."""
    token = request.match_info["token"]
    if not same_origin(request, request.app[CONFIG_KEY]):
        # Another site posting a token of its own would log this browser into that session.
        return refused(request, say.LOGIN_REFUSED_TITLE, say.LOGIN_REFUSED, 403)
    opened = None if len(token) > TOKEN_MAX else await console(request).logins.redeem(token)
    if opened is None:
        return refused(request, say.LOGIN_REFUSED_TITLE, say.LOGIN_REFUSED, 403)
    response = web.Response(status=303, headers={"Location": "/console"})
    max_age = int((opened.expires_at - console(request).logins.clock()).total_seconds())
    set_cookie(request, response, opened.token, max_age)
    return response


@guarded(STAFF)
async def logout(request: web.Request, current: ConsoleSession) -> web.StreamResponse:
    """End the session and forget the cookie."""
    await console(request).logins.logout(request.cookies.get(COOKIE, ""))
    response = refused(request, say.TITLE, say.LOGGED_OUT, 200)
    response.del_cookie(COOKIE, path="/console")
    return response


@guarded(STAFF)
async def home(request: web.Request, current: ConsoleSession) -> web.Response:
    """The console's front page."""
    return page(request, current, "console/home.html")


@guarded(ADMINS)
async def audit(request: web.Request, current: ConsoleSession) -> web.Response:
    """The newest audit entries (admins only)."""
    lines = await request.app[SERVICES_KEY].people.audit_log(current.actor, limit=200)
    zone = ZoneInfo(request.app[CONFIG_KEY].timezone)
    rows = [(line.at.astimezone(zone).strftime("%d/%m/%Y %H:%M"), line) for line in lines]
    return page(request, current, "console/audit.html", rows=rows)


def register(app: web.Application) -> None:
    """Add the login, logout, front page and audit routes."""
    app.router.add_get("/console/login", login_help)
    app.router.add_get("/console/login/{token}", login_confirm)
    app.router.add_post("/console/login/{token}", login)
    app.router.add_post("/console/logout", logout)
    app.router.add_get("/console", home)
    app.router.add_get("/console/audit", audit)
