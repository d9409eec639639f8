"""The dossier service: validation, order-tolerant idempotent apply, lookup, phone check, late notices."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.messages import Reply
from bot.services.dossiers.events import (
    LOCAL_TZ,
    DossierEventIn,
    DossierNotice,
    EventIdConflictError,
    InvalidEventError,
    Status,
    Timeliness,
    hash_phone,
    parse_event,
)
from bot.services.dossiers.service import DossierService
from bot.services.dossiers.views import timeliness
from bot.storage import Dossier, DossierEvent, DossierSubscription, OutboxMessage, SessionFactory

CODE = "000.00.24.H57-250722-0001"
OTHER = "000.00.24.H57-250722-0002"
T0 = datetime(2025, 7, 22, 8, 0, tzinfo=LOCAL_TZ)
DUE = datetime(2025, 7, 25, 17, 0, tzinfo=LOCAL_TZ)
PHONE = "0912345678"
KEY = "test-hash-key"


def render(notice: DossierNotice) -> Reply:
    """A neutral renderer: enough to see what was said about what."""
    due = notice.due_at.astimezone(UTC).isoformat() if notice.due_at else "-"
    return Reply(text=f"{notice.kind.value}|{notice.code}|{notice.status.value}|{due}|{notice.note}")


class Clock:
    """A settable clock."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def event(event_id: str, status: Status, at: datetime, code: str = CODE, **extra: Any) -> DossierEventIn:
    """An already-valid event."""
    return DossierEventIn(event_id=event_id, code=code, status=status, occurred_at=at, **extra)


def received(code: str = CODE, **extra: Any) -> DossierEventIn:
    """The receipt event that creates a dossier due at DUE."""
    fields: dict[str, Any] = {
        "procedure_code": "1.001193",
        "procedure_name": "Đăng ký khai sinh",
        "agency": "UBND xã A",
        "due_at": DUE,
        "online": True,
        "phone": PHONE,
    }
    fields.update(extra)
    return event(f"{code}-r", Status.RECEIVED, T0, code=code, **fields)


@pytest.fixture
def clock() -> Clock:
    return Clock(T0 + timedelta(hours=1))


@pytest.fixture
def service(sessions: SessionFactory, clock: Clock) -> DossierService:
    return DossierService(sessions, hash_key=KEY, render_notice=render, clock=clock)


async def subscribe(sessions: SessionFactory, chat_id: str, *, active: bool = True, code: str = CODE) -> None:
    """Subscribe a Telegram chat the way the chat feature does (a row)."""
    async with sessions.begin() as session:
        session.add(
            DossierSubscription(
                dossier_code=code,
                platform="telegram",
                chat_id=chat_id,
                is_group=False,
                user_id=chat_id,
                created_at=T0,
                active=active,
            )
        )


async def outbox(sessions: SessionFactory) -> list[OutboxMessage]:
    async with sessions() as session:
        return list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


# --- parse_event ------------------------------------------------------------------------------------

GOOD = {
    "event_id": "e-1",
    "code": " 000.00.24.h57-250722-0001 ",
    "status": "in_progress",
    "occurred_at": "2025-07-22T09:30:00",
    "note": "Đang thẩm định",
    "new_due_at": "2025-07-28",
    "procedure_code": "1.001193",
    "agency": "UBND xã A",
    "received_at": "2025-07-22T08:00:00+07:00",
    "due_at": "2025-07-25T17:00:00Z",
    "online": False,
    "phone": "+84 912 345 678",
    "unknown_field": [1, 2],
}


def test_parse_event_normalises_a_good_event() -> None:
    parsed = parse_event(GOOD)
    assert parsed.code == CODE
    assert parsed.status is Status.IN_PROGRESS
    assert parsed.occurred_at == datetime(2025, 7, 22, 9, 30, tzinfo=LOCAL_TZ)
    assert parsed.occurred_at.utcoffset() == timedelta(hours=7)
    assert parsed.new_due_at == datetime(2025, 7, 28, 23, 59, 59, tzinfo=LOCAL_TZ)
    assert parsed.due_at == datetime(2025, 7, 25, 17, 0, tzinfo=UTC)
    assert parsed.phone == PHONE
    assert parsed.online is False


