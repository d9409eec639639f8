"""The runner with the real core (SQLite, migrations, handlers) serving Telegram against the fake."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from aiohttp import ClientSession

from bot import runner, texts
from bot.adapters import ChannelError
from bot.adapters.telegram.channel import TELEGRAM_AUTH_HEADER
from bot.app import build_core
from bot.config import Config, DatabaseConfig, HttpConfig, TelegramConfig
from bot.services.procedures import import_procedures
from bot.storage import create_engine, session_factory
from bot.storage.migrate import upgrade_engine
from knowledge.model import Procedure
from tests.fakes.telegram_api import FakeTelegram

PROCEDURES = [
    Procedure(code="1.001193", name="Đăng ký khai sinh", level="Cấp xã", field="Hộ tịch"),
    Procedure(code="1.000110", name="Cấp lại thẻ Căn cước", level="Cấp xã", field="Căn cước"),
    Procedure(code="1.004227", name="Đăng ký kết hôn", level="Cấp xã", field="Hộ tịch"),
    # The same procedure at two levels: the textbook case for offering choices instead of guessing.
    Procedure(
        code="1.009972", name="Cấp giấy phép xây dựng nhà ở riêng lẻ", level="Cấp xã", field="Xây dựng"
    ),
    Procedure(
        code="2.002184", name="Cấp giấy phép xây dựng nhà ở riêng lẻ", level="Cấp tỉnh", field="Xây dựng"
    ),
]


@pytest.fixture
async def database(tmp_path: Path) -> AsyncIterator[DatabaseConfig]:
    """A migrated SQLite database holding a few procedures."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'motcua.db'}"
    await _prepare(url)
    yield DatabaseConfig(url=url)


def free_port() -> int:
    """A port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def config_for(fake: FakeTelegram, database: DatabaseConfig, port: int = 0, **telegram: object) -> Config:
    """Configuration pointing at the fake Bot API and the test database."""
    settings: dict[str, object] = {
        "token": fake.token,
        "base_url": fake.base_url,
        "base_file_url": fake.base_file_url,
    }
    return Config(
        database=database,
        telegram=TelegramConfig(**{**settings, **telegram}),  # type: ignore[arg-type]
        http=HttpConfig(host="127.0.0.1", port=port or free_port()),
    )


@asynccontextmanager
async def serving(config: Config) -> AsyncIterator[None]:
    """The real core and the runner's channels, stopped (and checked to stop quickly) on exit."""
    stop = asyncio.Event()
    async with build_core(config) as core:
        task = asyncio.create_task(runner.run_channels(core, stop))
        try:
            yield
        finally:
            stop.set()
            await asyncio.wait_for(task, 3)


async def test_polling_with_the_real_core_answers_and_stops_cleanly(
    fake: FakeTelegram, database: DatabaseConfig
) -> None:
    async with serving(config_for(fake, database)):
        fake.push_text(111, "đăng ký khai sinh")
        [sent] = await fake.wait_messages(111, 1)
        assert "khai sinh" in sent.text.lower()
        # Close choices come back as buttons; a press and a typed number both open a card.
        fake.push_text(111, "cấp giấy phép xây dựng nhà ở riêng lẻ")
        choices = (await fake.wait_messages(111, 2))[1]
        assert len(choices.buttons) >= 2
        (_, first), (_, second) = choices.buttons[:2]
        query_id = fake.push_callback(111, second)
        card = (await fake.wait_messages(111, 3))[2]
        assert second.split(":", 1)[1] in card.text
        await fake.wait_for(lambda: query_id in fake.answered_callbacks)
        fake.push_text(111, "1")
        card = (await fake.wait_messages(111, 4))[3]
        assert first.split(":", 1)[1] in card.text
        sticker = {
            "file_id": "f",
            "file_unique_id": "u",
            "width": 1,
            "height": 1,
            "is_animated": False,
            "is_video": False,
            "type": "regular",
        }
        fake.push_raw(
            {
                "message": {
                    "message_id": 9,
                    "from": fake.user(111),
                    "chat": fake.add_chat(111),
                    "date": 1,
                    "sticker": sticker,
                }
            }
        )
        assert (await fake.wait_messages(111, 5))[4].raw == texts.TEXT_ONLY
    assert not fake.pending


