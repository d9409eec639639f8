"""``motcua dossier import`` and ``motcua dossier stats``: exit codes, reports, table and CSV."""

from __future__ import annotations

import asyncio
import csv
import io
import re
import sqlite3
from datetime import date
from pathlib import Path

import pytest

from bot.config import Config, DatabaseConfig, DossierConfig
from bot.storage.migrate import upgrade
from tests.cli.conftest import Motcua, make_motcua

DATA = Path(__file__).resolve().parent.parent / "data" / "dossiers"
HASH = '[dossiers]\nhash_key = "cli-test-key"\n'


@pytest.fixture
def dossier_motcua(tmp_path: Path) -> Motcua:
    """The command with a hash key, over a migrated database."""
    command = make_motcua(tmp_path / "instance", HASH)
    done = command("db", "upgrade")
    assert done.returncode == 0, done.stderr
    return command


def test_import_good_file_then_again(dossier_motcua: Motcua) -> None:
    first = dossier_motcua("dossier", "import", str(DATA / "good.csv"))
    assert first.returncode == 0, first.stderr
    assert "Đã áp dụng: 5 (hồ sơ mới: 2" in first.stdout
    assert "Dòng lỗi: 0" in first.stdout
    again = dossier_motcua("dossier", "import", str(DATA / "good.csv"))
    assert again.returncode == 0
    assert "Đã áp dụng: 0" in again.stdout
    assert "Đã có từ trước (bỏ qua): 5" in again.stdout
    stored = dossier_motcua.database.read_bytes()
    assert b"912345678" not in stored and b"987654321" not in stored


def test_import_bad_rows_exit_1_and_keep_good_rows(dossier_motcua: Motcua) -> None:
    done = dossier_motcua("dossier", "import", "--format", "csv", str(DATA / "broken_rows.csv"))
    assert done.returncode == 1
    assert "Đã áp dụng: 2" in done.stdout
    assert "dòng 3: code: must be a receipt code" in done.stderr
    assert "dòng 4: status:" in done.stderr and "occurred_at:" in done.stderr
    assert "dòng 6: 9 cells but 7 columns" in done.stderr


def test_import_broken_file_exit_2(dossier_motcua: Motcua, tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes("code,status,occurred_at\n000.00.24.H57-250722-0001,ready,Hà\n".encode("latin-1"))
    done = dossier_motcua("dossier", "import", str(path))
    assert done.returncode == 2
    assert "not UTF-8" in done.stderr and "Không có gì được ghi" in done.stderr
    missing = dossier_motcua("dossier", "import", str(DATA / "missing_columns.csv"))
    assert missing.returncode == 2 and "missing required columns" in missing.stderr


def test_import_without_hash_key_is_a_config_error(tmp_path: Path) -> None:
    command = make_motcua(tmp_path / "nokey")
    assert command("db", "upgrade").returncode == 0
    done = command("dossier", "import", str(DATA / "good.csv"))
    assert done.returncode == 2
    assert "hash_key" in done.stderr


def test_import_help_documents_the_columns(motcua: Motcua) -> None:
    done = motcua("dossier", "import", "--help")
    assert done.returncode == 0
    for column in ("event_id", "code", "status", "occurred_at", "new_due_at", "phone", "online"):
        assert column in done.stdout


def test_stats_table_and_csv(dossier_motcua: Motcua) -> None:
    assert dossier_motcua("dossier", "import", str(DATA / "stats.jsonl")).returncode == 0
    with sqlite3.connect(dossier_motcua.database) as db:
        db.executemany(
            "INSERT INTO dossier_ratings (dossier_code, platform, user_id, score, comment, created_at)"
            " VALUES (?, 'telegram', 'u', ?, '', '2025-07-09 00:00:00.000000')",
            [
                ("000.00.24.H57-250701-0001", 5),
                ("000.00.24.H57-250701-0002", 3),
                ("000.00.24.H57-250701-0006", 2),
            ],
        )
    table = dossier_motcua("dossier", "stats", "--from", "2025-07-01", "--to", "2025-07-31")
    assert table.returncode == 0, table.stderr
    lines = table.stdout.splitlines()
    assert lines[0] == "Hồ sơ tiếp nhận từ 01/07/2025 đến 31/07/2025"
    body = lines[1:]
    assert len(body) == 6  # header, rule, two agencies, rule, total
    assert len({len(line) for line in body}) == 1  # aligned: every line as wide as the header
    cells = [re.split(r"\s{2,}", line) for line in body]
    assert cells[0][:3] == ["Cơ quan", "Tiếp nhận", "Trước hạn"]
    # Today is long after every due date in the set, so both open dossiers (No.4, No.5) are overdue.
    assert cells[2] == ["Công an xã Tân Lập", "3", "1", "0", "0", "1", "1", "2 (66.7%)", "2.00", "1"]
    assert cells[3] == ["UBND xã An Bình", "4", "1", "1", "1", "1", "1", "2 (50.0%)", "4.00", "2"]
    assert cells[5] == ["Tổng cộng", "7", "2", "1", "1", "2", "2", "4 (57.1%)", "3.33", "3"]
    as_csv = dossier_motcua("dossier", "stats", "--from", "2025-07-01", "--to", "2025-07-31", "--csv")
    assert as_csv.returncode == 0
    rows = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    assert [r["agency"] for r in rows] == ["Công an xã Tân Lập", "UBND xã An Bình", "Tổng cộng"]
    assert {k: rows[1][k] for k in ("received", "resolved_early", "resolved_on_time", "resolved_late")} == {
        "received": "4",
        "resolved_early": "1",
        "resolved_on_time": "1",
        "resolved_late": "1",
    }
    assert (rows[1]["online_share"], rows[1]["satisfaction"], rows[1]["ratings"]) == ("0.5000", "4.00", "2")
    assert rows[2]["received"] == "7"


def test_stats_rejects_a_bad_date(dossier_motcua: Motcua) -> None:
    done = dossier_motcua("dossier", "stats", "--from", "31/07/2025")
    assert done.returncode == 2
    assert "YYYY-MM-DD" in done.stderr


def test_run_import_in_process(tmp_path: Path) -> None:
    from bot.cli_dossier import run_import, run_stats

    url = f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}"
    upgrade(url)
    config = Config(database=DatabaseConfig(url=url), dossiers=DossierConfig(hash_key="k"))
    out, err = io.StringIO(), io.StringIO()
    code = asyncio.run(run_import(config, DATA / "good.jsonl", None, out=out, err=err))
    assert code == 0
    assert "Đã áp dụng: 3" in out.getvalue()
    empty = io.StringIO()
    asyncio.run(run_stats(config, date(2024, 1, 1), date(2024, 1, 2), out=empty))
    assert "Không có hồ sơ nào" in empty.getvalue()
