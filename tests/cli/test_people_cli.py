"""``motcua people`` and ``motcua unit`` as a subprocess: bootstrap an admin, invite staff, list."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest

from bot.messages import ChatRef, Platform
from bot.services.people import Actor, PeopleService
from bot.storage import create_engine, session_factory
from tests.cli.conftest import Motcua, make_motcua

CODE = re.compile(r"/dangky ([2-9A-Z]{10})")


@pytest.fixture
def staff_motcua(tmp_path: Path) -> Motcua:
    """The command with a bot username, over a migrated database."""
    command = make_motcua(tmp_path / "instance", '[directives]\nbot_username = "motcua_test_bot"\n')
    done = command("db", "upgrade")
    assert done.returncode == 0, done.stderr
    return command


def test_bootstrap_admin_unit_and_staff_then_list(staff_motcua: Motcua) -> None:
    admin = staff_motcua("people", "invite", "--name", "Quản trị", "--role", "admin")
    assert admin.returncode == 0, admin.stderr
    code = CODE.search(admin.stdout)
    assert code is not None
    assert f"https://t.me/motcua_test_bot?start={code.group(1)}" in admin.stdout

    unit = staff_motcua("unit", "create", "Bộ phận một cửa")
    assert unit.returncode == 0 and "#1" in unit.stdout
    again = staff_motcua("unit", "create", "bộ phận một cửa")
    assert again.returncode == 1 and "đã có đơn vị" in again.stderr

    staff = staff_motcua(
        "people",
        "invite",
        "--name",
        "Cán bộ A",
        "--role",
        "staff",
        "--unit",
        "Bộ phận một cửa",
        "--hours",
        "2",
    )
    assert staff.returncode == 0, staff.stderr
    assert CODE.search(staff.stdout) is not None and "Bộ phận một cửa" in staff.stdout
    assert "(#2, cán bộ, Bộ phận một cửa)" in staff.stdout

    listed = staff_motcua("people", "list")
    assert listed.returncode == 0
    rows = [line.split("  ") for line in listed.stdout.splitlines()[2:]]
    assert len(rows) == 2
    assert "Cán bộ A" in listed.stdout and "staff" in listed.stdout and "admin" in listed.stdout
    # Codes are stored only as hashes.
    assert code.group(1).encode() not in staff_motcua.database.read_bytes()


def test_refusals_exit_1(staff_motcua: Motcua) -> None:
    no_unit = staff_motcua("people", "invite", "--name", "X", "--role", "staff")
    assert no_unit.returncode == 1 and "--unit" in no_unit.stderr and "vai trò cán bộ" in no_unit.stderr
    unknown = staff_motcua("people", "invite", "--name", "X", "--role", "staff", "--unit", "Không có")
    assert unknown.returncode == 1 and "không có đơn vị" in unknown.stderr
    hours = staff_motcua("people", "invite", "--name", "X", "--role", "admin", "--hours", "0")
    assert hours.returncode == 1 and "--hours" in hours.stderr
    leader = staff_motcua("unit", "create", "UBND xã", "--leader", "99")
    assert leader.returncode == 1 and "--leader" in leader.stderr


def test_without_a_bot_username_only_the_command_is_printed(tmp_path: Path) -> None:
    command = make_motcua(tmp_path / "plain")
    assert command("db", "upgrade").returncode == 0
    done = command("people", "invite", "--name", "Quản trị", "--role", "admin")
    assert done.returncode == 0 and "t.me" not in done.stdout and CODE.search(done.stdout)


def test_set_leader_makes_staff_the_units_leader(staff_motcua: Motcua) -> None:
    assert staff_motcua("unit", "create", "Bộ phận một cửa").returncode == 0
    invited = staff_motcua("people", "invite", "--name", "Trưởng A", "--role", "staff", "--unit", "#1")
    assert invited.returncode == 0, invited.stderr
    done = staff_motcua("unit", "set-leader", "Bộ phận một cửa", "1")
    assert done.returncode == 0, done.stderr
    assert "Đã đặt Trưởng A (#1) làm lãnh đạo Bộ phận một cửa (#1)" in done.stdout
    assert "từ cán bộ sang lãnh đạo" in done.stdout
    assert "Trưởng A" in staff_motcua("unit", "list").stdout
    assert "leader" in staff_motcua("people", "list").stdout
    again = staff_motcua("unit", "set-leader", "#1", "1")
    assert again.returncode == 0 and "sang lãnh đạo" not in again.stdout
    assert staff_motcua("unit", "set-leader", "Không có", "1").returncode == 1
    missing = staff_motcua("unit", "set-leader", "#1", "9")
    assert missing.returncode == 1 and "không có người #9" in missing.stderr


def test_group_list_shows_the_ids_directive_files_use(staff_motcua: Motcua) -> None:
    empty = staff_motcua("group", "list")
    assert empty.returncode == 0 and "/nhom" in empty.stdout
    assert staff_motcua("unit", "create", "Bộ phận một cửa").returncode == 0
    register_group(staff_motcua.database, "-1001", 1, "Nhóm Bộ phận một cửa")
    listed = staff_motcua("group", "list")
    assert listed.returncode == 0
    [row] = [line.split() for line in listed.stdout.splitlines()[2:]]
    assert row[0] == "1" and "-1001" in row and "telegram" in row and "Nhóm Bộ phận một cửa" in listed.stdout


def register_group(database: Path, chat_id: str, unit_id: int, title: str) -> None:
    """Register a Telegram group for a unit, as /nhom would."""

    async def register() -> None:
        engine = create_engine(f"sqlite+aiosqlite:///{database}")
        try:
            people = PeopleService(session_factory(engine))
            await people.register_group(
                Actor.system(), ChatRef(Platform.TELEGRAM, chat_id, True), unit_id, title
            )
        finally:
            await engine.dispose()

    asyncio.run(register())
