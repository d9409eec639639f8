"""Web fixtures: the real bot serving its web on a free port, and the distribution's headless Chromium.

The browser is Chromium from the distribution (``make test`` installs it when missing), driven by
Playwright; no browser is downloaded. ``MOTCUA_CHROMIUM`` names another binary.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, async_playwright

from bot import runner
from bot.app import Core, build_core
from bot.config import Config, DatabaseConfig, HttpConfig
from bot.services.procedures import import_procedures
from bot.storage import create_engine, session_factory
from bot.storage.migrate import upgrade_engine
from knowledge.demo import DEMO_DIR
from knowledge.importers import load_paths
from tests.adapters.test_telegram_runner import free_port

SCREENSHOTS = Path(os.environ.get("MOTCUA_SCREENSHOTS", "var/screenshots"))
"""Where browser tests save what each path looked like (kept out of git; docs/ holds a chosen few)."""
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
"""Headless, as root in a container, and never calling home (the machine has no network)."""


def chromium_path() -> str:
    """The Chromium binary to drive: ``MOTCUA_CHROMIUM``, else the distribution's."""
    found = os.environ.get("MOTCUA_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        pytest.fail("Chromium not found: `make test` installs the distribution's package (chromium)")
    return found


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    """A headless Chromium, closed after the test."""
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_FLAGS)
        try:
            yield launched
        finally:
            await launched.close()


@pytest.fixture
async def page(browser: Browser) -> AsyncIterator[Page]:
    """A phone-sized page in Vietnamese."""
    context = await browser.new_context(viewport={"width": 390, "height": 844}, locale="vi-VN")
    try:
        yield await context.new_page()
    finally:
        await context.close()


async def screenshot(page: Page, name: str) -> Path:
    """Save what ``page`` shows as ``SCREENSHOTS/name.png``; return the path."""
    await asyncio.to_thread(SCREENSHOTS.mkdir, parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    await page.screenshot(path=str(path), full_page=True)
    return path


@pytest.fixture
async def web_database(tmp_path: Path) -> str:
    """A migrated SQLite file holding the demo knowledge base; its URL."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'web.db'}"
    engine = create_engine(url)
    try:
        await upgrade_engine(engine)
        await import_procedures(session_factory(engine), load_paths([DEMO_DIR]).procedures.values())
    finally:
        await engine.dispose()
    return url


@dataclass(frozen=True)
class Site:
    """The bot serving its web: its address, and the core behind it."""

    url: str
    core: Core


@pytest.fixture
async def web_config(web_database: str) -> Config:
    """A configuration with the web on a free port and no Telegram or Zalo token."""
    return Config(
        database=DatabaseConfig(url=web_database),
        http=HttpConfig(host="127.0.0.1", port=free_port()),
        log_level="WARNING",
    )


@pytest.fixture
async def site(web_config: Config) -> AsyncIterator[Site]:
    """The real ``run_channels`` serving the web only, as ``motcua run`` does without tokens."""
    url = f"http://127.0.0.1:{web_config.http.port}"
    config = replace(web_config, http=replace(web_config.http, public_url=url))
    stop = asyncio.Event()
    async with build_core(config) as core:
        task = asyncio.create_task(runner.run_channels(core, stop))
        try:
            await _until_listening(web_config.http.port, task)
            yield Site(url, core)
        finally:
            stop.set()
            await asyncio.wait_for(task, 10)


async def _until_listening(port: int, task: asyncio.Task[None]) -> None:
    for _ in range(200):
        if task.done():
            task.result()
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0.025)
            continue
        writer.close()
        await writer.wait_closed()
        return
    pytest.fail(f"the web server did not listen on port {port}")
