"""Dossier status: apply events from every way in, look dossiers up, and tell subscribers what changed.

Rules the service keeps:

- **Idempotent by event id.** An event whose ``event_id`` is already recorded does nothing; the unique
  constraint decides (``INSERT ... ON CONFLICT DO NOTHING``), so two processes applying the same event at
  once cannot both apply it.
- **Order-tolerant.** Every event goes into the history. The current status moves only to the newest
  event by ``occurred_at`` (an equal time goes to the later arrival); an older event is *stale*: recorded,
  status unchanged, nobody told. ``resolved_at`` is the earliest ``occurred_at`` of any resolved status.
  ``new_due_at`` is taken from non-stale events only, so an old extension arriving late cannot undo a
  newer one.
- **Notices in the same transaction.** A newer event that changes the status writes one outbox row per
  active subscription (key ``dossier:{event_id}:{platform}:{chat_id}``). An extension (a later
  ``new_due_at`` while the dossier is open) and :meth:`DossierService.mark_late` share the key
  ``dossier:{code}:late:{platform}:{chat_id}``, so a late dossier apologises once per subscriber.
- **Timeliness** (see :func:`timeliness`): "trước hạn / đúng hạn / quá hạn" against the appointment.
- **No phone in clear.** Only HMAC-SHA256(hash_key, national number) and its last 4 digits are stored.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, nullcontext
from dataclasses import dataclass, field, fields
from datetime import date, datetime, time
from enum import StrEnum
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import Select, Table, TextClause, and_, bindparam, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from bot.messages import ChatRef, Platform, Reply
from bot.outbox import Outgoing, enqueue_many
from bot.services.dossier_types import (
    OPEN_STATUSES,
    RESOLVED_STATUSES,
    DossierEventIn,
    DossierNotice,
    NoticeKind,
    Status,
    Timeliness,
    normalize_receipt_code,
)
from bot.storage import Dossier, DossierEvent, DossierSubscription, OutboxMessage, SessionFactory
from bot.storage.bulk import insert_new
from bot.storage.columns import utcnow
from bot.storage.engine import begin_write

NoticeRenderer = Callable[[DossierNotice], Reply]
"""Turns a notice into words; the composition root passes the handlers' renderer (services have no texts)."""

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
"""Where dossiers live: naive times and calendar days are read here."""

MAX_EVENT_ID = 128
MAX_NOTE = 2000
MAX_PROCEDURE_CODE = 64
MAX_TEXT = 1000
"""Procedure name, agency and result delivery: generous, but bounded."""
END_OF_DAY = time(23, 59, 59)
_PHONE_SEPARATORS = re.compile(r"[\s.\-()]")


@dataclass(frozen=True, slots=True)
class FieldError:
    """One invalid field of an incoming event: its name (dotted path) and why."""

    field: str
    reason: str


class InvalidEventError(ValueError):
    """An incoming event failed validation; ``errors`` say which fields and why."""

    def __init__(self, errors: Sequence[FieldError]) -> None:
        super().__init__("; ".join(f"{e.field}: {e.reason}" for e in errors))
        self.errors = tuple(errors)


def normalize_phone(value: str) -> str | None:
    """Return a phone number in national form (leading 0, digits only), or None if it is not one.

    Spaces, dots, dashes and brackets are ignored; a ``+84`` (or ``84`` before 9 digits) country code
    becomes ``0``. After removing spaces and the country code there must be 9 to 11 digits.
    """
    text = _PHONE_SEPARATORS.sub("", value)
    if text.startswith("+84"):
        text = text[3:]
    elif text.startswith("84") and len(text) == 11:
        text = text[2:]
    if not text.isascii() or not text.isdigit() or not 9 <= len(text) <= 11:
        return None
    return text if text.startswith("0") else "0" + text


def hash_phone(hash_key: str, phone: str) -> str:
    """Return the keyed hash (HMAC-SHA256, hex) of a phone number in national form."""
    return hmac.new(hash_key.encode(), phone.encode(), hashlib.sha256).hexdigest()


