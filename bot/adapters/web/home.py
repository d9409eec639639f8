"""The web's front page: what this is, and a search box."""

from __future__ import annotations

from aiohttp import web

from bot.adapters.web.pages import pages
from bot.texts import web as say


async def home(request: web.Request) -> web.Response:
    """The front page."""
    return pages(request).response("home.html", say=say)


def register(app: web.Application) -> None:
    """Add the front page's route."""
    app.router.add_get("/", home)
