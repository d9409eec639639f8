"""The runner with the real core (SQLite, migrations, handlers) serving Zalo against the fake."""

from __future__ import annotations

import asyncio
import io
import logging
import os
import re
import signal
import sys
import threading
import time
from pathlib import Path

import pytest
from aiohttp import ClientSession

from bot import cli, runner, texts
from bot.adapters import ChannelError
from bot.adapters.telegram.channel import TELEGRAM_AUTH_HEADER
from bot.adapters.zalo.channel import ZALO_AUTH_HEADER
from bot.app import build_core
from bot.config import Config, DatabaseConfig, HttpConfig, TelegramConfig, ZaloConfig
from bot.markup import to_plain
from tests.adapters import test_telegram_runner
from tests.adapters.test_telegram_runner import free_port, serving
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.zalo_api import FakeZalo, Fault

# The migrated SQLite database with a few procedures, shared with the Telegram runner tests.
database = test_telegram_runner.database

CHAT = "e4ea2cd5189df1c3a88c"
BUILDING_PERMIT_CODES = {"1.009972", "2.002184"}
SECRET = "zalo-runner-secret-0123456789"


def config_for(zalo: FakeZalo, database: DatabaseConfig, port: int = 0, **settings: object) -> Config:
    """Configuration pointing at the fake Zalo API and the test database, with a 1 s long poll."""
    # Stopping waits for the long poll in flight, so a short one keeps the tests fast.
    values: dict[str, object] = {"token": zalo.token, "base_url": zalo.base_url, "poll_timeout": 1}
    return Config(
        database=database,
        zalo=ZaloConfig(**{**values, **settings}),  # type: ignore[arg-type]
        http=HttpConfig(host="127.0.0.1", port=port or free_port()),
    )


def codes(text: str) -> set[str]:
    """Procedure codes quoted in a message."""
    return set(re.findall(r"\b\d\.\d{6}\b", text))


async def test_polling_with_the_real_core_answers_offers_numbered_choices_and_stops_promptly(
    zalo: FakeZalo, database: DatabaseConfig
) -> None:
    # serving() also checks the runner stops within 3 s: the waiting long poll ends (408) first.
    async with serving(config_for(zalo, database)):
        zalo.push_text(CHAT, "đăng ký khai sinh")
        [card] = await zalo.wait_messages(CHAT, 1)
        assert "khai sinh" in card.text.lower() and "1.001193" in card.text
        zalo.push_text(CHAT, "cấp giấy phép xây dựng nhà ở riêng lẻ")
        choices = (await zalo.wait_messages(CHAT, 2))[1]
        numbered = re.findall(r"^(\d+)\. ", choices.text, flags=re.MULTILINE)
        assert numbered[:2] == ["1", "2"]
        zalo.push_text(CHAT, "2")
        second = (await zalo.wait_messages(CHAT, 3))[2]
        zalo.push_text(CHAT, "1")
        first = (await zalo.wait_messages(CHAT, 4))[3]
        assert len(codes(second.text) & BUILDING_PERMIT_CODES) == 1
        assert codes(first.text) & BUILDING_PERMIT_CODES == BUILDING_PERMIT_CODES - codes(second.text)
        zalo.push_image(CHAT)
        assert (await zalo.wait_messages(CHAT, 5))[4].text == to_plain(texts.TEXT_ONLY)
        await zalo.wait_for(lambda: zalo.waiting_polls)
    assert zalo.waiting_polls == 0 and not zalo.lost
    assert all("<b>" not in m.text and "<code>" not in m.text for m in zalo.sent)


