"""Procedure questions through the real router and dispatcher, over a few in-test procedures."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot import texts
from bot.markup import esc, to_plain
from bot.messages import Reply
from bot.services import Services
from bot.storage import SessionFactory
from handlers import build_router
from handlers.cards import QUERY_MAX
from knowledge.model import Channel, Document, Procedure
from tests.handlers.support import CENTRE, dispatcher, incoming, markup_problem, services

PROCEDURES = [
    Procedure(
        code="1.001193",
        name="Thủ tục đăng ký khai sinh",
        level="Cấp xã",
        documents=(Document(name="Tờ khai đăng ký khai sinh", originals=1),),
        channels=(Channel(kind="Trực tiếp", time_limit="Ngay trong ngày", fee="Miễn lệ phí"),),
    ),
    Procedure(code="1.004837", name="Đăng ký kết hôn", level="Cấp xã"),
    Procedure(code="2.000806", name="Đăng ký kết hôn", level="Cấp tỉnh"),
    Procedure(code="1.002804", name="Cấp đổi giấy phép lái xe", level="Cấp tỉnh"),
]


@pytest.fixture
def svc(sessions: SessionFactory) -> Services:
    """Real services over the in-test procedures, on a migrated database."""
    return services(PROCEDURES, sessions)


async def test_a_clear_question_gets_the_card(svc: Services) -> None:
    [reply] = await dispatcher(svc).dispatch(incoming("đăng ký khai sinh"))
    plain = to_plain(reply.text)
    assert "Mã thủ tục: 1.001193" in plain
    assert "Tờ khai đăng ký khai sinh (1 bản chính)" in plain
    # Only the sections this record has: papers, but no steps, no legal basis, no online channel.
    assert [(b.label, b.payload) for b in reply.buttons] == [
        ("Giấy tờ trong trường hợp đặc biệt", "s:giayto:1.001193")
    ]
    assert CENTRE.portal_url in reply.text


async def test_two_close_procedures_give_choices_and_a_number_picks_one(svc: Services) -> None:
    chat = dispatcher(svc)
    [choices] = await chat.dispatch(incoming("đăng ký kết hôn"))
    assert sorted(b.payload for b in choices.buttons) == ["p:1.004837", "p:2.000806"]
    assert all("Đăng ký kết hôn (Cấp" in b.label for b in choices.buttons)
    first, second = (b.payload.removeprefix("p:") for b in choices.buttons)
    [card] = await chat.dispatch(incoming("2"))
    assert f"<code>{second}</code>" in card.text
    # Picking keeps the list, so the resident can compare with the other one.
    [other] = await chat.dispatch(incoming("1."))
    assert f"<code>{first}</code>" in other.text
    # A number outside the list says which numbers are valid and keeps the list.
    [wrong] = await chat.dispatch(incoming("7"))
    assert wrong.text == texts.number_out_of_range(2)
    [again] = await chat.dispatch(incoming("2"))
    assert f"<code>{second}</code>" in again.text
    # An answer without buttons forgets it: a number then has no list to pick from.
    await chat.dispatch(incoming("/help"))
    [stale] = await chat.dispatch(incoming("2"))
    assert stale.text == texts.NO_LIST_TO_PICK


@pytest.mark.parametrize("typed", ["7", "1", "-1", "100", "0", " 3. ", "số 2", "99999999"])
async def test_a_number_in_a_chat_shown_no_list_says_there_is_no_list(svc: Services, typed: str) -> None:
    [reply] = await dispatcher(svc).dispatch(incoming(typed))
    # Not "expired" (nothing was shown), and never a search for unrelated procedures.
    assert reply.text == texts.NO_LIST_TO_PICK and not reply.buttons
    assert "hết hạn" not in reply.text and "/thutuc" in reply.text


@pytest.mark.parametrize("typed", ["-1", "100", "0", "3"])
async def test_a_number_outside_the_list_names_the_valid_numbers_and_keeps_the_list(
    svc: Services, typed: str
) -> None:
    chat = dispatcher(svc)
    [choices] = await chat.dispatch(incoming("đăng ký kết hôn"))
    [wrong] = await chat.dispatch(incoming(typed))
    assert wrong.text == texts.number_out_of_range(2) and not wrong.buttons
    assert "từ 1 đến 2" in wrong.text
    [card] = await chat.dispatch(incoming("1"))
    assert f"<code>{choices.buttons[0].payload.removeprefix('p:')}</code>" in card.text


async def test_section_numbers_stay_the_same_after_opening_a_section(svc: Services) -> None:
    chat = dispatcher(svc)
    [card] = await chat.dispatch(incoming("/thutuc 1.001193"))
    [papers] = await chat.dispatch(incoming("1"))
    assert to_plain(papers.text).startswith("Giấy tờ trong trường hợp đặc biệt")
    # The section offers the card's own list again: "1" still means the same section.
    assert papers.buttons == card.buttons
    [same] = await chat.dispatch(incoming("1"))
    assert same.text == papers.text


async def test_a_pressed_choice_opens_the_card_and_a_stale_one_says_so(svc: Services) -> None:
    chat = dispatcher(svc)
    [card] = await chat.dispatch(incoming(payload="p:1.002804"))
    assert "Cấp đổi giấy phép lái xe" in card.text
    [stale] = await chat.dispatch(incoming(payload="p:9.999999"))
    assert "hết hạn" in stale.text and "hỏi lại" in stale.text


async def test_tim_searches_the_words_after_it_or_asks_for_them(svc: Services) -> None:
    chat = dispatcher(svc)
    [card] = await chat.dispatch(incoming("/tim đăng ký khai sinh"))
    assert "<code>1.001193</code>" in card.text
    [ask] = await chat.dispatch(incoming("/tim   "))
    assert "Bạn muốn tìm thủ tục gì" in ask.text


async def test_thutuc_shows_a_card_or_a_clear_not_found(svc: Services) -> None:
    chat = dispatcher(svc)
    [card] = await chat.dispatch(incoming("/thutuc 1.001193"))
    assert "<code>1.001193</code>" in card.text
    [card] = await chat.dispatch(incoming("/thutuc@MotcuaBot  1.001193."))
    assert "<code>1.001193</code>" in card.text
    [missing] = await chat.dispatch(incoming("/thutuc 9.999999"))
    assert "không tìm thấy thủ tục có mã <b>9.999999</b>" in missing.text.lower()
    [ask] = await chat.dispatch(incoming("/thutuc"))
    assert "/thutuc 1.000110" in ask.text


@pytest.mark.parametrize(
    "text",
    ["/tìm đăng ký khai sinh", "/tìm kiếm đăng ký khai sinh", "/thủtục 1.001193", "/Thủ tục 1.001193"],
)
async def test_commands_typed_with_diacritics_still_work(svc: Services, text: str) -> None:
    [card] = await dispatcher(svc).dispatch(incoming(text))
    assert "<code>1.001193</code>" in card.text


async def test_a_too_long_message_is_not_searched(svc: Services) -> None:
    [reply] = await dispatcher(svc).dispatch(incoming("đăng ký khai sinh " * (QUERY_MAX // 10)))
    assert "ngắn gọn" in reply.text
    assert "Mã thủ tục" not in reply.text


async def test_nothing_found_is_answered_honestly_with_where_to_get_help(svc: Services) -> None:
    [reply] = await dispatcher(svc).dispatch(incoming("xyzzy qwerty"))
    assert "chưa tìm thấy" in reply.text
    assert CENTRE.phone in reply.text and CENTRE.address in reply.text
    assert not reply.buttons


async def test_unaddressed_group_chatter_gets_no_answer(svc: Services) -> None:
    assert await dispatcher(svc).dispatch(incoming("đăng ký khai sinh", addressed=False)) == []


@pytest.mark.parametrize(
    "text",
    ["<script>alert(1)</script>", "Tom & Jerry", "<b>đậm</b>", '"><a href="x">', "&amp; &lt;"],
)
async def test_user_text_is_escaped_in_every_reply_that_echoes_it(svc: Services, text: str) -> None:
    chat = dispatcher(svc)
    echoes = {text: esc(text), f"/tim {text}": esc(text), f"/thutuc {text}": esc(text.split()[0])}
    for message, echoed in echoes.items():
        replies = await chat.dispatch(incoming(message))
        assert any(echoed in reply.text for reply in replies), (message, replies)
        for reply in replies:
            assert markup_problem(reply.text) is None, (message, reply.text)
            assert text not in reply.text
    for reply in await chat.dispatch(incoming(f"/start {text}")):
        assert markup_problem(reply.text) is None


def _is_valid(replies: list[Reply]) -> bool:
    return bool(replies) and all(markup_problem(r.text) is None for r in replies)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=60))
async def test_garbage_and_control_characters_never_raise(svc: Services, text: str) -> None:
    chat = dispatcher(svc)
    for message in (text, f"/tim {text}", f"/thutuc {text}", f"/start {text}"):
        replies = await chat.dispatch(incoming(message))
        assert not text.strip() or _is_valid(replies)


def test_router_serves_the_documented_commands() -> None:
    assert {"start", "help", "tim", "thutuc"} <= set(build_router().commands)


async def test_section_commands_open_a_section_by_code(svc: Services) -> None:
    chat = dispatcher(svc)
    [papers] = await chat.dispatch(incoming("/giayto 1.001193"))
    plain = to_plain(papers.text)
    assert plain.startswith("Giấy tờ trong trường hợp đặc biệt · Thủ tục đăng ký khai sinh")
    assert "Tờ khai đăng ký khai sinh (1 bản chính)" in plain
    # The card's own list again, in the same order, so numbers keep their meaning.
    assert [b.payload for b in papers.buttons] == ["s:giayto:1.001193"]
    # Phones add marks and split words: "/giấy tờ" is the same command.
    [joined] = await chat.dispatch(incoming("/giấy tờ 1.001193."))
    assert joined.text == papers.text
    [ask] = await chat.dispatch(incoming("/cancu"))
    assert ask.text == texts.ask_section_code("cancu")
    [missing] = await chat.dispatch(incoming("/tructuyen 9.999999"))
    assert "không tìm thấy thủ tục có mã" in missing.text.lower() and "9.999999" in missing.text
