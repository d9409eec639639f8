"""The aiohttp transport under PTB's Bot, against the fake Bot API: wire format, timeouts, errors, polling."""

from __future__ import annotations

import logging
import socket
from collections.abc import AsyncIterator

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, InputFile, ReplyParameters
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

from bot.adapters.telegram import request as telegram_request
from bot.adapters.telegram.channel import build_application
from bot.adapters.telegram.request import AiohttpRequest, TolerantUpdatesRequest, withhold_unparsed_batches
from tests.adapters.conftest import PNG, telegram_config
from tests.fakes.telegram_api import FakeTelegram, Fault

MARKUP = InlineKeyboardMarkup([[InlineKeyboardButton("Cấp lại CCCD", callback_data="p:1.000110")]])


def bot_for(fake: FakeTelegram, request: AiohttpRequest, updates: AiohttpRequest | None = None) -> Bot:
    """A plain PTB Bot whose every request goes through our transport."""
    return Bot(
        fake.token,
        base_url=fake.base_url,
        base_file_url=fake.base_file_url,
        request=request,
        get_updates_request=updates or AiohttpRequest(connection_pool_size=1),
    )


@pytest.fixture
async def bot(fake: FakeTelegram) -> AsyncIterator[Bot]:
    """A Bot over AiohttpRequest (getUpdates over the tolerant one), initialised."""
    async with bot_for(fake, AiohttpRequest(), TolerantUpdatesRequest(connection_pool_size=1)) as tg:
        yield tg


async def test_every_method_the_bot_uses_round_trips(bot: Bot, fake: FakeTelegram) -> None:
    assert (await bot.get_me()).username == fake.username
    update_id = fake.push_text(111, "cấp lại căn cước & <b>lệ phí</b>?")
    [update] = await bot.get_updates(offset=0, timeout=1, allowed_updates=["message", "callback_query"])
    assert update.update_id == update_id and update.message is not None
    assert update.message.text == "cấp lại căn cước & <b>lệ phí</b>?"
    sent = await bot.send_message(
        111,
        "<b>Đậm</b> &amp; tiếng Việt có dấu",
        parse_mode="HTML",
        reply_markup=MARKUP,
        reply_parameters=ReplyParameters(update.message.message_id, allow_sending_without_reply=True),
    )
    assert sent.text == "Đậm & tiếng Việt có dấu"
    stored = fake.sent[-1]
    assert stored.parse_mode == "HTML" and stored.buttons == [("Cấp lại CCCD", "p:1.000110")]
    assert stored.reply_to_message_id == update.message.message_id
    # A JSON body, objects nested as objects (form fields would carry them as strings of JSON).
    [call] = fake.calls_of("sendMessage")
    assert call.params["chat_id"] == 111 and call.params["reply_markup"] == MARKUP.to_dict()
    photo = await bot.send_photo(111, "https://example.vn/qr.png", caption="Mã QR")
    assert photo.caption == "Mã QR" and fake.sent[-1].photo
    query_id = fake.push_callback(111, "p:1.000110")
    assert await bot.answer_callback_query(query_id)
    assert await bot.set_webhook("https://bot.example.vn/hook", secret_token="abc_DEF-123")
    assert (await bot.get_webhook_info()).url == "https://bot.example.vn/hook"
    assert await bot.delete_webhook(drop_pending_updates=False)
    assert [c.status for c in fake.calls] == [200] * len(fake.calls)


async def test_a_photo_upload_arrives_as_multipart_with_its_fields(bot: Bot, fake: FakeTelegram) -> None:
    fake.add_chat(111)
    message = await bot.send_photo(
        111,
        InputFile(PNG, filename="qr.png"),
        caption="<b>Mã QR</b> nộp hồ sơ",
        parse_mode="HTML",
        reply_markup=MARKUP,
    )
    [call] = fake.calls_of("sendPhoto")
    # The fake stands a file part in as "<file>": a form field would keep its text.
    assert call.params["photo"] == "<file>"
    assert message.caption == "Mã QR nộp hồ sơ"
    assert fake.sent[-1].buttons == [("Cấp lại CCCD", "p:1.000110")]


# PTB 22 itself warns while building RetryAfter (its retry_after becomes a timedelta in v23).
@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_api_errors_map_to_ptb_errors(bot: Bot, fake: FakeTelegram) -> None:
    fake.add_chat(111)
    fake.inject("sendMessage", Fault.blocked())
    with pytest.raises(Forbidden, match="blocked"):
        await bot.send_message(111, "a")
    fake.inject("sendMessage", Fault.too_many_requests(retry_after=3))
    with pytest.raises(RetryAfter, match="Retry in 3"):
        await bot.send_message(111, "b")
    fake.inject("sendMessage", Fault.server_error(502))
    with pytest.raises(NetworkError) as failed:
        await bot.send_message(111, "c")
    assert not isinstance(failed.value, TimedOut)
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.send_message(999, "d")