def test_parse_event_names_every_bad_field() -> None:
    raw = {
        "event_id": "x" * 129,
        "code": "000.00.24.H57-250722-01",
        "status": "done",
        "occurred_at": "yesterday",
        "note": "n" * 2001,
        "new_due_at": 20250728,
        "procedure_code": ["1.001193"],
        "agency": {"name": "A"},
        "online": "yes",
        "phone": "12345",
    }
    with pytest.raises(InvalidEventError) as caught:
        parse_event(raw)
    fields = {e.field for e in caught.value.errors}
    assert fields == {
        "event_id",
        "code",
        "status",
        "occurred_at",
        "note",
        "new_due_at",
        "procedure_code",
        "agency",
        "online",
        "phone",
    }
    assert all(e.reason for e in caught.value.errors)


@pytest.mark.parametrize("raw", [{}, {"event_id": None, "code": 5, "status": True, "occurred_at": []}])
def test_parse_event_missing_and_mistyped_required_fields(raw: dict[str, Any]) -> None:
    with pytest.raises(InvalidEventError) as caught:
        parse_event(raw)
    assert {e.field for e in caught.value.errors} == {"event_id", "code", "status", "occurred_at"}


@pytest.mark.parametrize("raw", [None, [1], "text", 3])
def test_parse_event_refuses_what_is_not_an_object(raw: Any) -> None:
    with pytest.raises(InvalidEventError) as caught:
        parse_event(raw)
    assert caught.value.errors[0].field == "event"


# --- apply and lookup -------------------------------------------------------------------------------


async def test_first_event_creates_the_dossier_and_lookup_shows_it(service: DossierService) -> None:
    result = await service.apply([received()], source="push")
    assert (result.applied, result.created, result.duplicates) == (1, 1, 0)
    view = await service.lookup(CODE)
    assert view is not None
    assert view.status is Status.RECEIVED
    assert view.received_at == T0
    assert view.due_at == DUE
    assert view.procedure_name == "Đăng ký khai sinh"
    assert view.timeliness is Timeliness.PENDING
    assert [h.status for h in view.history] == [Status.RECEIVED]
    assert await service.lookup(OTHER) is None


async def test_duplicates_do_nothing(service: DossierService, sessions: SessionFactory) -> None:
    await service.apply([received()], source="push")
    again = await service.apply(
        [received(), event("e2", Status.IN_PROGRESS, T0 + timedelta(hours=1))] * 2, source="push"
    )
    assert (again.applied, again.duplicates, again.created) == (1, 3, 0)
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(DossierEvent)) == 2


async def test_out_of_order_status_follows_the_newest_and_history_is_complete(
    service: DossierService, sessions: SessionFactory
) -> None:
    events = [
        event("e3", Status.READY, T0 + timedelta(days=2), note="Nhận tại quầy 3"),
        received(),
        event("e2", Status.IN_PROGRESS, T0 + timedelta(days=1)),
    ]
    result = await service.apply(events, source="import")
    assert (result.applied, result.created, result.stale) == (3, 1, 2)
    view = await service.lookup(CODE)
    assert view is not None
    assert view.status is Status.READY
    assert view.note == "Nhận tại quầy 3"
    assert view.status_at == T0 + timedelta(days=2)
    assert [h.status for h in view.history] == [Status.READY, Status.IN_PROGRESS, Status.RECEIVED]
    # Created from the ready event, the dossier learns its details from the older receipt event.
    assert view.procedure_name == "Đăng ký khai sinh"
    assert view.due_at == DUE
    assert view.received_at == T0
    assert view.timeliness is Timeliness.EARLY


async def test_resolved_at_is_the_first_resolution_even_when_it_arrives_last(
    service: DossierService, sessions: SessionFactory
) -> None:
    await service.apply([received(), event("e4", Status.RETURNED, DUE + timedelta(days=1))], source="push")
    await service.apply([event("e3", Status.READY, DUE - timedelta(hours=1))], source="push")
    async with sessions() as session:
        dossier = await session.get(Dossier, CODE)
    assert dossier is not None
    assert dossier.status == "returned"
    assert dossier.resolved_at == DUE - timedelta(hours=1)
    view = await service.lookup(CODE)
    assert view is not None and view.timeliness is Timeliness.ON_TIME


