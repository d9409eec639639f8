"""Dossier status end to end in ``motcua run``: the push API in, the outbox worker out, across a crash."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from aiohttp import ClientSession
from sqlalchemy import select

from bot.app import build_core
from bot.config import Config, DatabaseConfig, DossierConfig, HttpConfig, ZaloConfig
from bot.messages import ChatRef, Platform
from bot.services.dossiers.events import DossierEventIn, Status
from bot.storage import OutboxMessage
from tests.adapters import test_telegram_runner
from tests.adapters.test_telegram_runner import free_port, serving
from tests.fakes.zalo_api import FakeZalo

CHAT = "5a6b7c8d9e0f1a2b3c4d"
CODE = "000.00.24.H57-250722-0001"
TOKEN = "push-token-0123456789abcdef"
RECEIVED = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)

# The migrated SQLite database with a few procedures, shared with the runner tests.
database = test_telegram_runner.database


async def listening(http: ClientSession, port: int) -> None:
    """Return once the bot's HTTP server answers its health check."""
    for _ in range(100):
        try:
            async with http.get(f"http://127.0.0.1:{port}/healthz") as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        await asyncio.sleep(0.05)  # polling for a server to come up, not timing anything
    raise AssertionError("the HTTP server did not start")


def config_for(zalo: FakeZalo, database: DatabaseConfig) -> Config:
    """Zalo by polling against the fake, the push API on, a phone-hash key, a short outbox idle poll."""
    return Config(
        database=database,
        http=HttpConfig(host="127.0.0.1", port=free_port()),
        zalo=ZaloConfig(token=zalo.token, base_url=zalo.base_url, poll_timeout=1),
        dossiers=DossierConfig(hash_key="test-hash-key", api_token=TOKEN),
    )


def received(event_id: str = "evt-1") -> DossierEventIn:
    """The event that creates the dossier, with the applicant's phone."""
    return DossierEventIn(
        event_id=event_id,
        code=CODE,
        status=Status.RECEIVED,
        occurred_at=RECEIVED,
        procedure_name="Đăng ký khai sinh",
        agency="UBND xã Tân Lập",
        due_at=RECEIVED + timedelta(days=3),
        result_delivery="Tại Bộ phận Một cửa",
        phone="0912345678",
    )


@asynccontextmanager
async def subscribed_dossier(config: Config) -> AsyncIterator[None]:
    """The dossier exists and the Zalo chat follows it (as after /theodoi and the right 4 digits)."""
    async with build_core(config) as core:
        await core.services.dossiers.apply([received()], source="import")
        chat = ChatRef(Platform.ZALO, CHAT)
        assert await core.services.subscriptions.subscribe(CODE, chat, "user-1")
    yield


async def test_a_pushed_status_change_reaches_the_subscriber_through_the_outbox(
    zalo: FakeZalo,
    database: DatabaseConfig,
) -> None:
    config = config_for(zalo, database)
    zalo.add_chat(CHAT)
    async with subscribed_dossier(config), serving(config):
        event = {
            "event_id": "evt-2",
            "code": CODE,
            "status": "ready",
            "occurred_at": "2026-11-04T09:00:00+07:00",
        }
        url = f"http://127.0.0.1:{config.http.port}{config.dossiers.api_path}"
        async with ClientSession() as http:
            await listening(http, config.http.port)
            async with http.post(url, json=event, headers={"Authorization": "Bearer wrong"}) as response:
                assert response.status == 401
            async with http.post(url, json=event, headers={"Authorization": f"Bearer {TOKEN}"}) as response:
                assert response.status == 200
                assert (await response.json())["applied"] == 1
        [notice] = await zalo.wait_messages(CHAT, 1, within=5)
    assert CODE in notice.text
    assert "0912345678" not in notice.text and "5678" not in notice.text


async def test_a_notice_written_before_a_crash_is_sent_after_the_restart(
    zalo: FakeZalo,
    database: DatabaseConfig,
) -> None:
    config = config_for(zalo, database)
    zalo.add_chat(CHAT)
    async with subscribed_dossier(config):
        pass
    # The status change commits with its notice; the process then dies before any worker sends it.
    async with build_core(config) as core:
        ready = replace(received("evt-ready"), status=Status.READY, occurred_at=RECEIVED + timedelta(days=1))
        result = await core.services.dossiers.apply([ready], source="pull")
        assert result.notices == 1
        async with core.sessions() as session:
            [row] = (await session.execute(select(OutboxMessage))).scalars().all()
            assert row.status == "pending" and row.chat_id == CHAT
    assert zalo.messages_to(CHAT) == []
    # Restarted: the worker finds the pending row and delivers it, once.
    async with serving(config):
        [notice] = await zalo.wait_messages(CHAT, 1, within=5)
    assert CODE in notice.text
    async with build_core(config) as core, core.sessions() as session:
        [row] = (await session.execute(select(OutboxMessage))).scalars().all()
        assert row.status == "sent" and row.attempts == 1
    assert len(zalo.messages_to(CHAT)) == 1
