"""The short card's section buttons end to end: the real core and runner against the fake Telegram and Zalo.

Telegram shows them as inline buttons whose callback data names the section and the procedure; Zalo as
numbered lines the chat's stored choices (in the database) resolve. Both must survive a restart.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text

from bot import texts
from bot.config import DatabaseConfig
from bot.markup import to_plain
from bot.services.procedures import import_procedures
from bot.storage import create_engine, session_factory
from bot.storage.migrate import upgrade_engine
from knowledge.importers import load_paths
from tests.adapters.test_telegram_runner import config_for, serving
from tests.adapters.test_two_platforms import both
from tests.adapters.test_zalo_runner import config_for as zalo_config_for
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.zalo_api import FakeZalo, SentMessage

ROOT = Path(__file__).resolve().parents[2]
BIRTH = "1.001193"
CARD_BUTTONS = [
    ("Giấy tờ trong trường hợp đặc biệt", f"s:giayto:{BIRTH}"),
    ("Các bước", f"s:cacbuoc:{BIRTH}"),
    ("Căn cứ pháp lý", f"s:cancu:{BIRTH}"),
    ("Nộp trực tuyến", f"s:tructuyen:{BIRTH}"),
]
NUMBERED_CARD = "\n".join(f"{n}. {label}" for n, (label, _) in enumerate(CARD_BUTTONS, 1))
ZALO_CHAT = "b1b2b3b4b5b6b7b8b9b0"
# The outbox sends one message a second per chat: a section of five parts takes about five seconds.
SLOW = 20.0


async def _database(tmp_path: Path, *paths: Path) -> DatabaseConfig:
    url = f"sqlite+aiosqlite:///{tmp_path / 'motcua.db'}"
    engine = create_engine(url)
    try:
        await upgrade_engine(engine)
        await import_procedures(session_factory(engine), load_paths(paths).procedures.values())
    finally:
        await engine.dispose()
    return DatabaseConfig(url=url)


@pytest.fixture
async def demo(tmp_path: Path) -> AsyncIterator[DatabaseConfig]:
    """A migrated SQLite file holding the demo knowledge base."""
    yield await _database(tmp_path, ROOT / "knowledge" / "demo")


@pytest.fixture
async def real_birth(tmp_path: Path, knowledge_source: Path) -> AsyncIterator[DatabaseConfig]:
    """A migrated SQLite file holding the real catalogue's birth registration record."""
    yield await _database(tmp_path, knowledge_source / "dichvucong" / "raw" / "bo-tu-phap" / f"{BIRTH}.json")


def numbered(message: str) -> list[str]:
    """The labels of a Zalo message's numbered lines, in order."""
    return re.findall(r"^\d+\. (.+)$", message, flags=re.MULTILINE)


async def test_telegram_card_has_section_buttons_and_a_press_opens_the_section(
    fake: FakeTelegram, demo: DatabaseConfig
) -> None:
    async with serving(config_for(fake, demo)):
        fake.push_text(301, f"/thutuc {BIRTH}")
        [card] = await fake.wait_messages(301, 1)
        assert "Tờ khai đăng ký khai sinh" in card.text and card.buttons == CARD_BUTTONS
        query = fake.push_callback(301, f"s:cacbuoc:{BIRTH}")
        steps = (await fake.wait_messages(301, 2))[1]
        await fake.wait_for(lambda: query in fake.answered_callbacks)
        assert steps.text.startswith("Các bước · Thủ tục đăng ký khai sinh")
        assert "Bước 1:" in steps.text and "Bước 2:" in steps.text
        # The section's last message offers the card's own list again, in the same order.
        assert steps.buttons == CARD_BUTTONS
        fake.push_callback(301, f"s:cancu:{BIRTH}")
        legal = (await fake.wait_messages(301, 3))[2]
        assert "Luật Hộ tịch (60/2014/QH13)" in legal.text
    assert not fake.pending


async def _next_answer(zalo: FakeZalo, before: int) -> list[SentMessage]:
    """The messages of the next answer in the Zalo chat: up to the one ending with a list, or one."""

    def answered() -> bool:
        sent = zalo.messages_to(ZALO_CHAT)[before:]
        return any(numbered(m.text) or m.text.startswith("Danh sách") for m in sent)

    await zalo.wait_for(answered, within=SLOW)
    return zalo.messages_to(ZALO_CHAT)[before:]