async def test_equal_times_go_to_the_later_arrival(service: DossierService) -> None:
    at = T0 + timedelta(hours=2)
    await service.apply([received(), event("a", Status.IN_PROGRESS, at)], source="push")
    result = await service.apply([event("b", Status.SUPPLEMENT_REQUESTED, at)], source="push")
    assert result.stale == 0
    view = await service.lookup(CODE)
    assert view is not None and view.status is Status.SUPPLEMENT_REQUESTED


# --- notices ----------------------------------------------------------------------------------------


async def test_notices_go_to_active_subscribers_for_newer_events_only(
    service: DossierService, sessions: SessionFactory
) -> None:
    await service.apply([received(), received(OTHER)], source="push")
    await subscribe(sessions, "1")
    await subscribe(sessions, "2", active=False)
    await subscribe(sessions, "3", code=OTHER)
    result = await service.apply(
        [
            event("s1", Status.SUPPLEMENT_REQUESTED, T0 + timedelta(days=1), note="Thiếu bản sao CCCD"),
            event("s0", Status.IN_PROGRESS, T0 + timedelta(hours=5)),  # older: history only
            event("s2", Status.SUPPLEMENT_REQUESTED, T0 + timedelta(days=1, hours=1)),  # same status
        ],
        source="push",
    )
    assert (result.applied, result.stale, result.notices) == (3, 1, 1)
    [message] = await outbox(sessions)
    assert message.key == "dossier:s1:telegram:1"
    assert message.kind == "dossier.supplement"
    assert message.ref == CODE
    assert message.chat_id == "1"
    assert message.payload["text"].startswith(f"supplement|{CODE}|supplement_requested|")
    assert "Thiếu bản sao CCCD" in message.payload["text"]
    await service.apply(
        [
            event("r1", Status.READY, T0 + timedelta(days=2)),
            event("r2", Status.RETURNED, T0 + timedelta(days=3)),
            event("r3", Status.REJECTED, T0 + timedelta(days=3), code=OTHER),
        ],
        source="push",
    )
    kinds = [(m.key, m.kind) for m in await outbox(sessions)][1:]
    assert kinds == [
        ("dossier:r1:telegram:1", "dossier.ready"),
        ("dossier:r2:telegram:1", "dossier.returned"),
        ("dossier:r3:telegram:3", "dossier.status"),
    ]


async def test_a_late_dossier_apologises_once_per_subscriber_then_each_extension_tells_its_date(
    service: DossierService, sessions: SessionFactory, clock: Clock
) -> None:
    await service.apply([received(), received(OTHER)], source="push")
    await subscribe(sessions, "1")
    await subscribe(sessions, "2")
    await subscribe(sessions, "3", active=False)
    assert await service.mark_late() == 0  # not due yet
    clock.now = DUE + timedelta(minutes=1)
    assert await service.mark_late() == 2  # OTHER is late too, but nobody follows it
    assert await service.mark_late() == 0
    # The apology does not repeat the appointment just missed as a promise.
    for message in await outbox(sessions):
        assert message.payload["text"].split("|")[3] == "-"
    new_due = DUE + timedelta(days=3)
    extension = event("x1", Status.IN_PROGRESS, DUE + timedelta(hours=1), new_due_at=new_due)
    result = await service.apply([extension], source="push")
    assert result.notices == 4  # the status change and the new date, for each subscriber
    messages = await outbox(sessions)
    assert sorted((m.kind, m.key) for m in messages if m.kind != "dossier.status") == [
        ("dossier.extended", "dossier:x1:extended:telegram:1"),
        ("dossier.extended", "dossier:x1:extended:telegram:2"),
        ("dossier.late", f"dossier:{CODE}:late:telegram:1"),
        ("dossier.late", f"dossier:{CODE}:late:telegram:2"),
    ]
    told = [m for m in messages if m.kind == "dossier.extended"]
    assert all(new_due.astimezone(UTC).isoformat() in m.payload["text"] for m in told)
    # The same extension again is a duplicate; a second extension is told too.
    assert (await service.apply([extension], source="push")).notices == 0
    later_due = new_due + timedelta(days=2)
    second = event("x2", Status.IN_PROGRESS, DUE + timedelta(hours=2), new_due_at=later_due)
    assert (await service.apply([second], source="push")).notices == 2
    view = await service.lookup(CODE)
    assert view is not None and view.due_at == later_due
    clock.now = later_due + timedelta(days=1)
    assert await service.mark_late() == 0  # one apology per subscriber