def _as_local(moment: datetime) -> datetime:
    return moment.replace(tzinfo=LOCAL_TZ) if moment.tzinfo is None else moment


def timeliness(
    *,
    status: Status,
    due_at: datetime | None,
    resolved_at: datetime | None,
    status_at: datetime,
    now: datetime,
) -> Timeliness:
    """Judge a dossier against its appointment ("trước hạn / đúng hạn / quá hạn").

    Resolved (``resolved_at`` set): LATE if resolved after ``due_at``; EARLY if resolved on a calendar day
    (Asia/Ho_Chi_Minh) before the due date's day; otherwise ON_TIME (on the due day, by the due time).
    Open: LATE once ``now`` is past ``due_at``, else PENDING. Withdrawn without a result: LATE if withdrawn
    after ``due_at``, else PENDING (not judged). Without a due date: ON_TIME if resolved, else PENDING.
    """
    if resolved_at is not None:
        if due_at is None:
            return Timeliness.ON_TIME
        if resolved_at > due_at:
            return Timeliness.LATE
        if resolved_at.astimezone(LOCAL_TZ).date() < due_at.astimezone(LOCAL_TZ).date():
            return Timeliness.EARLY
        return Timeliness.ON_TIME
    if due_at is None:
        return Timeliness.PENDING
    moment = now if status in OPEN_STATUSES else status_at
    return Timeliness.LATE if moment > due_at else Timeliness.PENDING


# --- validation -------------------------------------------------------------------------------------


class _Fields:
    """Reads one raw event, collecting every problem instead of stopping at the first."""

    def __init__(self, raw: Mapping[str, Any]) -> None:
        self.raw = raw
        self.errors: list[FieldError] = []

    def fail(self, name: str, reason: str) -> None:
        self.errors.append(FieldError(name, reason))

    def text(self, name: str, *, required: bool = False, max_len: int = MAX_TEXT) -> str | None:
        value = self.raw.get(name)
        if value is None:
            if required:
                self.fail(name, "is required")
            return None
        if not isinstance(value, str):
            self.fail(name, f"must be a string, not {_json_type(value)}")
            return None
        if len(value) > max_len:
            self.fail(name, f"must be at most {max_len} characters")
            return None
        return value

    def moment(
        self, name: str, *, required: bool = False, date_means_end_of_day: bool = False
    ) -> datetime | None:
        value = self.text(name, required=required, max_len=64)
        if value is None:
            return None
        parsed = parse_datetime(value, date_means_end_of_day=date_means_end_of_day)
        if parsed is None:
            self.fail(name, "must be an ISO 8601 date-time, e.g. 2025-07-22T08:30:00+07:00")
        return parsed


def parse_datetime(value: str, *, date_means_end_of_day: bool = False) -> datetime | None:
    """Parse ISO 8601; a naive value is Asia/Ho_Chi_Minh; a bare date is midnight (or 23:59:59)."""
    text = value.strip()
    if not text:
        return None
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            moment = datetime.combine(day, END_OF_DAY if date_means_end_of_day else time())
        else:
            moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if not 1970 <= moment.year <= 2200:
        return None
    return _as_local(moment)


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, Mapping):
        return "an object"
    return type(value).__name__


