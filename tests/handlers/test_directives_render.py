"""How directives, reminders, escalations and reports read; the moments and rules /chidao understands."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.markup import to_plain
from bot.messages import Platform
from bot.services.directives import (
    Audience,
    DirectiveReport,
    DirectiveView,
    PersonAck,
    RecipientLine,
    ScheduleKind,
    Status,
    UnitLine,
    Urgency,
)
from bot.services.directives import recognise as parse_recurring
from bot.storage import SessionFactory
from handlers.directive_answers import parse_moment
from handlers.directive_render import (
    directive_renderer,
    reminder_renderer,
    render_directive,
    render_escalation,
)
from handlers.directives import REPORT_PART, render_report
from tests.handlers.office import HCM, PROCEDURES
from tests.handlers.support import markup_problem, services

TZ = "Asia/Ho_Chi_Minh"


def view(**changes: object) -> DirectiveView:
    """A stored directive with sensible defaults."""
    fields: dict[str, object] = {
        "id": 12,
        "title": "Rà soát hồ sơ <trễ hạn>",
        "body": "Các bộ phận rà soát & báo cáo trước 17:00.",
        "urgency": Urgency.KHAN,
        "audience": Audience(units=(1,)),
        "image_url": "",
        "link_url": "",
        "ack_required": True,
        "ack_deadline": datetime(2030, 11, 25, 10, 0, tzinfo=UTC),
        "schedule_kind": ScheduleKind.NOW,
        "schedule_at": None,
        "cron": "",
        "timezone": TZ,
        "status": Status.SENDING,
        "next_run_at": None,
        "created_by": None,
        "created_at": datetime(2030, 11, 20, 2, 0, tzinfo=UTC),
    }
    fields.update(changes)
    return DirectiveView(**fields)  # type: ignore[arg-type]


def test_an_urgent_directive_is_marked_escaped_with_deadline_button_and_reply_line() -> None:
    reply = directive_renderer(TZ)(view(), "once", ())
    assert markup_problem(reply.text) is None
    text = to_plain(reply.text)
    assert text.startswith("🔴 CHỈ ĐẠO KHẨN (số 12)")
    assert "Rà soát hồ sơ <trễ hạn>" in text and "rà soát & báo cáo" in text
    assert "Hạn xác nhận: 25/11/2030 17:00" in text  # 10:00 UTC in Viet Nam
    assert "Trả lời “đã nhận” để xác nhận" in text
    assert [(b.label, b.payload) for b in reply.buttons] == [("Đã nhận", "ack:12")]


def test_a_normal_directive_without_ack_has_no_button_and_lists_who_acknowledged_when_edited() -> None:
    plain = directive_renderer(TZ)(
        view(urgency=Urgency.THUONG, ack_required=False, ack_deadline=None), "once"
    )
    assert "KHẨN" not in plain.text and plain.buttons == () and "đã nhận" not in plain.text.lower()
    edited = directive_renderer(TZ)(view(), "once", ["Nguyễn Thị Một", "Trần <Hai>"])
    assert "Đã nhận: Nguyễn Thị Một, Trần <Hai>" in to_plain(edited.text)
    assert markup_problem(edited.text) is None
    telegram = render_directive(view(), "once", timezone=TZ, platform=Platform.TELEGRAM)
    assert "Trả lời" not in telegram.text and telegram.buttons


def test_reminders_and_escalations_name_who_is_missing() -> None:
    reminder = reminder_renderer(TZ)(view(), 2, ["Trần Văn Hai"])
    text = to_plain(reminder.text)
    assert "Nhắc lần 2" in text and "Chưa xác nhận: Trần Văn Hai" in text and "CHỈ ĐẠO KHẨN" in text
    assert [b.payload for b in reminder.buttons] == ["ack:12"]
    names = [f"Cán bộ {i}" for i in range(25)]
    escalation = render_escalation(view(), 2, "Bộ phận <một cửa>", names)
    text = to_plain(escalation.text)
    assert markup_problem(escalation.text) is None
    assert "sau 2 lần nhắc" in text and "Bộ phận <một cửa>" in text and "Cán bộ 19" in text
    assert "Cán bộ 20" not in text and "và 5 người khác" in text and "/baocao 12" in text


NOW = datetime(2030, 11, 20, 9, 0, tzinfo=HCM)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("25/11 07:30", datetime(2030, 11, 25, 7, 30, tzinfo=HCM)),
        ("25/11/2031 7h30", datetime(2031, 11, 25, 7, 30, tzinfo=HCM)),
        ("07:30 ngày 25/11", datetime(2030, 11, 25, 7, 30, tzinfo=HCM)),
        ("05/01 08:00", datetime(2031, 1, 5, 8, 0, tzinfo=HCM)),  # long past this year: next year
        ("31/02 08:00", None),
        ("25/11 25:00", None),
        ("sáng mai", None),
    ],
)
def test_parse_moment(text: str, expected: datetime | None) -> None:
    assert parse_moment(text, TZ, NOW) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("thứ hai hằng tuần 07:30", "30 7 * * 1"),
        ("hằng ngày 7h30", "30 7 * * *"),
        ("30 7 * * 1-5", "30 7 * * 1-5"),
        ("25/11 07:30", None),
        ("rm -rf / now please", None),
    ],
)
def test_parse_recurring(text: str, expected: str | None) -> None:
    assert parse_recurring(text) == expected


async def test_a_long_report_is_split_into_valid_messages_at_line_boundaries(
    sessions: SessionFactory,
) -> None:
    units = tuple(
        UnitLine(i, f"Tổ công nghệ số cộng đồng số {i} <ấp {i}>", delivered=3, failed=1) for i in range(200)
    )
    failed = tuple(
        RecipientLine(
            None, i, None, f"Người {i}", i, "failed", reason="blocked" if i % 2 else "chat not found"
        )
        for i in range(40)
    )
    acks = tuple(PersonAck(i, f"Người {i}", i) for i in range(40))
    report = DirectiveReport(view(), "once", failed, units, acks)
    replies = render_report(report, services(PROCEDURES, sessions))
    assert len(replies) > 2
    assert all(len(r.text) <= REPORT_PART and markup_problem(r.text) is None for r in replies)
    text = "\n".join(to_plain(r.text) for r in replies)
    assert "Tổ công nghệ số cộng đồng số 199 <ấp 199>" in text
    assert "đã chặn bot: 20" in text and "không tìm thấy cuộc trò chuyện: 20" in text
    assert "Người 14" in text and "… và 25 người khác" in text and "Người 15\n" not in text
