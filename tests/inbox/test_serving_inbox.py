"""The runner's wiring (the real core, ``run_channels``): webhooks go through the inbox, also on restart."""

from __future__ import annotations

from aiohttp import ClientSession

from bot.adapters.telegram.channel import TELEGRAM_AUTH_HEADER
from bot.config import DatabaseConfig
from bot.inbox import inbox_stats
from bot.storage import create_engine, session_factory
from bot.storage.migrate import upgrade_engine
from tests.adapters.test_telegram_runner import config_for, free_port, serving
from tests.fakes.telegram_api import FakeTelegram
from tests.inbox.rig import text_update

SECRET = "webhook-secret-0123456789"


async def test_run_channels_stores_webhook_updates_and_refuses_a_duplicate_after_a_restart(
    fake: FakeTelegram, db_url: str
) -> None:
    engine = create_engine(db_url)
    await upgrade_engine(engine)
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram/webhook"
    config = config_for(
        fake, DatabaseConfig(url=db_url), port, mode="webhook", webhook_url=url, webhook_secret=SECRET
    )
    body = text_update(fake, 7001, 321, "/start")
    headers = {TELEGRAM_AUTH_HEADER: SECRET}
    try:
        async with ClientSession() as http:
            async with serving(config):
                await fake.wait_for(lambda: fake.webhook_url == url)
                async with http.post(url, json=body, headers=headers) as response:
                    assert (response.status, await response.json()) == (200, {"ok": True})
                await fake.wait_messages(321, 1)
            async with serving(config):
                # Listening again once the webhook is registered again.
                await fake.wait_for(lambda: len(fake.calls_of("setWebhook")) == 2)
                async with http.post(url, json=body, headers=headers) as response:
                    assert (response.status, await response.json()) == (200, {"ok": True, "duplicate": True})
                async with http.post(url, json=[body], headers=headers) as response:
                    assert response.status == 400
        assert len(fake.messages_to(321)) == 1
        async with session_factory(engine)() as session:
            stats = await inbox_stats(session)
        assert (stats.depth, stats.oldest_age_seconds) == (0, 0.0)
    finally:
        await engine.dispose()