def parse_event(raw: Mapping[str, Any]) -> DossierEventIn:
    """Validate one event as the push API, the pull source and JSON Lines import receive it.

    Raises :class:`InvalidEventError` naming every bad field. Dates are ISO 8601 with an offset
    (a naive date-time is read in Asia/Ho_Chi_Minh; a bare date is midnight, or the end of that day for
    ``due_at`` and ``new_due_at``). ``null`` on an optional field means absent; unknown fields are ignored.
    """
    if not isinstance(raw, Mapping):
        raise InvalidEventError([FieldError("event", f"must be an object, not {_json_type(raw)}")])
    fields = _Fields(raw)
    event_id = fields.text("event_id", required=True, max_len=MAX_EVENT_ID)
    if event_id is not None and not event_id.strip():
        fields.fail("event_id", "must not be empty")
        event_id = None
    raw_code = fields.text("code", required=True, max_len=64)
    code = normalize_receipt_code(raw_code) if raw_code is not None else None
    if raw_code is not None and code is None:
        fields.fail("code", "must be a receipt code like 000.00.24.H57-250722-0001")
    raw_status = fields.text("status", required=True, max_len=64)
    status: Status | None = None
    if raw_status is not None:
        try:
            status = Status(raw_status.strip().lower())
        except ValueError:
            fields.fail("status", "must be one of " + ", ".join(s.value for s in Status))
    occurred_at = fields.moment("occurred_at", required=True)
    note = fields.text("note", max_len=MAX_NOTE) or ""
    new_due_at = fields.moment("new_due_at", date_means_end_of_day=True)
    procedure_code = fields.text("procedure_code", max_len=MAX_PROCEDURE_CODE) or ""
    procedure_name = fields.text("procedure_name") or ""
    agency = fields.text("agency") or ""
    received_at = fields.moment("received_at")
    due_at = fields.moment("due_at", date_means_end_of_day=True)
    result_delivery = fields.text("result_delivery") or ""
    online = raw.get("online")
    if online is not None and not isinstance(online, bool):
        fields.fail("online", f"must be true or false, not {_json_type(online)}")
        online = None
    raw_phone = fields.text("phone", max_len=32)
    phone = ""
    if raw_phone is not None and raw_phone.strip():
        normalized = normalize_phone(raw_phone)
        if normalized is None:
            fields.fail("phone", "must be a phone number of 9 to 11 digits")
        else:
            phone = normalized
    if fields.errors or event_id is None or code is None or status is None or occurred_at is None:
        raise InvalidEventError(fields.errors)
    return DossierEventIn(
        event_id=event_id,
        code=code,
        status=status,
        occurred_at=occurred_at,
        note=note,
        new_due_at=new_due_at,
        procedure_code=procedure_code.strip(),
        procedure_name=procedure_name.strip(),
        agency=agency.strip(),
        received_at=received_at,
        due_at=due_at,
        result_delivery=result_delivery.strip(),
        online=online,
        phone=phone,
    )


# --- results and views ------------------------------------------------------------------------------


class Outcome(StrEnum):
    """What applying one event did."""

    APPLIED = "applied"
    STALE = "stale"
    """Recorded in the history, but older than the current status: the status did not move."""
    DUPLICATE = "duplicate"


@dataclass(frozen=True, slots=True)
class ApplyResult:
    """What applying a batch of events did."""

    applied: int = 0
    duplicates: int = 0
    """Events whose id was already recorded: nothing happened."""
    stale: int = 0
    """Events older than the dossier's current status: recorded in its history, status unchanged."""
    created: int = 0
    """Dossiers created by these events."""
    notices: int = 0
    """Outbox messages written for subscribers."""
    outcomes: tuple[Outcome, ...] = ()
    """What happened to each event, in the order given: lets a caller that merged several requests into
    one call answer each request for its own events."""

    def part(self, start: int, stop: int) -> ApplyResult:
        """The counts of the events at ``start:stop`` only (created and notices are not split)."""
        mine = self.outcomes[start:stop]
        stale = mine.count(Outcome.STALE)
        return ApplyResult(
            applied=mine.count(Outcome.APPLIED) + stale,
            duplicates=mine.count(Outcome.DUPLICATE),
            stale=stale,
            outcomes=mine,
        )


@dataclass(frozen=True, slots=True)
class StatusEntry:
    """One line of a dossier's history as shown to the public (no personal data)."""

    at: datetime
    status: Status
    note: str = ""


@dataclass(frozen=True, slots=True)
class DossierView:
    """What anyone holding a receipt code may see: status only, never personal data."""

    code: str
    procedure_code: str
    procedure_name: str
    agency: str
    received_at: datetime
    due_at: datetime | None
    status: Status
    status_at: datetime
    timeliness: Timeliness
    result_delivery: str
    note: str
    history: tuple[StatusEntry, ...] = field(default=())


