"""The fake Bot API itself, driven by PTB's plain Bot: its wire behaviour must match Telegram's."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden, InvalidToken, NetworkError

from tests.fakes.telegram_api import ApiError, FakeTelegram, Fault, visible_text


@pytest.fixture
async def bot(fake: FakeTelegram) -> AsyncIterator[Bot]:
    """A plain PTB Bot (no rate limiter, no defaults) talking to the fake."""
    async with Bot(fake.token, base_url=fake.base_url, base_file_url=fake.base_file_url) as tg:
        yield tg


async def test_get_me_names_the_bot(bot: Bot, fake: FakeTelegram) -> None:
    me = await bot.get_me()
    assert (me.id, me.username, me.is_bot) == (fake.bot_id, fake.username, True)


async def test_an_offset_confirms_earlier_updates_like_telegram(bot: Bot, fake: FakeTelegram) -> None:
    ids = [fake.push_text(111, f"tin {n}") for n in range(3)]
    assert [u.update_id for u in await bot.get_updates()] == ids
    assert [u.update_id for u in await bot.get_updates()] == ids  # not confirmed yet
    assert [u.update_id for u in await bot.get_updates(offset=ids[1])] == ids[1:]
    assert [u.update_id for u in await bot.get_updates(limit=1)] == ids[1:2]
    assert [u.update_id for u in await bot.get_updates(offset=-1)] == ids[2:]
    assert await bot.get_updates(offset=ids[2] + 1) == ()
    assert fake.pending == []


async def test_a_long_poll_returns_as_soon_as_an_update_arrives(bot: Bot, fake: FakeTelegram) -> None:
    poll = asyncio.create_task(bot.get_updates(timeout=5))
    await fake.wait_for(lambda: fake.waiting_polls > 0)
    update_id = fake.push_text(111, "đến rồi")
    [update] = await asyncio.wait_for(poll, 2)
    assert update.update_id == update_id and update.message is not None


async def test_send_message_validates_like_telegram(bot: Bot, fake: FakeTelegram) -> None:
    fake.add_chat(111)
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.send_message(999, "ai đó")
    with pytest.raises(BadRequest, match=r"(?i)can.t parse entities"):
        await bot.send_message(111, "<script>x</script>", parse_mode="HTML")
    with pytest.raises(BadRequest, match=r"(?i)can.t parse entities"):
        await bot.send_message(111, "<b>mở mà không đóng", parse_mode="HTML")
    with pytest.raises(BadRequest, match=r"(?i)too long"):
        await bot.send_message(111, "x" * 4097)
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Quá dài", callback_data="x" * 65)]])
    with pytest.raises(BadRequest, match=r"(?i)button_data_invalid"):
        await bot.send_message(111, "nút", reply_markup=markup)
    message = await bot.send_message(111, "<b>a</b> &amp; b & c", parse_mode="HTML")
    assert message.text == "a & b & c" and fake.sent[-1].raw == "<b>a</b> &amp; b & c"


async def test_visible_text_follows_telegram_html_rules() -> None:
    assert visible_text('<a href="https://x.vn?a=1&amp;b=2">link</a> &#273; &lt;3') == "link đ <3"
    for bad in ("<b><i>x</b></i>", "</b>", "<b", "<div>x</div>"):
        with pytest.raises(ApiError) as refused:
            visible_text(bad)
        assert refused.value.code == 400


async def test_injected_faults_map_to_ptb_errors(bot: Bot, fake: FakeTelegram) -> None:
    fake.add_chat(111)
    fake.inject("sendMessage", Fault.blocked())
    with pytest.raises(Forbidden, match="blocked"):
        await bot.send_message(111, "a")
    fake.inject("sendMessage", Fault.server_error(500))
    with pytest.raises(NetworkError):
        await bot.send_message(111, "b")
    assert (await bot.send_message(111, "c")).text == "c"
    assert [c.status for c in fake.calls_of("sendMessage")] == [403, 500, 200]


async def test_a_wrong_token_is_unauthorized(fake: FakeTelegram) -> None:
    with pytest.raises(InvalidToken):
        async with Bot("1:wrong", base_url=fake.base_url) as tg:
            await tg.get_me()


async def test_callbacks_edits_webhooks_and_commands(bot: Bot, fake: FakeTelegram) -> None:
    fake.add_chat(111)
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Một", callback_data="p:1")]])
    message = await bot.send_message(111, "chọn", reply_markup=markup)
    query_id = fake.push_callback(111, "p:1")
    assert await bot.answer_callback_query(query_id)
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await bot.answer_callback_query(query_id)
    await bot.edit_message_reply_markup(111, message.message_id, reply_markup=None)
    assert fake.sent[-1].reply_markup is None
    with pytest.raises(BadRequest, match="not modified"):
        await bot.edit_message_reply_markup(111, message.message_id, reply_markup=None)
    assert await bot.set_my_commands([("tim", "Tìm thủ tục")])
    assert fake.commands == [{"command": "tim", "description": "Tìm thủ tục"}]
    assert await bot.set_webhook("https://bot.example.vn/hook", secret_token="abc_DEF-123")
    assert (await bot.get_webhook_info()).url == "https://bot.example.vn/hook"
    assert await bot.delete_webhook(drop_pending_updates=True)
    assert (await bot.get_webhook_info()).url == ""
