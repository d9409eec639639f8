"""The Zalo channel in polling mode against the fake Bot API, with a real Dispatcher over a small router."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from bot import texts
from bot.adapters import ChannelError
from bot.adapters.zalo.channel import ZaloChannel, render
from bot.adapters.zalo.client import ZaloClient
from bot.markup import nfc_length, to_plain
from bot.messages import Button, Incoming, Reply
from tests.adapters.conftest import LONG_TEXT, PNG, Services, make_zalo_channel, zalo_config
from tests.fakes.zalo_api import TEXT_LIMIT, FakeZalo, Fault, SentMessage

Answer = Callable[[Incoming], Awaitable[list[Reply]]]
CHAT = "e4ea2cd5189df1c3a88c"
OTHER = "7b1c0d9e2f3a4b5c6d7e"


@pytest.fixture
async def zalo_channel(zalo: FakeZalo, answer: Answer) -> AsyncIterator[ZaloChannel]:
    """A polling Zalo channel with a 1 s long poll, since stopping waits for the poll in flight.

    The typing indicator goes out before every answer here (delay 0), so tests can see it.
    """
    channel = make_zalo_channel(zalo, answer, poll_timeout=1, typing_delay=0.0)
    await channel.start()
    try:
        yield channel
    finally:
        await channel.stop()


async def test_a_question_is_answered_with_numbered_choices_and_a_typed_number_picks_one(
    zalo: FakeZalo, zalo_channel: ZaloChannel, services: Services
) -> None:
    zalo.push_text(CHAT, "cấp lại căn cước")
    [choices] = await zalo.wait_messages(CHAT, 1)
    assert choices.text == "Bạn hỏi: cấp lại căn cước\n\n1. Cấp lại CCCD\n2. Cấp đổi CCCD"
    zalo.push_text(CHAT, "2")
    card = (await zalo.wait_messages(CHAT, 2))[1]
    assert card.text == "Thẻ thủ tục p:2.000111"
    assert services.asked[-1].payload == "p:2.000111"
    # The typing indicator precedes each answer.
    assert zalo.calls_of("sendChatAction")[0].params == {"chat_id": CHAT, "action": "typing"}


async def test_markup_never_reaches_zalo_and_user_text_is_kept_as_typed(
    zalo: FakeZalo, zalo_channel: ZaloChannel
) -> None:
    typed = '<b>giấy tờ</b> & phí 5 < 10 &amp; "hộ khẩu"'
    zalo.push_text(CHAT, typed)
    [sent] = await zalo.wait_messages(CHAT, 1)
    assert sent.text.splitlines()[0] == f"Bạn hỏi: {typed}"


async def test_a_long_answer_arrives_in_order_in_parts_of_at_most_2000_nfc_characters(
    zalo: FakeZalo, zalo_channel: ZaloChannel
) -> None:
    zalo.push_text(CHAT, "/dai")
    expected = to_plain(LONG_TEXT) + "\n\n1. Nộp trực tuyến"
    parts = await zalo.wait_for(lambda: _complete(zalo, CHAT, expected))
    assert len(parts) >= 3
    assert all(nfc_length(p.text) <= TEXT_LIMIT for p in parts)
    assert all("<b>" not in p.text and "&amp;" not in p.text for p in parts)
    positions = [expected.index(f"Mục {i}\n") for i in range(1, 16)]
    assert positions == sorted(positions)


def _complete(zalo: FakeZalo, chat: str, expected: str) -> list[SentMessage] | None:
    sent = zalo.messages_to(chat)
    joined = "".join(m.text for m in sent).replace("\n", "").replace(" ", "")
    return list(sent) if joined == expected.replace("\n", "").replace(" ", "") else None


async def test_nfc_counting_lets_decomposed_vietnamese_fill_a_part() -> None:
    # "ệ" typed as e + two combining marks is three code points but one character for Zalo.
    text = "e\u0323\u0302" * 1990
    [(rendered, _)] = render([Reply(text)])
    assert len(rendered) > TEXT_LIMIT and nfc_length(rendered) <= TEXT_LIMIT


async def test_images_and_stickers_reach_the_core_with_empty_text_and_unknown_events_are_ignored(
    zalo: FakeZalo, zalo_channel: ZaloChannel, services: Services
) -> None:
    zalo.push_event("message.unsupported.received", zalo.message(CHAT))
    zalo.push_event("user.follow", None)
    zalo.push_image(CHAT)
    [sent] = await zalo.wait_messages(CHAT, 1)
    assert sent.text == "Xin lỗi, tôi chưa hiểu."
    zalo.push_sticker(CHAT)
    await zalo.wait_messages(CHAT, 2)
    zalo.push_text(CHAT, "vẫn ổn")
    assert (await zalo.wait_messages(CHAT, 3))[2].text.startswith("Bạn hỏi: vẫn ổn")
    assert [m.text for m in services.asked] == ["vẫn ổn"]


async def test_the_same_message_delivered_twice_is_answered_once(
    zalo: FakeZalo, zalo_channel: ZaloChannel, services: Services
) -> None:
    message = zalo.message(CHAT, text="một lần thôi")
    zalo.push_event("message.text.received", message)
    zalo.push_event("message.text.received", message)
    zalo.push_text(CHAT, "câu sau")
    await zalo.wait_messages(CHAT, 2)
    await zalo.wait_for(lambda: not zalo.pending and zalo.waiting_polls)
    assert [m.text for m in services.asked] == ["một lần thôi", "câu sau"]
    assert len(zalo.messages_to(CHAT)) == 2


async def test_idle_polls_end_with_408_quietly_and_polling_goes_on(
    zalo: FakeZalo, answer: Answer, caplog: pytest.LogCaptureFixture
) -> None:
    channel = make_zalo_channel(zalo, answer, poll_timeout=1)
    await channel.start()
    try:
        with caplog.at_level(logging.INFO, logger="bot.adapters"):
            await zalo.wait_for(lambda: zalo.idle_polls >= 2, within=5)
            zalo.push_text(CHAT, "có ai không")
            await zalo.wait_messages(CHAT, 1)
    finally:
        await channel.stop()
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert {c.status for c in zalo.calls_of("getUpdates")} <= {200, 408}


async def test_polling_survives_server_errors_with_backoff(
    zalo: FakeZalo, answer: Answer, caplog: pytest.LogCaptureFixture
) -> None:
    zalo.inject("getUpdates", Fault.server_error(502), times=3)
    channel = make_zalo_channel(zalo, answer, poll_timeout=1)
    await channel.start()
    try:
        zalo.push_text(CHAT, "sau sự cố")
        [sent] = await zalo.wait_messages(CHAT, 1)
    finally:
        await channel.stop()
    assert sent.text.startswith("Bạn hỏi: sau sự cố")
    failed = [c.at for c in zalo.calls_of("getUpdates") if c.status == 502]
    assert len(failed) == 3 and failed[2] - failed[1] > failed[1] - failed[0] > 0
    assert "polling failed" in caplog.text and zalo.token not in caplog.text


@pytest.mark.parametrize(
    "fault",
    [Fault.rate_limited(), Fault.server_error(), Fault(429, "Too Many Requests", status=200)],
    ids=["429", "500", "ok-false-on-http-200"],
)
async def test_a_transient_send_failure_is_retried_and_delivered_once(
    zalo: FakeZalo, zalo_channel: ZaloChannel, fault: Fault
) -> None:
    zalo.inject("sendMessage", fault, times=2)
    zalo.push_text(CHAT, "thử lại")
    [sent] = await zalo.wait_messages(CHAT, 1)
    assert sent.text.startswith("Bạn hỏi: thử lại")
    assert [c.status for c in zalo.calls_of("sendMessage")] == [fault.status or fault.code] * 2 + [200]


async def test_a_permanent_refusal_is_logged_without_the_body_and_other_chats_are_unaffected(
    zalo: FakeZalo, zalo_channel: ZaloChannel, caplog: pytest.LogCaptureFixture
) -> None:
    zalo.block(CHAT)
    zalo.push_text(CHAT, "bí mật riêng tư")
    zalo.push_text(OTHER, "còn tôi")
    [sent] = await zalo.wait_messages(OTHER, 1)
    assert sent.text.startswith("Bạn hỏi: còn tôi")
    await zalo.wait_for(lambda: "refused" in caplog.text)
    assert [c.status for c in zalo.calls_of("sendMessage") if c.params["chat_id"] == CHAT] == [403]
    assert "bí mật" not in caplog.text and zalo.token not in caplog.text


async def test_a_crashing_handler_tells_the_user_and_logs_no_user_text(
    zalo: FakeZalo, zalo_channel: ZaloChannel, caplog: pytest.LogCaptureFixture
) -> None:
    zalo.push_text(CHAT, "/loi số điện thoại 0912345678")
    [sent] = await zalo.wait_messages(CHAT, 1)
    assert sent.text == to_plain(texts.ERROR)
    assert "ValueError" in caplog.text and "0912345678" not in caplog.text
    zalo.push_text(CHAT, "tiếp")
    await zalo.wait_messages(CHAT, 2)


async def test_in_a_group_only_a_mention_or_a_command_is_answered(
    zalo: FakeZalo, zalo_channel: ZaloChannel, services: Services
) -> None:
    group = "a1b2c3d4e5f6a7b8c9d0"
    zalo.push_text(group, "chào cả nhà", user_id="u1", chat_type="GROUP")
    zalo.push_text(group, f"@{zalo.display_name} cấp lại căn cước", user_id="u2", chat_type="GROUP")
    [sent] = await zalo.wait_messages(group, 1)
    assert sent.text.startswith("Bạn hỏi: cấp lại căn cước")
    zalo.push_text(group, "/start", user_id="u3", chat_type="GROUP")
    zalo.push_text(group, f"hỏi @{zalo.bot_id} về khai sinh", user_id="u4", chat_type="GROUP")
    await zalo.wait_messages(group, 3)
    assert [m.text for m in services.asked] == ["cấp lại căn cước", "/start", "hỏi về khai sinh"]
    assert all(m.chat.is_group for m in services.asked)


async def test_a_reply_with_an_image_goes_by_send_photo_when_an_image_host_is_set(
    zalo: FakeZalo,
) -> None:
    hosted: list[bytes] = []

    async def host(image: bytes) -> str:
        hosted.append(image)
        return "https://media.example/qr.png"

    async def answer(msg: Incoming) -> list[Reply]:
        return [Reply("<b>Mã QR</b> nộp hồ sơ", buttons=(Button("Mở", "p:1"),), image=PNG)]

    channel = ZaloChannel(zalo_config(zalo, poll_timeout=1), answer, image_host=host, retry_delay=0.02)
    await channel.start()
    try:
        zalo.push_text(CHAT, "qr")
        [sent] = await zalo.wait_messages(CHAT, 1)
    finally:
        await channel.stop()
    assert hosted == [PNG]
    assert sent.photo == "https://media.example/qr.png"
    assert sent.text == "Mã QR nộp hồ sơ\n\n1. Mở"


async def test_stop_lets_the_long_poll_end_on_the_server_and_finishes_replies_in_flight(
    zalo: FakeZalo,
) -> None:
    release = asyncio.Event()
    started = asyncio.Event()

    async def slow(msg: Incoming) -> list[Reply]:
        started.set()
        await release.wait()
        return [Reply("xong")]

    channel = make_zalo_channel(zalo, slow, poll_timeout=1)
    await channel.start()
    zalo.push_text(CHAT, "chậm")
    await asyncio.wait_for(started.wait(), 3)
    await zalo.wait_for(lambda: zalo.waiting_polls)
    stopping = asyncio.create_task(channel.stop())
    await asyncio.sleep(0)
    assert not stopping.done()
    release.set()
    began = time.monotonic()
    await asyncio.wait_for(stopping, 3)
    assert time.monotonic() - began < 2
    assert [m.text for m in zalo.messages_to(CHAT)] == ["xong"]
    # The last poll ended on the server (idle, 408) before stop returned: nothing is left waiting there.
    assert zalo.waiting_polls == 0
    assert [c.status for c in zalo.calls_of("getUpdates")][-1] == 408


async def test_a_message_sent_while_the_channel_stops_is_answered_before_it_stops(
    zalo: FakeZalo, answer: Answer
) -> None:
    channel = make_zalo_channel(zalo, answer, poll_timeout=2)
    await channel.start()
    await zalo.wait_for(lambda: zalo.waiting_polls)
    stopping = asyncio.create_task(channel.stop())
    await asyncio.sleep(0)
    polls = len(zalo.calls_of("getUpdates"))
    zalo.push_text(CHAT, "đúng lúc tắt")
    await asyncio.wait_for(stopping, 4)
    [sent] = zalo.messages_to(CHAT)
    assert sent.text.startswith("Bạn hỏi: đúng lúc tắt")
    assert not zalo.lost and not zalo.pending
    # The poll in flight took the message; no new poll was started after stop.
    assert len(zalo.calls_of("getUpdates")) == polls + 1
    assert zalo.waiting_polls == 0


async def test_a_message_sent_across_a_restart_is_answered_by_the_new_channel(
    zalo: FakeZalo, answer: Answer
) -> None:
    first = make_zalo_channel(zalo, answer, poll_timeout=1)
    await first.start()
    await zalo.wait_for(lambda: zalo.waiting_polls)
    await first.stop()
    zalo.push_text(CHAT, "sau khi khởi động lại")
    second = make_zalo_channel(zalo, answer, poll_timeout=1)
    await second.start()
    try:
        [sent] = await zalo.wait_messages(CHAT, 1)
    finally:
        await second.stop()
    assert sent.text.startswith("Bạn hỏi: sau khi khởi động lại")
    assert not zalo.lost


async def test_a_forced_stop_cancels_the_long_poll_at_once(zalo: FakeZalo, answer: Answer) -> None:
    channel = make_zalo_channel(zalo, answer, poll_timeout=30)
    await channel.start()
    await zalo.wait_for(lambda: zalo.waiting_polls)
    stopping = asyncio.create_task(channel.stop())
    await asyncio.sleep(0)
    began = time.monotonic()
    stopping.cancel()
    with pytest.raises(asyncio.CancelledError):
        await stopping
    assert time.monotonic() - began < 1
    await channel.client.close()
    # The abandoned poll is still open on the server: the next message goes to it and is lost.
    zalo.push_text(CHAT, "mất")
    await zalo.wait_for(lambda: [c for c in zalo.calls_of("getUpdates") if c.status == 200])
    assert not zalo.pending and not zalo.messages_to(CHAT)


async def test_polling_refuses_to_start_while_a_webhook_is_set(zalo: FakeZalo, answer: Answer) -> None:
    webhook = "https://bot.example.gov.vn/zalo/webhook"
    zalo.webhook_url, zalo.webhook_secret = webhook, "production-secret-0123"
    channel = make_zalo_channel(zalo, answer, poll_timeout=1)
    with pytest.raises(ChannelError) as refused:
        await channel.start()
    message = str(refused.value)
    assert "webhook" in message and "bot.example.gov.vn" in message
    assert zalo.token not in message and zalo.token.split(":", 1)[1] not in message
    assert zalo.webhook_url == webhook and not zalo.calls_of("deleteWebhook")
    assert not zalo.calls_of("getUpdates")


async def test_polling_replaces_a_webhook_only_when_told_to(zalo: FakeZalo, answer: Answer) -> None:
    zalo.webhook_url, zalo.webhook_secret = "https://old.example/zalo", "old-secret-0123456"
    channel = ZaloChannel(zalo_config(zalo, poll_timeout=1), answer, replace_webhook=True)
    await channel.start()
    try:
        assert zalo.webhook_url == "" and len(zalo.calls_of("deleteWebhook")) == 1
        zalo.push_text(CHAT, "thay webhook")
        [sent] = await zalo.wait_messages(CHAT, 1)
    finally:
        await channel.stop()
    assert sent.text.startswith("Bạn hỏi: thay webhook")


async def test_an_empty_webhook_url_counts_as_no_webhook(zalo: FakeZalo, answer: Answer) -> None:
    # The fake answers 404 when no webhook is set; an ``ok`` answer with an empty url means the same.
    class EmptyInfo(ZaloClient):
        async def get_webhook_info(self) -> Any:
            return {"url": "", "updated_at": 0}

    channel = ZaloChannel(
        zalo_config(zalo, poll_timeout=1), answer, client=EmptyInfo(zalo.token, zalo.base_url)
    )
    await channel.start()
    try:
        zalo.push_text(CHAT, "không có webhook")
        [sent] = await zalo.wait_messages(CHAT, 1)
    finally:
        await channel.stop()
    assert sent.text.startswith("Bạn hỏi: không có webhook")
    assert len(zalo.calls_of("deleteWebhook")) == 1
