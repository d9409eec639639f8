"""``motcua feedback list | show | answer`` on a migrated SQLite file with two items."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from sqlalchemy import select

from bot import cli
from bot.app.core import build_feedback
from bot.cli_feedback import run_answer, run_list, run_show
from bot.config import Config, DatabaseConfig, FeedbackConfig
from bot.messages import ChatRef, Platform
from bot.services.feedback import Kind, Subject
from bot.services.people import Actor, PeopleService
from bot.storage import OutboxMessage, create_engine, session_factory
from bot.storage.migrate import upgrade_engine

UNIT = "Bộ phận một cửa"


@pytest.fixture
async def config(tmp_path: Path) -> Config:
    """A migrated database holding one general item (to the default unit) and one about a procedure."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'motcua.db'}"
    settings = Config(database=DatabaseConfig(url=url), feedback=FeedbackConfig(default_unit=UNIT))
    engine = create_engine(url)
    try:
        await upgrade_engine(engine)
        sessions = session_factory(engine)
        await PeopleService(sessions).create_unit(Actor.system(), UNIT)
        service = build_feedback(settings, sessions, None)
        resident = ChatRef(Platform.ZALO, "dd00", False)
        await service.file(resident, "dd00", Subject.general(), "Thiếu   chỗ\nđể xe")
        await service.file(
            resident, "dd00", Subject(Kind.PROCEDURE, "1.001193", "Đăng ký khai sinh"), "Nhanh hơn"
        )
    finally:
        await engine.dispose()
    return settings


async def test_list_show_and_answer(config: Config) -> None:
    out = io.StringIO()
    assert await run_list(config, out=out) == 0
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("Số") and lines[1].startswith("GY-000002") and lines[2].startswith("GY-000001")
    assert "thủ tục 1.001193 Đăng ký khai sinh" in lines[1] and "Thiếu chỗ để xe" in lines[2]
    assert UNIT in lines[2] and "chưa trả lời" in lines[2]

    out, err = io.StringIO(), io.StringIO()
    assert await run_answer(config, "GY-000001", "Đã kẻ thêm chỗ để xe.", out=out, err=err) == 0
    assert "GY-000001" in out.getvalue()
    assert await run_answer(config, "GY-000001", "Lần hai", out=out, err=err) == 1
    assert "đã được trả lời trước đó" in err.getvalue()
    assert await run_answer(config, "GY-000099", "Không có", out=out, err=err) == 1
    assert await run_answer(config, "X-1", "Sai số", out=out, err=err) == 1
    assert "không hợp lệ" in err.getvalue()

    out = io.StringIO()
    assert await run_show(config, "gy1", out=out) == 0
    shown = out.getvalue()
    assert "Trả lời: Đã kẻ thêm chỗ để xe." in shown and "Người trả lời: cli" in shown
    assert "Người gửi: zalo:dd00" in shown
    out = io.StringIO()
    assert await run_list(config, "open", out=out) == 0
    assert "GY-000002" in out.getvalue() and "GY-000001" not in out.getvalue()
    engine = create_engine(config.database.url)
    try:
        async with session_factory(engine)() as session:
            kinds = list((await session.execute(select(OutboxMessage.kind, OutboxMessage.chat_id))).tuples())
    finally:
        await engine.dispose()
    # No group or leader for the unit: nothing to the staff; the answer to the resident.
    assert kinds == [("feedback.answer", "dd00")]


def test_the_motcua_command_has_the_feedback_commands(
    config: Config, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "motcua.toml"
    path.write_text(f'[database]\nurl = "{config.database.url}"\n', encoding="utf-8")
    assert cli.main(["--config", str(path), "feedback", "list", "--status", "overdue"]) == 0
    assert "Không có góp ý nào." in capsys.readouterr().out
    assert cli.main(["--config", str(path), "feedback", "show", "GY-000002"]) == 0
    assert "Nội dung: Nhanh hơn" in capsys.readouterr().out
    for limit in ("0", "-5", "x"):
        with pytest.raises(SystemExit) as refused:
            cli.main(["--config", str(path), "feedback", "list", "--limit", limit])
        assert refused.value.code == 2 and "số nguyên dương" in capsys.readouterr().err
