"""``GET /media/<token>.png`` on the bot's server, and the image host the Zalo sender puts charts on."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from bot.adapters.http_server import HttpServer
from bot.services.report.media import MediaStore

MEDIA_PATH = "/media/"
ImageHost = Callable[[bytes], Awaitable[str | None]]


def add_media_route(server: HttpServer, store: MediaStore) -> None:
    """Serve stored images by token (before the server starts); unknown tokens get 404."""

    async def media(request: web.Request) -> web.Response:
        found = await store.get(request.match_info["token"])
        if found is None:
            raise web.HTTPNotFound()
        content_type, data = found
        return web.Response(body=data, content_type=content_type, headers={"Cache-Control": "max-age=86400"})

    server.app.router.add_get(MEDIA_PATH + "{token}.png", media)


def image_host(store: MediaStore, public_url: str) -> ImageHost:
    """Store an image and return its address under ``public_url`` (this server, as the world sees it)."""
    base = public_url.rstrip("/")

    async def host(data: bytes) -> str | None:
        return f"{base}{MEDIA_PATH}{await store.put(data)}.png"

    return host
