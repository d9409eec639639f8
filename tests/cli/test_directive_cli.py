"""``motcua directive`` as a subprocess: create from TOML, list, report (table and CSV), cancel."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import re
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from bot.messages import Platform
from bot.services.people import PeopleService
from bot.storage import create_engine, session_factory
from tests.cli.conftest import Motcua, make_motcua
from tests.cli.test_people_cli import register_group

CODE = re.compile(r"/dangky ([2-9A-Z]{10})")
DIRECTIVE = """\
title = "Kiểm tra hồ sơ tồn"
body = "Đề nghị rà soát hồ sơ quá hạn trước 17 giờ."
urgency = "khan"
ack_required = true

[audience]
units = ["Bộ phận một cửa"]
"""


def redeem(database: Path, code: str, user_id: str) -> None:
    """Link a Telegram account with the code, as /dangky would."""

    async def link() -> None:
        engine = create_engine(f"sqlite+aiosqlite:///{database}")
        try:
            result = await PeopleService(session_factory(engine)).redeem(
                code, Platform.TELEGRAM, user_id, user_id
            )
            assert result.person is not None
        finally:
            await engine.dispose()

    asyncio.run(link())


@pytest.fixture
def staffed(tmp_path: Path) -> Motcua:
    """A unit with two staff, one linked on Telegram."""
    command = make_motcua(tmp_path / "instance")
    assert command("db", "upgrade").returncode == 0
    assert command("unit", "create", "Bộ phận một cửa").returncode == 0
    codes = []
    for name in ("Cán bộ A", "Cán bộ B"):
        done = command("people", "invite", "--name", name, "--role", "staff", "--unit", "Bộ phận một cửa")
        assert done.returncode == 0, done.stderr
        found = CODE.search(done.stdout)
        assert found is not None
        codes.append(found.group(1))
    redeem(command.database, codes[0], "11")
    return command


def write(folder: Path, text: str, name: str = "directive.toml") -> str:
    """Write a directive file; return its path."""
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_create_list_report_cancel(staffed: Motcua, tmp_path: Path) -> None:
    created = staffed("directive", "create", "--file", write(tmp_path, DIRECTIVE))
    assert created.returncode == 0, created.stderr
    assert "Đã tạo chỉ đạo #1" in created.stdout
    assert "1 tin tới 1 cuộc trò chuyện" in created.stdout and "1 người chưa liên kết" in created.stdout

    listed = staffed("directive", "list")
    assert listed.returncode == 0 and "Kiểm tra hồ sơ tồn" in listed.stdout and "khẩn" in listed.stdout

    report = staffed("directive", "report", "1")
    assert report.returncode == 0, report.stderr
    assert "Bộ phận một cửa" in report.stdout and "chưa liên kết" in report.stdout
    assert "0/2" in report.stdout  # nobody acknowledged out of two expected

    as_csv = staffed("directive", "report", "1", "--csv")
    rows = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    chats = {r["name"]: r["status"] for r in rows if r["row"] == "chat"}
    people = {r["name"]: r["status"] for r in rows if r["row"] == "person"}
    assert chats == {"Cán bộ A": "pending", "Cán bộ B": "unreachable"}
    assert people == {"Cán bộ A": "pending", "Cán bộ B": "pending"}
    assert {r["unit"] for r in rows} == {"Bộ phận một cửa"}

    cancelled = staffed("directive", "cancel", "1")
    assert cancelled.returncode == 0 and "1 tin" in cancelled.stdout
    after = list(csv.DictReader(io.StringIO(staffed("directive", "report", "1", "--csv").stdout)))
    assert [r["reason"] for r in after if r["name"] == "Cán bộ A" and r["row"] == "chat"] == ["cancelled"]
    assert staffed("directive", "cancel", "99").returncode == 1
    assert staffed("directive", "report", "99").returncode == 1


def test_a_unit_reaches_its_group_and_groups_are_named_in_files(staffed: Motcua, tmp_path: Path) -> None:
    register_group(staffed.database, "-1001", 1, "Nhóm Bộ phận một cửa")
    # The unit's people (one linked) and its registered group.
    done = staffed("directive", "create", "--file", write(tmp_path, DIRECTIVE))
    assert done.returncode == 0 and "2 tin tới 2 cuộc trò chuyện" in done.stdout, done.stderr
    private = DIRECTIVE.replace("[audience]", "[audience]\nunit_groups = false")
    done = staffed("directive", "create", "--file", write(tmp_path, private))
    assert done.returncode == 0 and "1 tin tới 1 cuộc trò chuyện" in done.stdout, done.stderr
    by_name = DIRECTIVE.replace('units = ["Bộ phận một cửa"]', 'groups = ["nhóm bộ phận một cửa"]')
    done = staffed("directive", "create", "--file", write(tmp_path, by_name))
    assert done.returncode == 0 and "1 tin tới 1 cuộc trò chuyện" in done.stdout, done.stderr
    unknown = DIRECTIVE.replace('units = ["Bộ phận một cửa"]', 'groups = ["Nhóm khác"]')
    done = staffed("directive", "create", "--file", write(tmp_path, unknown))
    assert done.returncode == 1 and done.stderr.startswith("audience.groups: không có nhóm “Nhóm khác”")


def test_a_recurring_directive_in_vietnamese(staffed: Motcua, tmp_path: Path) -> None:
    text = DIRECTIVE.replace('urgency = "khan"', 'cron = "thứ hai hằng tuần 07:30"')
    done = staffed("directive", "create", "--file", write(tmp_path, text))
    assert done.returncode == 0, done.stderr
    assert "30 7 * * 1" in done.stdout and "07:30" in done.stdout


@pytest.mark.parametrize(
    ("change", "key", "reason"),
    [
        (("title = ", "titel = "), "titel", "khóa không được hỗ trợ"),
        (('title = "Kiểm tra hồ sơ tồn"', 'title = ""'), "title", "bắt buộc"),
        (('urgency = "khan"', 'urgency = "gap"'), "urgency", "“khan” hoặc “thuong”"),
        (('urgency = "khan"', 'cron = "61 7 * * *"'), "cron", "không đọc được lịch định kỳ"),
        (('urgency = "khan"', "at = 2020-01-01T07:00:00+07:00"), "at", "thời điểm này đã qua"),
        (
            ('units = ["Bộ phận một cửa"]', 'units = ["Không có"]'),
            "audience.units",
            "không có đơn vị “Không có”",
        ),
        (('units = ["Bộ phận một cửa"]', "units = []"), "audience", "chưa chọn người nhận nào"),
        (("ack_required = true", 'ack_required = "có"'), "ack_required", "true hoặc false"),
        (('urgency = "khan"', "reminder_minutes = [0]"), "reminder_minutes", "ngoài khoảng cho phép"),
        (('urgency = "khan"', 'reminder_minutes = "30"'), "reminder_minutes", "cần danh sách số phút"),
        (('urgency = "khan"', "escalate_after = 3"), "escalate_after", "không quá số lần nhắc"),
    ],
)
def test_bad_files_name_the_key_and_say_why_in_vietnamese_and_exit_1(
    staffed: Motcua, tmp_path: Path, change: tuple[str, str], key: str, reason: str
) -> None:
    done = staffed("directive", "create", "--file", write(tmp_path, DIRECTIVE.replace(*change)))
    assert done.returncode == 1
    assert done.stderr.startswith(f"{key}: {reason}"), done.stderr


def test_a_failed_publish_leaves_no_draft_and_the_default_deadline_applies(
    staffed: Motcua, tmp_path: Path
) -> None:
    with sqlite3.connect(staffed.database) as db:
        db.execute("CREATE TRIGGER refuse BEFORE INSERT ON outbox BEGIN SELECT RAISE(ABORT, 'refused'); END")
    assert staffed("directive", "create", "--file", write(tmp_path, DIRECTIVE)).returncode != 0
    assert "Chưa có chỉ đạo nào" in staffed("directive", "list").stdout
    with sqlite3.connect(staffed.database) as db:
        db.execute("DROP TRIGGER refuse")
    assert staffed("directive", "create", "--file", write(tmp_path, DIRECTIVE)).returncode == 0
    with sqlite3.connect(staffed.database) as db:
        [(deadline, created)] = db.execute("SELECT ack_deadline, created_at FROM directives").fetchall()
    assert datetime.fromisoformat(deadline) - datetime.fromisoformat(created) == timedelta(hours=24)


def test_a_directive_file_sets_its_own_reminders(staffed: Motcua, tmp_path: Path) -> None:
    text = DIRECTIVE.replace('urgency = "khan"', "reminder_minutes = [120, 30]\nescalate_after = 1")
    assert staffed("directive", "create", "--file", write(tmp_path, text)).returncode == 0
    with sqlite3.connect(staffed.database) as db:
        [(minutes, escalate)] = db.execute(
            "SELECT reminder_minutes, escalate_after FROM directives"
        ).fetchall()
    assert (json.loads(minutes), escalate) == ([30, 120], 1)


def test_broken_or_missing_files_exit_2(staffed: Motcua, tmp_path: Path) -> None:
    assert staffed("directive", "create", "--file", write(tmp_path, "title = ")).returncode == 2
    assert staffed("directive", "create", "--file", str(tmp_path / "none.toml")).returncode == 2


def test_help_documents_the_keys(tmp_path: Path) -> None:
    done = make_motcua(tmp_path / "help")("directive", "create", "--help")
    assert done.returncode == 0
    for key in ("title", "body", "urgency", "ack_required", "ack_deadline", "cron", "[audience]", "units"):
        assert key in done.stdout
