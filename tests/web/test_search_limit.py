"""/tra-cuu counts searches per address, as the chat counts messages: a flood adds no rows for staff."""

from __future__ import annotations

from dataclasses import replace

import aiohttp
import pytest

from bot.config import Config
from bot.texts import web_public as say
from tests.web.conftest import Site

LIMIT = 3


@pytest.fixture
def web_config(web_config: Config) -> Config:
    """Three searches a minute per address."""
    return replace(web_config, web_chat=replace(web_config.web_chat, per_address_per_minute=LIMIT))


async def test_searches_beyond_the_minute_get_429_and_are_not_recorded(site: Site) -> None:
    async with aiohttp.ClientSession() as http:
        for n in range(LIMIT):
            async with http.get(f"{site.url}/tra-cuu", params={"q": f"xyzzy quux {n}"}) as answered:
                assert answered.status == 200
        async with http.get(f"{site.url}/tra-cuu", params={"q": "xyzzy quux flood"}) as refused:
            assert refused.status == 429
            assert say.SEARCH_TOO_FAST in await refused.text()
    recorded = [row.text for row in await site.core.services.unanswered.rows()]
    assert len(recorded) == LIMIT and not any("flood" in text for text in recorded)
