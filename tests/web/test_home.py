"""The web is served by ``motcua run`` without any token, with its security headers, in a real browser."""

from __future__ import annotations

import aiohttp
from playwright.async_api import Page

from bot.adapters.web.security import CSP
from bot.texts import web as say
from tests.web.conftest import Site, screenshot


async def test_the_web_is_served_without_any_platform_token(site: Site) -> None:
    async with aiohttp.ClientSession() as http, http.get(f"{site.url}/") as response:
        body = await response.text()
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/html")
        assert response.headers["Content-Security-Policy"] == CSP
        assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert '<html lang="vi">' in body
    assert say.SEARCH_LABEL in body


async def test_errors_carry_the_security_headers_too(site: Site) -> None:
    async with aiohttp.ClientSession() as http, http.get(f"{site.url}/khong-co-trang-nay") as response:
        assert response.status == 404
        assert response.headers["Content-Security-Policy"] == CSP


async def test_the_front_page_in_a_phone_browser(site: Site, page: Page) -> None:
    await page.goto(f"{site.url}/")
    assert await page.title() == f"{say.SITE_TITLE} · {site.core.config.centre.name}"
    assert await page.get_by_label(say.SEARCH_LABEL).is_visible()
    path = await screenshot(page, "home")
    assert path.stat().st_size > 1000


async def test_the_favicon_is_answered_without_an_error(site: Site) -> None:
    async with aiohttp.ClientSession() as http, http.get(f"{site.url}/favicon.ico") as response:
        assert response.status == 204


async def test_a_page_that_fails_still_answers_with_the_policy_and_no_details() -> None:
    from aiohttp import web
    from aiohttp.test_utils import TestClient, TestServer

    from bot.adapters.web.security import security_headers

    async def broken(request: web.Request) -> web.Response:
        raise RuntimeError("secret detail")

    app = web.Application(middlewares=[security_headers])
    app.router.add_get("/broken/{token}", broken)
    async with TestClient(TestServer(app)) as client:
        response = await client.get("/broken/abc")
        body = await response.text()
    assert response.status == 500
    assert response.headers["Content-Security-Policy"] == CSP
    assert "secret detail" not in body and say.ERROR_PAGE in body
