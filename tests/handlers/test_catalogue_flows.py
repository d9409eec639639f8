"""Conversations over the real national catalogue, through the real router and dispatcher."""

from __future__ import annotations

import pytest

from bot.markup import to_plain
from bot.services import Services
from bot.storage import SessionFactory
from knowledge.index import ProcedureIndex
from tests.handlers.support import dispatcher, incoming, services


@pytest.fixture
def svc(catalogue_index: ProcedureIndex, sessions: SessionFactory) -> Services:
    """Real services over the real catalogue, on a migrated database."""
    return services(catalogue_index, sessions)


async def test_birth_registration_question_gets_its_card_with_documents(svc: Services) -> None:
    chat = dispatcher(svc)
    [reply] = await chat.dispatch(incoming("lam giay khai sinh cho con"))
    if reply.buttons[0].payload.startswith("p:"):
        # Choices are acceptable when they lead to birth registration: the first opens a card.
        assert "khai sinh" in reply.buttons[0].label.lower()
        [reply] = await chat.dispatch(incoming("1"))
    plain = to_plain(reply.text)
    assert "khai sinh" in plain.lower()
    assert "Cần mang" in plain
    assert "Mã thủ tục:" in plain


async def test_thutuc_with_a_real_code_and_an_unknown_one(svc: Services) -> None:
    chat = dispatcher(svc)
    [card] = await chat.dispatch(incoming("/thutuc 1.000110"))
    assert "<code>1.000110</code>" in card.text
    assert "khai sinh" in card.text
    [missing] = await chat.dispatch(incoming("/thutuc 9.999999"))
    assert "không tìm thấy thủ tục có mã" in missing.text.lower()
    assert "9.999999" in missing.text


async def test_deep_link_opens_a_real_card(svc: Services) -> None:
    [card] = await dispatcher(svc).dispatch(incoming("/start p_1_000110"))
    assert "<code>1.000110</code>" in card.text


@pytest.mark.parametrize("text", ["xin chào", "cảm ơn bạn nhiều", "hello"])
async def test_chitchat_gets_no_card(svc: Services, text: str) -> None:
    [reply] = await dispatcher(svc).dispatch(incoming(text))
    assert "Mã thủ tục" not in reply.text
    assert not reply.buttons


async def test_an_ambiguous_question_gets_choices_and_2_picks_the_second(svc: Services) -> None:
    chat = dispatcher(svc)
    # First issue, re-issue, exchange, international: the resident has to say which.
    [reply] = await chat.dispatch(incoming("giấy phép lái xe"))
    assert len(reply.buttons) >= 2
    assert all("lái xe" in button.label for button in reply.buttons)
    assert all(len(button.label) <= 80 for button in reply.buttons)
    second = reply.buttons[1].payload.removeprefix("p:")
    [card] = await chat.dispatch(incoming("2"))
    assert f"<code>{second}</code>" in card.text
