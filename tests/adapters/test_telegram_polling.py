"""The real PTB Application, polling the fake Bot API: messages in, replies out, faults survived."""

from __future__ import annotations

import pytest

from bot import texts
from bot.adapters.telegram.channel import TelegramChannel
from bot.markup import split
from tests.adapters.conftest import LONG_TEXT, Services, make_channel
from tests.fakes.telegram_api import FakeTelegram, Fault


async def test_a_question_gets_an_html_answer_with_one_button_per_row(
    fake: FakeTelegram, channel: TelegramChannel
) -> None:
    fake.push_text(111, "cấp lại căn cước")
    [sent] = await fake.wait_messages(111, 1)
    assert sent.text == "Bạn hỏi: cấp lại căn cước"
    assert sent.parse_mode == "HTML"
    assert sent.buttons == [("Cấp lại CCCD", "p:1.000110"), ("Cấp đổi CCCD", "p:2.000111")]
    assert [len(row) for row in sent.reply_markup["inline_keyboard"]] == [1, 1]  # type: ignore[index]


async def test_a_button_press_gets_the_card_and_the_press_is_acknowledged(
    fake: FakeTelegram, channel: TelegramChannel, services: Services
) -> None:
    fake.push_text(111, "cccd")
    await fake.wait_messages(111, 1)
    query_id = fake.push_callback(111, "p:1.000110")
    sent = await fake.wait_messages(111, 2)
    assert sent[1].text == "Thẻ thủ tục p:1.000110"
    await fake.wait_for(lambda: query_id in fake.answered_callbacks)
    assert services.asked[-1].payload == "p:1.000110"


async def test_typing_a_number_picks_that_button(fake: FakeTelegram, channel: TelegramChannel) -> None:
    fake.push_text(111, "cccd")
    await fake.wait_messages(111, 1)
    fake.push_text(111, "2")
    sent = await fake.wait_messages(111, 2)
    assert sent[1].text == "Thẻ thủ tục p:2.000111"


async def test_updates_sent_while_the_bot_was_down_are_answered(fake: FakeTelegram, answer: object) -> None:
    fake.push_text(111, "hỏi lúc bot tắt")
    tg = make_channel(fake, answer)  # type: ignore[arg-type]
    await tg.start()
    try:
        [sent] = await fake.wait_messages(111, 1)
        assert "hỏi lúc bot tắt" in sent.text
    finally:
        await tg.stop()
    assert not any(c.params.get("drop_pending_updates") in (True, "true") for c in fake.calls)


# PTB 22 itself warns while building RetryAfter (its retry_after becomes a timedelta in v23).
@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_429_retry_after_is_honoured_and_the_message_arrives_once(
    fake: FakeTelegram, channel: TelegramChannel
) -> None:
    fake.inject("sendMessage", Fault.too_many_requests(retry_after=1))
    fake.push_text(111, "cccd")
    [sent] = await fake.wait_messages(111, 1, within=4)
    refused, accepted = fake.calls_of("sendMessage")
    assert (refused.status, accepted.status) == (429, 200)
    assert accepted.at - refused.at >= 1.0
    assert len(fake.messages_to(111)) == 1 and sent.text.startswith("Bạn hỏi")


async def test_a_server_error_on_send_is_retried(fake: FakeTelegram, channel: TelegramChannel) -> None:
    fake.inject("sendMessage", Fault.server_error(502))
    fake.push_text(111, "cccd")
    await fake.wait_messages(111, 1)
    assert [c.status for c in fake.calls_of("sendMessage")] == [502, 200]


async def test_a_long_reply_is_split_in_order_with_buttons_on_the_last_part(
    fake: FakeTelegram, channel: TelegramChannel
) -> None:
    expected = split(LONG_TEXT, 4096)
    assert len(expected) > 1
    fake.push_text(111, "/dai")
    sent = await fake.wait_messages(111, len(expected))
    assert [m.raw for m in sent] == expected
    assert all(len(m.raw) <= 4096 and len(m.text) <= 4096 for m in sent)
    assert [bool(m.buttons) for m in sent] == [False] * (len(sent) - 1) + [True]


async def test_html_in_user_text_reaches_the_user_verbatim(
    fake: FakeTelegram, channel: TelegramChannel
) -> None:
    question = "<b>đậm</b> <script>alert(1)</script> & A&B &amp; 1 < 2"
    fake.push_text(111, question)
    [sent] = await fake.wait_messages(111, 1)
    assert sent.text == f"Bạn hỏi: {question}"


async def test_markup_telegram_refuses_is_sent_as_plain_text(
    fake: FakeTelegram, channel: TelegramChannel
) -> None:
    fake.push_text(111, "/hong")
    [sent] = await fake.wait_messages(111, 1)
    assert sent.parse_mode is None and sent.text == "Thủ tục chưa đóng thẻ"
    assert [c.status for c in fake.calls_of("sendMessage")] == [400, 200]


