"""The /chidao flow, a group acknowledgement and /baocao once on a fresh PostgreSQL database."""

from __future__ import annotations

from bot.services.people import Actor
from tests.handlers.office import LEADER_A, STAFF_1, STAFF_2, build_office
from tests.handlers.test_directives import GROUP_A, _group, directive_rows, send_payload, to_preview
from tests.storage.conftest import fresh_postgres_database


async def test_flow_send_group_acks_and_report_on_postgresql(postgres_url: str) -> None:
    async with (
        fresh_postgres_database(postgres_url, "directive_chat") as engine,
        build_office(engine) as office,
    ):
        await office.people.register_group(Actor.system(), _group(GROUP_A), office.ids["unit_a"], "Nhóm")
        preview = await to_preview(office)
        # The first choice is unit A: its three people in private and its registered group.
        assert "Sẽ gửi tới 4 cuộc trò chuyện (3 cá nhân, 1 nhóm)" in preview
        assert "4 cuộc trò chuyện" in await office.one(payload=await send_payload(office), user=LEADER_A)
        [draft] = await directive_rows(office)
        assert len(await office.outbox()) == 4
        first = await office.one(payload=f"ack:{draft.id}", user=STAFF_1)
        second = await office.one("đã nhận", user=STAFF_2)
        assert "Nguyễn Thị Một đã xác nhận" in first and "Trần Văn Hai đã xác nhận" in second
        report = await office.all(f"/baocao {draft.id}", user=LEADER_A)
        assert "Đang chờ gửi: 4" in report and "Đã xác nhận: 2/3" in report and "Lê Văn Lãnh" in report
