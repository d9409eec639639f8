"""``motcua directive change`` and ``motcua audit`` as subprocesses over a SQLite file."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path

from tests.cli.conftest import Motcua
from tests.cli.test_directive_cli import DIRECTIVE, staffed, write

__all__ = ["staffed"]

WEEKLY = DIRECTIVE.replace('urgency = "khan"', 'cron = "30 7 * * 1"')


def test_change_a_recurring_directive_then_read_the_audit_log(staffed: Motcua, tmp_path: Path) -> None:
    assert staffed("directive", "create", "--file", write(tmp_path, WEEKLY)).returncode == 0
    changes = write(tmp_path, 'cron = "0 8 * * 2"\nbody = "Nội dung mới, dài hơn trước."\n', "changes.toml")
    changed = staffed("directive", "change", "1", "--file", changes)
    assert changed.returncode == 0, changed.stderr
    assert (
        "Đã sửa chỉ đạo #1" in changed.stdout and "cron" in changed.stdout and "0 8 * * 2" in changed.stdout
    )
    listed = staffed("directive", "list")
    assert "0 8 * * 2" in listed.stdout

    log = staffed("audit", "--object", "directive:1")
    assert log.returncode == 0, log.stderr
    assert "directive.change" in log.stdout and "directive.create" in log.stdout
    assert "cli" in log.stdout and "Nội dung mới" not in log.stdout  # lengths only for the body

    as_csv = list(
        csv.DictReader(io.StringIO(staffed("audit", "--action", "directive.change", "--csv").stdout))
    )
    [entry] = as_csv
    assert entry["who"] == "cli" and entry["object"] == "directive:1"
    assert entry["at"].endswith("+07:00")
    details = json.loads(entry["details"])
    assert details["fields"] == ["body", "cron"] and details["cron"] == {
        "old": "30 7 * * 1",
        "new": "0 8 * * 2",
    }
    assert set(details["body"]) == {"old_length", "new_length"}

    # Filters: an action prefix, a limit, a day far in the future, bad arguments.
    people = staffed("audit", "--action", "person.", "--csv").stdout
    assert all(row["action"].startswith("person.") for row in csv.DictReader(io.StringIO(people)))
    assert len(list(csv.DictReader(io.StringIO(staffed("audit", "--limit", "1", "--csv").stdout)))) == 1
    assert "Không có mục nào" in staffed("audit", "--since", "2999-01-01").stdout
    assert staffed("audit", "--since", "hôm qua").returncode == 1
    assert staffed("audit", "--object", "directive").returncode == 1


def test_change_is_refused_once_sent_and_bad_files_name_the_key(staffed: Motcua, tmp_path: Path) -> None:
    assert staffed("directive", "create", "--file", write(tmp_path, DIRECTIVE)).returncode == 0
    refused = staffed("directive", "change", "1", "--file", write(tmp_path, 'title = "Khác"\n', "c.toml"))
    assert refused.returncode == 1 and "đã gửi" in refused.stderr
    missing = staffed("directive", "change", "9", "--file", write(tmp_path, 'title = "K"\n', "d.toml"))
    assert missing.returncode == 1 and "không có chỉ đạo #9" in missing.stderr
    assert staffed("directive", "create", "--file", write(tmp_path, WEEKLY, "w.toml")).returncode == 0
    bad = staffed("directive", "change", "2", "--file", write(tmp_path, 'cron = "61 7 * * *"\n', "e.toml"))
    assert bad.returncode == 1 and bad.stderr.startswith("cron:")
    unknown = staffed("directive", "change", "2", "--file", write(tmp_path, 'titel = "K"\n', "f.toml"))
    assert unknown.returncode == 1 and unknown.stderr.startswith("titel:")
    broken = staffed("directive", "change", "2", "--file", write(tmp_path, "title = ", "g.toml"))
    assert broken.returncode == 2
    # A recurring directive changed to a one-off time is queued for it, as create would.
    # Two years ahead: later than now whenever the test runs, within the five years a directive may wait.
    year = datetime.now(UTC).year + 2
    at = write(tmp_path, f"at = {year}-01-05T07:30:00+07:00\n", "h.toml")
    moved = staffed("directive", "change", "2", "--file", at)
    assert moved.returncode == 0, moved.stderr
    assert "at/cron" in moved.stdout and "1 tin tới 1 cuộc trò chuyện" in moved.stdout
