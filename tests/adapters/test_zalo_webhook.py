"""Zalo webhook mode over real HTTP: the fake posts events to our aiohttp server, the channel answers."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest
from aiohttp import ClientSession

from bot.adapters.http_server import HttpServer
from bot.adapters.zalo.channel import ZALO_AUTH_HEADER, ZaloChannel, zalo_event_id
from bot.markup import nfc_length
from bot.messages import Incoming, Reply
from tests.adapters.conftest import Services, make_zalo_channel
from tests.fakes.zalo_api import TEXT_LIMIT, FakeZalo

SECRET = "zalo-webhook-secret_0123456789"
PATH = "/zalo/webhook"
CHAT = "e4ea2cd5189df1c3a88c"


class Webhook:
    """The running server and channel, plus a client to post to them as Zalo would."""

    def __init__(self, server: HttpServer, channel: ZaloChannel, http: ClientSession) -> None:
        self.server, self.channel, self.http = server, channel, http

    @property
    def url(self) -> str:
        """The webhook URL."""
        return f"http://127.0.0.1:{self.server.port}{PATH}"

    async def post(self, body: bytes | dict[str, Any], secret: str | None = SECRET) -> int:
        """POST a body with the secret header (None: without it); return the status."""
        headers = {"Content-Type": "application/json"}
        if secret is not None:
            headers[ZALO_AUTH_HEADER] = secret
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        async with self.http.post(self.url, data=data, headers=headers) as response:
            return response.status


@asynccontextmanager
async def serving_webhook(
    zalo: FakeZalo, answer: Callable[[Incoming], Awaitable[list[Reply]]]
) -> AsyncIterator[Webhook]:
    """Server listening, channel started in webhook mode (which registers the webhook with the fake)."""
    server = HttpServer("127.0.0.1", 0)
    holder: list[ZaloChannel] = []

    async def feed(body: dict[str, Any]) -> None:
        await holder[0].feed(body)

    server.add_webhook(
        PATH, secret_header=ZALO_AUTH_HEADER, secret=SECRET, handle=feed, dedup_key=zalo_event_id, name="zalo"
    )
    await server.start()
    url = f"http://127.0.0.1:{server.port}{PATH}"
    channel = make_zalo_channel(zalo, answer, mode="webhook", webhook_url=url, webhook_secret=SECRET)
    holder.append(channel)
    await channel.start()
    async with ClientSession() as http:
        try:
            yield Webhook(server, channel, http)
        finally:
            await server.stop()
            await channel.stop()


@pytest.fixture
async def webhook(
    zalo: FakeZalo, answer: Callable[[Incoming], Awaitable[list[Reply]]]
) -> AsyncIterator[Webhook]:
    """The webhook served with the test router."""
    async with serving_webhook(zalo, answer) as hook:
        yield hook


def event(zalo: FakeZalo, text: str, event_name: str = "message.text.received") -> dict[str, Any]:
    """A webhook body exactly as Zalo posts it."""
    return {"ok": True, "result": {"event_name": event_name, "message": zalo.message(CHAT, text=text)}}


async def test_the_webhook_is_registered_with_the_secret_and_events_are_answered(
    zalo: FakeZalo, webhook: Webhook
) -> None:
    [registered] = zalo.calls_of("setWebhook")
    assert registered.params == {"url": webhook.url, "secret_token": SECRET}
    assert not zalo.calls_of("getUpdates")
    message_id = zalo.push_text(CHAT, "đăng ký khai sinh")
    [sent] = await zalo.wait_messages(CHAT, 1)
    assert sent.text.startswith("Bạn hỏi: đăng ký khai sinh")
    assert zalo.webhook_deliveries == [(message_id, 200)]


async def test_a_wrong_or_missing_secret_is_refused_and_nothing_is_processed(
    zalo: FakeZalo, webhook: Webhook, services: Services
) -> None:
    assert await webhook.post(event(zalo, "giả mạo"), secret="wrong-secret-but-long-enough") == 401
    assert await webhook.post(event(zalo, "giả mạo"), secret=None) == 401
    assert await webhook.post(event(zalo, "giả mạo"), secret=SECRET[:-1]) == 401
    assert await webhook.post(event(zalo, "giả mạo"), secret=SECRET + "x") == 401
    assert await webhook.post(b"{not json", secret="nope") == 401
    assert await webhook.post(event(zalo, "thật")) == 200
    [sent] = await zalo.wait_messages(CHAT, 1)
    assert sent.text.startswith("Bạn hỏi: thật")
    assert [m.text for m in services.asked] == ["thật"]


async def test_a_redelivered_event_is_answered_once(
    zalo: FakeZalo, webhook: Webhook, services: Services
) -> None:
    body = event(zalo, "một lần thôi")
    zalo.redeliver(body["result"])
    zalo.redeliver(body["result"])
    await zalo.wait_for(lambda: len(zalo.webhook_deliveries) == 2)
    assert [status for _, status in zalo.webhook_deliveries] == [200, 200]
    assert await webhook.post(event(zalo, "câu sau")) == 200
    sent = await zalo.wait_messages(CHAT, 2)
    assert [m.text.splitlines()[0] for m in sent] == ["Bạn hỏi: một lần thôi", "Bạn hỏi: câu sau"]
    assert [m.text for m in services.asked] == ["một lần thôi", "câu sau"]


async def test_malformed_bodies_get_400_and_nothing_else_happens(
    zalo: FakeZalo, webhook: Webhook, services: Services
) -> None:
    assert await webhook.post(b"{not json") == 400
    assert await webhook.post(b"\xff\xfe") == 400
    assert await webhook.post(b"[1, 2]") == 400
    assert await webhook.post({"ok": True, "result": {"message": {"text": "không có event_name"}}}) == 400
    assert await webhook.post({"ok": True}) == 400
    assert not services.asked and not zalo.sent and not zalo.calls_of("sendChatAction")


async def test_unknown_events_and_broken_messages_are_acknowledged_and_ignored(
    zalo: FakeZalo, webhook: Webhook, services: Services
) -> None:
    assert await webhook.post({"ok": True, "result": {"event_name": "user.follow"}}) == 200
    assert await webhook.post(event(zalo, "không đọc", "message.voice.received")) == 200
    assert (
        await webhook.post({"ok": True, "result": {"event_name": "message.text.received", "message": 7}})
        == 200
    )
    assert await webhook.post(event(zalo, "vẫn ổn")) == 200
    [sent] = await zalo.wait_messages(CHAT, 1)
    assert sent.text.startswith("Bạn hỏi: vẫn ổn")
    assert [m.text for m in services.asked] == ["vẫn ổn"]


async def test_a_5000_character_answer_arrives_in_order_in_parts_of_at_most_2000(zalo: FakeZalo) -> None:
    sentence = "Hồ sơ gồm tờ khai, bản sao giấy tờ tùy thân."
    paragraphs = [f"Đoạn {i}: " + " ".join([sentence] * 10) for i in range(1, 12)]
    text = "\n\n".join(paragraphs)
    assert len(text) > 5000

    async def long_answer(msg: Incoming) -> list[Reply]:
        return [Reply(text)]

    async with serving_webhook(zalo, long_answer) as hook:
        assert await hook.post(event(zalo, "dài")) == 200
        await zalo.wait_for(lambda: "\n\n".join(m.text for m in zalo.messages_to(CHAT)) == text)
    sent = zalo.messages_to(CHAT)
    assert len(sent) >= 3 and all(nfc_length(m.text) <= TEXT_LIMIT for m in sent)
