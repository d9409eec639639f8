"""The Zalo Bot API client against the fake: the ``{ok, result}`` envelope, error classes, long polling."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import AsyncIterator

import pytest

from bot.adapters.zalo.channel import ZaloChannel
from bot.adapters.zalo.client import (
    ZaloClient,
    ZaloError,
    ZaloPermanentError,
    ZaloTimeoutError,
    ZaloTransientError,
)
from bot.messages import Incoming, Reply
from tests.adapters.conftest import zalo_config
from tests.adapters.test_telegram_runner import free_port
from tests.fakes.zalo_api import TEXT_LIMIT, FakeZalo, Fault

CHAT = "e4ea2cd5189df1c3a88c"


@pytest.fixture
async def client(zalo: FakeZalo) -> AsyncIterator[ZaloClient]:
    """A client of the fake with a short request timeout."""
    api = ZaloClient(zalo.token, zalo.base_url, request_timeout=0.5)
    try:
        yield api
    finally:
        await api.close()


async def test_get_me_and_the_request_shape(zalo: FakeZalo, client: ZaloClient) -> None:
    me = await client.get_me()
    assert (me.id, me.display_name, me.account_name) == (zalo.bot_id, zalo.display_name, zalo.account_name)
    zalo.message(CHAT)
    await client.send_message(CHAT, "Xin chào")
    [call] = zalo.calls_of("sendMessage")
    assert call.params == {"chat_id": CHAT, "text": "Xin chào"}


async def test_get_updates_hands_out_one_event_per_call_with_hex_ids_and_millisecond_dates(
    zalo: FakeZalo, client: ZaloClient
) -> None:
    first = zalo.push_text(CHAT, "một")
    zalo.push_text(CHAT, "hai")
    event = await client.get_updates(1)
    assert event is not None and event["event_name"] == "message.text.received"
    message = event["message"]
    assert message["message_id"] == first and re.fullmatch(r"[0-9a-f]{20}", first)
    assert message["date"] > 10**12
    assert message["chat"] == {"id": CHAT, "chat_type": "PRIVATE"}
    second = await client.get_updates(1)
    assert second is not None and second["message"]["text"] == "hai"
    assert zalo.calls_of("getUpdates")[0].params == {"timeout": "1"}


async def test_an_idle_long_poll_ends_with_408_and_means_no_update(
    zalo: FakeZalo, client: ZaloClient
) -> None:
    assert await client.get_updates(1) is None
    assert [c.status for c in zalo.calls_of("getUpdates")] == [408]
    # Some deployments say the same with ok:false on HTTP 200, or with an empty result.
    zalo.inject("getUpdates", Fault(408, "Request timeout", status=200))
    assert await client.get_updates(1) is None


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        (Fault.rate_limited(), ZaloTransientError),
        (Fault.server_error(500), ZaloTransientError),
        (Fault.server_error(502), ZaloTransientError),
        (Fault(429, "Too Many Requests", status=200), ZaloTransientError),
        (Fault.bad_request(), ZaloPermanentError),
        (Fault.forbidden(), ZaloPermanentError),
        (Fault(400, "Bad Request", status=200), ZaloPermanentError),
    ],
)
async def test_ok_false_is_an_error_of_the_right_class_without_the_token(
    zalo: FakeZalo, client: ZaloClient, fault: Fault, error: type[ZaloError]
) -> None:
    zalo.message(CHAT)
    zalo.inject("sendMessage", fault)
    with pytest.raises(error) as caught:
        await client.send_message(CHAT, "xin chào")
    assert caught.value.code == fault.code
    assert caught.value.method == "sendMessage"
    assert zalo.token not in str(caught.value)


async def test_a_wrong_token_is_permanent_and_not_quoted(zalo: FakeZalo) -> None:
    api = ZaloClient("1:WRONG-token-value", zalo.base_url)
    try:
        with pytest.raises(ZaloPermanentError) as caught:
            await api.get_me()
    finally:
        await api.close()
    assert caught.value.code == 401 and "WRONG-token-value" not in str(caught.value)


async def test_network_failures_and_timeouts_are_transient_and_do_not_quote_the_url(
    zalo: FakeZalo, client: ZaloClient
) -> None:
    unreachable = ZaloClient(zalo.token, f"http://127.0.0.1:{free_port()}")
    try:
        with pytest.raises(ZaloTransientError) as caught:
            await unreachable.get_me()
    finally:
        await unreachable.close()
    assert zalo.token not in str(caught.value) and "network error" in str(caught.value)
    zalo.inject("getMe", Fault.slow(1))
    with pytest.raises(ZaloTimeoutError):
        await client.get_me()


async def test_the_fake_counts_text_length_after_nfc_like_zalo(zalo: FakeZalo, client: ZaloClient) -> None:
    zalo.message(CHAT)
    decomposed = unicodedata.normalize("NFD", "ệ") * TEXT_LIMIT
    assert len(decomposed) == 3 * TEXT_LIMIT
    await client.send_message(CHAT, decomposed)
    for refused in ("ệ" * (TEXT_LIMIT + 1), "", "   "):
        with pytest.raises(ZaloPermanentError):
            await client.send_message(CHAT, refused)
    with pytest.raises(ZaloPermanentError):
        await client.send_message("0000000000deadbeef00", "không có cuộc trò chuyện này")


async def test_webhook_methods(zalo: FakeZalo, client: ZaloClient) -> None:
    with pytest.raises(ZaloPermanentError):
        await client.set_webhook("https://bot.example/zalo", "short")
    result = await client.set_webhook("https://bot.example/zalo", "a-secret-of-good-length")
    assert result["url"] == "https://bot.example/zalo" and result["updated_at"] > 10**12
    assert (await client.get_webhook_info())["url"] == "https://bot.example/zalo"
    with pytest.raises(ZaloPermanentError):
        await client.get_updates(1)
    await client.delete_webhook()
    assert zalo.webhook_url == ""


async def test_a_timed_out_send_is_not_retried_so_the_user_never_sees_it_twice(zalo: FakeZalo) -> None:
    async def answer(msg: Incoming) -> list[Reply]:
        return [Reply("một lần")]

    config = zalo_config(zalo)
    channel = ZaloChannel(
        config, answer, client=ZaloClient(config.token, config.base_url, request_timeout=0.3)
    )
    zalo.inject("sendMessage", Fault.slow(0.6))
    await channel.start()
    try:
        zalo.push_text(CHAT, "chậm")
        await zalo.wait_messages(CHAT, 1)
    finally:
        await channel.stop()
    assert len(zalo.calls_of("sendMessage")) == 1
