"""Shared set-up for the directive and people handler tests: real services on a migrated SQLite file.

Two units with a leader each, staff linked by numeric Telegram ids, an admin, and a resident who is
nobody; the real router (with flows) behind the real Dispatcher and the database-backed memory.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.app.core import build_dossiers
from bot.config import Config
from bot.markup import to_plain
from bot.messages import ChatRef, Incoming, Platform, Reply
from bot.routing import Dispatcher
from bot.services import Services
from bot.services.conversations import ConversationMemory
from bot.services.directives import DirectiveService
from bot.services.guide import ConsentService
from bot.services.people import Actor, PeopleService, Role
from bot.services.procedures import ProcedureService
from bot.services.unanswered import UnansweredService
from bot.storage import OutboxMessage, create_engine, session_factory
from bot.storage.migrate import upgrade_engine
from handlers import build_router, fallback
from knowledge.index import ProcedureIndex
from knowledge.model import Procedure
from tests.directive_service import directive_service
from tests.handlers.support import CENTRE, markup_problem

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
T0 = datetime(2030, 11, 20, 9, 0, tzinfo=HCM)
PROCEDURES = [Procedure(code="1.001193", name="Đăng ký khai sinh", level="Cấp xã", field="Hộ tịch")]

ADMIN, LEADER_A, STAFF_1, STAFF_2, LEADER_B, STAFF_3 = "100", "200", "301", "302", "400", "401"
RESIDENT = "999"


class Clock:
    """A settable clock shared by every service."""

    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Office:
    """The real dispatcher and services, the seeded people, and the database behind them."""

    engine: AsyncEngine
    svc: Services
    people: PeopleService
    directives: DirectiveService
    dispatcher: Dispatcher[Services]
    memory: ConversationMemory
    clock: Clock
    ids: dict[str, int]
    """Person ids by name key (admin, leader_a, staff_1, ...) and unit ids (unit_a, unit_b)."""

    async def say(
        self,
        text: str = "",
        *,
        user: str = RESIDENT,
        chat: str | None = None,
        group: bool = False,
        payload: str | None = None,
        platform: Platform = Platform.TELEGRAM,
        addressed: bool = True,
    ) -> list[Reply]:
        """Send one message (private chat id = user id unless ``chat``); return the replies."""
        ref = ChatRef(platform, chat or user, is_group=group)
        msg = Incoming(chat=ref, user_id=user, text=text, payload=payload, addressed=addressed)
        return await self.dispatcher.dispatch(msg)

    async def one(self, text: str = "", **kwargs: Any) -> str:
        """The single reply as plain text (its markup checked)."""
        [reply] = await self.say(text, **kwargs)
        assert markup_problem(reply.text) is None, reply.text
        return to_plain(reply.text)

    async def all(self, text: str = "", **kwargs: Any) -> str:
        """Every reply as plain text, joined (markup checked)."""
        replies = await self.say(text, **kwargs)
        for reply in replies:
            assert markup_problem(reply.text) is None, reply.text
        return "\n".join(to_plain(r.text) for r in replies)

    async def outbox(self, kind: str = "directive") -> list[OutboxMessage]:
        """Outbox rows of ``kind``."""
        async with session_factory(self.engine)() as session:
            rows = await session.execute(select(OutboxMessage).where(OutboxMessage.kind == kind))
            return list(rows.scalars())

    async def count(self, model: Any) -> int:
        """Rows of a table."""
        async with session_factory(self.engine)() as session:
            return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def link(
    people: PeopleService, person_id: int, user: str, platform: Platform = Platform.TELEGRAM
) -> None:
    """Invite and redeem through the service, as /dangky would."""
    invite = await people.invite(Actor.system(), person_id)
    result = await people.redeem(invite.code, platform, user, user)
    assert result.person is not None and result.person.id == person_id


@asynccontextmanager
async def build_office(engine: AsyncEngine) -> AsyncIterator[Office]:
    """Migrate ``engine``'s database and seed two units, their leaders and staff (linked), an admin."""
    await upgrade_engine(engine)
    sessions = session_factory(engine)
    clock = Clock()
    config = Config(centre=CENTRE)
    people = PeopleService(sessions, clock=clock)
    directives = directive_service(sessions, clock=clock, timezone=config.timezone)
    memory = ConversationMemory(sessions, clock=clock)
    dossiers, subscriptions = build_dossiers(config, sessions)
    svc = Services(
        config=config,
        procedures=ProcedureService(ProcedureIndex(PROCEDURES)),
        conversations=memory,
        dossiers=dossiers,
        subscriptions=subscriptions,
        people=people,
        directives=directives,
        unanswered=UnansweredService(sessions),
        guide=ConsentService(sessions, config.guide, clock=clock),
    )
    system = Actor.system()
    ids: dict[str, int] = {}
    unit_a = await people.create_unit(system, "Bộ phận một cửa")
    unit_b = await people.create_unit(system, "UBND xã")
    ids["unit_a"], ids["unit_b"] = unit_a.id, unit_b.id
    seed = [
        ("admin", "Quản Trị Viên", Role.ADMIN, None, ADMIN),
        ("leader_a", "Lê Văn Lãnh", Role.LEADER, unit_a.id, LEADER_A),
        ("staff_1", "Nguyễn Thị Một", Role.STAFF, unit_a.id, STAFF_1),
        ("staff_2", "Trần Văn Hai", Role.STAFF, unit_a.id, STAFF_2),
        ("leader_b", "Phạm Thị Bình", Role.LEADER, unit_b.id, LEADER_B),
        ("staff_3", "Hoàng Văn Ba", Role.STAFF, unit_b.id, STAFF_3),
    ]
    for key, name, role, unit_id, user in seed:
        person = await people.create_person(system, name, role, unit_id=unit_id)
        ids[key] = person.id
        await link(people, person.id, user)
    await people.set_unit_leader(system, unit_a.id, ids["leader_a"])
    await people.set_unit_leader(system, unit_b.id, ids["leader_b"])
    dispatcher = Dispatcher(build_router(flows=True), svc, memory, fallback, flows=memory)
    yield Office(engine, svc, people, directives, dispatcher, memory, clock, ids)


@pytest.fixture
async def office(tmp_path: Path) -> AsyncIterator[Office]:
    """The office on a migrated SQLite file."""
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'motcua.db'}")
    try:
        async with build_office(engine) as built:
            yield built
    finally:
        await engine.dispose()


def later(office: Office, **delta: float) -> None:
    """Move the shared clock on."""
    office.clock.now += timedelta(**delta)
