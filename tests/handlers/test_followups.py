"""A short question about the card just shown is answered from it; anything else is searched as before.

The dispatcher keeps the card's section buttons as the chat's choices in the real conversation store
(SQLite), which is what makes a card the chat's current one.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot import texts
from bot.messages import Reply
from bot.routing import Dispatcher
from bot.services import Services
from bot.services.conversations import ConversationMemory
from bot.storage import SessionFactory
from handlers import build_router, fallback
from handlers.card_sections import section_payload
from handlers.followup_phrases import DOCUMENTS, FEE, ONLINE, PLACE, STEPS, TIME
from handlers.followups import current_code, followup_kinds
from handlers.procedures import answer
from knowledge.importers import load_paths
from knowledge.model import Procedure
from tests.handlers.support import incoming, services, texts_of

ROOT = Path(__file__).resolve().parents[2]
BIRTH = "1.001193"
ID_CARD_AGAIN = "1.014064"
"""Cấp lại thẻ căn cước: in person only, 70.000 đồng."""
LAND = "DEMO-DD-01"
"""A fee the short card cuts short: the follow-up gives it whole."""


@pytest.fixture(scope="module")
def demo_procedures() -> list[Procedure]:
    """The demo knowledge base."""
    return list(load_paths([ROOT / "knowledge" / "demo"]).procedures.values())


@pytest.fixture
def svc(demo_procedures: list[Procedure], sessions: SessionFactory) -> Services:
    """Real services over the demo catalogue and a migrated SQLite file."""
    return services(demo_procedures, sessions)


def chat(svc: Services) -> Dispatcher[Services]:
    """The real router behind a dispatcher whose choices are the services' conversation store."""
    return Dispatcher(build_router(), svc, svc.conversations, fallback)


async def say(dispatcher: Dispatcher[Services], text: str, chat_id: str = "42") -> list[Reply]:
    """One message from the resident of ``chat_id``, as the dispatcher answers it."""
    return await dispatcher.dispatch(incoming(text, chat=chat_id))


def heading(replies: list[Reply]) -> str:
    """The first line of the answer."""
    return replies[0].text.split("\n", 1)[0]


@pytest.mark.parametrize(
    ("text", "kinds"),
    [
        ("phí bao nhiêu", (FEE,)),
        ("lệ phí", (FEE,)),
        ("mất tiền không", (FEE,)),
        ("bao nhiêu tiền", (FEE,)),
        ("phi bao nhieu", (FEE,)),
        ("có mất phí ko", (FEE,)),
        ("Phí bn?", (FEE,)),
        ("mất bao lâu", (TIME,)),
        ("bao lâu thì xong", (TIME,)),
        ("mấy ngày", (TIME,)),
        ("bao lau", (TIME,)),
        ("mất bao nhiêu ngày", (TIME,)),
        ("nộp ở đâu", (PLACE,)),
        ("làm ở đâu", (PLACE,)),
        ("lam o dau", (PLACE,)),
        ("lam o dau vay", (PLACE,)),
        ("ở đâu", (PLACE,)),
        ("hồ sơ nộp ở đâu ạ", (PLACE,)),
        ("nộp online được không", (ONLINE,)),
        ("làm trên mạng", (ONLINE,)),
        ("nop online dc ko", (ONLINE,)),
        ("cần giấy tờ gì", (DOCUMENTS,)),
        ("mang gì", (DOCUMENTS,)),
        ("hồ sơ gồm gì", (DOCUMENTS,)),
        ("can giay to j", (DOCUMENTS,)),
        ("các bước", (STEPS,)),
        ("làm thế nào", (STEPS,)),
        ("lam ntn", (STEPS,)),
        ("phí và thời gian bao lâu?", (FEE, TIME)),
    ],
)
def test_follow_up_phrases_are_read_with_and_without_marks_and_in_shorthand(
    text: str, kinds: tuple[str, ...]
) -> None:
    assert followup_kinds(text) == kinds


@pytest.mark.parametrize(
    "text",
    [
        "lệ phí trước bạ bao nhiêu",
        "phí đăng ký kết hôn",
        "đăng kí khai sinh cho bé",
        "hồ sơ đến đâu rồi",
        "bước đầu tiên",  # "đầu" typed with its marks is not "đâu"
        "bao nhiêu",
        "giấy tờ",
        "cảm ơn",
        "",
        "phí " * 13,
    ],
)
def test_a_message_naming_anything_else_is_not_a_follow_up(text: str) -> None:
    assert followup_kinds(text) == ()


def test_the_current_card_is_the_one_whose_sections_are_the_choices() -> None:
    assert current_code([section_payload("giayto", BIRTH), section_payload("cacbuoc", BIRTH)]) == BIRTH
    assert current_code(["p:1.001193", "p:1.000656"]) is None
    assert current_code([section_payload("giayto", BIRTH), section_payload("giayto", LAND)]) is None
    assert current_code([]) is None


