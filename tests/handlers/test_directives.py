"""Directives through the real Dispatcher on SQLite: roles, the /chidao flow, acknowledgements, /baocao."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from bot import texts
from bot.markup import to_plain
from bot.messages import ChatRef, Platform
from bot.outbox import FAILED, SENT, payload_to_reply
from bot.services.directives import Audience, DirectiveDraft, Status, Urgency
from bot.services.people import Actor
from bot.storage import Acknowledgement, Directive, OutboxMessage, session_factory
from tests.handlers.office import (
    ADMIN,
    HCM,
    LEADER_A,
    LEADER_B,
    RESIDENT,
    STAFF_1,
    STAFF_2,
    STAFF_3,
    T0,
    Office,
    later,
    office,
)

__all__ = ["office"]

GROUP_A = "-100700"


def _group(chat_id: str) -> ChatRef:
    return ChatRef(Platform.TELEGRAM, chat_id, True)


async def publish(
    office: Office, audience: Audience, *, ack: bool = True, title: str = "Họp giao ban"
) -> int:
    """A directive published now by the CLI's actor; return its id."""
    draft = DirectiveDraft(
        title=title,
        body="Mời các đồng chí dự họp lúc 14:00 tại phòng họp số 2.",
        audience=audience,
        urgency=Urgency.KHAN,
        ack_required=ack,
        ack_deadline=T0 + timedelta(hours=6) if ack else None,
    )
    view = await office.directives.writing.create(Actor.system(), draft)
    await office.directives.publishing.publish(Actor.system(), view.id)
    return view.id


async def to_preview(office: Office, *, user: str = LEADER_A, schedule: str = "") -> str:
    """Walk /chidao to the preview: title, body, urgent, the first audience, ack with a deadline, when."""
    assert "tiêu đề" in await office.one("/chidao", user=user)
    assert "nội dung" in await office.one("Tiêm chủng <đợt 2>", user=user)
    assert "Mức độ" in await office.one("Các tổ rà soát danh sách & báo cáo trước 17:00.", user=user)
    assert "Gửi cho ai" in await office.one("1", user=user)
    assert "xác nhận" in await office.one("1", user=user)
    assert "Hạn xác nhận" in await office.one(payload="cd:ack:yes", user=user)
    assert "Nhắc người chưa xác nhận" in await office.one("25/11/2030 17:00", user=user)
    assert "Khi nào gửi" in await office.one(payload="cd:remind:default", user=user)
    if schedule:
        return await office.all(schedule, user=user)
    return await office.all(payload="cd:schedule:now", user=user)


async def send_payload(office: Office, user: str = LEADER_A, step: str = "send") -> str:
    """The payload of the preview's "Gửi" (or "Hủy") button in the user's flow."""
    flow = await office.svc.conversations.flow(f"telegram:{user}")
    assert flow is not None and flow.step == "preview"
    return f"cd:{step}:{flow.data['token']}"


async def directive_rows(office: Office) -> list[Directive]:
    """Every stored directive."""
    async with session_factory(office.engine)() as session:
        return list((await session.execute(select(Directive).order_by(Directive.id))).scalars())


# --- roles ----------------------------------------------------------------------------------------


async def test_a_resident_and_staff_cannot_create_list_or_read_directives(office: Office) -> None:
    directive_id = await publish(office, Audience(units=(office.ids["unit_a"],)))
    refused = to_plain(texts.DIRECTIVE_REFUSED)
    for user in (RESIDENT, STAFF_1):
        assert await office.one("/chidao", user=user) == refused
        assert await office.one(f"/baocao {directive_id}", user=user) == refused
        assert await office.one("/dschidao", user=user) == refused
        assert await office.svc.conversations.flow(f"telegram:{user}") is None
    # A forged flow button from someone with no flow reveals nothing either.
    assert await office.one(payload="cd:send:1", user=RESIDENT) == to_plain(texts.DIRECTIVE_FLOW_GONE)


async def test_a_leader_reads_only_directives_reaching_their_units(office: Office) -> None:
    to_a = await publish(office, Audience(units=(office.ids["unit_a"],)), title="Cho một cửa")
    to_b = await publish(office, Audience(units=(office.ids["unit_b"],)), title="Cho UBND")
    assert "Cho một cửa" in await office.all(f"/baocao {to_a}", user=LEADER_A)
    hidden = await office.one(f"/baocao {to_b}", user=LEADER_A)
    # Another unit's directive reads exactly like one that does not exist.
    assert hidden.replace(str(to_b), "N") == (await office.one("/baocao 999", user=LEADER_A)).replace(
        "999", "N"
    )
    assert "Cho UBND" not in hidden
    listing = await office.one("/dschidao", user=LEADER_A)
    assert "Cho một cửa" in listing and "Cho UBND" not in listing
    everything = await office.one("/dschidao", user=ADMIN)
    assert "Cho một cửa" in everything and "Cho UBND" in everything


