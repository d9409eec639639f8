"""QR codes and A4 posters of procedures, downloaded from the console: what ``motcua qr`` makes.

The poster's "Cần mang" lines come from the chat's own card (asked of the dispatcher, as the public page
does), so the wall, the web and the chat say the same thing.
"""

from __future__ import annotations

import re

from aiohttp import web

from bot.adapters.web import CONFIG_KEY, SERVICES_KEY
from bot.adapters.web.console.auth import STAFF, guarded
from bot.adapters.web.console.render import page
from bot.adapters.web.public.chat import ask
from bot.posters.card import bring_lines
from bot.posters.poster import Poster, posters_pdf
from bot.posters.qr import qr_png
from bot.services.public_links import page_url, plausible_code, telegram_link
from bot.services.web_login import ConsoleSession
from bot.texts import web_console as say

MOST = 20
"""Codes per download: a poster run for one office wall, not the catalogue."""
_SEPARATORS = re.compile(r"[\s,;]+")


async def _page(
    request: web.Request, current: ConsoleSession, *, codes: str = "", error: str = "", status: int = 200
) -> web.Response:
    return page(
        request,
        current,
        "console/posters.html",
        status=status,
        codes=codes,
        most=MOST,
        error=error,
        public_url=request.app[CONFIG_KEY].http.public_url,
    )


@guarded(STAFF)
async def posters(request: web.Request, current: ConsoleSession) -> web.Response:
    """The form: codes, and PDF posters or a PNG QR code."""
    return await _page(request, current)


@guarded(STAFF)
async def download(request: web.Request, current: ConsoleSession) -> web.StreamResponse:
    """The posters (PDF) of the codes given, or the QR code (PNG) of one."""
    config = request.app[CONFIG_KEY]
    form = await request.post()
    typed = form.get("codes", "")
    typed = typed[:2000] if isinstance(typed, str) else ""
    if not config.http.public_url:
        return await _page(request, current, codes=typed, error=say.POSTERS_NO_URL, status=400)
    codes = list(dict.fromkeys(c for c in _SEPARATORS.split(typed) if c))
    if not codes or len(codes) > MOST or not all(plausible_code(c) for c in codes):
        error = say.POSTERS_NO_CODES.format(most=MOST)
        return await _page(request, current, codes=typed, error=error, status=400)
    procedures = request.app[SERVICES_KEY].procedures
    found = {code: procedures.get(code) for code in codes}
    if unknown := [code for code, proc in found.items() if proc is None]:
        error = say.POSTERS_UNKNOWN.format(codes=", ".join(unknown))
        return await _page(request, current, codes=typed, error=error, status=400)
    if form.get("format") == "png":
        if len(codes) != 1:
            return await _page(request, current, codes=typed, error=say.POSTERS_ONE_FOR_PNG, status=400)
        body = qr_png(page_url(config.http.public_url, codes[0]))
        return _attachment(body, "image/png", f"qr-{codes[0]}.png")
    made = []
    for code, proc in found.items():
        assert proc is not None
        replies = await ask(request, text=f"/thutuc {code}")
        made.append(
            Poster(
                name=proc.name or code,
                code=code,
                url=page_url(config.http.public_url, code),
                bring=tuple(bring_lines(replies[0].text)) if replies else (),
                telegram_url=telegram_link(config.directives.bot_username, code),
                office=config.centre.name,
            )
        )
    return _attachment(posters_pdf(made), "application/pdf", "ap-phich.pdf")


def _attachment(body: bytes, content_type: str, filename: str) -> web.Response:
    return web.Response(
        body=body,
        content_type=content_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
    )


def register(app: web.Application) -> None:
    """Add the posters' routes."""
    app.router.add_get("/console/posters", posters)
    app.router.add_post("/console/posters", download)
