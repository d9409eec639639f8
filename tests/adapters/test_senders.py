"""Outbox senders over real HTTP to the fake APIs: rendering, parts, errors mapped to neutral ones."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.adapters.telegram.sender import TelegramSender
from bot.adapters.zalo.sender import ZaloSender
from bot.config import TelegramConfig, ZaloConfig
from bot.messages import Button, ChatRef, Platform, Reply
from bot.outbox import (
    ChatMovedError,
    PermanentDeliveryError,
    RecipientGoneError,
    RetryLaterError,
)
from tests.fakes.telegram_api import FakeTelegram, Fault
from tests.fakes.zalo_api import FakeZalo
from tests.fakes.zalo_api import Fault as ZaloFault

NOTICE = Reply(
    "Hồ sơ <b>000.00.24.H57-250722-0001</b> cần bổ sung <i>bản sao giấy khai sinh</i>.",
    buttons=(Button("Đã nhận", "ack:1"), Button("Hủy theo dõi", "unsub:1")),
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


@pytest.fixture
async def zalo_sender(zalo: FakeZalo) -> AsyncIterator[ZaloSender]:
    """A Zalo sender pointed at the fake."""
    sender = ZaloSender.create(ZaloConfig(token=zalo.token, base_url=zalo.base_url))
    await sender.start()
    try:
        yield sender
    finally:
        await sender.close()


async def test_telegram_sends_html_with_buttons_and_returns_the_message_id(
    fake: FakeTelegram, telegram: TelegramSender
) -> None:
    fake.add_chat(111)
    message_id = await telegram.send(TG, NOTICE)
    [sent] = fake.messages_to(111)
    assert message_id == str(sent.message_id)
    assert sent.parse_mode == "HTML" and "<b>000.00.24.H57-250722-0001</b>" in sent.raw
    assert sent.buttons == [("Đã nhận", "ack:1"), ("Hủy theo dõi", "unsub:1")]
    # The outbox bot does not ask getMe: the channel already checked the token.
    assert not fake.calls_of("getMe")


async def test_telegram_markup_it_cannot_parse_goes_as_plain_text(
    fake: FakeTelegram, telegram: TelegramSender
) -> None:
    fake.add_chat(111)
    await telegram.send(TG, Reply("<b>Thủ tục chưa đóng thẻ"))
    [sent] = fake.messages_to(111)
    assert sent.parse_mode is None and sent.text == "Thủ tục chưa đóng thẻ"


@pytest.mark.parametrize(
    ("fault", "error", "detail"),
    [
        (Fault.too_many_requests(9), RetryLaterError, 9.0),
        (Fault.server_error(500), RetryLaterError, None),
        (Fault.server_error(502), RetryLaterError, None),
        (Fault.blocked(), RecipientGoneError, None),
        (Fault.migrated(-1005), ChatMovedError, "-1005"),
        (Fault(400, "Bad Request: chat not found"), RecipientGoneError, None),
        (Fault(400, "Bad Request: message is too long"), PermanentDeliveryError, None),
        (Fault(403, "Forbidden: bot was kicked from the group chat"), RecipientGoneError, None),
    ],
    ids=["429", "500", "502", "blocked", "migrated", "chat-not-found", "bad-request", "kicked"],
)
async def test_telegram_errors_become_neutral_delivery_errors(
    fake: FakeTelegram, telegram: TelegramSender, fault: Fault, error: type[Exception], detail: object
) -> None:
    fake.add_chat(111)
    fake.inject("sendMessage", fault)
    with pytest.raises(error) as raised:
        await telegram.send(TG, NOTICE)
    if isinstance(raised.value, RetryLaterError):
        assert raised.value.retry_after == detail
    if isinstance(raised.value, ChatMovedError):
        assert raised.value.new_chat_id == detail
    assert len(fake.calls_of("sendMessage")) == 1  # one try: retrying is the outbox's job
    assert fake.token not in str(raised.value)


async def test_telegram_unknown_chat_and_bad_chat_id_are_gone(
    fake: FakeTelegram, telegram: TelegramSender
) -> None:
    with pytest.raises(RecipientGoneError, match=r"(?i)chat not found"):
        await telegram.send(ChatRef(Platform.TELEGRAM, "999"), NOTICE)
    with pytest.raises(RecipientGoneError):
        await telegram.send(ChatRef(Platform.TELEGRAM, "not-a-number"), NOTICE)


async def test_zalo_renders_numbered_choices_in_plain_text(zalo: FakeZalo, zalo_sender: ZaloSender) -> None:
    zalo.add_chat(ZL.chat_id)
    message_id = await zalo_sender.send(ZL, NOTICE)
    [sent] = zalo.messages_to(ZL.chat_id)
    assert message_id == sent.message_id
    assert sent.text == (
        "Hồ sơ 000.00.24.H57-250722-0001 cần bổ sung bản sao giấy khai sinh.\n\n1. Đã nhận\n2. Hủy theo dõi"
    )


async def test_zalo_long_text_is_split_in_nfc_parts(zalo: FakeZalo, zalo_sender: ZaloSender) -> None:
    zalo.add_chat(ZL.chat_id)
    long = "\n\n".join(f"Mục {i}: " + "hồ sơ cần nộp " * 40 for i in range(10))
    await zalo_sender.send(ZL, Reply(long, NOTICE.buttons))
    parts = zalo.messages_to(ZL.chat_id)
    assert len(parts) >= 3 and all(len(p.text) <= 2000 for p in parts)
    assert parts[-1].text.endswith("1. Đã nhận\n2. Hủy theo dõi")


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        (ZaloFault.rate_limited(), RetryLaterError),
        (ZaloFault.server_error(503), RetryLaterError),
        (ZaloFault.forbidden(), RecipientGoneError),
        (ZaloFault.bad_request("Bad Request: text is invalid"), PermanentDeliveryError),
        (ZaloFault(401, "Unauthorized"), RetryLaterError),
    ],
    ids=["429", "503", "403", "400", "401"],
)
async def test_zalo_errors_become_neutral_delivery_errors(
    zalo: FakeZalo, zalo_sender: ZaloSender, fault: ZaloFault, error: type[Exception]
) -> None:
    zalo.add_chat(ZL.chat_id)
    zalo.inject("sendMessage", fault)
    with pytest.raises(error):
        await zalo_sender.send(ZL, NOTICE)
    assert len(zalo.calls_of("sendMessage")) == 1


async def test_zalo_unknown_chat_is_gone(zalo_sender: ZaloSender) -> None:
    with pytest.raises(RecipientGoneError, match="chat not found"):
        await zalo_sender.send(ChatRef(Platform.ZALO, "ffffffffffffffffffff"), NOTICE)


async def test_empty_reply_is_refused_without_a_call(
    fake: FakeTelegram, telegram: TelegramSender, zalo: FakeZalo, zalo_sender: ZaloSender
) -> None:
    with pytest.raises(PermanentDeliveryError):
        await telegram.send(TG, Reply("   "))
    with pytest.raises(PermanentDeliveryError):
        await zalo_sender.send(ZL, Reply(""))
    assert not fake.calls_of("sendMessage") and not zalo.calls_of("sendMessage")
