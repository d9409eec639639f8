"""The report's figures on a seeded week whose answers are known; text and CSV output."""

from __future__ import annotations

import csv
import io

from bot.reporting.text import label, render_csv, render_text, title
from bot.services.report.build import build_report
from bot.services.report.period import period_for
from bot.storage import SessionFactory
from tests.report.dataset import ASKED, CHOICES, COMMUNE, CONFIDENT, NONE, NOW, seed

TZ = "Asia/Ho_Chi_Minh"


async def test_the_seeded_week_gives_the_known_figures(sessions: SessionFactory) -> None:
    await seed(sessions)
    period = period_for("week", NOW, TZ)
    assert (period.first.isoformat(), period.last.isoformat()) == ("2026-11-30", "2026-12-06")
    report = await build_report(sessions, period, now=NOW)

    questions = report.section("questions")
    assert [questions.value(k) for k in ("asked", "confident", "choices", "unanswered")] == [
        ASKED,
        CONFIDENT,
        CHOICES,
        NONE,
    ]
    top = report.section("top_procedures")
    assert [(line.key, line.value) for line in top.lines] == [
        ("top.1.001", 3),
        ("top.2.002", 2),
        ("top.3.003", 1),
    ]
    assert label(top.lines[0]) == "1.001 Đăng ký khai sinh"

    dossiers = report.section("dossiers")
    assert [dossiers.value(k) for k in ("received", "early", "on_time", "late")] == [5, 2, 1, 1]

    satisfaction = report.section("satisfaction")
    assert satisfaction.value("dossier_rating") == 4.0
    assert satisfaction.value("answer_helpful") == round(2 / 3, 3)

    directives = report.section("directives")
    assert [directives.value(k) for k in ("expected", "acknowledged", "median_ack_minutes")] == [3, 2, 60.0]


async def test_an_agency_filter_keeps_its_questions_and_dossiers(sessions: SessionFactory) -> None:
    await seed(sessions)
    report = await build_report(sessions, period_for("week", NOW, TZ), agency="An Phú", now=NOW)
    assert report.section("questions").value("asked") == 4  # the commune's confident answers
    assert report.section("dossiers").value("received") == 4
    assert [line.key for line in report.section("top_procedures").lines] == ["top.1.001", "top.3.003"]


async def test_text_and_csv_show_the_same_figures(sessions: SessionFactory) -> None:
    await seed(sessions)
    report = await build_report(sessions, period_for("week", NOW, TZ), now=NOW)

    text = render_text(report)
    assert text.startswith("BÁO CÁO TUẦN 30/11/2026 - 06/12/2026\n")
    assert "Số câu hỏi: 10" in text
    assert "Trả lời chắc chắn: 6 (60,0%)" in text
    assert "Trễ hạn: 1 (25,0%)" in text
    assert "Thời gian xác nhận (trung vị): 1 giờ" in text

    rows = list(csv.DictReader(io.StringIO(render_csv(report))))
    by_key = {(row["section"], row["key"]): row for row in rows}
    assert by_key[("questions", "asked")]["value"] == "10"
    assert by_key[("dossiers", "late")]["value"] == "1"
    assert by_key[("directives", "median_ack_minutes")]["value"] == "60.0"
    assert {row["period_start"] for row in rows} == {"2026-11-30"}


async def test_an_empty_month_reads_as_dashes_not_errors(sessions: SessionFactory) -> None:
    report = await build_report(sessions, period_for("month", NOW, TZ), agency=COMMUNE, now=NOW)
    assert title(report) == "BÁO CÁO THÁNG 11/2026"
    assert report.section("satisfaction").value("dossier_rating") is None
    assert "Đánh giá hồ sơ (1-5): —" in render_text(report)
