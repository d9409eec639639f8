"""The web: public procedure pages, the web chat and the staff console, on the bot's own aiohttp server.

Every page is rendered on the server from the same services the chat and the CLI use; templates escape
what they show (:mod:`bot.adapters.web.pages`), and every response carries the security headers of
:mod:`bot.adapters.web.security`. Each part registers its routes in :func:`mount_web`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

from aiohttp import web

from bot.adapters.web.pages import PAGES_KEY, Pages
from bot.adapters.web.security import security_headers
from bot.config import Config
from bot.messages import Incoming, Reply
from bot.services import Services

Dispatch = Callable[[Incoming], Awaitable[list[Reply]]]

SERVICES_KEY: web.AppKey[Services] = web.AppKey("services")
CONFIG_KEY: web.AppKey[Config] = web.AppKey("config")
DISPATCH_KEY: web.AppKey[Dispatch] = web.AppKey("dispatch")
"""The core's dispatcher: the web chat (and any page showing what the chat shows) answers through it."""
STATIC = Path(__file__).parent / "static"


def mount_web(app: web.Application, services: Services, config: Config, dispatch: Dispatch) -> None:
    """Add the web's routes, static files and security headers to ``app`` (before it starts)."""
    app[SERVICES_KEY] = services
    app[CONFIG_KEY] = config
    app[DISPATCH_KEY] = dispatch
    app[PAGES_KEY] = Pages(config)
    app.middlewares.append(security_headers)
    app.router.add_static("/static/", STATIC)
    from bot.adapters.web import home

    home.register(app)
    from bot.adapters.web import chat

    chat.register(app)
    from bot.adapters.web import console

    console.register(app)
    from bot.adapters.web import public

    public.register(app)


__all__ = ["CONFIG_KEY", "DISPATCH_KEY", "SERVICES_KEY", "Dispatch", "mount_web"]
