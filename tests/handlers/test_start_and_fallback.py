"""/start, deep links, /help and the dispatcher fallback."""

from __future__ import annotations

import re

import pytest

from bot import texts
from bot.config import CentreConfig, Config
from bot.markup import to_plain
from bot.storage import SessionFactory
from handlers import fallback
from handlers.start import code_from_start_payload, start_payload
from knowledge.model import Procedure
from tests.handlers.support import CENTRE, dispatcher, incoming, markup_problem, services

PROCEDURES = [Procedure(code="1.000110", name="Đăng ký khai sinh có yếu tố nước ngoài", level="Cấp xã")]


async def test_start_welcomes_with_examples_and_the_centre_name(sessions: SessionFactory) -> None:
    [reply] = await dispatcher(services(PROCEDURES, sessions)).dispatch(incoming("/start"))
    plain = to_plain(reply.text)
    assert CENTRE.name in plain
    assert all(example in plain for example in texts.EXAMPLES)
    assert "/help" in plain
    assert markup_problem(reply.text) is None


async def test_deep_link_opens_the_card(sessions: SessionFactory) -> None:
    chat = dispatcher(services(PROCEDURES, sessions))
    [card] = await chat.dispatch(incoming(f"/start {start_payload('1.000110')}"))
    assert "<code>1.000110</code>" in card.text
    replies = await chat.dispatch(incoming("/start p_9_999999"))
    assert "9.999999" in replies[0].text and "không tìm thấy" in replies[0].text.lower()
    assert "Xin chào" in replies[1].text
    [welcome] = await chat.dispatch(incoming("/start ref_campaign"))
    assert "Xin chào" in welcome.text


@pytest.mark.parametrize("code", ["1.000110", "2.002154", "1.013673"])
def test_start_payload_round_trips_within_telegram_rules(code: str) -> None:
    payload = start_payload(code)
    assert re.fullmatch(r"[A-Za-z0-9_-]{1,64}", payload)
    assert code_from_start_payload(payload) == code
    assert code_from_start_payload("p_") is None
    assert code_from_start_payload("other") is None


async def test_help_lists_commands_and_how_to_reach_a_person(sessions: SessionFactory) -> None:
    config = Config(centre=CentreConfig(name="UBND xã Hòa Bình", phone="", address="", portal_url=""))
    [reply] = await dispatcher(services(PROCEDURES, sessions, config)).dispatch(incoming("/help"))
    plain = to_plain(reply.text)
    for command in ("/tim", "/thutuc", "/help"):
        assert command in plain
    assert "UBND xã Hòa Bình" in plain
    assert "điện thoại" not in plain and "http" not in plain


async def test_unknown_command_points_to_help(sessions: SessionFactory) -> None:
    [reply] = await dispatcher(services(PROCEDURES, sessions)).dispatch(incoming("/xyz abc"))
    assert "/xyz" in reply.text and "/help" in reply.text


def test_fallback_answers_by_what_was_sent() -> None:
    [stale] = fallback(incoming(payload="d:old-button"))
    assert stale.text == texts.CHOICE_EXPIRED
    [image] = fallback(incoming(""))
    assert image.text == texts.TEXT_ONLY
    assert fallback(incoming("/xyz", addressed=False)) == []