async def test_webhook_mode_serves_our_http_server_until_stopped(
    zalo: FakeZalo, database: DatabaseConfig
) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/zalo/webhook"
    config = config_for(zalo, database, port, mode="webhook", webhook_url=url, webhook_secret=SECRET)
    async with serving(config):
        await zalo.wait_for(lambda: zalo.webhook_url == url)
        message_id = zalo.push_text(CHAT, "cấp lại căn cước")
        [sent] = await zalo.wait_messages(CHAT, 1)
        assert "căn cước" in sent.text.lower()
        assert zalo.webhook_deliveries == [(message_id, 200)]
        async with (
            ClientSession() as http,
            http.post(url, json={"ok": True}, headers={ZALO_AUTH_HEADER: "wrong-secret-value"}) as response,
        ):
            assert response.status == 401
    assert not zalo.calls_of("getUpdates")


async def test_telegram_and_zalo_webhooks_share_one_http_server(
    zalo: FakeZalo, fake: FakeTelegram, database: DatabaseConfig
) -> None:
    port = free_port()
    zalo_url = f"http://127.0.0.1:{port}/zalo/webhook"
    telegram_url = f"http://127.0.0.1:{port}/telegram/webhook"
    config = Config(
        database=database,
        http=HttpConfig(host="127.0.0.1", port=port),
        zalo=ZaloConfig(
            token=zalo.token,
            base_url=zalo.base_url,
            mode="webhook",
            webhook_url=zalo_url,
            webhook_secret=SECRET,
        ),
        telegram=TelegramConfig(
            token=fake.token,
            base_url=fake.base_url,
            base_file_url=fake.base_file_url,
            mode="webhook",
            webhook_url=telegram_url,
            webhook_secret="telegram-secret-0123456789",
        ),
    )
    async with serving(config):
        await zalo.wait_for(lambda: zalo.webhook_url == zalo_url)
        await fake.wait_for(lambda: fake.webhook_url == telegram_url)
        zalo.push_text(CHAT, "đăng ký kết hôn")
        fake.push_text(111, "đăng ký kết hôn")
        [on_zalo] = await zalo.wait_messages(CHAT, 1)
        [on_telegram] = await fake.wait_messages(111, 1)
        assert "kết hôn" in on_zalo.text.lower() and "kết hôn" in on_telegram.text.lower()
        # Each platform's secret opens only its own route.
        async with (
            ClientSession() as http,
            http.post(zalo_url, json={}, headers={ZALO_AUTH_HEADER: fake.webhook_secret}) as response,
        ):
            assert response.status == 401
        async with (
            ClientSession() as http,
            http.post(telegram_url, json={}, headers={TELEGRAM_AUTH_HEADER: SECRET}) as response,
        ):
            assert response.status == 401


async def test_a_rejected_token_fails_start_without_leaking_it(
    zalo: FakeZalo, database: DatabaseConfig
) -> None:
    config = config_for(zalo, database, token="1459232241454765289:WRONG-zalo-secret")
    async with build_core(config) as core:
        with pytest.raises(ChannelError) as failure:
            await asyncio.wait_for(runner.run_channels(core, asyncio.Event()), 3)
    assert "WRONG-zalo-secret" not in str(failure.value)
    assert "401" in str(failure.value)


def test_run_without_any_channel_names_both_platforms(capsys: pytest.CaptureFixture[str]) -> None:
    assert runner.run(Config(http=HttpConfig(web=False))) == 2
    err = capsys.readouterr().err
    assert "MOTCUA_TELEGRAM_TOKEN" in err and "MOTCUA_ZALO_TOKEN" in err