_NOTICE_KINDS = {
    Status.READY: NoticeKind.READY,
    Status.SUPPLEMENT_REQUESTED: NoticeKind.SUPPLEMENT,
    Status.RETURNED: NoticeKind.RETURNED,
}


def notice_kind(status: Status) -> NoticeKind:
    """Return what a subscriber is told when a dossier reaches ``status``."""
    return _NOTICE_KINDS.get(status, NoticeKind.STATUS)


def late_key(code: str, platform: str, chat_id: str) -> str:
    """Return the outbox key of a dossier's one apology for being late, per subscriber."""
    return f"dossier:{code}:late:{platform}:{chat_id}"


@dataclass
class _Counts:
    applied: int = 0
    duplicates: int = 0
    stale: int = 0
    created: int = 0
    notices: int = 0
    outcomes: list[Outcome] = field(default_factory=list)


@dataclass(slots=True)
class _Row:
    """A dossier's columns while a batch is applied; changed rows are written back in one statement."""

    code: str
    procedure_code: str
    procedure_name: str
    agency: str
    received_at: datetime
    due_at: datetime | None
    first_due_at: datetime | None
    status: str
    status_at: datetime
    resolved_at: datetime | None
    result_delivery: str
    online: bool
    phone_hash: str
    phone_last4: str
    note: str
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class _Told:
    """What one applied event tells the dossier's subscribers (notices taken as the dossier stood then)."""

    event_id: str
    code: str
    change: DossierNotice | None
    late: DossierNotice | None