async def test_zalo_card_has_numbered_sections_and_a_number_sends_a_long_section_in_parts(
    zalo: FakeZalo, real_birth: DatabaseConfig
) -> None:
    async with serving(zalo_config_for(zalo, real_birth)):
        zalo.push_text(ZALO_CHAT, f"/thutuc {BIRTH}")
        [card] = await zalo.wait_messages(ZALO_CHAT, 1)
        assert card.text.endswith("\n\n" + NUMBERED_CARD)
        assert "Cần mang" in card.text and "bỏ rơi" not in card.text
        zalo.push_text(ZALO_CHAT, "1")
        sent = await zalo.wait_messages(ZALO_CHAT, 6, within=SLOW)
        parts = sent[1:]
        # The special cases of the real record take five messages, in order, each within Zalo's limit.
        assert parts[0].text.startswith("Giấy tờ trong trường hợp đặc biệt · Thủ tục đăng ký khai sinh")
        assert "Trường hợp trẻ em bị bỏ rơi" in parts[0].text
        assert all(len(p.text) <= 2000 and "<b>" not in p.text for p in parts)
        assert [numbered(p.text) for p in parts[:-1]] == [[]] * 4
        # The same numbers as on the card: "3" is still the legal basis.
        assert parts[-1].text.endswith("\n\n" + NUMBERED_CARD)
        zalo.push_text(ZALO_CHAT, "3")
        legal = await _next_answer(zalo, 6)
        assert legal[0].text.startswith("Căn cứ pháp lý · Thủ tục đăng ký khai sinh")
        assert legal[-1].text.endswith("\n\n" + NUMBERED_CARD)
        # A number outside the list says which are valid and keeps the list: "2" still opens the steps.
        zalo.push_text(ZALO_CHAT, "9")
        [wrong] = await _next_answer(zalo, 6 + len(legal))
        assert wrong.text.startswith("Danh sách vừa rồi chỉ có các số từ 1 đến 4")
        zalo.push_text(ZALO_CHAT, "2")
        steps = await _next_answer(zalo, 7 + len(legal))
        assert steps[0].text.startswith("Các bước · Thủ tục đăng ký khai sinh")
    assert not zalo.pending and not zalo.lost


async def test_a_number_in_a_fresh_zalo_chat_says_there_is_no_list(
    zalo: FakeZalo, demo: DatabaseConfig
) -> None:
    async with serving(zalo_config_for(zalo, demo)):
        zalo.push_text(ZALO_CHAT, "7")
        [reply] = await zalo.wait_messages(ZALO_CHAT, 1)
    assert reply.text.startswith("Hiện không có danh sách nào để chọn theo số")
    assert "hết hạn" not in reply.text and not numbered(reply.text)
    assert not zalo.pending and not zalo.lost


async def test_a_restart_between_the_card_and_the_button_still_opens_the_section(
    fake: FakeTelegram, zalo: FakeZalo, demo: DatabaseConfig
) -> None:
    telegram_chat = 302
    config = both(fake, zalo, demo, "polling")
    async with serving(config):
        fake.push_text(telegram_chat, f"/thutuc {BIRTH}")
        zalo.push_text(ZALO_CHAT, f"/thutuc {BIRTH}")
        [telegram_card] = await fake.wait_messages(telegram_chat, 1)
        [zalo_card] = await zalo.wait_messages(ZALO_CHAT, 1)
        await zalo.wait_for(lambda: zalo.waiting_polls)
    assert telegram_card.buttons == CARD_BUTTONS and numbered(zalo_card.text) == [b[0] for b in CARD_BUTTONS]
    # Only the SQLite file outlives the first core: the Zalo chat's choices are stored there.
    engine = create_engine(demo.url)
    try:
        async with engine.connect() as connection:
            stored = await connection.scalar(
                text("SELECT choices FROM conversation_state WHERE chat_key = :key"),
                {"key": f"zalo:{ZALO_CHAT}"},
            )
    finally:
        await engine.dispose()
    assert stored is not None and f"s:giayto:{BIRTH}" in str(stored)

    zalo.push_text(ZALO_CHAT, "1")
    async with serving(config):
        fake.push_callback(telegram_chat, telegram_card.buttons[0][1])
        telegram_section = (await fake.wait_messages(telegram_chat, 2))[1]
        zalo_section = (await zalo.wait_messages(ZALO_CHAT, 2))[1]
    for section in (telegram_section.text, zalo_section.text):
        assert section.startswith("Giấy tờ trong trường hợp đặc biệt · Thủ tục đăng ký khai sinh")
        assert "Văn bản ủy quyền có chứng thực" in section
    assert not fake.pending and not zalo.pending and not zalo.lost


