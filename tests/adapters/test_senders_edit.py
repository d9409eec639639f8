"""Outbox senders' edits over real HTTP to the fakes: Telegram's editMessageText, Zalo's lack of edits."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.adapters.telegram.sender import TelegramSender
from bot.adapters.zalo.sender import ZaloSender
from bot.config import TelegramConfig, ZaloConfig
from bot.messages import Button, ChatRef, Platform, Reply
from bot.outbox import EditUnsupportedError, PermanentDeliveryError, RateLimitedError
from tests.fakes.telegram_api import FakeTelegram, Fault
from tests.fakes.zalo_api import FakeZalo

DIRECTIVE = Reply(
    "<b>Chỉ đạo số 12</b>: rà soát hồ sơ trễ hạn trước 17:00.",
    buttons=(Button("Đã nhận", "ack:12"),),
)
ACKED = Reply(
    "<b>Chỉ đạo số 12</b>: rà soát hồ sơ trễ hạn trước 17:00.\n\nĐã nhận: Nguyễn Văn An, Trần Thị Bình.",
    buttons=(Button("Đã nhận", "ack:12"),),
)
TG = ChatRef(Platform.TELEGRAM, "111")
ZL = ChatRef(Platform.ZALO, "0123456789abcdef0123")


@pytest.fixture
async def telegram(fake: FakeTelegram) -> AsyncIterator[TelegramSender]:
    """A Telegram sender pointed at the fake."""
    sender = TelegramSender.create(
        TelegramConfig(token=fake.token, base_url=fake.base_url, base_file_url=fake.base_file_url)
    )
    await sender.start()
    try:
        yield sender
    finally:
        await sender.close()


async def test_edit_changes_the_text_and_keeps_the_buttons(
    fake: FakeTelegram, telegram: TelegramSender
) -> None:
    fake.add_chat(111)
    message_id = await telegram.send(TG, DIRECTIVE)
    await telegram.edit(TG, message_id, ACKED)
    message = fake.message(111, int(message_id))
    assert message is not None
    assert message.text.endswith("Đã nhận: Nguyễn Văn An, Trần Thị Bình.")
    assert message.parse_mode == "HTML" and message.raw.startswith("<b>Chỉ đạo số 12</b>")
    assert message.buttons == [("Đã nhận", "ack:12")]
    assert message.edits == ["Chỉ đạo số 12: rà soát hồ sơ trễ hạn trước 17:00."]
    assert len(fake.sent) == 1  # changed in place, nothing new sent


async def test_edit_to_the_same_reply_is_success(fake: FakeTelegram, telegram: TelegramSender) -> None:
    fake.add_chat(111)
    message_id = await telegram.send(TG, DIRECTIVE)
    await telegram.edit(TG, message_id, DIRECTIVE)
    [call] = fake.calls_of("editMessageText")
    assert call.status == 400  # Telegram said "message is not modified"; the sender took it as done
    message = fake.message(111, int(message_id))
    assert message is not None and message.edits == []


async def test_edit_without_buttons_removes_the_keyboard(
    fake: FakeTelegram, telegram: TelegramSender
) -> None:
    fake.add_chat(111)
    message_id = await telegram.send(TG, DIRECTIVE)
    await telegram.edit(TG, message_id, Reply("Chỉ đạo số 12 đã bị hủy."))
    message = fake.message(111, int(message_id))
    assert message is not None and message.buttons == [] and message.text == "Chỉ đạo số 12 đã bị hủy."


async def test_edit_of_an_unknown_message_fails_for_good(
    fake: FakeTelegram, telegram: TelegramSender
) -> None:
    fake.add_chat(111)
    with pytest.raises(PermanentDeliveryError, match=r"(?i)message to edit not found"):
        await telegram.edit(TG, "4242", ACKED)
    with pytest.raises(PermanentDeliveryError):
        await telegram.edit(TG, "not-a-number", ACKED)
    with pytest.raises(PermanentDeliveryError):
        await telegram.edit(TG, "1", Reply("  "))
    assert len(fake.calls_of("editMessageText")) == 1


async def test_long_edit_keeps_its_first_part_with_the_buttons(
    fake: FakeTelegram, telegram: TelegramSender
) -> None:
    fake.add_chat(111)
    message_id = await telegram.send(TG, DIRECTIVE)
    long = Reply("\n\n".join(f"Mục {i}: " + "rà soát hồ sơ " * 40 for i in range(12)), DIRECTIVE.buttons)
    await telegram.edit(TG, message_id, long)
    message = fake.message(111, int(message_id))
    assert message is not None
    assert message.text.startswith("Mục 0:") and "Mục 11:" not in message.text
    assert len(message.text) <= 4096
    assert message.buttons == [("Đã nhận", "ack:12")]
    assert len(fake.sent) == 1


async def test_edit_429_is_rate_limited_with_its_wait(fake: FakeTelegram, telegram: TelegramSender) -> None:
    fake.add_chat(111)
    message_id = await telegram.send(TG, DIRECTIVE)
    fake.inject("editMessageText", Fault.too_many_requests(6))
    with pytest.raises(RateLimitedError) as raised:
        await telegram.edit(TG, message_id, ACKED)
    assert raised.value.retry_after == 6.0
    message = fake.message(111, int(message_id))
    assert message is not None and message.edits == []


async def test_send_429_is_rate_limited(fake: FakeTelegram, telegram: TelegramSender) -> None:
    fake.add_chat(111)
    fake.inject("sendMessage", Fault.too_many_requests(3))
    with pytest.raises(RateLimitedError):
        await telegram.send(TG, DIRECTIVE)


async def test_zalo_cannot_edit_and_makes_no_call(zalo: FakeZalo) -> None:
    sender = ZaloSender.create(ZaloConfig(token=zalo.token, base_url=zalo.base_url))
    zalo.add_chat(ZL.chat_id)
    try:
        message_id = await sender.send(ZL, DIRECTIVE)
        with pytest.raises(EditUnsupportedError, match="unsupported"):
            await sender.edit(ZL, message_id, ACKED)
    finally:
        await sender.close()
    assert [c.method for c in zalo.calls] == ["sendMessage"]
