"""A small week of activity whose figures are known, written as real rows (questions, dossiers, directives,
feedback and guide activity).

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
    GuideHelp,
    Person,
    ProcedureRow,
    SessionFactory,
    Unit,
)
from bot.storage.models import FeedbackItem

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
        await _units_work(session)


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


# Feedback: (id, unit, filed, due, answered, rating, rated). Counted in the week: received 1, 2, 3, 6, 8, 9;
# answered 1, 2, 4, 9; overdue (came due in the week unanswered by then) 2, 3; ratings 5, 2, 4 (9's is rated
# the week after).
FEEDBACK: list[tuple[int, int, datetime, datetime, datetime | None, int | None, datetime | None]] = [
    (1, 10, local(30, 0, 5, month=11), local(3, 0, 5), local(1, 10), 5, local(1, 11)),
    (2, 10, local(1, 9), local(4, 9), local(5, 9), 2, local(5, 10)),  # answered late
    (3, 11, local(2, 9), local(5, 9), None, None, None),  # still open
    (4, 10, local(25, 9, month=11), local(30, 9, month=11), local(30, 8, month=11), 4, local(6, 23, 59)),
    (5, 10, local(24, 9, month=11), local(27, 9, month=11), None, None, None),  # came due the week before
    (6, 11, local(6, 23, 59), local(9, 23, 59), None, None, None),
    (7, 10, local(7, 0), local(10, 0), None, None, None),  # the week after
    (8, 10, local(4, 0), local(7, 0), None, None, None),  # comes due the first moment after the week
    (9, 11, local(3, 9), local(8, 9), local(4, 9), 3, local(7, 0, 30)),
]
FEEDBACK_RECEIVED, FEEDBACK_ANSWERED, FEEDBACK_OVERDUE = 6, 4, 2
FEEDBACK_RATINGS = (5, 2, 4)

GUIDE_AN, GUIDE_BE, GUIDE_CUONG = 20, 21, 22
# Guide activity: (guide, resident, procedure code, moment). An: 4 residents, 1.001 x3, 2.002, 3.003, 4.004;
# Bé: 2 residents (r1 is also An's, counted for each), 2.002 x2; Cường: only outside the week.
GUIDE_LOG: list[tuple[int, str, str, datetime]] = [
    (GUIDE_AN, "r1", "1.001", local(30, 0, 0, month=11)),  # the week's first moment
    (GUIDE_AN, "r1", "2.002", local(1, 9)),
    (GUIDE_AN, "r2", "1.001", local(2, 9)),
    (GUIDE_AN, "r3", "1.001", local(3, 9)),
    (GUIDE_AN, "r3", "3.003", local(3, 9, 5)),
    (GUIDE_AN, "r4", "4.004", local(4, 9)),
    (GUIDE_BE, "r5", "2.002", local(5, 9)),
    (GUIDE_BE, "r1", "2.002", local(6, 23, 59)),
    (GUIDE_BE, "r6", "1.001", local(7, 0)),  # the week after
    (GUIDE_BE, "r7", "1.001", local(29, 23, 59, month=11)),  # the week before
    (GUIDE_CUONG, "r8", "1.001", local(29, 23, month=11)),
]


async def _units_work(session: AsyncSession) -> None:
    """Two units' feedback and guides (ids clear of the digest tests' units and people)."""
    session.add_all(
        [
            Unit(id=10, name="Bộ phận một cửa xã An Phú", leader_id=None, tags=[], created_at=NOW),
            Unit(id=11, name="Tổ công nghệ số ấp 3", leader_id=None, tags=[], created_at=NOW),
        ]
    )
    await session.flush()
    for person_id, name, unit in (
        (GUIDE_AN, "Nguyễn Văn An", 10),
        (GUIDE_BE, "Bùi Thị Bé", 11),
        (GUIDE_CUONG, "Cao Văn Cường", 11),
    ):
        session.add(Person(id=person_id, name=name, role="guide", unit_id=unit, tags=[], created_at=NOW))
    for item_id, unit, filed, due, answered, rating, rated in FEEDBACK:
        session.add(
            FeedbackItem(
                id=item_id,
                kind="general",
                text="Góp ý",
                platform="zalo",
                chat_id=f"f{item_id}",
                user_id=f"f{item_id}",
                unit_id=unit,
                status="answered" if answered else "open",
                created_at=filed,
                due_at=due,
                answer="Trả lời" if answered else "",
                answered_at=answered,
                rating=rating,
                rated_at=rated,
            )
        )
    await session.flush()
    for guide, resident, code, at in GUIDE_LOG:
        unit = 10 if guide == GUIDE_AN else 11
        session.add(
            GuideHelp(
                guide_id=guide,
                unit_id=unit,
                platform="zalo",
                resident_id=resident,
                procedure_code=code,
                at=at,
            )
        )
