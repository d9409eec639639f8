"""``/p/CODE``: a procedure's card as the chat shows it, with every section below, readable without JS.

The card and its sections come from the core's dispatcher (``/thutuc CODE`` and each section button), so
the page says what the chat says. A rendered page is kept, gzipped, per code until the index holds another
record for that code (a re-import or an alias change rebuilds the index, hence new records).
"""

from __future__ import annotations

import gzip
import html
import re
from collections import OrderedDict
from dataclasses import dataclass

from aiohttp import web

from bot.adapters.web import CONFIG_KEY, SERVICES_KEY
from bot.adapters.web.pages import pages
from bot.adapters.web.public.chat import ask
from bot.adapters.web.public.links import onward
from bot.adapters.web.public.markup import to_html
from bot.services.public_links import page_url, plausible_code
from bot.texts import web as site_say
from bot.texts import web_public as say

SECTION_PAYLOAD = "s:"
"""Payloads of a card's section buttons (``s:<section>:<code>``)."""
CACHE_SIZE = 4096
"""Pages kept, gzipped (a few kilobytes each): the whole national catalogue fits."""
_BOLD_LINE = re.compile(r"^<b>(.*)</b>$")


@dataclass(frozen=True, slots=True)
class Section:
    """One section of a card: its key (the page anchor), title and HTML."""

    key: str
    title: str
    html: str


class CardPages:
    """Rendered card pages by code (gzipped), each valid while the index holds the same record."""

    def __init__(self, size: int = CACHE_SIZE) -> None:
        self._pages: OrderedDict[str, tuple[object, bytes]] = OrderedDict()
        self._size = size

    def get(self, code: str, record: object) -> bytes | None:
        """The page rendered from ``record``, or None."""
        kept = self._pages.get(code)
        if kept is None or kept[0] is not record:
            return None
        self._pages.move_to_end(code)
        return kept[1]

    def put(self, code: str, record: object, body: bytes) -> None:
        """Keep the page rendered from ``record``."""
        self._pages[code] = (record, body)
        self._pages.move_to_end(code)
        if len(self._pages) > self._size:
            self._pages.popitem(last=False)


CARD_PAGES_KEY: web.AppKey[CardPages] = web.AppKey("card_pages", CardPages)


def without_heading(markup: str, heading: str) -> str:
    """``markup`` without its first bold line when that line only repeats ``heading`` (the page has it).

    A card starts with its name (maybe cut with "…"); a section with its title and the name after it.
    """
    lines = markup.split("\n")
    for index, line in enumerate(lines[:3]):
        match = _BOLD_LINE.match(line.strip())
        said = html.unescape(match.group(1)).rstrip("…").strip() if match else ""
        if said and (heading.startswith(said) or said.startswith(heading)):
            return "\n".join(lines[:index] + lines[index + 1 :])
    return markup


async def card(request: web.Request) -> web.Response:
    """The card page of ``/p/CODE``, or a 404 page."""
    code = request.match_info["code"]
    procedures = request.app[SERVICES_KEY].procedures
    record = procedures.get(code) if plausible_code(code) else None
    if record is None:
        return not_found(request, code)
    kept = request.app[CARD_PAGES_KEY]
    packed = kept.get(record.code, record)
    if packed is None:
        page = await render(request, record.code, record.name or record.code)
        packed = gzip.compress(page.encode(), compresslevel=6)
        kept.put(record.code, record, packed)
    headers = {"Cache-Control": "public, max-age=300", "Vary": "Accept-Encoding"}
    if "gzip" in request.headers.get("Accept-Encoding", ""):
        headers["Content-Encoding"] = "gzip"
        body = packed
    else:
        body = gzip.decompress(packed)
    return web.Response(body=body, content_type="text/html", charset="utf-8", headers=headers)


async def render(request: web.Request, code: str, name: str) -> str:
    """The page of one procedure, from the chat's card and sections."""
    config = request.app[CONFIG_KEY]
    replies = await ask(request, text=f"/thutuc {code}")
    first = replies[0]
    sections: list[Section] = []
    for button in first.buttons:
        if not button.payload.startswith(SECTION_PAYLOAD):
            continue
        parts = [reply.text for reply in await ask(request, payload=button.payload)]
        if parts:
            parts[0] = without_heading(parts[0], button.label)
        key = button.payload.split(":")[1]
        sections.append(Section(key, button.label, "\n".join(to_html(part) for part in parts)))
    public_url = config.http.public_url
    return pages(request).html(
        "public/card.html",
        say=say,
        site=site_say,
        name=name,
        code=code,
        card_html=to_html(without_heading(first.text, name)),
        sections=sections,
        canonical=page_url(public_url, code) if public_url else "",
        onward=onward(config, code),
    )


def not_found(request: web.Request, code: str) -> web.Response:
    """The 404 page for a code the catalogue does not hold (echoed escaped, and cut short)."""
    config = request.app[CONFIG_KEY]
    return pages(request).response(
        "public/not_found.html", status=404, say=say, site=site_say, code=code[:60], onward=onward(config)
    )