async def test_an_extension_before_the_appointment_tells_the_new_date_and_the_apology_still_comes(
    service: DossierService, sessions: SessionFactory
) -> None:
    await service.apply([received(), event("p", Status.IN_PROGRESS, T0 + timedelta(hours=2))], source="push")
    await subscribe(sessions, "1")
    new_due = DUE + timedelta(days=2)
    extension = event("x", Status.IN_PROGRESS, T0 + timedelta(days=1), new_due_at=new_due, note="Xin lỗi")
    assert (await service.apply([extension], source="push")).notices == 1
    [message] = await outbox(sessions)
    assert message.key == "dossier:x:extended:telegram:1"
    assert message.kind == "dossier.extended"
    assert new_due.astimezone(UTC).isoformat() in message.payload["text"]
    clock_late = DossierService(
        sessions, hash_key=KEY, render_notice=render, clock=lambda: new_due + timedelta(seconds=1)
    )
    assert await clock_late.mark_late() == 1  # the new date was missed too: now the apology
    late = (await outbox(sessions))[-1]
    assert late.kind == "dossier.late" and late.payload["text"].split("|")[3] == "-"


# --- phone ------------------------------------------------------------------------------------------


async def test_phone_is_never_stored_in_clear(
    service: DossierService, db_url: str, sessions: SessionFactory
) -> None:
    await service.apply([received()], source="push")
    async with sessions() as session:
        dossier = await session.get(Dossier, CODE)
    assert dossier is not None
    assert dossier.phone_last4 == "5678"
    assert dossier.phone_hash == hash_phone(KEY, PHONE)
    database = Path(db_url.removeprefix("sqlite+aiosqlite:///"))
    stored = b"".join(p.read_bytes() for p in database.parent.glob(database.name + "*"))
    for form in (PHONE, PHONE[1:], "84" + PHONE[1:], "345678"):
        assert form.encode() not in stored


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("5678", True),
        ("1234", False),
        ("0912345678", True),
        ("+84 912 345 678", True),
        ("0912345679", False),
        ("", False),
        ("56７8", False),
        ("x" * 5000, False),
    ],
)
async def test_check_phone(service: DossierService, typed: str, expected: bool) -> None:
    await service.apply([received()], source="push")
    assert await service.check_phone(CODE, typed) is expected


async def test_check_phone_is_false_without_a_dossier_or_a_phone(service: DossierService) -> None:
    await service.apply([received(phone="")], source="push")
    assert await service.check_phone(CODE, "5678") is False
    assert await service.check_phone(OTHER, "5678") is False


# --- timeliness -------------------------------------------------------------------------------------


def _judge(status: Status, resolved: datetime | None, now: datetime = T0) -> Timeliness:
    return timeliness(status=status, due_at=DUE, resolved_at=resolved, status_at=resolved or T0, now=now)


def test_timeliness_rules() -> None:
    day_before = DUE - timedelta(days=1)
    assert _judge(Status.READY, day_before) is Timeliness.EARLY
    assert _judge(Status.READY, DUE.replace(hour=8)) is Timeliness.ON_TIME  # due day, before due time
    assert _judge(Status.RETURNED, DUE) is Timeliness.ON_TIME
    assert _judge(Status.READY, DUE + timedelta(minutes=1)) is Timeliness.LATE
    assert _judge(Status.IN_PROGRESS, None, now=DUE) is Timeliness.PENDING
    assert _judge(Status.IN_PROGRESS, None, now=DUE + timedelta(seconds=1)) is Timeliness.LATE
    # Early is by calendar day in Viet Nam: 23:30 UTC on the 24th is already the 25th there.
    assert _judge(Status.READY, datetime(2025, 7, 24, 17, 30, tzinfo=UTC)) is Timeliness.ON_TIME
    assert _judge(Status.READY, datetime(2025, 7, 24, 16, 30, tzinfo=UTC)) is Timeliness.EARLY
    undated = timeliness(status=Status.READY, due_at=None, resolved_at=T0, status_at=T0, now=T0)
    assert undated is Timeliness.ON_TIME
    withdrawn = timeliness(
        status=Status.WITHDRAWN, due_at=DUE, resolved_at=None, status_at=DUE + timedelta(days=1), now=T0
    )
    assert withdrawn is Timeliness.LATE


