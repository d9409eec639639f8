"""One process's worth of inbox wiring, as :class:`bot.app.serving.Serving` builds it, over a test router.

The real HTTP server, the real channel (PTB Application or our Zalo client against the loopback fakes),
the real store and worker; only the core is the small test router, so the tests can see what was
handled and in which order.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from typing import Any, Protocol

from aiohttp import ClientSession

from bot.adapters.http_server import HttpServer
from bot.adapters.telegram.channel import (
    TELEGRAM_AUTH_HEADER,
    TelegramChannel,
    telegram_envelope,
    telegram_update_id,
)
from bot.adapters.zalo.channel import ZALO_AUTH_HEADER, ZaloChannel, zalo_envelope, zalo_event_id
from bot.config import TelegramConfig
from bot.inbox import Envelope, InboxStore
from bot.inbox.worker import InboxWorker
from bot.messages import Incoming, Platform, Reply
from bot.storage import SessionFactory
from tests.adapters.conftest import zalo_config
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.zalo_api import FakeZalo

Answer = Callable[[Incoming], Awaitable[list[Reply]]]
SECRET = "inbox-secret_0123456789"
TELEGRAM_PATH = "/telegram/webhook"
ZALO_PATH = "/zalo/webhook"


class BotApi(Protocol):
    """Where a Bot API answers: the fake's addresses (in this process or another)."""

    @property
    def token(self) -> str:
        """The bot token."""

    @property
    def base_url(self) -> str:
        """The Bot API base URL."""

    @property
    def base_file_url(self) -> str:
        """The file base URL."""


@dataclass(frozen=True)
class Address:
    """A Bot API's addresses as plain values (what a second process is given)."""

    token: str
    base_url: str
    base_file_url: str


@dataclass
class Rig:
    """What one rig runs."""

    store: InboxStore
    worker: InboxWorker
    server: HttpServer | None

    @property
    def url(self) -> str:
        """The base URL of the rig's HTTP server."""
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.port}"


def _webhook_store(store: InboxStore, envelope: Callable[[dict[str, Any]], Envelope | None]) -> Any:
    async def keep(body: dict[str, Any]) -> bool | None:
        found = envelope(body)
        return None if found is None else await store.keep_one(found)

    return keep


async def _nothing(body: dict[str, Any]) -> None:
    raise AssertionError("with the inbox, the webhook never handles a body itself")


@asynccontextmanager
async def telegram_rig(
    fake: BotApi,
    sessions: SessionFactory,
    answer: Answer,
    *,
    mode: str = "webhook",
    owner: str | None = None,
    concurrency: int = 8,
    start_worker: bool = True,
    lease_seconds: float = 30.0,
) -> AsyncIterator[Rig]:
    """Server (webhook mode), Telegram channel and inbox worker, stopped in Serving's order on exit."""
    store = InboxStore(sessions, owner=owner, lease_seconds=lease_seconds)
    server = None
    overrides: dict[str, object] = {"mode": mode}
    if mode == "webhook":
        server = HttpServer("127.0.0.1", 0)
        server.add_webhook(
            TELEGRAM_PATH,
            secret_header=TELEGRAM_AUTH_HEADER,
            secret=SECRET,
            handle=_nothing,
            dedup_key=telegram_update_id,
            name="telegram",
            store=_webhook_store(store, telegram_envelope),
        )
        await server.start()
        overrides |= {
            "webhook_url": f"http://127.0.0.1:{server.port}{TELEGRAM_PATH}",
            "webhook_secret": SECRET,
        }
    config = TelegramConfig(
        token=fake.token, base_url=fake.base_url, base_file_url=fake.base_file_url, rate_limiter_retries=3
    )
    channel = TelegramChannel(
        replace(config, **overrides),  # type: ignore[arg-type]
        answer,
        keep=store.keep,
        poll_timeout=1,
        retry_delay=0.05,
    )
    worker = InboxWorker(store, {Platform.TELEGRAM: channel.handle_stored}, concurrency=concurrency)
    async with _running(store, worker, server, channel, start_worker) as rig:
        yield rig


@asynccontextmanager
async def zalo_rig(
    fake: FakeZalo, sessions: SessionFactory, answer: Answer, *, mode: str = "webhook"
) -> AsyncIterator[Rig]:
    """Server (webhook mode), Zalo channel and inbox worker, stopped in Serving's order on exit."""
    store = InboxStore(sessions)
    server = None
    overrides: dict[str, object] = {"mode": mode}
    if mode == "webhook":
        server = HttpServer("127.0.0.1", 0)
        server.add_webhook(
            ZALO_PATH,
            secret_header=ZALO_AUTH_HEADER,
            secret=SECRET,
            handle=_nothing,
            dedup_key=zalo_event_id,
            name="zalo",
            store=_webhook_store(store, zalo_envelope),
        )
        await server.start()
        overrides |= {"webhook_url": f"http://127.0.0.1:{server.port}{ZALO_PATH}", "webhook_secret": SECRET}
    channel = ZaloChannel(
        zalo_config(fake, **overrides), answer, keep=store.keep, retry_delay=0.02, typing=False
    )
    worker = InboxWorker(store, {Platform.ZALO: channel.handle_stored}, concurrency=8)
    async with _running(store, worker, server, channel, True) as rig:
        yield rig


@asynccontextmanager
async def _running(
    store: InboxStore,
    worker: InboxWorker,
    server: HttpServer | None,
    channel: TelegramChannel | ZaloChannel,
    start_worker: bool,
) -> AsyncIterator[Rig]:
    stop = asyncio.Event()
    task: asyncio.Task[None] | None = None
    try:
        await channel.start()
        if start_worker:
            task = asyncio.create_task(worker.run(stop))
        yield Rig(store, worker, server)
    finally:
        if server is not None:
            await server.stop()
        stop.set()
        if task is not None:
            await task
        await channel.stop()


def text_update(fake: FakeTelegram, update_id: int, chat_id: int, text: str) -> dict[str, Any]:
    """A private text update body as Telegram posts it."""
    chat = fake.add_chat(chat_id)
    message = {"message_id": update_id, "from": fake.user(chat_id), "chat": chat, "date": 1, "text": text}
    return {"update_id": update_id, "message": message}


async def post(
    http: ClientSession, url: str, body: bytes | dict[str, Any], *, header: str = TELEGRAM_AUTH_HEADER
) -> tuple[int, Any]:
    """POST a webhook body with the secret; the status and the JSON answer."""
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = {"Content-Type": "application/json", header: SECRET}
    async with http.post(url, data=data, headers=headers) as response:
        return response.status, await response.json()
