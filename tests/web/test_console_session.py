"""The console's login link, sessions, roles, CSRF and escaping, over plain HTTP against the real server."""

from __future__ import annotations

from datetime import timedelta

import pytest
from aiohttp import web
from aiohttp.test_utils import make_mocked_request

from bot.adapters.web import CONFIG_KEY
from bot.adapters.web.console.auth import COOKIE, set_cookie
from bot.config import Config, HttpConfig
from bot.messages import ChatRef, Incoming, Platform
from bot.services.web_login import LINK_TTL, SESSION_TTL, LinkRefusal
from bot.texts import web_console as texts
from tests.web.conftest import Site
from tests.web.console_helpers import (
    ADMIN,
    GUIDE,
    STAFF,
    client,
    csrf_of,
    link_for,
    logged_in,
    origin,
    seed_team,
)


@pytest.fixture
async def team(site: Site) -> None:
    """The console's people, seeded into the running site."""
    await seed_team(site.core.services.people)


async def test_without_a_session_the_console_redirects_to_login(site: Site) -> None:
    async with client() as http, http.get(f"{site.url}/console/audit", allow_redirects=False) as response:
        assert response.status == 303
        assert response.headers["Location"] == "/console/login"


async def test_a_link_works_once_and_a_stale_one_never(site: Site, team: None) -> None:
    services = site.core.services
    assert services.console is not None
    token = await link_for(services, STAFF)
    async with client() as http:
        async with http.get(f"{site.url}/console/login/{token}") as shown:
            assert shown.status == 200  # a preview fetch spends nothing
        async with http.post(
            f"{site.url}/console/login/{token}", allow_redirects=False, headers=origin(site.url)
        ) as first:
            assert first.status == 303
            cookie = first.headers["Set-Cookie"]
            assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/console" in cookie
        async with http.post(
            f"{site.url}/console/login/{token}", allow_redirects=False, headers=origin(site.url)
        ) as again:
            assert again.status == 403
    logins = services.console.logins
    stale = await link_for(services, STAFF)
    real_clock = logins.clock
    logins.clock = lambda: real_clock() + LINK_TTL + timedelta(seconds=1)
    try:
        async with (
            client() as http,
            http.post(
                f"{site.url}/console/login/{stale}", allow_redirects=False, headers=origin(site.url)
            ) as late,
        ):
            assert late.status == 403
    finally:
        logins.clock = real_clock
    async with (
        client() as http,
        http.post(
            f"{site.url}/console/login/{'x' * 43}", allow_redirects=False, headers=origin(site.url)
        ) as wrong,
    ):
        assert wrong.status == 403


async def test_a_login_posted_from_another_site_is_refused_and_spends_nothing(site: Site, team: None) -> None:
    token = await link_for(site.core.services, STAFF)
    async with client() as http:
        async with http.get(f"{site.url}/console/login/{token}") as shown:
            assert shown.headers["Referrer-Policy"] == "strict-origin"
        for headers in ({"Origin": "https://ke-gian.example"}, {"Origin": "null"}, {}):
            address = f"{site.url}/console/login/{token}"
            async with http.post(address, allow_redirects=False, headers=headers) as forged:
                assert forged.status == 403
                assert "Set-Cookie" not in forged.headers
        address = f"{site.url}/console/login/{token}"
        async with http.post(address, allow_redirects=False, headers=origin(site.url)) as mine:
            assert mine.status == 303


async def test_only_staff_leaders_and_admins_get_a_link(site: Site, team: None) -> None:
    assert site.core.services.console is not None
    logins = site.core.services.console.logins
    assert await logins.issue(Platform.TELEGRAM, str(GUIDE)) is LinkRefusal.NOT_STAFF
    assert await logins.issue(Platform.TELEGRAM, "424242") is LinkRefusal.NOT_STAFF


async def test_staff_cannot_open_admin_pages_and_names_are_escaped(site: Site, team: None) -> None:
    async with logged_in(site.url, site.core.services, STAFF) as http:
        async with http.get(f"{site.url}/console") as home:
            body = await home.text()
            assert home.status == 200
            assert "&lt;script&gt;alert(1)&lt;/script&gt; Ba" in body and "<script>alert" not in body
            assert "/console/audit" not in body
        async with http.get(f"{site.url}/console/audit") as audit:
            assert audit.status == 403
    async with (
        logged_in(site.url, site.core.services, ADMIN) as http,
        http.get(f"{site.url}/console/audit") as audit,
    ):
        assert audit.status == 200
        assert "web.login" in await audit.text()
        assert audit.headers["Cache-Control"] == "no-store"  # not shown again from the cache after logout


async def test_a_form_without_its_token_is_refused_and_logout_ends_the_session(
    site: Site, team: None
) -> None:
    async with logged_in(site.url, site.core.services, STAFF) as http:
        async with http.post(f"{site.url}/console/logout", data={}) as forged:
            assert forged.status == 403
        async with http.post(f"{site.url}/console/logout", data={"csrf": "x" * 43}) as wrong:
            assert wrong.status == 403
        token = await csrf_of(http, f"{site.url}/console")
        async with http.post(f"{site.url}/console/logout", data={"csrf": token}) as out:
            assert out.status == 200
        async with http.get(f"{site.url}/console", allow_redirects=False) as after:
            assert after.status == 303


async def test_web_sends_a_link_only_in_private_and_only_to_console_roles(site: Site, team: None) -> None:
    async def say(user: int, *, group: bool = False) -> str:
        chat = ChatRef(Platform.TELEGRAM, "-1001" if group else str(user), group)
        [reply] = await site.core.dispatcher.dispatch(Incoming(chat, str(user), text="/web"))
        return reply.text

    assert f"{site.url}/console/login/" in await say(STAFF)
    assert await say(STAFF, group=True) == texts.LINK_IN_PRIVATE
    assert await say(GUIDE) == texts.LINK_NOT_STAFF


def test_the_cookie_is_secure_behind_https() -> None:
    for address, secure in (("https://motcua.example.vn", True), ("http://127.0.0.1:8080", False)):
        app = web.Application()
        app[CONFIG_KEY] = Config(http=HttpConfig(public_url=address))
        response = web.Response()
        set_cookie(make_mocked_request("GET", "/", app=app), response, "value", 60)
        morsel = response.cookies[COOKIE]
        assert bool(morsel["secure"]) is secure
        assert morsel["httponly"] and morsel["samesite"] == "Strict"


async def test_a_session_ends_when_it_expires(site: Site, team: None) -> None:
    assert site.core.services.console is not None
    logins = site.core.services.console.logins
    async with logged_in(site.url, site.core.services, STAFF) as http:
        real_clock = logins.clock
        logins.clock = lambda: real_clock() + SESSION_TTL + timedelta(seconds=1)
        try:
            async with http.get(f"{site.url}/console", allow_redirects=False) as late:
                assert late.status == 303
        finally:
            logins.clock = real_clock
        async with http.get(f"{site.url}/console", allow_redirects=False) as still:
            assert still.status == 200
