"""The HTTP server now runs with every served channel, polling too: a taken port is a clear, local failure."""

from __future__ import annotations

import asyncio
import logging
import socket

import pytest

from bot import cli
from bot.app import build_core
from bot.config import DatabaseConfig
from tests.adapters.test_telegram_runner import config_for
from tests.fakes.telegram_api import FakeTelegram


async def test_a_taken_port_fails_the_chat_commands_channels_but_not_the_terminal(
    fake: FakeTelegram, database: DatabaseConfig, caplog: pytest.LogCaptureFixture
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        config = config_for(fake, database, port=int(taken.getsockname()[1]))
        async with build_core(config) as core:
            with caplog.at_level(logging.ERROR, logger="motcua"):
                await asyncio.wait_for(cli._run_other_channels(core, asyncio.Event()), 5)
    assert "kênh không khởi động được" in caplog.text
    # The server is started before any channel, so Telegram was never asked for anything.
    assert not fake.calls