async def test_each_kind_of_follow_up_is_answered_from_the_card_just_shown(svc: Services) -> None:
    dispatcher = chat(svc)
    [card] = await say(dispatcher, "cấp lại thẻ căn cước")
    assert "Cấp lại thẻ căn cước" in card.text and card.buttons
    fee = await say(dispatcher, "phí bao nhiêu")
    assert heading(fee) == "<b>Phí, lệ phí · Cấp lại thẻ căn cước</b>" and "70.000 đồng" in fee[0].text
    time = await say(dispatcher, "bao lâu thì xong")
    assert heading(time) == "<b>Thời hạn giải quyết · Cấp lại thẻ căn cước</b>" and "(theo " in time[0].text
    place = await say(dispatcher, "lam o dau vay")
    assert heading(place) == "<b>Nộp ở đâu · Cấp lại thẻ căn cước</b>"
    assert "Cơ quan giải quyết" in place[0].text and svc.config.centre.phone in place[0].text
    # In person only: the online answer says so honestly.
    online = await say(dispatcher, "nop online dc ko")
    assert heading(online).startswith("<b>Nộp trực tuyến · Cấp lại thẻ căn cước")
    assert texts.SECTION_ONLINE_NONE in texts_of(online)
    documents = await say(dispatcher, "cần giấy tờ gì")
    assert heading(documents).startswith(f"<b>{texts.SECTION_DOCUMENTS} · Cấp lại thẻ căn cước")
    steps = await say(dispatcher, "làm thế nào")
    assert heading(steps).startswith(f"<b>{texts.SECTION_STEPS} · Cấp lại thẻ căn cước")
    # Every answer offers the card's sections again, so the card stays current and "1" still opens the first.
    for replies in (fee, time, place, online, documents, steps):
        assert replies[-1].buttons == card.buttons
    first = await say(dispatcher, "1")
    assert heading(first) == heading(await dispatcher.dispatch(incoming(payload=card.buttons[0].payload)))


async def test_a_fee_the_card_cuts_short_is_given_whole(svc: Services) -> None:
    dispatcher = chat(svc)
    [card] = await say(dispatcher, f"/thutuc {LAND}")
    assert "theo mức do Hội đồng nhân dân cấp tỉnh quyết định" not in card.text
    [fee] = await say(dispatcher, "có mất phí ko")
    assert "Lệ phí trước bạ 0,5% giá đất" in fee.text
    assert "theo mức do Hội đồng nhân dân cấp tỉnh quyết định" in fee.text


async def test_a_follow_up_naming_another_procedure_is_searched(svc: Services) -> None:
    dispatcher = chat(svc)
    await say(dispatcher, f"/thutuc {ID_CARD_AGAIN}")
    for question, about in (("phí đăng ký kết hôn", "kết hôn"), ("lệ phí trước bạ bao nhiêu", "")):
        replies = await say(dispatcher, question)
        assert replies == await answer(question, svc)
        shown = texts_of(replies) + " ".join(b.label for r in replies for b in r.buttons)
        assert "Phí, lệ phí · " not in shown and about in shown.lower()
        await say(dispatcher, f"/thutuc {ID_CARD_AGAIN}")


async def test_without_a_current_card_a_follow_up_is_searched_as_before(svc: Services) -> None:
    dispatcher = chat(svc)
    # A fresh chat, and a chat whose last answer was a choice list, have no current card.
    assert await say(dispatcher, "phí bao nhiêu") == await answer("phí bao nhiêu", svc)
    assert await say(dispatcher, "/tructuyen") == [Reply(text=texts.ask_section_code("tructuyen"))]
    choices = await say(dispatcher, "đăng ký", chat_id="43")
    assert all(b.payload.startswith("p:") for b in choices[-1].buttons)
    assert await say(dispatcher, "mất bao lâu", chat_id="43") == await answer("mất bao lâu", svc)


async def test_a_card_no_longer_current_after_another_answer_or_its_expiry(
    svc: Services, sessions: SessionFactory
) -> None:
    now = [datetime(2026, 12, 1, 8, 0, tzinfo=UTC)]
    svc = replace(svc, conversations=ConversationMemory(sessions, clock=lambda: now[0]))
    dispatcher = chat(svc)
    await say(dispatcher, f"/thutuc {BIRTH}")
    await say(dispatcher, "/help")
    assert await say(dispatcher, "nộp ở đâu") == await answer("nộp ở đâu", svc)
    await say(dispatcher, f"/thutuc {BIRTH}")
    now[0] += timedelta(minutes=31)
    assert await say(dispatcher, "nộp ở đâu") == await answer("nộp ở đâu", svc)


async def test_a_section_command_without_a_code_opens_the_current_cards_section(svc: Services) -> None:
    dispatcher = chat(svc)
    [card] = await say(dispatcher, f"/thutuc {BIRTH}")
    online = await say(dispatcher, "/tructuyen")
    assert heading(online) == "<b>Nộp trực tuyến · Thủ tục đăng ký khai sinh</b>"
    steps = await say(dispatcher, "/cacbuoc")
    assert heading(steps).startswith("<b>Các bước · Thủ tục đăng ký khai sinh")
    # With a code, the code wins over the current card.
    other = await say(dispatcher, f"/cacbuoc {ID_CARD_AGAIN}")
    assert heading(other).startswith("<b>Các bước · Cấp lại thẻ căn cước")
    assert steps[-1].buttons == card.buttons


async def test_a_restart_between_the_card_and_the_follow_up_still_answers_from_the_card(
    demo_procedures: list[Procedure], sessions: SessionFactory
) -> None:
    before = services(demo_procedures, sessions)
    await say(chat(before), f"/thutuc {BIRTH}")
    # A new core over the same database: only the stored conversation state links the two messages.
    after = services(demo_procedures, sessions)
    time = await say(chat(after), "mất bao lâu")
    assert heading(time) == "<b>Thời hạn giải quyết · Thủ tục đăng ký khai sinh</b>"
