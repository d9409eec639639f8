"""Server-side HTML: Jinja2 templates shipped in the package, escaping everything they are given."""

from __future__ import annotations

from typing import Any

import jinja2
from aiohttp import web

from bot.config import Config

PAGES_KEY: web.AppKey[Pages] = web.AppKey("pages")


class Pages:
    """The templates of ``bot/web/templates``, with what every page needs (office, public address)."""

    def __init__(self, config: Config) -> None:
        self._env = jinja2.Environment(
            loader=jinja2.PackageLoader("bot.adapters.web", "templates"),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self._env.globals.update(office=config.centre, public_url=config.http.public_url.rstrip("/"))

    def html(self, template: str, **context: Any) -> str:
        """The page ``template`` rendered with ``context`` (every value escaped unless marked safe)."""
        return self._env.get_template(template).render(**context)

    def response(self, template: str, *, status: int = 200, **context: Any) -> web.Response:
        """An HTML response of ``template``."""
        return web.Response(
            text=self.html(template, **context), status=status, content_type="text/html", charset="utf-8"
        )


def pages(request: web.Request) -> Pages:
    """The templates of the application serving ``request``."""
    return request.app[PAGES_KEY]