async def test_webhook_mode_serves_our_http_server_until_stopped(
    fake: FakeTelegram, database: DatabaseConfig
) -> None:
    secret = "runner-secret-0123456789"
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram/webhook"
    config = config_for(fake, database, port, mode="webhook", webhook_url=url, webhook_secret=secret)
    async with serving(config):
        await fake.wait_for(lambda: fake.webhook_url == url)
        fake.push_text(111, "cấp lại căn cước")
        [sent] = await fake.wait_messages(111, 1)
        assert "căn cước" in sent.text.lower()
        assert fake.webhook_deliveries[-1][1] == 200
        async with (
            ClientSession() as http,
            http.post(url, json={"update_id": 1}, headers={TELEGRAM_AUTH_HEADER: "nope"}) as response,
        ):
            assert response.status == 401
    # Stopping must not delete the webhook: Telegram keeps what residents send meanwhile.
    assert fake.webhook_url == url and not fake.calls_of("deleteWebhook")


async def test_a_rejected_token_fails_start_without_leaking_it(
    fake: FakeTelegram, database: DatabaseConfig
) -> None:
    config = config_for(fake, database, token="654321:WRONG-secret-token")
    async with build_core(config) as core:
        with pytest.raises(ChannelError) as failure:
            await asyncio.wait_for(runner.run_channels(core, asyncio.Event()), 3)
    assert "WRONG-secret-token" not in str(failure.value)
    assert "InvalidToken" in str(failure.value)


def test_run_without_any_channel_exits_2_and_says_why(capsys: pytest.CaptureFixture[str]) -> None:
    assert runner.run(Config(http=HttpConfig(web=False))) == 2
    assert "MOTCUA_TELEGRAM_TOKEN" in capsys.readouterr().err


def test_logs_never_show_the_token_or_the_secret() -> None:
    token, secret = "123456:TOP-secret", "webhook-secret-0123456789"
    config = Config(telegram=TelegramConfig(token=token, webhook_secret=secret))
    root = logging.getLogger()
    handler = logging.StreamHandler()
    root.addHandler(handler)
    try:
        runner.protect_logs(config)
        record = logging.LogRecord(
            "httpx", logging.INFO, __file__, 1, "POST /bot%s/getMe %s", (token, secret), None
        )
        text = handler.format(record)
        assert token not in text and secret not in text and "<redacted>" in text
        assert logging.getLogger("httpx").getEffectiveLevel() >= logging.WARNING
        assert logging.getLogger("telegram").getEffectiveLevel() >= logging.INFO
    finally:
        root.removeHandler(handler)


def test_motcua_run_serves_until_sigterm_and_exits_0(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'motcua.db'}"
    asyncio.run(_prepare(url))
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    fake = FakeTelegram()
    asyncio.run_coroutine_threadsafe(fake.start(), loop).result(5)
    root = logging.getLogger()
    level, formatters = root.level, [(h, h.formatter) for h in root.handlers]

    def resident_then_sigterm() -> None:
        loop.call_soon_threadsafe(fake.push_text, 111, "cấp lại căn cước")
        try:
            asyncio.run_coroutine_threadsafe(fake.wait_messages(111, 1, within=10), loop).result(12)
        finally:
            # Sent only once run() answered, i.e. once its signal handlers are installed.
            os.kill(os.getpid(), signal.SIGTERM)

    killer = threading.Thread(target=resident_then_sigterm)
    try:
        killer.start()
        assert runner.run(config_for(fake, DatabaseConfig(url=url))) == 0
        killer.join(5)
        assert "căn cước" in fake.messages_to(111)[0].text.lower()
    finally:
        root.setLevel(level)
        for handler, formatter in formatters:
            handler.setFormatter(formatter)
        asyncio.run_coroutine_threadsafe(fake.close(), loop).result(5)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
        loop.close()


async def _prepare(url: str) -> None:
    engine = create_engine(url)
    try:
        await upgrade_engine(engine)
        await import_procedures(session_factory(engine), PROCEDURES)
    finally:
        await engine.dispose()
