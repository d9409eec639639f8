"""The web: public procedure pages, the web chat and the staff console, on the bot's own aiohttp server.

Every page is rendered on the server from the same services the chat and the CLI use; templates escape
what they show (:mod:`bot.adapters.web.pages`), and every response carries the security headers of
:mod:`bot.adapters.web.security`. Each part registers its routes in :func:`mount_web`.
"""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from bot.adapters.web.pages import PAGES_KEY, Pages
from bot.adapters.web.security import security_headers
from bot.config import Config
from bot.services import Services

SERVICES_KEY: web.AppKey[Services] = web.AppKey("services")
CONFIG_KEY: web.AppKey[Config] = web.AppKey("config")
STATIC = Path(__file__).parent / "static"


def mount_web(app: web.Application, services: Services, config: Config) -> None:
    """Add the web's routes, static files and security headers to ``app`` (before it starts)."""
    app[SERVICES_KEY] = services
    app[CONFIG_KEY] = config
    app[PAGES_KEY] = Pages(config)
    app.middlewares.append(security_headers)
    app.router.add_static("/static/", STATIC)
    from bot.adapters.web import home

    home.register(app)


__all__ = ["CONFIG_KEY", "SERVICES_KEY", "mount_web"]
