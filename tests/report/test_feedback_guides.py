"""The feedback and guide sections on the seeded week: known figures, period edges, the agency filter."""

from __future__ import annotations

import csv
import io

from bot.reporting.text import render_csv, render_markup, render_text
from bot.services.report.build import build_report
from bot.services.report.period import period_for
from bot.storage import SessionFactory
from tests.report.dataset import (
    FEEDBACK_ANSWERED,
    FEEDBACK_OVERDUE,
    FEEDBACK_RATINGS,
    FEEDBACK_RECEIVED,
    NOW,
    seed,
)

TZ = "Asia/Ho_Chi_Minh"
MEAN = round(sum(FEEDBACK_RATINGS) / len(FEEDBACK_RATINGS), 2)


async def test_feedback_and_guides_give_the_known_figures_as_text_and_csv(sessions: SessionFactory) -> None:
    await seed(sessions)
    report = await build_report(sessions, period_for("week", NOW, TZ), now=NOW)

    feedback = report.section("feedback")
    assert [feedback.value(k) for k in ("feedback_received", "feedback_answered", "feedback_overdue")] == [
        FEEDBACK_RECEIVED,
        FEEDBACK_ANSWERED,
        FEEDBACK_OVERDUE,
    ]
    assert (feedback.value("feedback_rating"), MEAN) == (3.67, 3.67)
    [rating] = [line for line in report.section("satisfaction").lines if line.key == "feedback_rating"]
    assert (rating.value, rating.count) == (MEAN, 3)

    guides = report.section("guides")
    assert [(line.key, line.value, line.name) for line in guides.lines] == [
        ("guides_active", 2, ""),
        ("guide_cards", 8, ""),
        ("guide.1", 4, "Nguyễn Văn An"),
        ("guide.1.1.001", 3, "1.001 Đăng ký khai sinh"),
        ("guide.1.2.002", 1, "2.002 Chứng thực bản sao"),
        ("guide.1.3.003", 1, "3.003 Đăng ký thường trú"),
        ("guide.1.other", 1, ""),
        ("guide.2", 2, "Bùi Thị Bé"),
        ("guide.2.2.002", 2, "2.002 Chứng thực bản sao"),
    ]

    text = render_text(report)
    assert "\nGóp ý, kiến nghị\n  Tiếp nhận: 6\n  Đã trả lời: 4\n  Quá hạn trả lời: 2\n" in text
    assert "  Đánh giá trả lời góp ý (1-5): 3,67 (3 lượt)\n" in text
    assert "  Nguyễn Văn An: 4 người dân\n    1.001 Đăng ký khai sinh: 3 thẻ\n" in text
    assert "    Thủ tục khác: 1 thẻ\n  Bùi Thị Bé: 2 người dân\n" in text
    assert "mọi đơn vị" not in text
    assert "◦ 1.001 Đăng ký khai sinh: 3 thẻ" in render_markup(report)

    rows = {(r["section"], r["key"]): r for r in csv.DictReader(io.StringIO(render_csv(report)))}
    assert rows[("feedback", "feedback_overdue")]["value"] == "2"
    assert rows[("satisfaction", "feedback_rating")]["value"] == "3.67"
    assert (rows[("guides", "guide.2")]["label"], rows[("guides", "guide.2")]["value"]) == ("Bùi Thị Bé", "2")


async def test_an_agency_filter_leaves_the_units_figures_whole_and_says_so(sessions: SessionFactory) -> None:
    await seed(sessions)
    report = await build_report(sessions, period_for("week", NOW, TZ), agency="An Phú", now=NOW)
    assert report.section("feedback").value("feedback_received") == FEEDBACK_RECEIVED
    assert report.section("guides").value("guide_cards") == 8
    assert report.section("dossiers").value("received") == 4  # the agency filter still narrows the rest

    text = render_text(report)
    assert "\nGóp ý, kiến nghị (mọi đơn vị)\n  Tiếp nhận: 6\n" in text
    assert "\nHoạt động Tổ công nghệ số cộng đồng (mọi đơn vị)\n" in text
    assert "\nChỉ đạo (mọi đơn vị)\n" in text
    assert "  Đánh giá trả lời góp ý (1-5) (mọi đơn vị): 3,67 (3 lượt)\n" in text
    assert "Đánh giá hồ sơ (1-5): 4,00 (2 lượt)\n" in text

    rows = {(r["section"], r["key"]): r for r in csv.DictReader(io.StringIO(render_csv(report)))}
    assert rows[("feedback", "feedback_received")]["agency"] == ""
    assert rows[("satisfaction", "feedback_rating")]["agency"] == ""
    assert rows[("satisfaction", "dossier_rating")]["agency"] == "An Phú"
