"""Ids of the wrong type are dropped at the adapter boundary, with a warning and no body, before the core."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from telegram import Update

from bot.adapters.telegram.channel import TelegramChannel, to_incoming
from bot.adapters.zalo.channel import ZaloChannel
from bot.adapters.zalo.channel import to_incoming as zalo_incoming
from tests.adapters.conftest import Services
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.zalo_api import TEXT_EVENT, FakeZalo

BODY = "số điện thoại của tôi là 0912345678"
BOT = {"bot_username": "MotcuaTestBot", "bot_id": 999}
USER = {"id": 7, "is_bot": False, "first_name": "Lan"}


def telegram_update(chat_id: Any = 7, user_id: Any = 7, message_id: Any = 5) -> Update:
    """A private text update with the given ids, as PTB reads it (it does not check their types)."""
    chat = {"id": chat_id, "type": "private", "first_name": "Lan"}
    body = {"message_id": message_id, "from": {**USER, "id": user_id}, "chat": chat, "date": 1, "text": BODY}
    return Update.de_json({"update_id": 77, "message": body}, None)


@pytest.mark.parametrize(
    ("ids", "field"),
    [
        ({"chat_id": "abc"}, "message.chat.id"),
        ({"chat_id": "7"}, "message.chat.id"),
        ({"chat_id": 7.5}, "message.chat.id"),
        ({"chat_id": True}, "message.chat.id"),
        ({"chat_id": 1 << 70}, "message.chat.id"),
        ({"user_id": "7"}, "message.from.id"),
        ({"message_id": "5"}, "message.message_id"),
    ],
)
def test_a_telegram_update_with_an_id_of_the_wrong_type_is_dropped_with_a_warning(
    ids: dict[str, Any], field: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    assert to_incoming(telegram_update(**ids), **BOT) is None  # type: ignore[arg-type]
    [warning] = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert warning.getMessage() == f"telegram update 77 dropped: {field} is not an integer id"
    assert not any(BODY in r.getMessage() or "abc" in r.getMessage() for r in caplog.records)
    assert to_incoming(telegram_update(), **BOT) is not None  # type: ignore[arg-type]


async def test_a_polled_telegram_update_with_a_string_chat_id_never_reaches_the_core(
    fake: FakeTelegram, channel: TelegramChannel, services: Services, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    chat = {"id": "not-a-chat", "type": "private", "first_name": "Lan"}
    fake.push_raw({"message": {"message_id": 1, "from": USER, "chat": chat, "date": 1, "text": "/start"}})
    fake.push_text(8, "/start")
    await fake.wait_messages(8, 1)
    assert [m.chat.chat_id for m in services.asked] == ["8"]
    assert fake.calls_of("sendMessage")[0].params["chat_id"] == 8
    assert any("message.chat.id is not an integer id" in r.getMessage() for r in caplog.records)
    assert not any(r.levelno >= logging.ERROR for r in caplog.records)


def zalo_message(**changes: Any) -> dict[str, Any]:
    """A Zalo text message with some fields changed (None removes one)."""
    message: dict[str, Any] = {
        "from": {"id": "u1", "display_name": "Lan", "is_bot": False},
        "chat": {"id": "c1", "chat_type": "PRIVATE"},
        "message_id": "a1b2",
        "date": 1,
        "text": BODY,
    }
    for path, value in changes.items():
        *parents, leaf = path.split("__")
        target = message
        for parent in parents:
            target = target[parent]
        if value is None:
            del target[leaf]
        else:
            target[leaf] = value
    return message


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"chat__id": 12345}, "message.chat.id"),
        ({"chat__id": ""}, "message.chat.id"),
        ({"chat__id": "c 1"}, "message.chat.id"),
        ({"chat__id": "c" * 65}, "message.chat.id"),
        ({"chat__id": ["c1"]}, "message.chat.id"),
        ({"from__id": True}, "message.from.id"),
        ({"from__id": {"id": 1}}, "message.from.id"),
        ({"message_id": 17}, "message.message_id"),
    ],
)
def test_a_zalo_event_with_an_id_of_the_wrong_type_is_dropped_with_a_warning(
    changes: dict[str, Any], field: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    event = {"event_name": TEXT_EVENT, "message": zalo_message(**changes)}
    assert zalo_incoming(event) is None
    [warning] = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert warning.getMessage() == f"zalo event dropped: {field} is missing or not an id"
    assert not any(BODY in r.getMessage() for r in caplog.records)
    good = zalo_incoming({"event_name": TEXT_EVENT, "message": zalo_message(from__id=42)})
    assert good is not None and good.user_id == "42"


async def test_a_polled_zalo_event_with_a_numeric_chat_id_never_reaches_the_core(
    zalo: FakeZalo, zalo_channel: ZaloChannel, services: Services, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    zalo.push_event(
        TEXT_EVENT, zalo.message("c9", text="/start") | {"chat": {"id": 99, "chat_type": "PRIVATE"}}
    )
    zalo.add_chat("c2")
    zalo.push_text("c2", "/start")
    await zalo.wait_messages("c2", 1)
    assert [m.chat.chat_id for m in services.asked] == ["c2"]
    assert any("message.chat.id is missing or not an id" in r.getMessage() for r in caplog.records)