class DossierService:
    """Apply dossier events idempotently, look dossiers up, and notify subscribers through the outbox."""

    def __init__(
        self,
        sessions: SessionFactory,
        *,
        hash_key: str,
        render_notice: NoticeRenderer,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self._sessions = sessions
        self._hash_key = hash_key
        self._render = render_notice
        self._clock = clock
        self._lock: asyncio.Lock | None = None
        self._lock_loop: asyncio.AbstractEventLoop | None = None

    def _now(self) -> datetime:
        return self._clock() if self._clock is not None else utcnow()

    def hash_phone(self, phone: str) -> str:
        """Return the keyed hash stored for ``phone`` (already in national form)."""
        return hash_phone(self._hash_key, phone)

    def _write_lock(self, session: AsyncSession) -> AbstractAsyncContextManager[Any]:
        """On SQLite, queue this process's writers here rather than in SQLite's sleeping busy handler."""
        if session.get_bind().dialect.name != "sqlite":
            return nullcontext()
        loop = asyncio.get_running_loop()
        if self._lock is None or self._lock_loop is not loop:
            self._lock, self._lock_loop = asyncio.Lock(), loop
        return self._lock

    async def apply(self, events: Iterable[DossierEventIn], *, source: str) -> ApplyResult:
        """Apply events in one transaction: idempotent by event id, order-tolerant, notifying subscribers."""
        batch = list(events)
        counts = _Counts()
        if batch:
            async with self._sessions() as session, self._write_lock(session), session.begin():
                await begin_write(session)
                # Core statements on the connection: the ORM session adds nothing but time here.
                connection = await session.connection()
                await self._apply_batch(session, connection, batch, source[:16], self._now(), counts)
        return ApplyResult(
            applied=counts.applied,
            duplicates=counts.duplicates,
            stale=counts.stale,
            created=counts.created,
            notices=counts.notices,
            outcomes=tuple(counts.outcomes),
        )

    async def _apply_batch(
        self,
        session: AsyncSession,
        connection: AsyncConnection,
        batch: list[DossierEventIn],
        source: str,
        now: datetime,
        counts: _Counts,
    ) -> None:
        """Apply a batch with a handful of statements whatever its size (set-wise, not event by event)."""
        fresh: list[DossierEventIn] = []
        positions: list[int] = []
        seen: set[str] = set()
        counts.outcomes = [Outcome.DUPLICATE] * len(batch)
        for position, event in enumerate(batch):
            if event.event_id in seen:
                counts.duplicates += 1
            else:
                seen.add(event.event_id)
                fresh.append(event)
                positions.append(position)
        rows, creators, subscribers = await self._load_or_create(connection, fresh, now)
        recorded = await insert_new(
            connection,
            _EVENTS,
            "event_id",
            [
                {
                    "event_id": event.event_id,
                    "dossier_code": event.code,
                    "occurred_at": event.occurred_at,
                    "status": event.status.value,
                    "note": event.note,
                    "new_due_at": event.new_due_at,
                    "source": source,
                    "recorded_at": now,
                }
                for event in fresh
            ],
        )
        changed_rows: dict[str, _Row] = {}
        told: list[_Told] = []
        for position, event in zip(positions, fresh, strict=True):
            if event.event_id not in recorded:
                counts.duplicates += 1
                continue
            counts.applied += 1
            counts.outcomes[position] = Outcome.APPLIED
            if creators.get(event.code) is event:
                counts.created += 1
                continue
            row = rows[event.code]
            changed_rows[row.code] = row
            stale_before = counts.stale
            notice = self._apply_one(row, event, now, counts)
            if counts.stale > stale_before:
                counts.outcomes[position] = Outcome.STALE
            if notice is not None:
                told.append(notice)
        if changed_rows:
            await connection.execute(
                _UPDATE_DOSSIER, [_row_params(changed_rows[code]) for code in sorted(changed_rows)]
            )
        if told:
            await self._tell(session, told, subscribers, counts)

    async def _load_or_create(
        self, session: AsyncConnection, fresh: list[DossierEventIn], now: datetime
    ) -> tuple[dict[str, _Row], dict[str, DossierEventIn], dict[str, list[ChatRef]]]:
        """Lock the batch's dossiers and create the missing ones, all in code order.

        One order for every transaction means two concurrent batches on PostgreSQL wait for each other
        instead of deadlocking. A new dossier is created from the first event of the batch naming it;
        returns the dossiers by code, for those this call created the event each came from, and the
        active subscribers of each dossier (read with it: one statement fewer per batch).
        """
        firsts: dict[str, DossierEventIn] = {}
        for event in fresh:
            firsts.setdefault(event.code, event)
        codes = sorted(firsts)
        rows, subscribers = await _load_rows(session, codes)
        missing = [code for code in codes if code not in rows]
        creators: dict[str, DossierEventIn] = {}
        if not missing:
            return rows, creators, subscribers
        values = {code: self._new_dossier(firsts[code], now) for code in missing}
        inserted = await insert_new(session, _DOSSIERS, "code", [values[code] for code in missing])
        for code in missing:
            if code in inserted:
                rows[code] = _Row(**values[code])
                creators[code] = firsts[code]
        lost = [code for code in missing if code not in inserted]
        if lost:
            # Other transactions created these meanwhile: their insert is committed; lock and read them.
            late_rows, late_subscribers = await _load_rows(session, lost)
            rows.update(late_rows)
            subscribers.update(late_subscribers)
        return rows, creators, subscribers

    def _apply_one(self, row: _Row, event: DossierEventIn, now: datetime, counts: _Counts) -> _Told | None:
        """Apply one recorded event to its dossier; what to tell subscribers, if anything."""
        previous_status = Status(row.status)
        previous_due = row.due_at
        if event.status in RESOLVED_STATUSES and (
            row.resolved_at is None or event.occurred_at < row.resolved_at
        ):
            row.resolved_at = event.occurred_at
        stale = event.occurred_at < row.status_at
        self._describe(row, event, newest=not stale)
        row.updated_at = now
        if stale:
            counts.stale += 1
            return None
        row.status = event.status.value
        row.status_at = event.occurred_at
        if event.note or event.status != previous_status:
            row.note = event.note
        extended = False
        if event.new_due_at is not None:
            extended = (
                previous_due is not None and event.new_due_at > previous_due and event.status in OPEN_STATUSES
            )
            row.due_at = event.new_due_at
            if row.first_due_at is None:
                row.first_due_at = event.new_due_at
        changed = event.status != previous_status
        if not changed and not extended:
            return None
        return _Told(
            event_id=event.event_id,
            code=row.code,
            change=_notice(notice_kind(event.status), row) if changed else None,
            late=_notice(NoticeKind.LATE, row) if extended else None,
        )

    async def _tell(
        self,
        session: AsyncSession,
        told: list[_Told],
        subscribers: dict[str, list[ChatRef]],
        counts: _Counts,
    ) -> None:
        """Queue the batch's notices for every active subscriber (one batched insert)."""
        messages: list[Outgoing] = []
        replies: dict[int, Reply] = {}

        def add(key: str, chat: ChatRef, notice: DossierNotice) -> None:
            reply = replies.get(id(notice))
            if reply is None:
                reply = replies[id(notice)] = self._render(notice)
            messages.append(Outgoing(key, chat, reply, f"dossier.{notice.kind.value}", notice.code))

        for entry in told:
            for chat in subscribers.get(entry.code, ()):
                if entry.change is not None:
                    add(f"dossier:{entry.event_id}:{chat.platform.value}:{chat.chat_id}", chat, entry.change)
                if entry.late is not None:
                    add(late_key(entry.code, chat.platform.value, chat.chat_id), chat, entry.late)
        if messages:
            counts.notices += await enqueue_many(session, messages)

    def _new_dossier(self, event: DossierEventIn, now: datetime) -> dict[str, Any]:
        return {
            "code": event.code,
            "procedure_code": event.procedure_code,
            "procedure_name": event.procedure_name,
            "agency": event.agency,
            "received_at": event.received_at or event.occurred_at,
            "due_at": event.new_due_at or event.due_at,
            "first_due_at": event.due_at or event.new_due_at,
            "status": event.status.value,
            "status_at": event.occurred_at,
            "resolved_at": event.occurred_at if event.status in RESOLVED_STATUSES else None,
            "result_delivery": event.result_delivery,
            "online": bool(event.online),
            "phone_hash": self.hash_phone(event.phone) if event.phone else "",
            "phone_last4": event.phone[-4:] if event.phone else "",
            "note": event.note,
            "updated_at": now,
        }

    def _describe(self, dossier: _Row, event: DossierEventIn, *, newest: bool) -> None:
        """Take descriptive fields from an event: a newer event overwrites, an older one only fills gaps."""
        for name in ("procedure_code", "procedure_name", "agency", "result_delivery"):
            value = getattr(event, name)
            if value and (newest or not getattr(dossier, name)):
                setattr(dossier, name, value)
        if event.received_at is not None:
            dossier.received_at = event.received_at
        elif event.occurred_at < dossier.received_at:
            # No receipt time given: a dossier was received no later than its earliest event.
            dossier.received_at = event.occurred_at
        if event.due_at is not None and dossier.due_at is None:
            dossier.due_at = event.due_at
        if event.due_at is not None and (dossier.first_due_at is None or not newest):
            # The receipt's appointment, however late its event arrives; extensions never move it.
            dossier.first_due_at = event.due_at
        if event.online is not None and (newest or not dossier.online):
            dossier.online = event.online
        if event.phone and (newest or not dossier.phone_hash):
            dossier.phone_hash = self.hash_phone(event.phone)
            dossier.phone_last4 = event.phone[-4:]

    async def lookup(self, code: str) -> DossierView | None:
        """Return the public view of a dossier (``code`` already validated), or None if unknown."""
        # One statement (the dossier joined to its events), read as plain rows: each round trip to the
        # database costs more than the rows themselves.
        async with self._sessions() as session:
            rows = (await session.execute(_LOOKUP, {"code": code})).all()
        if not rows:
            return None
        first = rows[0]
        status = Status(first.status)
        history = tuple(
            StatusEntry(at=row.event_at, status=Status(row.event_status), note=row.event_note)
            for row in rows
            if row.event_at is not None
        )
        return DossierView(
            code=first.code,
            procedure_code=first.procedure_code,
            procedure_name=first.procedure_name,
            agency=first.agency,
            received_at=first.received_at,
            due_at=first.due_at,
            status=status,
            status_at=first.status_at,
            timeliness=timeliness(
                status=status,
                # The receipt's appointment: a dossier resolved by its extended date was still late.
                due_at=first.first_due_at or first.due_at,
                resolved_at=first.resolved_at,
                status_at=first.status_at,
                now=self._now(),
            ),
            result_delivery=first.result_delivery,
            note=first.note,
            history=history,
        )

    async def check_phone(self, code: str, digits: str) -> bool:
        """Check in constant time what a user typed: the last 4 digits, or the whole number (keyed hash).

        False for an unknown dossier or one stored without a phone; lockout is the caller's business.
        """
        typed = _PHONE_SEPARATORS.sub("", digits or "")[:32]
        async with self._sessions() as session:
            row = (
                await session.execute(
                    select(Dossier.phone_hash, Dossier.phone_last4).where(Dossier.code == code)
                )
            ).one_or_none()
        if row is None or not row.phone_hash or not row.phone_last4:
            return False
        if len(typed) == 4:
            return typed.isascii() and typed.isdigit() and hmac.compare_digest(typed, row.phone_last4)
        phone = normalize_phone(typed)
        if phone is None:
            return False
        return hmac.compare_digest(self.hash_phone(phone), row.phone_hash)

    async def mark_late(self) -> int:
        """Tell subscribers of every open dossier past its due date, once per due date; return notices."""
        now = self._now()
        async with self._sessions() as session, self._write_lock(session), session.begin():
            await begin_write(session)
            # Driven by the followed dossiers (few) rather than by every open one (many).
            followed = sorted(
                await session.scalars(
                    select(DossierSubscription.dossier_code)
                    .where(DossierSubscription.active.is_(True))
                    .distinct()
                )
            )
            already_told = (
                select(OutboxMessage.id)
                .where(
                    OutboxMessage.ref == Dossier.code,
                    OutboxMessage.kind == f"dossier.{NoticeKind.LATE.value}",
                    OutboxMessage.platform == DossierSubscription.platform,
                    OutboxMessage.chat_id == DossierSubscription.chat_id,
                )
                .exists()
            )
            rows: list[Any] = []
            for start in range(0, len(followed), _LOAD_CHUNK):
                result = await session.execute(
                    select(
                        Dossier,
                        DossierSubscription.platform,
                        DossierSubscription.chat_id,
                        DossierSubscription.is_group,
                    )
                    .join(DossierSubscription, DossierSubscription.dossier_code == Dossier.code)
                    .where(
                        Dossier.code.in_(followed[start : start + _LOAD_CHUNK]),
                        DossierSubscription.active.is_(True),
                        # ``|| ''`` keeps the planner on the primary key: without statistics SQLite would
                        # rather walk the status (or due date) index over every open dossier.
                        Dossier.status.concat("").in_(sorted(s.value for s in OPEN_STATUSES)),
                        ~already_told,
                    )
                    .order_by(Dossier.code, DossierSubscription.id)
                )
                rows.extend(row for row in result if row[0].due_at is not None and row[0].due_at < now)
            messages = []
            for dossier, platform, chat_id, is_group in rows:
                try:
                    chat = ChatRef(Platform(platform), chat_id, is_group)
                except ValueError:
                    continue
                reply = self._render(_notice(NoticeKind.LATE, dossier))
                key = late_key(dossier.code, platform, chat_id)
                messages.append(Outgoing(key, chat, reply, f"dossier.{NoticeKind.LATE.value}", dossier.code))
            return await enqueue_many(session, messages)


_LOAD_CHUNK = 500
_DOSSIERS = cast(Table, Dossier.__table__)
_EVENTS = cast(Table, DossierEvent.__table__)
_DOSSIER_COLUMNS = tuple(f.name for f in fields(_Row))


def _rows_statement(*, lock: bool) -> Select[Any]:
    subscriptions = cast(Table, DossierSubscription.__table__)
    query = (
        select(
            *(_DOSSIERS.c[name] for name in _DOSSIER_COLUMNS),
            subscriptions.c.platform,
            subscriptions.c.chat_id,
            subscriptions.c.is_group,
        )
        .outerjoin(
            subscriptions,
            and_(subscriptions.c.dossier_code == _DOSSIERS.c.code, subscriptions.c.active.is_(True)),
        )
        .where(_DOSSIERS.c.code.in_(bindparam("codes", expanding=True)))
        .order_by(_DOSSIERS.c.code, subscriptions.c.id)
    )
    return query.with_for_update(of=_DOSSIERS) if lock else query


_SELECT_ROWS = _rows_statement(lock=False)
_SELECT_ROWS_LOCKED = _rows_statement(lock=True)


async def _load_rows(
    session: AsyncConnection, codes: list[str]
) -> tuple[dict[str, _Row], dict[str, list[ChatRef]]]:
    """Load dossiers by code with their active subscribers (each list in subscription order).

    On PostgreSQL the dossiers' rows are locked in code order, so two batches cannot deadlock. SQLite
    needs no row lock: the transaction already holds the database's write lock.
    """
    query = _SELECT_ROWS_LOCKED if session.dialect.name == "postgresql" else _SELECT_ROWS
    width = len(_DOSSIER_COLUMNS)
    rows: dict[str, _Row] = {}
    subscribers: dict[str, list[ChatRef]] = {}
    for start in range(0, len(codes), _LOAD_CHUNK):
        for values in await session.execute(query, {"codes": codes[start : start + _LOAD_CHUNK]}):
            code = values[0]
            if code not in rows:
                rows[code] = _Row(*values[:width])
                subscribers[code] = []
            platform, chat_id, is_group = values[width:]
            if platform is None:
                continue
            try:
                subscribers[code].append(ChatRef(Platform(platform), chat_id, is_group))
            except ValueError:
                continue
    return rows, subscribers


def _update_statement() -> TextClause:
    names = [name for name in _DOSSIER_COLUMNS if name != "code"]
    sql = f"UPDATE dossiers SET {', '.join(f'{name} = :{name}' for name in names)} WHERE code = :code"  # noqa: S608
    return text(sql).bindparams(*(bindparam(name, type_=_DOSSIERS.c[name].type) for name in _DOSSIER_COLUMNS))


_UPDATE_DOSSIER = _update_statement()

_LOOKUP = (
    select(
        Dossier.code,
        Dossier.procedure_code,
        Dossier.procedure_name,
        Dossier.agency,
        Dossier.received_at,
        Dossier.due_at,
        Dossier.first_due_at,
        Dossier.status,
        Dossier.status_at,
        Dossier.resolved_at,
        Dossier.result_delivery,
        Dossier.note,
        DossierEvent.occurred_at.label("event_at"),
        DossierEvent.status.label("event_status"),
        DossierEvent.note.label("event_note"),
    )
    .outerjoin(DossierEvent, DossierEvent.dossier_code == Dossier.code)
    .where(Dossier.code == bindparam("code"))
    .order_by(DossierEvent.occurred_at.desc(), DossierEvent.id.desc())
)


def _row_params(row: _Row) -> dict[str, Any]:
    return {name: getattr(row, name) for name in _DOSSIER_COLUMNS}


def _notice(kind: NoticeKind, dossier: Dossier | _Row) -> DossierNotice:
    return DossierNotice(
        kind=kind,
        code=dossier.code,
        status=Status(dossier.status),
        procedure_name=dossier.procedure_name,
        agency=dossier.agency,
        due_at=dossier.due_at,
        note=dossier.note,
        result_delivery=dossier.result_delivery,
    )
