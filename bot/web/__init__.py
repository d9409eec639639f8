"""The web: public procedure pages, the web chat and the staff console, on the bot's own aiohttp server.

Every page is rendered on the server from the same services the chat and the CLI use; templates escape
what they show (:mod:`bot.web.pages`), and every response carries the security headers of
:mod:`bot.web.security`. Each part registers its routes in :func:`mount_web`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from aiohttp import web

from bot.web.pages import PAGES_KEY, Pages
from bot.web.security import security_headers

if TYPE_CHECKING:
    from bot.app import Core

CORE_KEY: web.AppKey[Core] = web.AppKey("core")
STATIC = Path(__file__).parent / "static"


def mount_web(app: web.Application, core: Core) -> None:
    """Add the web's routes, static files and security headers to ``app`` (before it starts)."""
    app[CORE_KEY] = core
    app[PAGES_KEY] = Pages(core.config)
    app.middlewares.append(security_headers)
    app.router.add_static("/static/", STATIC)
    from bot.web import home

    home.register(app)


__all__ = ["CORE_KEY", "mount_web"]