async def test_chidao_is_private_only(office: Office) -> None:
    answer = await office.one("/chidao", user=LEADER_A, chat=GROUP_A, group=True)
    assert answer == to_plain(texts.DIRECTIVE_PRIVATE_ONLY)
    assert await office.svc.conversations.flow(f"telegram:{GROUP_A}") is None


# --- the /chidao flow -----------------------------------------------------------------------------


async def test_the_flow_previews_the_count_and_send_writes_one_outbox_row_per_chat(office: Office) -> None:
    preview = await to_preview(office)
    assert "Xem trước" in preview and "CHỈ ĐẠO KHẨN" in preview and "Tiêm chủng <đợt 2>" in preview
    # Unit A: its leader and two staff, each in a private chat.
    assert "Sẽ gửi tới 3 cuộc trò chuyện (3 cá nhân, 0 nhóm)" in preview
    assert "25/11/2030 17:00" in preview and "gửi ngay" in preview
    # The preview stores nothing: an abandoned flow leaves no draft behind.
    assert await directive_rows(office) == [] and await office.outbox() == []

    send = await send_payload(office)
    sent = await office.one(payload=send, user=LEADER_A)
    [draft] = await directive_rows(office)
    assert draft.status == Status.SENDING.value
    assert "3 cuộc trò chuyện" in sent and f"/baocao {draft.id}" in sent
    rows = await office.outbox()
    assert sorted(r.chat_id for r in rows) == sorted([LEADER_A, STAFF_1, STAFF_2])
    message = payload_to_reply(rows[0].payload)
    assert [b.payload for b in message.buttons] == [f"ack:{draft.id}"]
    # Telegram has the button: the line asking Zalo users to reply is left out.
    assert "Trả lời “đã nhận”" not in message.text and "Tiêm chủng" in message.text
    # The flow is over: pressing "Gửi" again publishes nothing more.
    assert await office.one(payload=send, user=LEADER_A) == to_plain(texts.DIRECTIVE_FLOW_GONE)
    assert len(await office.outbox()) == 3


async def test_cancel_at_preview_sends_nothing_and_cancels_the_draft(office: Office) -> None:
    await to_preview(office)
    assert await office.one(payload=await send_payload(office, step="cancel"), user=LEADER_A) == to_plain(
        texts.DIRECTIVE_CANCELLED_DRAFT
    )
    assert await directive_rows(office) == [] and await office.outbox() == []
    assert await office.svc.conversations.flow(f"telegram:{LEADER_A}") is None


async def test_typing_gui_at_the_preview_sends(office: Office) -> None:
    await to_preview(office)
    assert "3 cuộc trò chuyện" in await office.one("gửi", user=LEADER_A)
    assert len(await office.outbox()) == 3


async def test_validation_errors_ask_the_same_step_again(office: Office) -> None:
    await office.one("/chidao", user=LEADER_A)
    again = await office.all("T" * 300, user=LEADER_A)
    assert "không quá 255" in again and "tiêu đề" in again
    await office.one("Tiêu đề", user=LEADER_A)
    await office.one("Nội dung", user=LEADER_A)
    assert "1 (Khẩn) hoặc 2 (Thường)" in await office.all("rất gấp", user=LEADER_A)
    await office.one("thường", user=LEADER_A)
    assert "chưa hiểu lựa chọn" in await office.all("7", user=LEADER_A)
    assert "chưa hiểu lựa chọn" in await office.all(payload="cd:audience:0", user=LEADER_A)
    await office.one("1", user=LEADER_A)
    await office.one("không", user=LEADER_A)
    assert "chưa hiểu thời gian" in await office.all("sáng mai nhé", user=LEADER_A)
    # A moment in the past is caught when the draft is made, and only the schedule is asked again.
    past = await office.all("01/01/2020 07:00", user=LEADER_A)
    assert "đã qua" in past and "Khi nào gửi" in past
    preview = await office.all("25/12/2030 07:30", user=LEADER_A)
    assert "gửi lúc 25/12/2030 07:30" in preview and "Xác nhận: Không cần" in preview
    assert await directive_rows(office) == []
    assert "gửi lúc 25/12/2030 07:30" in await office.one("gửi", user=LEADER_A)
    [draft] = await directive_rows(office)
    assert draft.schedule_at is not None
    assert draft.schedule_at.astimezone(HCM) == datetime(2030, 12, 25, 7, 30, tzinfo=HCM)


