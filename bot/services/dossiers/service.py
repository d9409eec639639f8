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
  ``new_due_at`` while the dossier is open) tells the new date, once per extension (key
  ``dossier:{event_id}:extended:{platform}:{chat_id}``). :meth:`DossierService.mark_late` apologises once
  per subscriber when the appointment passes (key ``dossier:{code}:late:{platform}:{chat_id}``), promising
  no date: the one just missed is no promise, and the new one comes with the extension.
- **An event id means one event.** The same id with the same content is a duplicate (nothing happens);
  with other content it raises :class:`EventIdConflictError` and nothing of the batch is written.
- **The receipt is a fact.** Once a dossier's receipt event is recorded, no later event moves its receipt
  time or its first appointment.
- **Timeliness** (see :func:`bot.services.dossiers.views.timeliness`): "trước hạn / đúng hạn / quá hạn"
  against the appointment.
- **No phone in clear.** Only HMAC-SHA256(hash_key, national number) and its last 4 digits are stored.
"""

from __future__ import annotations

import asyncio
import hmac
from collections.abc import Awaitable, Callable, Iterable, Sequence
from contextlib import AbstractAsyncContextManager, nullcontext
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from bot.messages import ChatRef, Platform, Reply
from bot.outbox import Outgoing, enqueue_many, queued_for
from bot.services.dossiers.events import (
    OPEN_STATUSES,
    PHONE_SEPARATORS,
    RESOLVED_STATUSES,
    DossierEventIn,
    DossierNotice,
    EventIdConflictError,
    NoticeKind,
    Status,
    hash_phone,
    normalize_phone,
)
from bot.services.dossiers.rows import (
    DOSSIERS,
    EVENTS,
    LOAD_CHUNK,
    LOOKUP,
    RECEIPTS,
    STORED_EVENTS,
    UPDATE_DOSSIER,
    DossierRow,
    load_rows,
    notice,
    row_params,
)
from bot.services.dossiers.views import ApplyResult, DossierView, Outcome, StatusEntry, timeliness
from bot.storage import Dossier, DossierSubscription, SessionFactory
from bot.storage.bulk import insert_new
from bot.storage.columns import utcnow
from bot.storage.engine import begin_write

ApplyEvents = Callable[[list[DossierEventIn]], Awaitable[ApplyResult]]
"""Apply a batch of validated events from one source (the push API, the pull feed, the import)."""
NoticeRenderer = Callable[[DossierNotice], Reply]
"""Turns a notice into words; the composition root passes the handlers' renderer (services have no texts)."""

_NOTICE_KINDS = {
    Status.READY: NoticeKind.READY,
    Status.SUPPLEMENT_REQUESTED: NoticeKind.SUPPLEMENT,
    Status.RETURNED: NoticeKind.RETURNED,
}


async def apply_leaving_out_reused_ids(
    apply: ApplyEvents, events: list[DossierEventIn]
) -> tuple[ApplyResult, list[int]]:
    """Apply ``events`` but those whose id was already used for other content; return their positions too.

    For the ways in that report per event (the file import, the pull feed): each refused event is left
    out and the rest applied again, so one reused id does not hold back a whole batch.
    """
    left = list(range(len(events)))
    refused: list[int] = []
    while left:
        try:
            return await apply([events[i] for i in left]), sorted(refused)
        except EventIdConflictError as exc:
            bad = {left[position] for position in exc.positions}
            refused.extend(bad)
            left = [i for i in left if i not in bad]
    return ApplyResult(), sorted(refused)


def _late_receipts(rows: Sequence[Any]) -> set[int]:
    """The history rows of receipts that arrived after the dossier's receipt and older than its news.

    Such an event changed nothing (the receipt is a fact, the status follows the newest event); shown, it
    would read as a second "Đã tiếp nhận". A receipt that was the newest news when it came is shown.
    """
    hidden: set[int] = set()
    receipt_seen = False
    newest: datetime | None = None
    for row in sorted((row for row in rows if row.event_row is not None), key=lambda row: row.event_row):
        if row.event_status == Status.RECEIVED.value:
            if receipt_seen and newest is not None and row.event_at < newest:
                hidden.add(row.event_row)
            receipt_seen = True
        newest = row.event_at if newest is None or row.event_at > newest else newest
    return hidden


def _content(event: DossierEventIn) -> tuple[Any, ...]:
    """What is recorded of an event, as :data:`STORED_EVENTS` reads it back."""
    return (event.code, event.status.value, event.occurred_at, event.note, event.new_due_at)