async def test_motcua_chat_serves_zalo_when_zalo_is_the_only_channel(
    zalo: FakeZalo, database: DatabaseConfig, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `motcua chat` used to start the other channels only when Telegram was configured.
    config = tmp_path / "zalo.toml"
    config.write_text(
        f'log_level = "WARNING"\n[database]\nurl = "{database.url}"\n'
        f'[zalo]\ntoken = "{zalo.token}"\nbase_url = "{zalo.base_url}"\npoll_timeout = 1\n'
    )
    for name in [n for n in os.environ if n.startswith("MOTCUA_")]:
        monkeypatch.delenv(name)
    reading, writing = os.pipe()
    terminal = io.StringIO()
    with os.fdopen(reading, "r", encoding="utf-8") as stdin:
        monkeypatch.setattr(sys, "stdin", stdin)
        monkeypatch.setattr(sys, "stdout", terminal)
        chat = asyncio.ensure_future(asyncio.to_thread(cli.main, ["--config", str(config), "chat"]))
        try:
            zalo.push_text(CHAT, "đăng ký khai sinh")
            [card] = await zalo.wait_messages(CHAT, 1, within=30)
        finally:
            # The terminal is answered too, then its end of input stops every channel.
            os.write(writing, "đăng ký kết hôn\n".encode())
            os.close(writing)
            code = await asyncio.wait_for(chat, 30)
    assert code == 0
    assert "khai sinh" in card.text.lower() and "1.001193" in card.text
    assert "kết hôn" in terminal.getvalue()
    assert zalo.waiting_polls == 0


def test_zalo_is_an_enabled_channel_on_its_own() -> None:
    assert Config(zalo=ZaloConfig(token="1:x")).channels == ["zalo"]


def test_logs_never_show_the_zalo_token_or_secret() -> None:
    token, secret = "1459232241454765289:TOP-secret-zalo", "zalo-webhook-secret-0123456789"
    config = Config(zalo=ZaloConfig(token=token, webhook_secret=secret))
    root = logging.getLogger()
    handler = logging.StreamHandler()
    root.addHandler(handler)
    try:
        runner.protect_logs(config)
        record = logging.LogRecord(
            "x", logging.INFO, __file__, 1, "POST /bot%s/getMe %s", (token, secret), None
        )
        text = handler.format(record)
        assert token not in text and secret not in text and "<redacted>" in text
    finally:
        root.removeHandler(handler)


async def test_stopping_finishes_a_reply_in_flight(zalo: FakeZalo, database: DatabaseConfig) -> None:
    zalo.inject("sendMessage", Fault.slow(0.5))
    stop = asyncio.Event()
    async with build_core(config_for(zalo, database, typing_delay=0.0)) as core:
        task = asyncio.create_task(runner.run_channels(core, stop))
        zalo.push_text(CHAT, "cấp lại căn cước")
        # The typing indicator goes out once the message is being handled; its answer is still to come.
        await zalo.wait_for(lambda: zalo.calls_of("sendChatAction"))
        stop.set()
        await asyncio.wait_for(task, 3)
    [sent] = zalo.messages_to(CHAT)
    assert "căn cước" in sent.text.lower()


def test_motcua_run_serves_zalo_alone_until_sigterm_and_exits_0(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'motcua.db'}"
    asyncio.run(test_telegram_runner._prepare(url))
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    zalo = FakeZalo()
    asyncio.run_coroutine_threadsafe(zalo.start(), loop).result(5)
    root = logging.getLogger()
    level, formatters = root.level, [(h, h.formatter) for h in root.handlers]

    def resident_then_sigterm() -> None:
        loop.call_soon_threadsafe(zalo.push_text, CHAT, "cấp lại căn cước")
        try:
            asyncio.run_coroutine_threadsafe(zalo.wait_messages(CHAT, 1, within=10), loop).result(12)
            # Stopped while the next long poll is waiting: the exit waits for it to end, no longer.
            asyncio.run_coroutine_threadsafe(zalo.wait_for(lambda: zalo.waiting_polls, 5), loop).result(6)
        finally:
            os.kill(os.getpid(), signal.SIGTERM)

    killer = threading.Thread(target=resident_then_sigterm)
    try:
        killer.start()
        began = time.monotonic()
        assert runner.run(config_for(zalo, DatabaseConfig(url=url))) == 0
        assert time.monotonic() - began < 15
        killer.join(5)
        assert "căn cước" in zalo.messages_to(CHAT)[0].text.lower()
        assert zalo.waiting_polls == 0 and not zalo.lost
    finally:
        root.setLevel(level)
        for handler, formatter in formatters:
            handler.setFormatter(formatter)
        asyncio.run_coroutine_threadsafe(zalo.close(), loop).result(5)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
        loop.close()