async def test_a_title_starting_with_an_exclamation_mark_is_a_title_not_an_error(office: Office) -> None:
    await office.one("/chidao", user=LEADER_A)
    # Answers are tagged results: no answer text can pass for the reason to ask again.
    assert "nội dung" in await office.one("!Khẩn: họp giao ban", user=LEADER_A)
    flow = await office.svc.conversations.flow(f"telegram:{LEADER_A}")
    assert flow is not None and flow.step == "body" and flow.data["title"] == "!Khẩn: họp giao ban"


async def test_a_failed_publish_leaves_no_draft_behind(office: Office) -> None:
    await to_preview(office)
    async with office.engine.begin() as conn:
        # The outbox refuses every row, as a full disk or a broken constraint would.
        await conn.exec_driver_sql(
            "CREATE TRIGGER refuse BEFORE INSERT ON outbox BEGIN SELECT RAISE(ABORT, 'refused'); END"
        )
    with pytest.raises(IntegrityError):
        await office.say(payload=await send_payload(office), user=LEADER_A)
    assert await directive_rows(office) == []


async def test_the_default_deadline_applies_in_the_chat_as_in_a_file(office: Office) -> None:
    for answer in ("/chidao", "Tiêu đề", "Nội dung", "1", "1"):
        await office.one(answer, user=LEADER_A)
    [question] = await office.say(payload="cd:ack:yes", user=LEADER_A)
    assert [b.label for b in question.buttons] == ["Mặc định: 24 giờ sau khi gửi"]
    await office.one(payload=question.buttons[0].payload, user=LEADER_A)
    await office.one(payload="cd:remind:default", user=LEADER_A)
    preview = await office.all(payload="cd:schedule:now", user=LEADER_A)
    # The configured reminders (60 and 240 minutes, the leader told after the second).
    assert (
        "Có, cần xác nhận (hạn 21/11/2030 09:00); nhắc sau 60, 240 phút; báo lãnh đạo sau lần nhắc thứ 2"
        in preview
    )
    await office.one("gửi", user=LEADER_A)
    [row] = await directive_rows(office)
    assert row.ack_deadline is not None and row.ack_deadline.astimezone(HCM) == T0 + timedelta(hours=24)


async def test_a_directive_may_have_its_own_reminders_in_the_chat(office: Office) -> None:
    for answer in ("/chidao", "Tiêu đề", "Nội dung", "1", "1", "có", "mặc định"):
        await office.one(answer, user=LEADER_A)
    assert "từ 1 đến 6 số phút" in await office.all("sau nửa tiếng", user=LEADER_A)
    [question] = await office.say("120, 30", user=LEADER_A)
    assert "từ 1 đến 2" in question.text
    labels = ["Sau lần nhắc thứ 1", "Sau lần nhắc thứ 2 (mặc định)", "Không báo lãnh đạo"]
    assert [b.label for b in question.buttons] == labels
    assert "từ 1 đến 2" in await office.all("4", user=LEADER_A)
    assert "Khi nào gửi" in await office.one("1", user=LEADER_A)
    preview = await office.all(payload="cd:schedule:now", user=LEADER_A)
    assert "nhắc sau 30, 120 phút; báo lãnh đạo sau lần nhắc thứ 1" in preview
    await office.one("gửi", user=LEADER_A)
    [row] = await directive_rows(office)
    assert (row.reminder_minutes, row.escalate_after) == ([30, 120], 1)
    # No reminders at all: escalation is not asked.
    for answer in ("/chidao", "Tiêu đề", "Nội dung", "1", "1", "có", "mặc định"):
        await office.one(answer, user=LEADER_A)
    assert "Khi nào gửi" in await office.one("không", user=LEADER_A)
    assert "không nhắc" in await office.all(payload="cd:schedule:now", user=LEADER_A)


async def test_a_weekly_rule_in_words_is_armed_on_send(office: Office) -> None:
    preview = await to_preview(office, schedule="thứ hai hằng tuần 07:30")
    assert "lặp lại theo lịch 30 7 * * 1" in preview
    armed = await office.one(payload=await send_payload(office), user=LEADER_A)
    assert "Đã lên lịch" in armed and "25/11/2030 07:30" in armed  # the Monday after 20/11/2030
    [draft] = await directive_rows(office)
    assert draft.status == Status.SCHEDULED.value and draft.cron == "30 7 * * 1"
    assert await office.outbox() == []