async def test_a_large_batch_is_applied_set_wise_with_the_same_rules(
    service: DossierService, sessions: SessionFactory
) -> None:
    await service.apply([received()], source="push")
    await subscribe(sessions, "1")
    codes = [f"000.00.24.H57-250801-{n:04d}" for n in range(1, 151)]  # more than one insert chunk
    news = [received(code) for code in codes]
    moves = [event(f"{code}-p", Status.IN_PROGRESS, T0 + timedelta(hours=1), code=code) for code in codes]
    followed = [
        event("a", Status.SUPPLEMENT_REQUESTED, T0 + timedelta(hours=2), note="Thiếu tờ khai"),
        event("b", Status.IN_PROGRESS, T0 + timedelta(hours=3), note="Đã bổ sung"),
        event("x1", Status.IN_PROGRESS, T0 + timedelta(hours=4), new_due_at=DUE + timedelta(days=1)),
        event("x2", Status.IN_PROGRESS, T0 + timedelta(hours=5), new_due_at=DUE + timedelta(days=2)),
        event("old", Status.RECEIVED, T0 + timedelta(minutes=1)),  # stale
    ]
    batch = news + moves + followed + news[:3] + [received()]  # the last four were already recorded
    result = await service.apply(batch, source="push")
    assert (result.applied, result.created, result.duplicates, result.stale) == (305, 150, 4, 1)
    assert result.notices == 4  # two status changes and two extensions, each telling its own date
    messages = await outbox(sessions)
    assert [m.key for m in messages] == [
        "dossier:a:telegram:1",
        "dossier:b:telegram:1",
        "dossier:x1:extended:telegram:1",
        "dossier:x2:extended:telegram:1",
    ]
    # Each notice tells the dossier as it stood after its own event, not after the whole batch.
    assert messages[0].payload["text"].endswith("|Thiếu tờ khai")
    assert messages[1].payload["text"].startswith(f"status|{CODE}|in_progress|")
    assert (DUE + timedelta(days=1)).astimezone(UTC).isoformat() in messages[2].payload["text"]
    assert (DUE + timedelta(days=2)).astimezone(UTC).isoformat() in messages[3].payload["text"]
    view = await service.lookup(codes[-1])
    assert view is not None and view.status is Status.IN_PROGRESS and view.due_at == DUE
    assert [h.status for h in view.history] == [Status.IN_PROGRESS, Status.RECEIVED]
    mine = await service.lookup(CODE)
    assert mine is not None and mine.status is Status.IN_PROGRESS
    assert mine.due_at == DUE + timedelta(days=2) and mine.note == "Đã bổ sung"  # kept: no note, same status
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(DossierEvent)) == 306
        assert await session.scalar(select(func.count()).select_from(Dossier)) == 151


async def test_an_extension_moves_the_appointment_but_the_dossier_still_counts_as_late(
    service: DossierService, sessions: SessionFactory, clock: Clock
) -> None:
    new_due = DUE + timedelta(days=5)
    extension = event("ext", Status.IN_PROGRESS, DUE - timedelta(hours=2), new_due_at=new_due, note="Gia hạn")
    await service.apply([received(), extension], source="push")
    clock.now = DUE + timedelta(days=1)
    view = await service.lookup(CODE)
    assert view is not None
    # Residents see the new date; the figures judge against the appointment given at receipt.
    assert view.due_at == new_due
    assert view.timeliness is Timeliness.LATE
    await service.apply([event("ready", Status.READY, DUE + timedelta(days=2))], source="push")
    view = await service.lookup(CODE)
    assert view is not None and view.timeliness is Timeliness.LATE
    async with sessions() as session:
        dossier = await session.get(Dossier, CODE)
        assert dossier is not None and dossier.first_due_at == DUE and dossier.due_at == new_due


