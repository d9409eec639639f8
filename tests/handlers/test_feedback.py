"""/gopy, /traloi and the answer's rating through the real router and services; routing, refusals, escalation.

The office (two units with leaders and staff, an admin) gets a third unit tagged with the field "hộ tịch"
(led by the second unit's leader, with no group), a group for the first unit (the configured default) and
one dossier handled by "UBND xã". One settable clock drives filing, deadlines and the overdue check.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update

from bot.config import FeedbackConfig
from bot.markup import to_plain
from bot.messages import ChatRef, Platform
from bot.outbox import payload_to_reply
from bot.routing import Dispatcher
from bot.services.dossiers.events import DossierEventIn, Status
from bot.services.feedback import FeedbackService
from bot.services.people import Actor
from bot.storage import create_engine, session_factory
from bot.storage.models import FeedbackItem, PlatformAccount, Unit
from bot.workdays import WorkingDays
from handlers import build_router, fallback
from handlers.feedback_render import feedback_renderers
from jobs.feedback import check_overdue, feedback_jobs
from tests.handlers.office import ADMIN, LEADER_B, RESIDENT, STAFF_1, STAFF_2, STAFF_3, Office, build_office

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
GROUP_A = "-1001"
DOSSIER = "000.00.24.H57-250722-0001"
UNKNOWN_DOSSIER = "000.00.24.H57-250722-0999"


@pytest.fixture
async def desk(tmp_path: Path) -> AsyncIterator[Office]:
    """The office with the feedback service wired into its dispatcher."""
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'motcua.db'}")
    try:
        async with build_office(engine) as office:
            system = Actor.system()
            people = office.people
            civil = await people.create_unit(system, "Tư pháp - Hộ tịch", tags=["Hộ tịch"])
            await people.set_unit_leader(system, civil.id, office.ids["leader_b"])
            office.ids["unit_c"] = civil.id
            group = ChatRef(Platform.TELEGRAM, GROUP_A, True)
            await people.register_group(system, group, office.ids["unit_a"])
            received = DossierEventIn(
                event_id="r",
                code=DOSSIER,
                status=Status.RECEIVED,
                occurred_at=office.clock.now,
                procedure_name="Cấp phép xây dựng",
                agency="UBND xã",
            )
            await office.svc.dossiers.apply([received], source="test")
            service = FeedbackService(
                session_factory(engine),
                FeedbackConfig(default_unit="bộ phận MỘT cửa", max_length=200, per_user_per_day=3),
                deadline=WorkingDays(),
                render=feedback_renderers(),
                procedure_of=office.svc.procedures.get,
                clock=office.clock,
            )
            svc = replace(office.svc, feedback=service)
            dispatcher = Dispatcher(
                build_router(flows=True), svc, office.memory, fallback, flows=office.memory
            )
            yield replace(office, svc=svc, dispatcher=dispatcher)
    finally:
        await engine.dispose()


async def queued(office: Office, kind: str) -> list[tuple[str, str]]:
    """(chat id, plain text) of the outbox rows of ``kind``, oldest first."""
    return [(row.chat_id, to_plain(payload_to_reply(row.payload).text)) for row in await office.outbox(kind)]


async def items(office: Office) -> list[FeedbackItem]:
    """Every stored item."""
    async with session_factory(office.engine)() as session:
        return list((await session.execute(select(FeedbackItem).order_by(FeedbackItem.id))).scalars())


async def test_general_feedback_gets_a_number_and_goes_to_the_default_units_group(desk: Office) -> None:
    reply = await desk.one("/gopy Nhà vệ sinh <hỏng> & bẩn")
    assert "GY-000001" in reply and "Bộ phận một cửa" in reply and "3 ngày làm việc" in reply
    [(chat, text)] = await queued(desk, "feedback.new")
    assert chat == GROUP_A
    assert "Nhà vệ sinh <hỏng> & bẩn" in text and "/traloi GY-000001" in text
    [item] = await items(desk)
    assert (item.kind, item.unit_id, item.user_id) == ("general", desk.ids["unit_a"], RESIDENT)


async def test_the_conversation_routes_a_procedure_by_its_field_to_the_leader_in_private(
    desk: Office,
) -> None:
    [asked] = await desk.say("/gopy")
    assert [b.payload for b in asked.buttons] == ["gopy:thutuc", "gopy:hoso", "gopy:chung"]
    assert "mã thủ tục" in await desk.one("1")
    assert "chưa tìm thấy thủ tục" in await desk.one("9.999999")
    assert "Đăng ký khai sinh" in await desk.one("1.001193")
    reply = await desk.one("Nên cho nộp bản sao điện tử giấy chứng sinh.")
    assert "GY-000001" in reply and "Tư pháp - Hộ tịch" in reply
    # The unit has no group: its leader hears of it in private.
    [(chat, text)] = await queued(desk, "feedback.new")
    assert chat == LEADER_B and "Đăng ký khai sinh" in text
    # The conversation is over: the next text is a question again.
    assert "GY-000002" not in await desk.all("đăng ký khai sinh")


async def test_dossier_feedback_routes_by_agency_and_tells_the_resident_nothing_of_the_dossier(
    desk: Office,
) -> None:
    assert "không tìm thấy hồ sơ" in (await desk.one(f"/gopy {UNKNOWN_DOSSIER} chậm quá")).lower()
    reply = await desk.one(f"/gopy {DOSSIER} Hồ sơ của tôi chậm quá")
    assert "GY-000001" in reply
    assert "UBND xã" not in reply and "Cấp phép xây dựng" not in reply
    [(_, text)] = await queued(desk, "feedback.new")
    assert "chưa được xác minh là chủ hồ sơ" in text and "Hồ sơ của tôi chậm quá" in text
    [item] = await items(desk)
    assert (item.kind, item.ref, item.unit_id, item.ref_name) == ("dossier", DOSSIER, desk.ids["unit_b"], "")
    # A code alone asks for the text.
    assert "Mời bạn viết nội dung" in await desk.one(f"/gopy {DOSSIER}")


async def test_bad_input_is_refused_and_loses_nothing(desk: Office) -> None:
    assert "tin nhắn riêng" in await desk.one("/gopy ồn quá", chat="-2002", group=True)
    await desk.say("/gopy")
    await desk.say(payload="gopy:chung")
    assert "quá giới hạn 200" in await desk.one("x" * 201)
    # The conversation waits for a shorter text.
    assert "GY-000001" in await desk.one("Ngắn gọn thôi.")
    assert "quá giới hạn" in await desk.one("/gopy " + "y" * 201)
    await desk.say(payload="gopy:hoso")
    assert "chưa đúng dạng" in await desk.one("không nhớ mã")
    assert len(await items(desk)) == 1


async def test_a_long_message_where_a_subject_is_asked_is_kept_as_the_feedback(desk: Office) -> None:
    complaint = "Thủ tục đăng ký khai sinh làm quá lâu, cán bộ hẹn đi hẹn lại ba lần"
    await desk.say("/gopy")
    [asked] = await desk.say(complaint)
    assert "nội dung góp ý của bạn" in to_plain(asked.text) and asked.buttons[0].payload == "gopy:gui"
    assert await items(desk) == []
    # Naming the procedure then files the kept text about it.
    assert "GY-000001" in await desk.one("1.001193")
    await desk.say("/gopy")
    await desk.say(payload="gopy:thutuc")
    await desk.say("Quầy tiếp nhận mở cửa muộn, người dân phải chờ rất lâu mỗi sáng")
    assert "GY-000002" in await desk.one(payload="gopy:gui")
    assert "hết hạn hoặc đã được gửi" in await desk.one(payload="gopy:gui")
    await desk.say("/gopy")
    assert "GY-000003" in await desk.one(f"Hồ sơ {DOSSIER} của tôi trễ hẹn hai tuần")
    [first, second, third] = await items(desk)
    assert (first.kind, first.ref, first.text) == ("procedure", "1.001193", complaint)
    assert (second.kind, second.text[:8]) == ("general", "Quầy tiế")
    assert (third.kind, third.text) == ("dossier", "Hồ sơ của tôi trễ hẹn hai tuần")


async def test_a_resident_files_at_most_the_daily_allowance(desk: Office) -> None:
    for number in range(1, 4):
        assert f"GY-00000{number}" in await desk.one(f"/gopy Góp ý số {number}")
    assert "tối đa" in await desk.one("/gopy Góp ý số 4")
    assert "GY-000004" in await desk.one("/gopy Của người khác", user="777")
    desk.clock.now += timedelta(hours=24, minutes=1)
    assert "GY-000005" in await desk.one("/gopy Hôm sau")


async def test_traloi_refusals_then_the_answer_goes_back_and_the_item_closes(desk: Office) -> None:
    await desk.say("/gopy Quầy số 2 đông quá")
    assert "Chỉ cán bộ" in await desk.one("/traloi GY-000001 ok", user="888")
    assert "/traloi số góp ý" in await desk.one("/traloi", user=STAFF_1)
    assert "/traloi số góp ý" in await desk.one("/traloi GY-000001", user=STAFF_1)
    assert "Không có góp ý số GY-000042" in await desk.one("/traloi GY-000042 ok", user=STAFF_1)
    assert "Không có góp ý số abc" in await desk.one("/traloi abc ok", user=STAFF_1)
    not_yours = await desk.one("/traloi GY-000001 ok", user=STAFF_3)
    assert "Bộ phận một cửa" in not_yours and "không thuộc đơn vị của bạn" in not_yours
    assert "quá giới hạn" in await desk.one("/traloi GY-000001 " + "z" * 201, user=STAFF_1)
    # Rating before the answer.
    assert "chưa được trả lời" in await desk.one(payload="gyrate:1:5")

    assert "Đã gửi câu trả lời góp ý GY-000001" in await desk.one(
        "/traloi 1 Đã mở thêm quầy số 5.", user=STAFF_1
    )
    assert "đã được trả lời bởi Nguyễn Thị Một" in await desk.one("/traloi GY-000001 nữa", user=STAFF_2)
    [(chat, text)] = await queued(desk, "feedback.answer")
    assert chat == RESIDENT and "Đã mở thêm quầy số 5." in text and "Bộ phận một cửa" in text
    # Only the resident who wrote may rate it; a second rating replaces the first.
    assert "không còn hiệu lực" in await desk.one(payload="gyrate:1:1", user=STAFF_1)
    assert "không còn hiệu lực" in await desk.one(payload="gyrate:1:9")
    assert "Cảm ơn bạn đã đánh giá" in await desk.one(payload="gyrate:1:2")
    assert "cập nhật" in await desk.one(payload="gyrate:1:3")
    [item] = await items(desk)
    assert (item.status, item.rating, item.answer) == ("answered", 3, "Đã mở thêm quầy số 5.")


async def test_an_unrouted_item_is_answered_by_an_admin_only(desk: Office) -> None:
    async with session_factory(desk.engine).begin() as session:
        await session.execute(update(Unit).values(name=Unit.name + " (cũ)"))
    reply = await desk.one("/gopy Chung chung")
    assert "GY-000001" in reply and "chưa có đơn vị phụ trách" in reply and "đã được chuyển" not in reply
    [item] = await items(desk)
    # No unit takes it: the admins hear of it in private.
    [(chat, text)] = await queued(desk, "feedback.new")
    assert item.unit_id is None and chat == ADMIN and "chưa có đơn vị phụ trách" in text
    assert "quản trị viên" in await desk.one("/traloi GY-000001 ok", user=STAFF_1)
    assert "Đã gửi" in await desk.one("/traloi GY-000001 Cảm ơn bạn.", user=ADMIN)


async def test_an_unrouted_item_is_routed_once_its_unit_exists_and_overdue_warnings_are_never_lost(
    desk: Office,
) -> None:
    service = desk.svc.feedback
    assert service is not None
    factory = session_factory(desk.engine)
    async with factory.begin() as session:
        await session.execute(update(Unit).values(name=Unit.name + " (cũ)"))
    await desk.say("/gopy Chung chung")
    await desk.say("/gopy Lần hai")
    async with factory.begin() as session:
        await session.execute(
            update(Unit).where(Unit.id == desk.ids["unit_a"]).values(name="Bộ phận một cửa")
        )
    assert await check_overdue(service) == 0
    [first, second] = await items(desk)
    assert first.unit_id == second.unit_id == desk.ids["unit_a"]
    assert [chat for chat, _ in await queued(desk, "feedback.new")] == [ADMIN, ADMIN, GROUP_A, GROUP_A]
    # Unit a's leader has no chat now: the admin is told instead; with no admin either, it waits.
    async with factory.begin() as session:
        await session.execute(
            update(PlatformAccount).where(PlatformAccount.chat_id == "200").values(active=False)
        )
    desk.clock.now += timedelta(days=10)
    await desk.say("/traloi GY-000002 Đã xong.", user=STAFF_1)
    async with factory.begin() as session:
        await session.execute(update(PlatformAccount).values(active=False))
    assert await service.escalate_overdue() == 0
    [first, _] = await items(desk)
    assert first.escalated_at is None and await queued(desk, "feedback.overdue") == []
    async with factory.begin() as session:
        await session.execute(
            update(PlatformAccount).where(PlatformAccount.chat_id == ADMIN).values(active=True)
        )
    assert await service.escalate_overdue() == 1
    [(chat, text)] = await queued(desk, "feedback.overdue")
    assert chat == ADMIN and "GY-000001" in text and "Bộ phận một cửa chưa trả lời" in text
    assert await service.escalate_overdue() == 0


def local(*args: int) -> datetime:
    """A local time in Ho Chi Minh City."""
    return datetime(*args, tzinfo=HCM)


async def test_overdue_items_go_to_the_leader_once_counting_working_days_only(desk: Office) -> None:
    service = desk.svc.feedback
    assert service is not None
    # Wednesday 29/4/2026: 30/4 and 1/5 are holidays, 2-3/5 a weekend; three working days end Wednesday 6/5.
    desk.clock.now = local(2026, 4, 29, 10, 0)
    await desk.say("/gopy Cần thêm chỗ để xe")
    await desk.say("/gopy Cần wifi")
    await desk.say("/traloi GY-000002 Đã lắp wifi.", user=STAFF_1)
    [item, _] = await items(desk)
    assert item.due_at == local(2026, 5, 6, 10, 0)
    desk.clock.now = local(2026, 5, 5, 23, 0)
    assert await service.escalate_overdue() == 0
    desk.clock.now = local(2026, 5, 6, 10, 1)
    [job] = feedback_jobs(service)
    await job.func()
    desk.clock.now += timedelta(hours=1)
    assert await check_overdue(service) == 0
    [(chat, text)] = await queued(desk, "feedback.overdue")
    assert chat == "200" and "GY-000001" in text and "3 ngày làm việc" in text
    assert [v.number for v in await service.items("overdue")] == ["GY-000001"]


def test_working_days_skip_weekends_tet_and_national_day() -> None:
    days = WorkingDays()
    # Friday before Tết 2026 (16-20/2 off): Monday 23, Tuesday 24, Wednesday 25.
    assert days.add(local(2026, 2, 13, 15, 30), 3) == local(2026, 2, 25, 15, 30)
    # Filed on Saturday: counted from Monday's start.
    assert days.add(local(2026, 12, 5, 10, 0), 3) == local(2026, 12, 10, 0, 0)
    # Around National Day (1-2/9/2026, Tuesday-Wednesday, and 31/8 given off).
    assert days.add(local(2026, 8, 28, 9, 0), 1) == local(2026, 9, 3, 9, 0)
    assert not days.is_working_day(local(2026, 4, 26).date())  # Hùng Kings
    # Saturday 22/8/2026 is worked in exchange for Monday 31/8: a working day.
    assert days.is_working_day(local(2026, 8, 22).date())
    assert days.add(local(2026, 8, 21, 10, 0), 1) == local(2026, 8, 22, 10, 0)
