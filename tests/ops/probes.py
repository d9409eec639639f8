"""Serving over the real core against both fakes in webhook mode, and reading the bot's own HTTP server."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from aiohttp import ClientConnectorError, ClientSession

from bot import runner
from bot.app import Core, build_core
from bot.config import Config, DatabaseConfig, HttpConfig, OutboxConfig, TelegramConfig, ZaloConfig
from tests.adapters.test_telegram_runner import free_port
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.zalo_api import FakeZalo

TELEGRAM_SECRET = "ops-telegram-secret-0123456789"
ZALO_SECRET = "ops-zalo-secret-0123456789"


def webhooks(telegram: FakeTelegram, zalo: FakeZalo, database: DatabaseConfig) -> Config:
    """Telegram and Zalo both in webhook mode on one free port of our server."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    return Config(
        database=database,
        http=HttpConfig(host="127.0.0.1", port=port),
        telegram=TelegramConfig(
            token=telegram.token,
            base_url=telegram.base_url,
            base_file_url=telegram.base_file_url,
            mode="webhook",
            webhook_url=f"{base}/telegram/webhook",
            webhook_secret=TELEGRAM_SECRET,
        ),
        zalo=ZaloConfig(
            token=zalo.token,
            base_url=zalo.base_url,
            mode="webhook",
            webhook_url=f"{base}/zalo/webhook",
            webhook_secret=ZALO_SECRET,
        ),
        outbox=OutboxConfig(idle_poll_seconds=0.2),
    )


def address(config: Config, path: str) -> str:
    """The URL of ``path`` on the bot's own server."""
    return f"http://{config.http.host}:{config.http.port}{path}"


@asynccontextmanager
async def serving(config: Config) -> AsyncIterator[Core]:
    """The real core and every channel served by the runner, stopped on exit."""
    stop = asyncio.Event()
    async with build_core(config) as core:
        task = asyncio.create_task(runner.run_channels(core, stop))
        try:
            yield core
        finally:
            stop.set()
            await asyncio.wait_for(task, 10)


async def fetch(url: str, *, within: float = 5.0) -> tuple[int, str]:
    """GET ``url`` once the server listens: (status, body)."""
    deadline = time.monotonic() + within
    async with ClientSession() as http:
        while True:
            try:
                async with http.get(url) as response:
                    return response.status, await response.text()
            except ClientConnectorError:
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.02)


async def readyz(config: Config) -> tuple[int, dict[str, Any]]:
    """/readyz's status and JSON body."""
    status, body = await fetch(address(config, "/readyz"))
    return status, json.loads(body)


async def until(check: Any, *, within: float = 5.0) -> Any:
    """Await ``check()`` until it returns something truthy; fail after ``within`` seconds."""
    deadline = time.monotonic() + within
    while True:
        found = await check()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {within} s (last: {found!r})")
        await asyncio.sleep(0.05)


async def wait_ready(config: Config) -> dict[str, Any]:
    """/readyz's body once it answers 200."""

    async def ready() -> dict[str, Any] | None:
        status, body = await readyz(config)
        return body if status == 200 else None

    found: dict[str, Any] = await until(ready, within=10)
    return found