async def test_a_leader_is_offered_only_their_units_and_groups_an_admin_everything(office: Office) -> None:
    await office.people.register_group(Actor.system(), _group(GROUP_A), office.ids["unit_a"], "Nhóm một cửa")
    for answer in ("/chidao", "Tiêu đề", "Nội dung"):
        await office.one(answer, user=LEADER_A)
    [reply] = await office.say("2", user=LEADER_A)
    private_only = texts.audience_private_only("Bộ phận một cửa")
    assert [b.label for b in reply.buttons] == ["Bộ phận một cửa", private_only, "Nhóm một cửa"]
    for answer in ("/chidao", "Tiêu đề", "Nội dung"):
        await office.one(answer, user=ADMIN)
    [reply] = await office.say("2", user=ADMIN)
    assert [b.label for b in reply.buttons] == [
        texts.AUDIENCE_ALL,
        "Bộ phận một cửa",
        private_only,
        "Nhóm một cửa",
        "UBND xã",
    ]
    await office.one("1, 5", user=ADMIN)  # "all" and UBND xã again: one audience, each person once
    await office.one("2", user=ADMIN)
    preview = await office.all(payload="cd:schedule:now", user=ADMIN)
    # Everyone in a unit (the admin belongs to none), each once, and the unit's registered group.
    assert "Sẽ gửi tới 6 cuộc trò chuyện (5 cá nhân, 1 nhóm)" in preview


async def test_a_unit_reaches_its_groups_unless_sent_to_its_people_only(office: Office) -> None:
    await office.people.register_group(Actor.system(), _group(GROUP_A), office.ids["unit_a"], "Nhóm một cửa")
    for choice, reached in (
        ("1", "4 cuộc trò chuyện (3 cá nhân, 1 nhóm)"),
        ("2", "3 cuộc trò chuyện (3 cá nhân, 0 nhóm)"),
    ):
        for answer in ("/chidao", "Tiêu đề", "Nội dung", "2", choice, "2"):
            await office.one(answer, user=LEADER_A)
        assert reached in await office.all(payload="cd:schedule:now", user=LEADER_A)
    # Its people only, and the group named as well: the group once.
    for answer in ("/chidao", "Tiêu đề", "Nội dung", "2", "2, 3", "2"):
        await office.one(answer, user=LEADER_A)
    assert "4 cuộc trò chuyện (3 cá nhân, 1 nhóm)" in await office.all(
        payload="cd:schedule:now", user=LEADER_A
    )


async def test_a_command_ends_the_flow(office: Office) -> None:
    await office.one("/chidao", user=LEADER_A)
    await office.one("/huy", user=LEADER_A)
    # Free text is a procedure question again.
    assert "Đăng ký khai sinh" in await office.all("đăng ký khai sinh", user=LEADER_A)
    assert await directive_rows(office) == []


# --- acknowledgements -----------------------------------------------------------------------------


async def acks(office: Office) -> list[tuple[int, str]]:
    """(person id, how) of every acknowledgement."""
    async with session_factory(office.engine)() as session:
        rows = await session.execute(select(Acknowledgement.person_id, Acknowledgement.how))
        return sorted((int(p), str(h)) for p, h in rows.tuples())


async def test_ack_by_button_keyword_and_number_and_again(office: Office) -> None:
    directive_id = await publish(office, Audience(units=(office.ids["unit_a"],)))
    first = await office.one(payload=f"ack:{directive_id}", user=STAFF_1)
    assert "Nguyễn Thị Một đã xác nhận" in first
    later(office, minutes=5)
    again = await office.one(payload=f"ack:{directive_id}", user=STAFF_1)
    assert "bạn đã xác nhận lúc 20/11/2030 09:00" in again
    assert "Trần Văn Hai đã xác nhận" in await office.one("Đã nhận!", user=STAFF_2)
    # Zalo-style: the number of the choice the outbox showed.
    await office.memory.remember(f"telegram:{LEADER_A}", [f"ack:{directive_id}"])
    assert "Lê Văn Lãnh đã xác nhận" in await office.one("1", user=LEADER_A)
    # The report says what was used: the button, the words, or the number.
    assert await acks(office) == sorted(
        [
            (office.ids["staff_1"], "button"),
            (office.ids["staff_2"], "keyword"),
            (office.ids["leader_a"], "number"),
        ]
    )