async def test_the_receipt_appointment_wins_even_when_the_extension_arrives_first(
    service: DossierService, sessions: SessionFactory
) -> None:
    new_due = DUE + timedelta(days=5)
    extension = event("ext", Status.IN_PROGRESS, T0 + timedelta(days=2), new_due_at=new_due)
    await service.apply([extension], source="pull")
    await service.apply([received()], source="pull")
    async with sessions() as session:
        dossier = await session.get(Dossier, CODE)
        assert dossier is not None and dossier.first_due_at == DUE and dossier.due_at == new_due


# --- issue 14: what an attacker found --------------------------------------------------------------


def test_an_event_more_than_a_day_in_the_future_is_refused() -> None:
    now = datetime(2025, 7, 22, 12, 0, tzinfo=UTC)
    tomorrow = {**GOOD, "occurred_at": "2025-07-23T11:00:00Z", "received_at": None}
    assert parse_event(tomorrow, now=now).occurred_at == datetime(2025, 7, 23, 11, 0, tzinfo=UTC)
    for field, value in (
        ("occurred_at", "2199-01-01T00:00:00+07:00"),
        ("received_at", "2025-07-23T13:00:00Z"),
    ):
        with pytest.raises(InvalidEventError) as caught:
            parse_event({**GOOD, field: value}, now=now)
        assert [(e.field, e.reason) for e in caught.value.errors] == [
            (field, "must not be more than a day in the future")
        ]
    # Without a clock given, today's clock decides: the year 2199 is always refused.
    with pytest.raises(InvalidEventError):
        parse_event({**GOOD, "status": "rejected", "occurred_at": "2199-12-31"})


async def test_an_event_id_reused_with_other_content_is_refused_and_nothing_is_written(
    service: DossierService, sessions: SessionFactory
) -> None:
    await service.apply([received()], source="push")
    await subscribe(sessions, "1")
    reused = event(f"{CODE}-r", Status.REJECTED, T0 + timedelta(days=1))
    fine = event("e2", Status.IN_PROGRESS, T0 + timedelta(hours=3))
    with pytest.raises(EventIdConflictError) as caught:
        await service.apply([fine, reused], source="push")
    assert caught.value.positions == (1,) and caught.value.event_ids == (f"{CODE}-r",)
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(DossierEvent)) == 1
    view = await service.lookup(CODE)
    assert view is not None and view.status is Status.RECEIVED
    assert await outbox(sessions) == []
    # In one batch, the later of two contents for one id is the offender, even for a new dossier.
    twice = [event("n1", Status.RECEIVED, T0, code=OTHER), event("n1", Status.READY, T0, code=OTHER)]
    with pytest.raises(EventIdConflictError) as caught:
        await service.apply(twice, source="push")
    assert caught.value.positions == (1,)
    assert await service.lookup(OTHER) is None
    # The same id with the same content stays a harmless duplicate.
    again = await service.apply([received(), received()], source="push")
    assert (again.applied, again.duplicates) == (0, 2)


async def test_a_stale_receipt_changes_neither_the_receipt_nor_the_history(
    service: DossierService, sessions: SessionFactory
) -> None:
    await service.apply([received(), event("p", Status.IN_PROGRESS, T0 + timedelta(hours=2))], source="push")
    forged = event(
        "forged",
        Status.RECEIVED,
        T0 - timedelta(days=5),
        received_at=T0 - timedelta(days=5),
        due_at=DUE - timedelta(days=5),
    )
    result = await service.apply([forged], source="push")
    assert (result.applied, result.stale) == (1, 1)
    view = await service.lookup(CODE)
    assert view is not None
    assert view.received_at == T0 and view.due_at == DUE
    assert [h.status for h in view.history] == [Status.IN_PROGRESS, Status.RECEIVED]
    assert view.timeliness is Timeliness.PENDING
    async with sessions() as session:
        dossier = await session.get(Dossier, CODE)
        assert dossier is not None and dossier.first_due_at == DUE
    # A receipt after a supplement request, newer than everything known, is news: it is shown.
    back = event("back", Status.RECEIVED, T0 + timedelta(days=1))
    await service.apply([back], source="push")
    view = await service.lookup(CODE)
    assert view is not None and view.status is Status.RECEIVED and view.received_at == T0
    assert [h.status for h in view.history] == [Status.RECEIVED, Status.IN_PROGRESS, Status.RECEIVED]
