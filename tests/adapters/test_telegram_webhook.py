"""Webhook mode over real HTTP: our aiohttp server in front of the real PTB Application."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from aiohttp import ClientSession

from bot.adapters.http_server import HttpServer
from bot.adapters.telegram.channel import TELEGRAM_AUTH_HEADER, TelegramChannel, telegram_update_id
from bot.messages import Incoming, Reply
from tests.adapters.conftest import Services, make_channel
from tests.fakes.telegram_api import FakeTelegram

SECRET = "s3cret-webhook-token_0123456789"
PATH = "/telegram/webhook"


class Webhook:
    """The running server and channel, plus a client to post to them as Telegram would."""

    def __init__(self, server: HttpServer, channel: TelegramChannel, http: ClientSession) -> None:
        self.server, self.channel, self.http = server, channel, http

    @property
    def url(self) -> str:
        """The webhook URL."""
        return f"http://127.0.0.1:{self.server.port}{PATH}"

    async def post(self, body: bytes | dict[str, Any], secret: str | None = SECRET) -> tuple[int, Any]:
        """POST a body with the secret header (None: without it); return status and JSON answer."""
        headers = {"Content-Type": "application/json"}
        if secret is not None:
            headers[TELEGRAM_AUTH_HEADER] = secret
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        async with self.http.post(self.url, data=data, headers=headers) as response:
            return response.status, await response.json()


@pytest.fixture
async def webhook(
    fake: FakeTelegram, answer: Callable[[Incoming], Awaitable[list[Reply]]]
) -> AsyncIterator[Webhook]:
    """Server listening, channel started in webhook mode (which registers the webhook with the fake)."""
    server = HttpServer("127.0.0.1", 0)
    holder: list[TelegramChannel] = []

    async def feed(body: dict[str, Any]) -> None:
        await holder[0].feed(body)

    server.add_webhook(
        PATH,
        secret_header=TELEGRAM_AUTH_HEADER,
        secret=SECRET,
        handle=feed,
        dedup_key=telegram_update_id,
        name="telegram",
    )
    await server.start()
    url = f"http://127.0.0.1:{server.port}{PATH}"
    channel = make_channel(fake, answer, mode="webhook", webhook_url=url, webhook_secret=SECRET)
    holder.append(channel)
    await channel.start()
    async with ClientSession() as http:
        try:
            yield Webhook(server, channel, http)
        finally:
            await server.stop()
            await channel.stop()


def text_update(fake: FakeTelegram, update_id: int, chat_id: int, text: str) -> dict[str, Any]:
    """A text update body as Telegram posts it."""
    chat = fake.add_chat(chat_id)
    message = {"message_id": update_id, "from": fake.user(chat_id), "chat": chat, "date": 1, "text": text}
    return {"update_id": update_id, "message": message}


async def test_the_webhook_is_registered_with_the_secret_and_updates_are_answered(
    fake: FakeTelegram, webhook: Webhook
) -> None:
    [registered] = fake.calls_of("setWebhook")
    assert registered.params["url"] == webhook.url
    assert registered.params["secret_token"] == SECRET
    assert registered.params["allowed_updates"] == ["message", "callback_query"]
    assert registered.params.get("drop_pending_updates") in (None, False, "false")
    update_id = fake.push_text(111, "đăng ký khai sinh")
    [sent] = await fake.wait_messages(111, 1)
    assert sent.text == "Bạn hỏi: đăng ký khai sinh"
    assert fake.webhook_deliveries == [(update_id, 200)]


async def test_a_wrong_or_missing_secret_is_refused_before_the_body_is_read(
    fake: FakeTelegram, webhook: Webhook, services: Services
) -> None:
    assert (await webhook.post(text_update(fake, 1, 111, "giả mạo"), secret="wrong"))[0] == 401
    assert (await webhook.post(text_update(fake, 2, 111, "giả mạo"), secret=None))[0] == 401
    assert (await webhook.post(text_update(fake, 3, 111, "giả mạo"), secret=SECRET[:-1]))[0] == 401
    assert (await webhook.post(b"{not json", secret="wrong"))[0] == 401
    assert (await webhook.post(text_update(fake, 4, 111, "thật")))[0] == 200
    [sent] = await fake.wait_messages(111, 1)
    assert sent.text == "Bạn hỏi: thật"
    assert [m.text for m in services.asked] == ["thật"]


async def test_a_redelivered_update_is_answered_once(
    fake: FakeTelegram, webhook: Webhook, services: Services
) -> None:
    body = text_update(fake, 50, 111, "một lần thôi")
    assert await webhook.post(body) == (200, {"ok": True})
    assert await webhook.post(body) == (200, {"ok": True, "duplicate": True})
    assert (await webhook.post(text_update(fake, 51, 111, "câu sau")))[0] == 200
    sent = await fake.wait_messages(111, 2)
    assert [m.text for m in sent] == ["Bạn hỏi: một lần thôi", "Bạn hỏi: câu sau"]
    assert [m.text for m in services.asked] == ["một lần thôi", "câu sau"]


async def test_malformed_bodies_get_400_and_the_bot_keeps_answering(
    fake: FakeTelegram, webhook: Webhook
) -> None:
    assert (await webhook.post(b"{not json"))[0] == 400
    assert (await webhook.post(b"\xff\xfe"))[0] == 400
    assert (await webhook.post(b"[1, 2]"))[0] == 400
    assert (await webhook.post({"message": {"text": "không có update_id"}}))[0] == 400
    assert (await webhook.post({"update_id": 60, "message": {"text": "không có chat"}}))[0] == 200
    assert (await webhook.post({"update_id": 61, "shiny_new_kind": {}}))[0] == 200
    assert (await webhook.post(text_update(fake, 62, 111, "vẫn ổn")))[0] == 200
    [sent] = await fake.wait_messages(111, 1)
    assert sent.text == "Bạn hỏi: vẫn ổn"


async def test_health_check(webhook: Webhook) -> None:
    async with webhook.http.get(f"http://127.0.0.1:{webhook.server.port}/healthz") as response:
        assert response.status == 200
        assert await response.json() == {"status": "ok"}


async def test_get_updates_is_refused_while_the_webhook_is_active(
    fake: FakeTelegram, webhook: Webhook
) -> None:
    async with webhook.http.post(f"{fake.base_url}{fake.token}/getUpdates") as response:
        assert response.status == 409
        assert (await response.json())["ok"] is False
