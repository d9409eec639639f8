"""The office kiosk in a real browser: after a while without use the next resident starts afresh."""

from __future__ import annotations

from dataclasses import replace

import pytest
from playwright.async_api import Page, expect

from bot.adapters.web.chat.sessions import COOKIE
from bot.config import Config
from bot.texts import web_chat as say
from tests.web.conftest import Site


@pytest.fixture
def web_config(web_config: Config) -> Config:
    """A kiosk that resets after two seconds without use (the configuration's floor is for people)."""
    return replace(web_config, web_chat=replace(web_config.web_chat, kiosk_idle_seconds=2))


async def _session(page: Page) -> str:
    [cookie] = [c for c in await page.context.cookies() if c["name"] == COOKIE]
    return cookie["value"]


async def test_the_kiosk_clears_the_screen_and_starts_a_new_session(site: Site, page: Page) -> None:
    await page.goto(f"{site.url}/chat?kiosk=1")
    await expect(page.locator("body.online")).to_have_count(1)
    first = await _session(page)
    field = page.get_by_label(say.INPUT_LABEL)
    log = page.locator("#log")
    await field.fill("đăng ký kết hôn")
    await field.press("Enter")
    await expect(log.locator(".msg.me")).to_have_count(1)

    await expect(log.locator(".msg.bot").filter(has_text=say.KIOSK_RESET)).to_have_count(1, timeout=10_000)
    await expect(log.locator(".msg.me")).to_have_count(0)
    await expect(page.locator("body.online")).to_have_count(1)
    assert await _session(page) != first

    # The new session answers like any other.
    await field.fill("lam khai sinh cho be")
    await field.press("Enter")
    await expect(log.locator(".msg.bot").filter(has_text="1.001193")).to_have_count(1)
