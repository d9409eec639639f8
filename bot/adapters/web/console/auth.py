"""Who is asking in the console: the session cookie, the role every route requires, and CSRF on forms."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable

from aiohttp import web

from bot.adapters.web import CONFIG_KEY, SERVICES_KEY
from bot.adapters.web.pages import pages
from bot.services.console import ConsoleServices
from bot.services.people import Role
from bot.services.web_login import ConsoleSession
from bot.texts import web_console as say

COOKIE = "motcua_console"
CSRF_FIELD = "csrf"
STAFF = frozenset({Role.ADMIN, Role.LEADER, Role.STAFF})
AUTHORS = frozenset({Role.ADMIN, Role.LEADER})
ADMINS = frozenset({Role.ADMIN})

View = Callable[[web.Request, ConsoleSession], Awaitable[web.StreamResponse]]


def console(request: web.Request) -> ConsoleServices:
    """The console's services (the route is only added when they exist)."""
    found = request.app[SERVICES_KEY].console
    if found is None:
        raise web.HTTPNotFound()
    return found


def secure(request: web.Request) -> bool:
    """True when the public address is https (the cookie is then Secure)."""
    return request.app[CONFIG_KEY].http.public_url.startswith("https://")


def set_cookie(request: web.Request, response: web.StreamResponse, value: str, max_age: int) -> None:
    """Set the session cookie: HttpOnly, SameSite=Strict, Secure behind https, for the console only."""
    response.set_cookie(
        COOKIE,
        value,
        max_age=max_age,
        path="/console",
        httponly=True,
        samesite="Strict",
        secure=secure(request),
    )


def refused(request: web.Request, title: str, text: str, status: int) -> web.Response:
    """A short page saying why not."""
    return pages(request).response("console/message.html", status=status, say=say, title=title, text=text)


def guarded(
    roles: Iterable[Role],
) -> Callable[[View], Callable[[web.Request], Awaitable[web.StreamResponse]]]:
    """Wrap a view: no session → to the login page; wrong role → 403; a POST without its CSRF token → 403."""
    allowed = frozenset(roles)

    def wrap(view: View) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        async def handler(request: web.Request) -> web.StreamResponse:
            current = await console(request).logins.session(request.cookies.get(COOKIE, ""))
            if current is None:
                raise web.HTTPSeeOther("/console/login")
            if current.role not in allowed:
                return refused(request, say.FORBIDDEN_TITLE, say.FORBIDDEN, 403)
            if request.method == "POST":
                posted = await request.post()
                token = posted.get(CSRF_FIELD)
                if not isinstance(token, str) or not current.csrf_ok(token):
                    return refused(request, say.FORBIDDEN_TITLE, say.CSRF_FAILED, 403)
            return await view(request, current)

        return handler

    return wrap
