"""A small week of activity whose figures are known, written as real rows (questions, dossiers, directives).

The week is Monday 30/11/2026 to Sunday 06/12/2026 in Asia/Ho_Chi_Minh (UTC+7); the report is made on
Monday 07/12/2026 at 07:00 local. Rows just outside the week on either side must not count.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.report.questions import QuestionLog
from bot.storage import (
    Acknowledgement,
    Directive,
    DirectiveRecipient,
    Dossier,
    DossierRating,
    Person,
    ProcedureRow,
    SessionFactory,
)

VN = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime(2026, 12, 7, 7, 0, tzinfo=VN).astimezone(UTC)
COMMUNE = "UBND xã An Phú"
JUSTICE = "Sở Tư pháp"


def local(day: int, hour: int, minute: int = 0, month: int = 12) -> datetime:
    """A local moment of 2026, in UTC."""
    return datetime(2026, month, day, hour, minute, tzinfo=VN).astimezone(UTC)


# (local moment, channel, outcome, procedure code, agency, rating)
QUESTIONS: list[tuple[datetime, str, str, str, str, int | None]] = [
    (local(30, 0, 10, month=11), "telegram", "confident", "1.001", COMMUNE, 1),  # first minutes of the week
    (local(1, 9), "zalo", "confident", "1.001", COMMUNE, 1),
    (local(1, 10), "telegram", "confident", "1.001", COMMUNE, -1),
    (local(2, 14), "zalo", "confident", "2.002", JUSTICE, None),
    (local(3, 8), "telegram", "confident", "2.002", JUSTICE, None),
    (local(4, 16), "console", "confident", "3.003", COMMUNE, None),
    (local(5, 11), "telegram", "choices", "", "", None),
    (local(5, 12), "zalo", "choices", "", "", None),
    (local(6, 20), "telegram", "none", "", "", None),
    (local(6, 23, 59), "zalo", "none", "", "", None),
    (local(29, 23, 50, month=11), "telegram", "confident", "1.001", COMMUNE, None),  # the week before
    (local(7, 0, 5), "telegram", "confident", "2.002", JUSTICE, None),  # the week after
]
ASKED, CONFIDENT, CHOICES, NONE = 10, 6, 2, 2


async def seed(sessions: SessionFactory) -> None:
    """Write the week's rows."""
    for at, channel, outcome, code, agency, rating in QUESTIONS:
        log = QuestionLog(sessions, clock=lambda at=at: at)  # type: ignore[misc]
        entry = await log.record(channel, outcome, code, agency)  # type: ignore[arg-type]
        assert entry is not None
        if rating is not None:
            await log.rate(entry, rating == 1)
    async with sessions.begin() as session:
        for code, name in (
            ("1.001", "Đăng ký khai sinh"),
            ("2.002", "Chứng thực bản sao"),
            ("3.003", "Đăng ký thường trú"),
        ):
            session.add(
                ProcedureRow(code=code, name=name, data={}, content_hash="x", imported_at=NOW, updated_at=NOW)
            )
        _dossiers(session)
        await session.flush()
        await _directives(session)


def _dossier(
    code: str, received: datetime, due: datetime, resolved: datetime | None, agency: str = COMMUNE
) -> Dossier:
    return Dossier(
        code=code,
        agency=agency,
        received_at=received,
        due_at=due,
        first_due_at=due,
        status="tra_ket_qua" if resolved else "dang_xu_ly",
        status_at=resolved or received,
        resolved_at=resolved,
        updated_at=NOW,
    )


def _dossiers(session: AsyncSession) -> None:
    due = local(4, 17)
    session.add_all(
        [
            _dossier("000.00.24.H57-261130-0001", local(30, 9, month=11), due, local(3, 10)),  # early
            _dossier("000.00.24.H57-261201-0002", local(1, 9), due, local(4, 15)),  # on time
            _dossier("000.00.24.H57-261201-0003", local(1, 10), due, local(5, 9)),  # late
            _dossier("000.00.24.H57-261202-0004", local(2, 9), local(9, 17), None),  # open
            _dossier(
                "000.00.24.H57-261202-0005", local(2, 9), due, local(3, 9), JUSTICE
            ),  # early, other agency
            _dossier(
                "000.00.24.H57-261127-0006", local(27, 9, month=11), due, local(3, 9)
            ),  # received before
        ]
    )
    for code, score in (("000.00.24.H57-261130-0001", 5), ("000.00.24.H57-261201-0002", 3)):
        session.add(
            DossierRating(dossier_code=code, platform="telegram", user_id="9", score=score, created_at=NOW)
        )


async def _directives(session: AsyncSession) -> None:
    people = [Person(id=n, name=f"Cán bộ {n}", role="staff", tags=[], created_at=NOW) for n in (1, 2, 3)]
    session.add_all(people)
    await session.flush()
    sent = local(2, 8)
    session.add(
        Directive(
            id=1,
            title="Họp giao ban",
            body="Họp lúc 14:00",
            urgency="thuong",
            audience={"people": [1, 2, 3]},
            ack_required=True,
            schedule_kind="now",
            timezone="Asia/Ho_Chi_Minh",
            status="sent",
            last_occurrence="once",
            created_at=sent,
            updated_at=sent,
        )
    )
    await session.flush()
    for person in people:
        session.add(
            DirectiveRecipient(
                directive_id=1,
                occurrence="once",
                platform="telegram",
                chat_id=str(100 + person.id),
                person_id=person.id,
                status="queued",
                created_at=sent,
            )
        )
    await session.flush()
    for person_id, minutes in ((1, 30), (2, 90)):
        session.add(
            Acknowledgement(
                directive_id=1,
                occurrence="once",
                person_id=person_id,
                platform="telegram",
                chat_id=str(100 + person_id),
                at=sent + timedelta(minutes=minutes),
                how="button",
            )
        )
