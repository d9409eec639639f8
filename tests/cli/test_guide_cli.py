"""``motcua guide log``: per guide, residents helped and cards per procedure, in local days."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.cli import main
from bot.messages import ChatRef, Platform, Reply
from bot.services.guide import ConsentService
from bot.services.people import Actor, PeopleService, Role
from bot.storage import create_engine, session_factory
from bot.storage.migrate import upgrade_engine

# 23:30 on 1 December in Hồ Chí Minh City is still 1 December there, 16:30 UTC.
SENDS = [
    (datetime(2025, 12, 1, 16, 30, tzinfo=UTC), "r1", "1.001193"),
    (datetime(2025, 12, 2, 3, 0, tzinfo=UTC), "r2", "1.001193"),
    (datetime(2025, 12, 2, 4, 0, tzinfo=UTC), "r2", "1.000894"),
]


async def seed(url: str) -> None:
    """One guide who sent three cards to two residents over two local days."""
    engine = create_engine(url)
    try:
        await upgrade_engine(engine)
        sessions = session_factory(engine)
        people = PeopleService(sessions)
        unit = await people.create_unit(Actor.system(), "Tổ công nghệ số")
        person = await people.create_person(Actor.system(), "Trần Hướng Dẫn", Role.GUIDE, unit_id=unit.id)
        guide = Actor(person.id, Role.GUIDE, "telegram:800")
        for at, resident, code in SENDS:
            consents = ConsentService(sessions, clock=lambda at=at: at)
            issued = await consents.issue(ChatRef(Platform.ZALO, resident), resident)
            taken = await consents.redeem(guide, issued.code)
            assert taken.consent_id is not None
            assert await consents.send_card(guide, taken.consent_id, code, Reply(text="thẻ"))
    finally:
        await engine.dispose()


def test_guide_log_prints_each_guide_for_the_days_asked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'motcua.db'}"
    asyncio.run(seed(url))
    config = tmp_path / "motcua.toml"
    config.write_text(f'log_level = "WARNING"\n[database]\nurl = "{url}"\n')

    assert main(["--config", str(config), "guide", "log"]) == 0
    printed = capsys.readouterr().out
    assert "Trần Hướng Dẫn: giúp 2 người dân, gửi 3 thẻ thủ tục" in printed
    assert "     2  1.001193" in printed and "     1  1.000894" in printed

    assert main(["--config", str(config), "guide", "log", "--from", "2025-12-01", "--to", "2025-12-01"]) == 0
    printed = capsys.readouterr().out
    assert "từ 01/12/2025 đến 01/12/2025" in printed
    assert "giúp 1 người dân, gửi 1 thẻ thủ tục" in printed and "1.000894" not in printed

    assert main(["--config", str(config), "guide", "log", "--from", "2025-12-03"]) == 0
    assert "Chưa có thẻ thủ tục nào" in capsys.readouterr().out
    assert main(["--config", str(config), "guide", "log", "--unit", "Không có"]) == 1
    assert main(["--config", str(config), "guide", "log", "--unit", "to CONG nghe so"]) == 0
    assert "Trần Hướng Dẫn" in capsys.readouterr().out
    assert main(["--config", str(config), "guide", "log", "--from", "hôm qua"]) == 1
    assert "YYYY-MM-DD" in capsys.readouterr().err
    assert SENDS[-1][0] - SENDS[0][0] < timedelta(days=1)
