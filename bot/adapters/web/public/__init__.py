"""The public pages: a procedure's card (``/p/CODE``), search (``/tra-cuu``) and dossiers (``/hoso``)."""

from __future__ import annotations

from aiohttp import web

from bot.adapters.web import CONFIG_KEY
from bot.adapters.web.limits import PerMinute
from bot.adapters.web.public import card, dossier, search


def register(app: web.Application) -> None:
    """Add the public pages' routes."""
    app[card.CARD_PAGES_KEY] = card.CardPages()
    app[search.SEARCHES_KEY] = PerMinute(app[CONFIG_KEY].web_chat.per_address_per_minute)
    app.router.add_get("/p/{code}", card.card)
    app.router.add_get("/tra-cuu", search.search)
    app.router.add_get("/hoso", dossier.form)
    app.router.add_post("/hoso", dossier.lookup)
