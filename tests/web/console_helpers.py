"""Shared by the console tests: people to log in as, and a logged-in HTTP client."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import aiohttp

from bot.messages import Platform
from bot.services import Services
from bot.services.people import Actor, PeopleService, Role
from bot.services.web_login import LinkRefusal

ADMIN, LEADER, STAFF, GUIDE = 9001, 9002, 9003, 9004
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@dataclass(frozen=True)
class Team:
    """The unit and the people seeded for the console tests."""

    unit_id: int
    staff_id: int


async def seed_team(people: PeopleService) -> Team:
    """A unit with an admin, its leader, a staff member named with markup and a guide, on Telegram."""
    system = Actor.system()
    unit = await people.create_unit(system, "Bộ phận một cửa")
    ids = {}
    for user, name, role in (
        (ADMIN, "Quản Trị", Role.ADMIN),
        (LEADER, "Trưởng Bộ Phận", Role.LEADER),
        (STAFF, "<script>alert(1)</script> Ba", Role.STAFF),
        (GUIDE, "Hướng Dẫn", Role.GUIDE),
    ):
        person = await people.create_person(system, name, role, unit_id=unit.id)
        code = await people.invite(system, person.id)
        await people.redeem(code.code, Platform.TELEGRAM, str(user), str(user))
        ids[role] = person.id
    await people.set_unit_leader(system, unit.id, ids[Role.LEADER])
    return Team(unit.id, ids[Role.STAFF])


def client() -> aiohttp.ClientSession:
    """A client keeping cookies for 127.0.0.1, not following redirects by default."""
    return aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))


def origin(url: str) -> dict[str, str]:
    """The ``Origin`` a browser sends when a page of the site at ``url`` posts a form."""
    return {"Origin": url}


async def link_for(services: Services, user: int) -> str:
    """A fresh login token for a Telegram user, as ``/web`` makes it."""
    assert services.console is not None
    token = await services.console.logins.issue(Platform.TELEGRAM, str(user))
    assert not isinstance(token, LinkRefusal)
    return token


@asynccontextmanager
async def logged_in(url: str, services: Services, user: int) -> AsyncIterator[aiohttp.ClientSession]:
    """A client with a console session for ``user``."""
    async with client() as http:
        token = await link_for(services, user)
        address = f"{url}/console/login/{token}"
        async with http.post(address, allow_redirects=False, headers=origin(url)) as response:
            assert response.status == 303
        yield http


async def csrf_of(http: aiohttp.ClientSession, address: str) -> str:
    """The CSRF token of the page at ``address``."""
    async with http.get(address) as response:
        found = CSRF.search(await response.text())
    assert found is not None
    return found.group(1)