async def test_a_resident_or_stranger_acknowledging_gets_a_clear_answer_and_search_still_works(
    office: Office,
) -> None:
    directive_id = await publish(office, Audience(units=(office.ids["unit_a"],)))
    not_staff = to_plain(texts.ACK_NOT_REGISTERED)
    assert await office.one("da nhan", user=RESIDENT) == not_staff
    assert await office.one(payload=f"ack:{directive_id}", user=RESIDENT) == not_staff
    # Staff of another unit: nothing of theirs to acknowledge here.
    assert await office.one(payload=f"ack:{directive_id}", user=STAFF_3) == to_plain(texts.ACK_NOTHING)
    assert await office.one(payload="ack:x", user=STAFF_1) == to_plain(texts.ACK_NOTHING)
    # Text that merely contains the words is a question, not an acknowledgement: the search answers it. On
    # this one-record catalogue every word weighs next to nothing, so whether "đã nhận ... chưa" gets the
    # card or an honest "not found" moves with each refit of the search's weights; either is the search's.
    question = "đã nhận giấy khai sinh chưa"
    reply = await office.all(question, user=STAFF_1)
    not_found = to_plain(texts.no_match(question, office.svc.config.centre))
    assert "Đăng ký khai sinh" in reply or reply == not_found
    assert "Đăng ký khai sinh" in await office.all("làm giấy khai sinh cho con", user=STAFF_1)
    assert await acks(office) == []


async def test_in_a_group_each_member_acknowledges_for_themselves(office: Office) -> None:
    group = await office.people.register_group(Actor.system(), _group(GROUP_A), office.ids["unit_a"], "Nhóm")
    directive_id = await publish(office, Audience(groups=(group.id,)))
    first = await office.one(payload=f"ack:{directive_id}", user=STAFF_1, chat=GROUP_A, group=True)
    second = await office.one(payload=f"ack:{directive_id}", user=STAFF_2, chat=GROUP_A, group=True)
    assert "Nguyễn Thị Một đã xác nhận" in first
    assert "Trần Văn Hai đã xác nhận" in second and "Nguyễn Thị Một, Trần Văn Hai" in second
    # The keyword in the group, not addressed to the bot, still counts for the one who typed it.
    third = await office.one("đã nhận", user=LEADER_A, chat=GROUP_A, group=True, addressed=False)
    assert "Lê Văn Lãnh đã xác nhận" in third
    # Group chatter by a resident is not answered.
    assert await office.say("đã nhận", user=RESIDENT, chat=GROUP_A, group=True, addressed=False) == []
    assert [p for p, _ in await acks(office)] == sorted(
        [office.ids["staff_1"], office.ids["staff_2"], office.ids["leader_a"]]
    )
    # The Telegram message is edited to list who acknowledged.
    edits = await office.outbox("directive.acks")
    assert edits == [] or "Nguyễn Thị Một" in payload_to_reply(edits[-1].payload).text


# --- /baocao --------------------------------------------------------------------------------------


async def test_baocao_counts_delivered_failed_duplicates_acks_and_names_the_missing(office: Office) -> None:
    directive_id = await publish(office, Audience(units=(office.ids["unit_a"], office.ids["unit_b"])))
    async with session_factory(office.engine).begin() as session:
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.chat_id.in_([STAFF_1, LEADER_A]))
            .values(status=SENT, sent_at=T0, attempts=1)
        )
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.chat_id == STAFF_2)
            .values(status=SENT, sent_at=T0, attempts=2)
        )
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.chat_id == STAFF_3)
            .values(status=FAILED, error="blocked")
        )
    await office.one(payload=f"ack:{directive_id}", user=STAFF_1)
    report = await office.all(f"/baocao {directive_id}", user=ADMIN)
    assert f"Báo cáo chỉ đạo số {directive_id}" in report
    assert "Đã gửi tới: 3" in report and "Gửi lỗi: 1" in report and "Đang chờ gửi: 1" in report
    assert "Đã xác nhận: 1/5; chưa xác nhận: 4" in report
    assert "Có thể nhận trùng: 1" in report
    assert "Bộ phận một cửa: gửi 3, lỗi 0, chờ 0, xác nhận 1/3" in report
    assert "UBND xã: gửi 0, lỗi 1, chờ 1, xác nhận 0/2" in report
    assert "đã chặn bot: 1" in report
    missing = report.split("Chưa xác nhận")[-1]
    assert "Trần Văn Hai" in missing and "Hoàng Văn Ba" in missing and "Nguyễn Thị Một" not in missing
    # The leader of unit A sees it too (it reaches their unit); the usage without an id.
    assert "Đã gửi tới: 3" in await office.all(f"/baocao {directive_id}", user=LEADER_A)
    assert "/baocao" in await office.one("/baocao", user=LEADER_B)
    assert "không tìm thấy" in (await office.one("/baocao abc<script>", user=ADMIN)).lower()
