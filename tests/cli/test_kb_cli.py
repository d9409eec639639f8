"""``motcua kb unanswered`` and ``motcua kb alias`` as subprocesses over a SQLite file."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.services.unanswered import Kind, UnansweredService
from bot.storage import create_engine, session_factory
from tests.cli.conftest import SMALL_KB, Motcua, make_motcua, write_kb

DEATH = "1.000656"
UNICORN = "thuần hóa kỳ lân"
DAY = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
"""10:00 in Hà Nội."""
ASKED: list[tuple[str, Kind, int, datetime]] = [
    ("xin giay phep nuoi ky lan", "none", 3, DAY + timedelta(days=2)),
    ("Xin giấy phép nuôi kì lân?", "none", 1, DAY + timedelta(days=2, hours=1)),
    ("xin giay phep nuoi ky lan", "choices", 1, DAY + timedelta(days=1)),
    ("đăng ký khai tử ở đâu", "none", 2, DAY + timedelta(days=1)),
    ("đăng ký khai sinh ở đâu", "none", 1, DAY),
]


@pytest.fixture
def ready(tmp_path: Path) -> Motcua:
    """A migrated database holding the small knowledge base."""
    command = make_motcua(tmp_path / "instance")
    for args in (("db", "upgrade"), ("kb", "import", str(write_kb(tmp_path / "kb")))):
        done = command(*args)
        assert done.returncode == 0, done.stderr
    return command


def _record(command: Motcua) -> None:
    async def record() -> None:
        engine = create_engine(f"sqlite+aiosqlite:///{command.database}")
        try:
            for text, kind, times, at in ASKED:
                service = UnansweredService(session_factory(engine), clock=lambda at=at: at)
                for _ in range(times):
                    assert await service.record(text, kind)
        finally:
            await engine.dispose()

    asyncio.run(record())


def test_unanswered_merges_near_duplicates_most_frequent_first(ready: Motcua) -> None:
    empty = ready("kb", "unanswered")
    assert (empty.returncode, empty.stdout.strip()) == (0, "Chưa có câu hỏi nào bot không trả lời được.")
    _record(ready)

    groups = json.loads(ready("kb", "unanswered", "--json").stdout)
    assert [(g["text"], g["count"], g["none"], g["choices"]) for g in groups] == [
        ("xin giay phep nuoi ky lan", 5, 4, 1),
        ("dang ky khai tu o dau", 2, 2, 0),
        ("dang ky khai sinh o dau", 1, 1, 0),
    ]
    first = groups[0]
    assert [(v["text"], v["count"]) for v in first["variants"]] == [
        ("xin giay phep nuoi ky lan", 4),
        ("xin giay phep nuoi ki lan?", 1),
    ]
    assert first["first_seen"] == "2026-11-21T10:00:00+07:00"
    assert first["last_seen"] == "2026-11-22T11:00:00+07:00"

    table = ready("kb", "unanswered")
    assert table.returncode == 0, table.stderr
    lines = table.stdout.splitlines()
    assert lines[0].split()[:2] == ["Số", "lần"]
    assert lines[2].split()[:3] == ["5", "4", "1"]
    assert "xin giay phep nuoi ky lan (+1 cách viết gần giống)" in lines[2]
    assert "2026-11-22 11:00" in lines[2]
    assert "3/3 nhóm" in table.stdout

    limited = json.loads(ready("kb", "unanswered", "--limit", "1", "--json").stdout)
    assert [g["text"] for g in limited] == ["xin giay phep nuoi ky lan"]
    recent = json.loads(ready("kb", "unanswered", "--since", "2026-11-21", "--json").stdout)
    assert [g["text"] for g in recent] == ["xin giay phep nuoi ky lan", "dang ky khai tu o dau"]
    assert json.loads(ready("kb", "unanswered", "--since", "2999-01-01", "--json").stdout) == []
    assert "Chưa có câu hỏi nào" in ready("kb", "unanswered", "--since", "2999-01-01").stdout
    for bad in (("--since", "hôm qua"), ("--limit", "0")):
        refused = ready("kb", "unanswered", *bad)
        assert refused.returncode == 1 and refused.stderr.startswith(bad[0])


def test_aliases_are_audited_refused_for_unknown_codes_searched_and_kept_by_a_re_import(
    ready: Motcua, tmp_path: Path
) -> None:
    unknown = ready("kb", "alias", "add", "9.999999", UNICORN)
    assert unknown.returncode == 1
    assert "không có thủ tục mã 9.999999" in unknown.stderr
    assert ready("kb", "alias", "add", DEATH, " ?! ").returncode == 1
    assert ready("kb", "alias", "list").stdout.strip() == "Chưa có cách gọi khác nào."

    added = ready("kb", "alias", "add", DEATH, UNICORN)
    assert added.returncode == 0, added.stderr
    assert f"#1 cho thủ tục {DEATH}" in added.stdout and UNICORN in added.stdout
    again = ready("kb", "alias", "add", DEATH, "THUAN HOA KY LAN")
    assert again.returncode == 0 and "đã có" in again.stdout
    assert ready("kb", "alias", "add", "1.001193", "giấy chào đời").returncode == 0

    listed = ready("kb", "alias", "list").stdout
    assert UNICORN in listed and "giấy chào đời" in listed and "cli" in listed
    of_one = ready("kb", "alias", "list", DEATH).stdout
    assert UNICORN in of_one and "giấy chào đời" not in of_one
    assert ready("kb", "alias", "list", "9.999999").returncode == 1

    found = json.loads(ready("kb", "search", UNICORN, "--json").stdout)
    assert (found["answer"], [r["code"] for r in found["results"]]) == ("confident", [DEATH])

    renamed = [
        dict(r, ten_thu_tuc=r["ten_thu_tuc"] + " (sửa đổi)") if r["ma_thu_tuc"] == DEATH else r
        for r in SMALL_KB
    ]
    reimported = ready("kb", "import", str(write_kb(tmp_path / "kb2", renamed)))
    assert reimported.returncode == 0 and "Cập nhật: 1" in reimported.stdout
    assert UNICORN in ready("kb", "alias", "list", DEATH).stdout
    assert json.loads(ready("kb", "search", UNICORN, "--json").stdout)["results"][0]["code"] == DEATH

    removed = ready("kb", "alias", "remove", "1")
    assert removed.returncode == 0 and "Đã xóa cách gọi khác #1" in removed.stdout
    missing = ready("kb", "alias", "remove", "1")
    assert missing.returncode == 1 and "không có cách gọi khác #1" in missing.stderr
    assert json.loads(ready("kb", "search", UNICORN, "--json").stdout)["answer"] == "none"

    audit = list(csv.DictReader(io.StringIO(ready("audit", "--action", "alias.", "--csv").stdout)))
    assert [(e["action"], e["object"], e["who"]) for e in audit] == [
        ("alias.remove", "alias:1", "cli"),
        ("alias.add", "alias:2", "cli"),
        ("alias.add", "alias:1", "cli"),
    ]
    assert json.loads(audit[0]["details"]) == {"code": DEATH, "phrase": UNICORN}