async def test_a_slow_answer_times_out_and_a_per_call_timeout_overrides_the_default(
    fake: FakeTelegram,
) -> None:
    fake.add_chat(111)
    async with bot_for(fake, AiohttpRequest(read_timeout=0.2)) as tg:
        fake.inject("sendMessage", Fault.slow(1.0))
        with pytest.raises(TimedOut):
            await tg.send_message(111, "chậm")
        fake.inject("sendMessage", Fault.slow(0.5))
        assert (await tg.send_message(111, "đợi được", read_timeout=3)).text == "đợi được"
    async with bot_for(fake, AiohttpRequest(read_timeout=5)) as tg:
        fake.inject("sendMessage", Fault.slow(1.0))
        with pytest.raises(TimedOut):
            await tg.send_message(111, "chậm", read_timeout=0.2)


async def test_nobody_listening_is_a_network_error_not_a_timeout(fake: FakeTelegram) -> None:
    # Bound but never listening: a connection is refused, and no other test running beside this one can take
    # the port meanwhile (a port freed before use could be).
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        request = AiohttpRequest(connect_timeout=2)
        with pytest.raises(NetworkError) as refused:
            async with Bot(fake.token, base_url=f"http://127.0.0.1:{port}/bot", request=request):
                pass
    assert not isinstance(refused.value, TimedOut)
    assert "aiohttp.ClientConnectorError" in refused.value.message


async def test_shutdown_closes_and_initialize_reopens_the_session(fake: FakeTelegram) -> None:
    request = AiohttpRequest()
    async with Bot(fake.token, base_url=fake.base_url, request=request) as tg:
        await request.shutdown()
        await request.shutdown()
        with pytest.raises(NetworkError, match="not initialized"):
            await tg.get_me()
        await request.initialize()
        assert (await tg.get_me()).id == fake.bot_id
    assert request.read_timeout == 5.0


async def test_a_healthy_batch_is_passed_through_without_being_checked_again(
    bot: Bot, fake: FakeTelegram, monkeypatch: pytest.MonkeyPatch
) -> None:
    checked: list[bytes] = []

    def spy(payload: bytes) -> bytes:
        checked.append(payload)
        return payload

    monkeypatch.setattr(telegram_request, "sanitised", spy)
    first = fake.push_text(111, "một")
    assert [u.update_id for u in await bot.get_updates(offset=0)] == [first]
    second = fake.push_text(111, "hai")
    assert [u.update_id for u in await bot.get_updates(offset=first + 1)] == [second]
    assert await bot.get_updates(offset=second + 1) == ()
    assert await bot.get_updates(offset=second + 1) == ()
    assert checked == []


async def test_a_batch_ptb_could_not_parse_is_sanitised_when_asked_again(
    bot: Bot, fake: FakeTelegram, caplog: pytest.LogCaptureFixture
) -> None:
    withhold_unparsed_batches()
    good = fake.push_text(111, "số CCCD 012345678901")
    bad = fake.push_raw({"message": "không phải một đối tượng"})
    with caplog.at_level(logging.INFO), pytest.raises(AttributeError):
        await bot.get_updates(offset=0)
    assert "received data withheld" in caplog.text
    assert "012345678901" not in caplog.text and "không phải" not in caplog.text
    healthy, bare = await bot.get_updates(offset=0)
    assert (healthy.update_id, bare.update_id) == (good, bad)
    assert healthy.message is not None and healthy.message.text == "số CCCD 012345678901"
    assert bare.message is None


async def test_the_channel_sends_and_polls_over_aiohttp_in_both_modes(fake: FakeTelegram) -> None:
    polling = build_application(telegram_config(fake), "Asia/Ho_Chi_Minh", concurrency=4)
    assert isinstance(polling.bot.request, AiohttpRequest)
    assert not isinstance(polling.bot.request, TolerantUpdatesRequest)
    assert isinstance(polling.bot._request[0], TolerantUpdatesRequest)
    assert polling.bot.request._pool_size == 8
    webhook = build_application(
        telegram_config(fake, mode="webhook", webhook_url="https://bot.example.vn/tg"), "Asia/Ho_Chi_Minh"
    )
    assert isinstance(webhook.bot.request, AiohttpRequest) and webhook.updater is None
    assert webhook.bot.request._pool_size == 64
