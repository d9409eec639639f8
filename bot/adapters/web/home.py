"""The web's front page: what this is, and a search box."""

from __future__ import annotations

from aiohttp import web

from bot.adapters.web.pages import pages
from bot.texts import web as say


async def home(request: web.Request) -> web.Response:
    """The front page."""
    return pages(request).response("home.html", say=say)


async def favicon(request: web.Request) -> web.Response:
    """No icon, said plainly: browsers ask on every page, and a 404 each time only fills their consoles."""
    return web.Response(status=204, headers={"Cache-Control": "max-age=86400"})


def register(app: web.Application) -> None:
    """Add the front page's route."""
    app.router.add_get("/", home)
    app.router.add_get("/favicon.ico", favicon)