def notice_kind(status: Status) -> NoticeKind:
    """Return what a subscriber is told when a dossier reaches ``status``."""
    return _NOTICE_KINDS.get(status, NoticeKind.STATUS)


def late_key(code: str, platform: str, chat_id: str) -> str:
    """Return the outbox key of a dossier's one apology for being late, per subscriber."""
    return f"dossier:{code}:late:{platform}:{chat_id}"


def extension_key(event_id: str, platform: str, chat_id: str) -> str:
    """Return the outbox key of the notice of one extension (its new date), per subscriber."""
    return f"dossier:{event_id}:extended:{platform}:{chat_id}"


@dataclass
class _Counts:
    applied: int = 0
    duplicates: int = 0
    stale: int = 0
    created: int = 0
    notices: int = 0
    outcomes: list[Outcome] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _Told:
    """What one applied event tells the dossier's subscribers (notices taken as the dossier stood then)."""

    event_id: str
    code: str
    change: DossierNotice | None
    extension: DossierNotice | None


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

    def applier(self, source: str) -> ApplyEvents:
        """:meth:`apply` with its source fixed, as the push API and the pull feed take it."""

        async def apply(events: list[DossierEventIn]) -> ApplyResult:
            return await self.apply(events, source=source)

        return apply

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
        receipts = await self._receipts_known(connection, fresh, creators)
        recorded = await insert_new(
            connection,
            EVENTS,
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
        await self._refuse_reused_ids(connection, batch, fresh, recorded)
        changed_rows: dict[str, DossierRow] = {}
        told: list[_Told] = []
        for position, event in zip(positions, fresh, strict=True):
            if event.event_id not in recorded:
                counts.duplicates += 1
                continue
            counts.applied += 1
            counts.outcomes[position] = Outcome.APPLIED
            if creators.get(event.code) is event:
                counts.created += 1
                if event.status is Status.RECEIVED:
                    receipts.add(event.code)
                continue
            row = rows[event.code]
            changed_rows[row.code] = row
            stale_before = counts.stale
            notice = self._apply_one(row, event, now, counts, receipt_known=row.code in receipts)
            if event.status is Status.RECEIVED:
                receipts.add(event.code)
            if counts.stale > stale_before:
                counts.outcomes[position] = Outcome.STALE
            if notice is not None:
                told.append(notice)
        if changed_rows:
            await connection.execute(
                UPDATE_DOSSIER, [row_params(changed_rows[code]) for code in sorted(changed_rows)]
            )
        if told:
            await self._tell(session, told, subscribers, counts)

    async def _receipts_known(
        self,
        connection: AsyncConnection,
        fresh: list[DossierEventIn],
        creators: dict[str, DossierEventIn],
    ) -> set[str]:
        """Codes among the batch's dossiers whose receipt event was already recorded (before this batch).

        Read only for a dossier that existed and is given receipt details now (rare: the receipt usually
        creates the dossier), so a batch of ordinary status changes costs no statement.
        """
        codes = sorted(
            {
                event.code
                for event in fresh
                if event.code not in creators
                and (
                    event.status is Status.RECEIVED
                    or event.received_at is not None
                    or event.due_at is not None
                )
            }
        )
        known: set[str] = set()
        for start in range(0, len(codes), LOAD_CHUNK):
            known.update(await connection.scalars(RECEIPTS, {"codes": codes[start : start + LOAD_CHUNK]}))
        return known

    async def _refuse_reused_ids(
        self,
        connection: AsyncConnection,
        batch: list[DossierEventIn],
        fresh: list[DossierEventIn],
        recorded: set[str],
    ) -> None:
        """Raise :class:`EventIdConflictError` if an id stands for other content (recorded, or earlier here).

        The same id with the same content stays a harmless duplicate; the same id with other content is a
        sender's mistake that must not pass as one. Raised inside the transaction, so nothing is written.
        Only ids that were not new are read back: a batch without duplicates costs no statement.
        """
        standing = {event.event_id: _content(event) for event in fresh}
        ids = sorted(event_id for event_id in standing if event_id not in recorded)
        for start in range(0, len(ids), LOAD_CHUNK):
            for row in await connection.execute(STORED_EVENTS, {"ids": ids[start : start + LOAD_CHUNK]}):
                standing[row.event_id] = (
                    row.dossier_code,
                    row.status,
                    row.occurred_at,
                    row.note or "",
                    row.new_due_at,
                )
        reused = [
            position for position, event in enumerate(batch) if _content(event) != standing[event.event_id]
        ]
        if reused:
            raise EventIdConflictError(reused, [batch[position].event_id for position in reused])

    async def _load_or_create(
        self, session: AsyncConnection, fresh: list[DossierEventIn], now: datetime
    ) -> tuple[dict[str, DossierRow], dict[str, DossierEventIn], dict[str, list[ChatRef]]]:
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
        rows, subscribers = await load_rows(session, codes)
        missing = [code for code in codes if code not in rows]
        creators: dict[str, DossierEventIn] = {}
        if not missing:
            return rows, creators, subscribers
        values = {code: self._new_dossier(firsts[code], now) for code in missing}
        inserted = await insert_new(session, DOSSIERS, "code", [values[code] for code in missing])
        for code in missing:
            if code in inserted:
                rows[code] = DossierRow(**values[code])
                creators[code] = firsts[code]
        lost = [code for code in missing if code not in inserted]
        if lost:
            # Other transactions created these meanwhile: their insert is committed; lock and read them.
            late_rows, late_subscribers = await load_rows(session, lost)
            rows.update(late_rows)
            subscribers.update(late_subscribers)
        return rows, creators, subscribers

    def _apply_one(
        self, row: DossierRow, event: DossierEventIn, now: datetime, counts: _Counts, *, receipt_known: bool
    ) -> _Told | None:
        """Apply one recorded event to its dossier; what to tell subscribers, if anything."""
        previous_status = Status(row.status)
        previous_due = row.due_at
        if event.status in RESOLVED_STATUSES and (
            row.resolved_at is None or event.occurred_at < row.resolved_at
        ):
            row.resolved_at = event.occurred_at
        stale = event.occurred_at < row.status_at
        self._describe(row, event, newest=not stale, receipt_known=receipt_known)
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
            change=notice(notice_kind(event.status), row) if changed else None,
            extension=notice(NoticeKind.EXTENDED, row) if extended else None,
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
                if entry.extension is not None:
                    add(
                        extension_key(entry.event_id, chat.platform.value, chat.chat_id),
                        chat,
                        entry.extension,
                    )
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

    def _describe(
        self, dossier: DossierRow, event: DossierEventIn, *, newest: bool, receipt_known: bool
    ) -> None:
        """Take descriptive fields from an event: a newer event overwrites, an older one only fills gaps.

        Once the receipt event was recorded, its time and appointment are facts: no later event moves
        them. Before that they are estimates (the earliest event seen) that receipt details correct.
        """
        for name in ("procedure_code", "procedure_name", "agency", "result_delivery"):
            value = getattr(event, name)
            if value and (newest or not getattr(dossier, name)):
                setattr(dossier, name, value)
        if not receipt_known and event.received_at is not None:
            dossier.received_at = event.received_at
        elif not receipt_known and event.occurred_at < dossier.received_at:
            # No receipt time given: a dossier was received no later than its earliest event.
            dossier.received_at = event.occurred_at
        if event.due_at is not None and dossier.due_at is None:
            dossier.due_at = event.due_at
        if event.due_at is not None and (dossier.first_due_at is None or not (newest or receipt_known)):
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
            rows = (await session.execute(LOOKUP, {"code": code})).all()
        if not rows:
            return None
        first = rows[0]
        status = Status(first.status)
        hidden = _late_receipts(rows)
        history = tuple(
            StatusEntry(at=row.event_at, status=Status(row.event_status), note=row.event_note)
            for row in rows
            if row.event_at is not None and row.event_row not in hidden
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
        typed = PHONE_SEPARATORS.sub("", digits or "")[:32]
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
        """Apologise to subscribers of every open dossier past its due date, once each; return notices."""
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
            already_told = queued_for(
                f"dossier.{NoticeKind.LATE.value}",
                Dossier.code,
                DossierSubscription.platform,
                DossierSubscription.chat_id,
            )
            rows: list[Any] = []
            for start in range(0, len(followed), LOAD_CHUNK):
                result = await session.execute(
                    select(
                        Dossier,
                        DossierSubscription.platform,
                        DossierSubscription.chat_id,
                        DossierSubscription.is_group,
                    )
                    .join(DossierSubscription, DossierSubscription.dossier_code == Dossier.code)
                    .where(
                        Dossier.code.in_(followed[start : start + LOAD_CHUNK]),
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
                # The date just missed is no promise: the apology says a new date will follow.
                reply = self._render(replace(notice(NoticeKind.LATE, dossier), due_at=None))
                key = late_key(dossier.code, platform, chat_id)
                messages.append(Outgoing(key, chat, reply, f"dossier.{NoticeKind.LATE.value}", dossier.code))
            return await enqueue_many(session, messages)
