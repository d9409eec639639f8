"""``motcua people`` and ``motcua unit`` as a subprocess: bootstrap an admin, invite staff, list."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

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

    listed = staff_motcua("people", "list")
    assert listed.returncode == 0
    rows = [line.split("  ") for line in listed.stdout.splitlines()[2:]]
    assert len(rows) == 2
    assert "Cán bộ A" in listed.stdout and "staff" in listed.stdout and "admin" in listed.stdout
    # Codes are stored only as hashes.
    assert code.group(1).encode() not in staff_motcua.database.read_bytes()


def test_refusals_exit_1(staff_motcua: Motcua) -> None:
    no_unit = staff_motcua("people", "invite", "--name", "X", "--role", "staff")
    assert no_unit.returncode == 1 and "--unit" in no_unit.stderr
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