@pytest.mark.parametrize(
    ("payload", "answer"),
    [
        (f"s:nope:{BIRTH}", texts.SECTION_KEY_UNKNOWN),
        ("s:giayto:9.999999", "Thủ tục có mã 9.999999 không còn trong danh mục"),
        ("s:giayto:<b>1.001193", "Thủ tục có mã <b>1.001193 không còn trong danh mục"),
        ("s:", to_plain(texts.SECTION_BUTTON_UNKNOWN)),
        ("s:giayto", to_plain(texts.SECTION_BUTTON_UNKNOWN)),
        ("garbage:::", texts.CHOICE_EXPIRED),
    ],
    ids=["unknown-section", "gone-code", "markup-in-code", "empty", "no-code", "other-prefix"],
)
async def test_a_forged_or_stale_section_button_gets_a_polite_answer(
    fake: FakeTelegram, demo: DatabaseConfig, payload: str, answer: str
) -> None:
    async with serving(config_for(fake, demo)):
        query = fake.push_callback(303, payload)
        [reply] = await fake.wait_messages(303, 1)
        await fake.wait_for(lambda: query in fake.answered_callbacks)
        assert reply.text.startswith(answer)
        # Nothing crashed: the same chat is still answered.
        fake.push_text(303, f"/cancu {BIRTH}")
        legal = (await fake.wait_messages(303, 2))[1]
        assert legal.text.startswith("Căn cứ pháp lý · Thủ tục đăng ký khai sinh")
    if payload == f"s:nope:{BIRTH}":
        assert reply.buttons == CARD_BUTTONS
    assert not fake.pending


async def test_a_number_for_a_procedure_gone_after_the_restart_says_so_on_zalo(
    zalo: FakeZalo, demo: DatabaseConfig
) -> None:
    config = zalo_config_for(zalo, demo)
    async with serving(config):
        zalo.push_text(ZALO_CHAT, f"/thutuc {BIRTH}")
        await zalo.wait_messages(ZALO_CHAT, 1)
        await zalo.wait_for(lambda: zalo.waiting_polls)
    # A re-import from a catalogue that dropped the code, as seen by the next process.
    engine = create_engine(demo.url)
    try:
        async with engine.begin() as connection:
            await connection.execute(text("DELETE FROM procedures WHERE code = :code"), {"code": BIRTH})
    finally:
        await engine.dispose()
    async with serving(config):
        zalo.push_text(ZALO_CHAT, "3")
        gone = (await zalo.wait_messages(ZALO_CHAT, 2))[1]
    assert gone.text.startswith(f"Thủ tục có mã {BIRTH} không còn trong danh mục")
    assert not zalo.pending and not zalo.lost


async def test_a_number_picks_only_from_a_list_its_own_chat_was_shown_on_both_platforms(
    fake: FakeTelegram, zalo: FakeZalo, demo: DatabaseConfig
) -> None:
    shown, other = 305, 306
    other_zalo = "c1c2c3c4c5c6c7c8c9c0"
    async with serving(both(fake, zalo, demo, "polling")):
        fake.push_text(shown, f"/thutuc {BIRTH}")
        zalo.push_text(ZALO_CHAT, f"/thutuc {BIRTH}")
        await fake.wait_messages(shown, 1)
        await zalo.wait_messages(ZALO_CHAT, 1)
        # Another chat of either platform typing a number has no list: never the first chat's sections.
        fake.push_text(other, "2")
        zalo.push_text(other_zalo, "2")
        [telegram_reply] = await fake.wait_messages(other, 1)
        [zalo_reply] = await zalo.wait_messages(other_zalo, 1)
        # The chat that was shown the card still picks from it.
        zalo.push_text(ZALO_CHAT, "2")
        steps = await _next_answer(zalo, 1)
    for reply in (telegram_reply.text, zalo_reply.text):
        assert reply.startswith("Hiện không có danh sách nào để chọn theo số")
        assert "Các bước" not in reply and BIRTH not in reply
    assert steps[0].text.startswith("Các bước · Thủ tục đăng ký khai sinh")
    assert not fake.pending and not zalo.pending and not zalo.lost
