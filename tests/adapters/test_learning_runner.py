"""It learns while it runs: a running bot picks up a new alias and a re-import without a restart.

The real runner serves Telegram against the fake Bot API; staff use the real ``motcua`` command in a
subprocess on the same SQLite file while the bot runs, as they would on a server.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from bot import texts
from bot.app import Core
from bot.config import Config, DatabaseConfig, HttpConfig, SearchConfig, TelegramConfig
from bot.services.procedures import import_procedures
from bot.storage import create_engine, session_factory
from bot.storage.migrate import upgrade_engine
from knowledge.demo import DEMO_DIR
from knowledge.importers import load_paths
from tests.adapters.test_directive_runner import serving_core
from tests.adapters.test_telegram_runner import free_port
from tests.cli.conftest import MOTCUA
from tests.fakes.telegram_api import FakeTelegram

RELOAD_SECONDS = 0.2
QUESTION = "thuần hóa kỳ lân"
"""Nonsense: nothing in the demo knowledge base answers it."""
DEATH = "1.000656"
"""Registering a death (đăng ký khai tử) in the demo knowledge base: staff's (made-up) answer."""
DRAGON = "9.000001"
DRAGON_RECORD = {
    "metadata": {"mã_thủ_tục": DRAGON, "tên_thủ_tục": "Cấp phép thả rồng", "cấp_thực_hiện": "Cấp xã"},
    "content": {"từ_khóa": "xin phép thả rồng lửa"},
}


@pytest.fixture
async def database(tmp_path: Path) -> str:
    """A migrated SQLite file holding the demo knowledge base; its URL."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'motcua.db'}"
    engine = create_engine(url)
    try:
        await upgrade_engine(engine)
        await import_procedures(session_factory(engine), load_paths([DEMO_DIR]).procedures.values())
    finally:
        await engine.dispose()
    return url


class Staff:
    """The ``motcua`` command on the bot's database, run without blocking the bot's event loop."""

    def __init__(self, folder: Path, url: str) -> None:
        self.config = folder / "motcua.toml"
        self.config.write_text(f'log_level = "WARNING"\n[database]\nurl = "{url}"\n', encoding="utf-8")

    async def __call__(self, *args: str) -> str:
        """Run one command; return its output, failing the test on a non-zero exit."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("MOTCUA_")}
        process = await asyncio.create_subprocess_exec(
            str(MOTCUA),
            "--config",
            str(self.config),
            *args,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=env,
        )
        out, err = await asyncio.wait_for(process.communicate(), 120)
        assert process.returncode == 0, err.decode()
        return out.decode()


async def _ask(fake: FakeTelegram, question: str) -> str:
    """Send a question from chat 111 and return the text of the bot's answer."""
    before = len(fake.messages_to(111))
    fake.push_text(111, question)
    return (await fake.wait_messages(111, before + 1))[before].text


async def test_an_unanswered_question_added_as_an_alias_is_answered_without_a_restart(
    fake: FakeTelegram, database: str, tmp_path: Path
) -> None:
    config = Config(
        database=DatabaseConfig(url=database),
        telegram=TelegramConfig(token=fake.token, base_url=fake.base_url, base_file_url=fake.base_file_url),
        http=HttpConfig(host="127.0.0.1", port=free_port()),
        search=SearchConfig(reload_seconds=RELOAD_SECONDS),
    )
    staff = Staff(tmp_path, database)
    async with serving_core(config) as core:
        answer = await _ask(fake, QUESTION)
        assert "chưa tìm thấy thủ tục nào" in answer

        # Staff read what went unanswered and attach it, as listed, to the procedure it meant.
        [group] = json.loads(await staff("kb", "unanswered", "--json"))
        assert (group["text"], group["count"], group["none"]) == ("thuan hoa ky lan", 1, 1)
        added = await staff("kb", "alias", "add", DEATH, group["text"])
        assert f"thủ tục {DEATH}" in added

        waited = await _eventually(lambda: group["text"] in _keywords(core, DEATH))
        assert waited < 5
        # The ranking's promise: a question equal to a keyword (after folding) is answered confidently.
        card = await _ask(fake, QUESTION)
        assert "khai tử" in card.lower() and DEATH in card, card
        assert texts.CHOICES_PROMPT not in card

        # A re-import is picked up the same way: a procedure that was not there is now answered.
        assert DRAGON not in await _ask(fake, "xin phép thả rồng lửa")
        folder = tmp_path / "kb"
        folder.mkdir()
        (folder / f"{DRAGON}.json").write_text(
            json.dumps(DRAGON_RECORD, ensure_ascii=False), encoding="utf-8"
        )
        await staff("kb", "import", str(folder))
        await _eventually(lambda: core.services.procedures.get(DRAGON) is not None)
        card = await _ask(fake, "xin phép thả rồng lửa")
        assert DRAGON in card and texts.CHOICES_PROMPT not in card, card
        # The alias survived the re-import.
        assert DEATH in await _ask(fake, QUESTION)


async def _eventually(condition: Callable[[], bool], within: float = 10.0) -> float:
    """Wait until ``condition()`` holds; return the seconds it took."""
    started = time.monotonic()
    while not condition():
        assert time.monotonic() - started < within, f"condition not met within {within} s"
        await asyncio.sleep(0.02)
    return time.monotonic() - started


def _keywords(core: Core, code: str) -> tuple[str, ...]:
    procedure = core.services.procedures.get(code)
    return procedure.keywords if procedure is not None else ()
