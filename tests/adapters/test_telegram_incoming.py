"""to_incoming on real Telegram update JSON: what is answered, what is addressed, what is ignored."""

from __future__ import annotations

from typing import Any

import pytest
from telegram import Update

from bot.adapters.telegram.channel import keyboard, to_incoming
from bot.messages import Button, ChatRef, Platform

BOT = {"bot_username": "MotcuaTestBot", "bot_id": 999}
USER = {"id": 7, "is_bot": False, "first_name": "Lan", "last_name": "Nguyễn"}
PRIVATE = {"id": 7, "type": "private", "first_name": "Lan"}
GROUP = {"id": -1001, "type": "supergroup", "title": "Tổ dân phố 3"}


def message(text: str, chat: dict[str, Any] = PRIVATE, **extra: Any) -> Update:
    """An update carrying a message, entities computed the way Telegram does for commands/mentions."""
    entities = []
    if text.startswith("/"):
        entities.append({"type": "bot_command", "offset": 0, "length": len(text.split()[0])})
    if "@motcuatestbot" in text.lower() and not text.startswith("/"):
        entities.append({"type": "mention", "offset": text.lower().index("@motcuatestbot"), "length": 14})
    body = {
        "message_id": 5,
        "from": USER,
        "chat": chat,
        "date": 1,
        "text": text,
        "entities": entities,
        **extra,
    }
    return Update.de_json({"update_id": 77, "message": body}, None)


def test_a_private_text_is_addressed() -> None:
    msg = to_incoming(message("cấp lại cccd"), **BOT)  # type: ignore[arg-type]
    assert msg is not None
    assert msg.chat == ChatRef(Platform.TELEGRAM, "7", False)
    assert (msg.user_id, msg.text, msg.payload, msg.event_id) == ("7", "cấp lại cccd", None, "77")
    assert msg.user_name == "Lan Nguyễn" and msg.addressed


@pytest.mark.parametrize(
    ("text", "extra", "addressed", "seen_text"),
    [
        ("họp lúc 8 giờ", {}, False, "họp lúc 8 giờ"),
        ("@MotcuaTestBot lệ phí khai sinh?", {}, True, "lệ phí khai sinh?"),
        ("hỏi @motcuatestbot nhé", {}, True, "hỏi nhé"),
        ("/tim khai sinh", {}, True, "/tim khai sinh"),
        ("/tim@MotcuaTestBot khai sinh", {}, True, "/tim@MotcuaTestBot khai sinh"),
        ("/tim@OtherBot khai sinh", {}, False, "/tim@OtherBot khai sinh"),
        (
            "còn gì nữa?",
            {
                "reply_to_message": {
                    "message_id": 4,
                    "date": 1,
                    "chat": GROUP,
                    "from": {"id": 999, "is_bot": True, "first_name": "Bot"},
                }
            },
            True,
            "còn gì nữa?",
        ),
        (
            "còn gì nữa?",
            {"reply_to_message": {"message_id": 4, "date": 1, "chat": GROUP, "from": USER}},
            False,
            "còn gì nữa?",
        ),
    ],
)
def test_in_groups_only_mentions_commands_and_replies_to_the_bot_are_addressed(
    text: str, extra: dict[str, Any], addressed: bool, seen_text: str
) -> None:
    msg = to_incoming(message(text, GROUP, **extra), **BOT)  # type: ignore[arg-type]
    assert msg is not None and msg.chat.is_group
    # A lower-case mention is not an entity Telegram marks for the bot, so it stays unaddressed.
    assert msg.addressed is addressed
    assert msg.text == seen_text


def test_a_button_press_becomes_a_payload() -> None:
    update = Update.de_json(
        {
            "update_id": 78,
            "callback_query": {
                "id": "q",
                "from": USER,
                "chat_instance": "c",
                "data": "p:1.000110",
                "message": {"message_id": 9, "date": 1, "chat": GROUP, "text": "…"},
            },
        },
        None,
    )
    msg = to_incoming(update, **BOT)  # type: ignore[arg-type]
    assert msg is not None
    assert (msg.payload, msg.chat.chat_id, msg.addressed, msg.text) == ("p:1.000110", "-1001", True, "")


@pytest.mark.parametrize(
    "body",
    [
        {"edited_message": {"message_id": 5, "from": USER, "chat": PRIVATE, "date": 1, "text": "sửa"}},
        {
            "channel_post": {
                "message_id": 5,
                "chat": {"id": -100, "type": "channel"},
                "date": 1,
                "text": "tin",
            }
        },
        {
            "message": {
                "message_id": 5,
                "from": {**USER, "is_bot": True},
                "chat": PRIVATE,
                "date": 1,
                "text": "x",
            }
        },
        {"message": {"message_id": 5, "chat": PRIVATE, "date": 1, "text": "không có người gửi"}},
        {
            "message": {
                "message_id": 5,
                "from": USER,
                "chat": PRIVATE,
                "date": 1,
                "new_chat_members": [USER],
            }
        },
        {"message": {"message_id": 5, "from": USER, "chat": PRIVATE, "date": 1, "text": "   "}},
        {"callback_query": {"id": "q", "from": USER, "chat_instance": "c", "data": "p:1"}},
        {
            "callback_query": {
                "id": "q",
                "from": USER,
                "chat_instance": "c",
                "game_short_name": "g",
                "message": {"message_id": 9, "date": 1, "chat": PRIVATE},
            }
        },
        {"shiny_new_kind": {"x": 1}},
    ],
    ids=[
        "edited",
        "channel-post",
        "from-a-bot",
        "no-sender",
        "sticker",
        "blank",
        "inline-press",
        "game",
        "unknown",
    ],
)
def test_what_the_bot_ignores(body: dict[str, Any]) -> None:
    assert to_incoming(Update.de_json({"update_id": 79, **body}, None), **BOT) is None  # type: ignore[arg-type]


def test_a_photo_caption_is_read_as_text() -> None:
    update = Update.de_json(
        {
            "update_id": 80,
            "message": {
                "message_id": 5,
                "from": USER,
                "chat": PRIVATE,
                "date": 1,
                "caption": "giấy này nộp ở đâu?",
                "photo": [{"file_id": "f", "file_unique_id": "u", "width": 1, "height": 1}],
            },
        },
        None,
    )
    msg = to_incoming(update, **BOT)  # type: ignore[arg-type]
    assert msg is not None and msg.text == "giấy này nộp ở đâu?"


def test_buttons_are_one_per_row_and_oversized_payloads_are_left_out() -> None:
    markup = keyboard((Button("Một", "p:1"), Button("Quá dài", "p:" + "x" * 63), Button("Hai", "p:2")))
    assert markup is not None
    assert [[b.callback_data for b in row] for row in markup.inline_keyboard] == [["p:1"], ["p:2"]]
    assert keyboard(()) is None


def test_a_sticker_reaches_the_core_as_a_message_without_text() -> None:
    sticker = {
        "file_id": "f",
        "file_unique_id": "u",
        "width": 1,
        "height": 1,
        "is_animated": False,
        "is_video": False,
        "type": "regular",
    }
    body = {"message_id": 5, "from": USER, "chat": PRIVATE, "date": 1, "sticker": sticker}
    msg = to_incoming(Update.de_json({"update_id": 81, "message": body}, None), **BOT)  # type: ignore[arg-type]
    assert msg is not None and msg.text == "" and msg.payload is None and msg.addressed
