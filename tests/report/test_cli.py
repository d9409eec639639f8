"""``motcua report``: text, CSV and PNG from the seeded week; the default PNG name; bad ranges refused."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pytest
from PIL import Image

from bot.cli import main
from bot.cli_report import run_report
from bot.config import Config, DatabaseConfig
from bot.reporting.chart import HEIGHT_PX, WIDTH_PX
from bot.storage import SessionFactory
from tests.report.dataset import NOW, seed


async def test_text_csv_and_a_png_named_after_the_period_and_day(
    sessions: SessionFactory, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    await seed(sessions)
    config = Config(database=DatabaseConfig(url=db_url))
    out = io.StringIO()
    assert await run_report(config, now=NOW, out=out) == 0
    assert "Số câu hỏi: 10" in out.getvalue() and "Tiếp nhận: 5" in out.getvalue()

    csv_file = tmp_path / "tuan.csv"
    assert await run_report(config, fmt="csv", output=csv_file, agency="Tư pháp", now=NOW) == 0
    assert "2026-11-30,2026-12-06,Tư pháp,dossiers,received,Tiếp nhận,1" in csv_file.read_text("utf-8")

    monkeypatch.chdir(tmp_path)
    out = io.StringIO()
    assert await run_report(config, fmt="png", now=NOW, out=out) == 0
    # Named after the period's first day (the week before NOW).
    assert out.getvalue().strip() == "Đã ghi biểu đồ: report-week-2026-11-30.png"
    with Image.open(tmp_path / "report-week-2026-11-30.png") as image:
        assert image.size == (WIDTH_PX, HEIGHT_PX)

    err = io.StringIO()
    reversed_range = await run_report(
        config, date_from=NOW.date(), date_to=NOW.date().replace(day=1), now=NOW, err=err
    )
    assert reversed_range == 2 and "--to" in err.getvalue()
    err = io.StringIO()
    huge = await run_report(config, date_from=date(1, 1, 1), date_to=date(9999, 12, 31), now=NOW, err=err)
    assert huge == 2 and "ngoài khoảng" in err.getvalue()
    err = io.StringIO()
    assert await run_report(config, agency="Không có", now=NOW, err=err) == 2
    assert "không có cơ quan nào" in err.getvalue()
    err = io.StringIO()
    missing = tmp_path / "nonexist" / "x.png"
    assert await run_report(config, fmt="png", output=missing, now=NOW, err=err) == 2
    assert "thư mục không tồn tại" in err.getvalue() and "No such file" not in err.getvalue()


def test_the_command_line_parses_its_options(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "motcua.toml"
    config.write_text(f'[database]\nurl = "sqlite+aiosqlite:///{tmp_path / "m.db"}"\n', encoding="utf-8")
    assert main(["--config", str(config), "db", "upgrade"]) == 0
    capsys.readouterr()
    argv = ["--config", str(config), "report", "--period", "month", "--from", "2026-11-01", "--format", "csv"]
    assert main(argv) == 0
    assert capsys.readouterr().out.startswith(
        "period_start,period_end,agency,section,key,label,value\n2026-11-01,"
    )
    with pytest.raises(SystemExit) as bad_date:
        main(["--config", str(config), "report", "--from", "30/11/2026"])
    assert bad_date.value.code == 2
    assert "ngày không hợp lệ" in capsys.readouterr().err
