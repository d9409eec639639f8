"""The console in a real browser, with the bot on the fake Telegram: log in through the link ``/web``
sends, compose a directive, and see the acknowledgement pressed on Telegram in the report."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
from collections.abc import AsyncIterator
from dataclasses import replace

import pytest
from playwright.async_api import Page

from bot import runner
from bot.app import build_core
from bot.config import Config, TelegramConfig
from tests.adapters.conftest import fake  # noqa: F401  (the fake Bot API fixture)
from tests.fakes.telegram_api import FakeTelegram
from tests.web.conftest import Site, _until_listening, screenshot
from tests.web.console_helpers import ADMIN, GUIDE, LEADER, STAFF, seed_team

DOCS_SHOT = "docs/web-console.png"
"""Refreshed when ``MOTCUA_DOCS_SHOTS`` is set (the README shows it)."""


@pytest.fixture
async def telegram_site(web_config: Config, fake: FakeTelegram) -> AsyncIterator[Site]:  # noqa: F811
    """``motcua run`` with the web and Telegram (the fake), as a centre would run it."""
    url = f"http://127.0.0.1:{web_config.http.port}"
    telegram = TelegramConfig(token=fake.token, base_url=fake.base_url, base_file_url=fake.base_file_url)
    config = replace(web_config, telegram=telegram, http=replace(web_config.http, public_url=url))
    stop = asyncio.Event()
    async with build_core(config) as core:
        task = asyncio.create_task(runner.run_channels(core, stop))
        try:
            await _until_listening(web_config.http.port, task)
            yield Site(url, core)
        finally:
            stop.set()
            await asyncio.wait_for(task, 10)


async def test_login_by_the_bots_link_then_a_directive_and_its_acknowledgement(
    telegram_site: Site,
    fake: FakeTelegram,  # noqa: F811
    page: Page,
) -> None:
    site = telegram_site
    team = await seed_team(site.core.services.people)
    for user in (ADMIN, LEADER, STAFF, GUIDE):
        fake.add_chat(user)
    fake.push_text(LEADER, "/web", user_id=LEADER)
    [sent] = await fake.wait_messages(LEADER, 1, within=10)
    link = re.search(r'href="([^"]+)"', sent.raw)
    assert link is not None and link.group(1).startswith(f"{site.url}/console/login/")

    await page.goto(link.group(1))
    await page.click("#login")
    await page.wait_for_url(f"{site.url}/console")
    assert "Trưởng Bộ Phận" in await page.inner_text("nav.console")

    await page.goto(f"{site.url}/console/directives/new")
    await page.fill("#title", "Họp giao ban sáng thứ hai")
    await page.fill("#body", "Mời các anh chị họp lúc 8 giờ.")
    await page.select_option("#urgency", "khan")
    await page.check(f'input[name=units][value="{team.unit_id}"]')
    await page.click("#preview")
    assert "4 người" in await page.inner_text("#count")
    await page.click("#send")
    await page.wait_for_url(re.compile(r".*/console/directives/\d+$"))
    directive_id = int(page.url.rsplit("/", 1)[1])

    [notice] = await fake.wait_messages(STAFF, 1, within=10)
    assert "Họp giao ban sáng thứ hai" in notice.text
    fake.push_callback(STAFF, f"ack:{directive_id}", user_id=STAFF)
    await fake.wait_for(lambda: notice.edits, within=10)

    await page.reload()
    staff_row = page.locator("#acks tr", has_text="Ba")
    assert "bấm nút" in await staff_row.inner_text()
    shot = await screenshot(page, "console-directive-report")
    if os.environ.get("MOTCUA_DOCS_SHOTS"):
        await asyncio.to_thread(shutil.copyfile, shot, DOCS_SHOT)