async def test_malformed_updates_do_not_stop_the_bot(fake: FakeTelegram, channel: TelegramChannel) -> None:
    fake.push_raw({"message": {"message_id": 1, "date": 0, "text": "không có chat"}})
    fake.push_raw({"message": "not an object"})
    fake.push_raw({"brand_new_update_kind": {"x": 1}})
    fake.push_raw({"callback_query": {"id": "q1", "from": fake.user(111), "chat_instance": "c"}})
    fake.push_callback(111, "\x00garbage:::")
    fake.push_raw(
        {
            "message": {
                "message_id": 2,
                "date": 0,
                "chat": fake.add_chat(111),
                "from": fake.user(111),
                "new_chat_title": "dịch vụ, không phải câu hỏi",
            }
        }
    )
    fake.push_text(111, "vẫn trả lời chứ?")
    sent = await fake.wait_messages(111, 2)
    assert sent[0].text == "Xin lỗi, tôi chưa hiểu."
    assert sent[1].text == "Bạn hỏi: vẫn trả lời chứ?"
    await fake.wait_for(lambda: not fake.pending)


async def test_a_chat_that_blocked_the_bot_does_not_affect_another(
    fake: FakeTelegram, channel: TelegramChannel
) -> None:
    fake.block(222)
    fake.push_text(222, "tôi đã chặn bot")
    fake.push_text(333, "câu hỏi 1")
    await fake.wait_messages(333, 1)
    fake.push_text(333, "câu hỏi 2")
    sent = await fake.wait_messages(333, 2)
    assert [m.text for m in sent] == ["Bạn hỏi: câu hỏi 1", "Bạn hỏi: câu hỏi 2"]
    assert fake.messages_to(222) == []
    blocked = [c for c in fake.calls_of("sendMessage") if c.params.get("chat_id") == 222]
    assert [c.status for c in blocked] == [403]


async def test_group_messages_are_answered_only_when_addressed(
    fake: FakeTelegram, channel: TelegramChannel, services: Services
) -> None:
    fake.push_text(-100, "mọi người ơi, họp lúc 8 giờ", chat_type="supergroup")
    fake.push_text(-100, "/start@SomeOtherBot", chat_type="supergroup")
    update_id = fake.push_text(-100, "@MotcuaTestBot cấp lại cccd", chat_type="supergroup")
    [sent] = await fake.wait_messages(-100, 1)
    assert sent.text == "Bạn hỏi: cấp lại cccd"
    assert sent.reply_to_message_id is not None
    fake.push_text(-100, "còn lệ phí?", chat_type="supergroup", reply_to_bot=True)
    sent2 = await fake.wait_messages(-100, 2)
    assert sent2[1].text == "Bạn hỏi: còn lệ phí?"
    assert services.asked[0].event_id == str(update_id)


async def test_stop_finishes_replies_in_flight_and_confirms_fetched_updates(
    fake: FakeTelegram, answer: object
) -> None:
    tg = make_channel(fake, answer)  # type: ignore[arg-type]
    await tg.start()
    fake.inject("sendMessage", Fault.slow(0.5))
    fake.push_text(111, "trả lời trước khi dừng")
    await fake.wait_for(lambda: fake.calls_of("getUpdates") and not fake.pending)
    await tg.stop()
    assert [m.text for m in fake.messages_to(111)] == ["Bạn hỏi: trả lời trước khi dừng"]
    fake.push_text(111, "sau khi dừng")
    assert len(fake.pending) == 1


async def test_images_go_out_with_their_caption_or_followed_by_the_text(
    fake: FakeTelegram, channel: TelegramChannel
) -> None:
    fake.push_text(111, "/anh")
    first, second, third = await fake.wait_messages(111, 3)
    assert first.photo and first.text == "Mã QR nộp hồ sơ" and first.buttons == [("Mở", "p:1.000110")]
    assert second.photo and second.text == ""
    assert not third.photo and len(third.raw) == 1500


async def test_a_group_that_became_a_supergroup_gets_the_reply_at_its_new_id(
    fake: FakeTelegram, channel: TelegramChannel
) -> None:
    fake.add_chat(-1009, "supergroup")
    fake.inject("sendMessage", Fault.migrated(-1009), chat_id=-9)
    fake.push_text(-9, "/start", chat_type="group")
    [sent] = await fake.wait_messages(-1009, 1)
    assert sent.text.startswith("Xin chào")
    assert fake.messages_to(-9) == []


async def test_one_slow_chat_does_not_hold_up_another_and_each_chat_keeps_its_order(
    fake: FakeTelegram, channel: TelegramChannel
) -> None:
    fake.inject("sendMessage", Fault.slow(0.8), chat_id=222)
    fake.push_text(222, "chậm")
    for n in range(5):
        fake.push_text(333, f"câu {n}")
    sent = await fake.wait_messages(333, 5)
    assert [m.text for m in sent] == [f"Bạn hỏi: câu {n}" for n in range(5)]
    assert fake.messages_to(222) == []
    await fake.wait_messages(222, 1)


async def test_a_handler_bug_is_logged_without_user_text_and_the_bot_keeps_going(
    fake: FakeTelegram, channel: TelegramChannel, caplog: pytest.LogCaptureFixture
) -> None:
    update_id = fake.push_text(111, "/loi số CCCD 012345678901")
    fake.push_text(111, "sau lỗi")
    sorry, sent = await fake.wait_messages(111, 2)
    assert sorry.raw == texts.ERROR
    assert sent.text == "Bạn hỏi: sau lỗi"
    [record] = [r for r in caplog.records if "failed with" in r.getMessage()]
    assert "ValueError" in record.getMessage() and str(update_id) in record.getMessage()
    assert "012345678901" not in caplog.text
