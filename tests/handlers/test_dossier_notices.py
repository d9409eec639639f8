"""Notices in words: one per kind, in the centre's name, escaped, with rating buttons after "returned"."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bot.config import CentreConfig
from bot.markup import to_plain
from bot.messages import Reply
from bot.services.dossiers.events import DossierNotice, NoticeKind, Status
from handlers.dossier_notices import notice_renderer, render_notice
from tests.handlers.support import CENTRE, markup_problem

CODE = "000.00.24.H57-250722-0001"
NEW_DUE = datetime(2025, 8, 1, 9, 30, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
render = notice_renderer(CENTRE)


def notice(kind: NoticeKind, status: Status, **fields: object) -> DossierNotice:
    """A notice about the test dossier."""
    values: dict[str, object] = {
        "procedure_name": "Đăng ký khai sinh <có yếu tố nước ngoài>",
        "agency": "UBND xã Tân Phú & Công an xã",
        "due_at": NEW_DUE,
        "note": "",
        "result_delivery": "",
    }
    values.update(fields)
    return DossierNotice(kind=kind, code=CODE, status=status, **values)  # type: ignore[arg-type]


def plain(reply: Reply) -> str:
    """The reply as the resident reads it, after checking its markup is valid."""
    assert markup_problem(reply.text) is None, reply.text
    return to_plain(reply.text)


def test_ready_says_where_and_how_to_collect() -> None:
    reply = render(
        notice(
            NoticeKind.READY, Status.READY, result_delivery="Nhận tại quầy số 3", note="Mang CCCD bản chính"
        )
    )
    text = plain(reply)
    assert "đã có kết quả" in text and CODE in text
    assert "UBND xã Tân Phú & Công an xã" in text
    assert "Nhận tại quầy số 3" in text and "Mang CCCD bản chính" in text
    assert reply.buttons == ()


def test_supplement_says_what_is_missing_or_that_it_was_not_given() -> None:
    text = plain(
        render(notice(NoticeKind.SUPPLEMENT, Status.SUPPLEMENT_REQUESTED, note="Bản sao giấy chứng sinh"))
    )
    assert "cần bổ sung" in text and "Bản sao giấy chứng sinh" in text
    assert "chưa ghi rõ" in plain(render(notice(NoticeKind.SUPPLEMENT, Status.SUPPLEMENT_REQUESTED)))


def test_late_apologises_in_the_centres_name_and_promises_no_past_date() -> None:
    # The notice carries the appointment just missed: it must not come back as "hẹn trả kết quả vào ...".
    text = plain(render(notice(NoticeKind.LATE, Status.IN_PROGRESS, note="Chờ xác minh")))
    assert f"{CENTRE.name} xin lỗi ông/bà vì hồ sơ {CODE}" in text
    assert "chưa giải quyết đúng hạn" in text and "ngày hẹn trả kết quả mới" in text
    assert "01/08/2025" not in text and "hẹn trả kết quả vào" not in text
    assert "Chờ xác minh" in text
    other = notice_renderer(CentreConfig(name="UBND phường Hòa Bình"))
    assert "UBND phường Hòa Bình xin lỗi ông/bà" in plain(other(notice(NoticeKind.LATE, Status.IN_PROGRESS)))


def test_an_extension_apologises_with_the_new_date() -> None:
    text = plain(render(notice(NoticeKind.EXTENDED, Status.IN_PROGRESS, note="Chờ xác minh")))
    assert f"{CENTRE.name} xin lỗi ông/bà vì hồ sơ {CODE}" in text
    assert "ngày hẹn trả kết quả mới là 01/08/2025 09:30" in text
    assert "Chờ xác minh" in text
    undated = plain(render(notice(NoticeKind.EXTENDED, Status.IN_PROGRESS, due_at=None)))
    assert "xin lỗi" in undated and "ngày hẹn trả kết quả mới" in undated


def test_returned_thanks_and_asks_for_a_rating_with_five_buttons() -> None:
    reply = render(notice(NoticeKind.RETURNED, Status.RETURNED))
    text = plain(reply)
    assert "đã được trả kết quả" in text and CENTRE.name in text and "hài lòng" in text
    assert [b.payload for b in reply.buttons] == [f"rate:{CODE}:{n}" for n in range(1, 6)]
    assert [b.label[0] for b in reply.buttons] == ["1", "2", "3", "4", "5"]


def test_any_other_change_names_the_status_in_words() -> None:
    text = plain(render(notice(NoticeKind.STATUS, Status.REJECTED, note="Không thuộc thẩm quyền")))
    assert "Không đủ điều kiện giải quyết" in text and "Không thuộc thẩm quyền" in text
    assert f"/hoso {CODE}" in text


@pytest.mark.parametrize("kind", list(NoticeKind))
def test_every_kind_escapes_source_text(kind: NoticeKind) -> None:
    hostile = '<a href="http://x">bấm</a> & <b>'
    reply = render(
        notice(
            kind,
            Status.IN_PROGRESS,
            procedure_name=hostile,
            agency=hostile,
            note=hostile,
            result_delivery=hostile,
        )
    )
    assert markup_problem(reply.text) is None
    assert 'href="http://x"' not in reply.text


def test_the_module_level_renderer_speaks_for_the_default_centre() -> None:
    text = plain(render_notice(notice(NoticeKind.LATE, Status.IN_PROGRESS)))
    assert f"{CentreConfig().name} xin lỗi ông/bà" in text
