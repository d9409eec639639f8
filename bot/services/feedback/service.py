"""FeedbackService: file an item, route it to its unit, answer it, rate the answer, escalate when overdue.

Every message the service causes (to the unit's group, back to the resident, to the leader) is written
to the outbox in the transaction that records the change, so none is lost or sent twice by a retry.
Nothing here logs a resident's text or an answer.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection
from datetime import datetime, timedelta

from sqlalchemy import Select, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import FeedbackConfig
from bot.messages import ChatRef, Platform
from bot.outbox import Outgoing, enqueue_many
from bot.services.dossiers.subscriptions import Throttles
from bot.services.feedback.model import (
    AnswerOutcome,
    AnswerResult,
    FeedbackRenderers,
    FeedbackView,
    Kind,
    RateOutcome,
    Status,
    Subject,
)
from bot.services.feedback.units import Clues, admin_chats, leader_chats, route, staff_chats
from bot.services.people import Actor, Role
from bot.storage import SessionFactory
from bot.storage.columns import utcnow
from bot.storage.engine import begin_write
from bot.storage.models import Dossier, FeedbackItem, Person, Unit
from knowledge.model import Procedure

log = logging.getLogger(__name__)

NEW_KIND = "feedback.new"
ANSWER_KIND = "feedback.answer"
OVERDUE_KIND = "feedback.overdue"
ESCALATION_BATCH = 200
DAY = timedelta(hours=24)
ANSWERING_ROLES = (Role.STAFF, Role.LEADER)

Deadline = Callable[[datetime, int], datetime]
"""When an item filed at a moment is due, that many working days later."""


class FilingError(ValueError):
    """The feedback cannot be filed as given (empty, or too long); the message says which."""


class FilingLimitError(FilingError):
    """The resident filed ``per_user_per_day`` items in the last 24 hours already."""


class FeedbackService:
    """Residents' feedback: stored with a tracking number, routed to a unit, answered, rated, escalated."""

    def __init__(
        self,
        sessions: SessionFactory,
        settings: FeedbackConfig,
        *,
        deadline: Deadline,
        render: FeedbackRenderers,
        procedure_of: Callable[[str], Procedure | None] = lambda code: None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._sessions = sessions
        self.settings = settings
        self._deadline = deadline
        self._render = render
        self._procedure_of = procedure_of
        self._clock = clock
        self._throttles = Throttles(sessions, clock)

    # --- filing -------------------------------------------------------------------------------------

    async def dossier_known(self, code: str) -> bool:
        """Whether a dossier with this receipt code exists (its data stays here)."""
        async with self._sessions() as session:
            return await session.scalar(select(Dossier.code).where(Dossier.code == code)) is not None

    async def file(self, chat: ChatRef, user_id: str, subject: Subject, text: str) -> FeedbackView:
        """Store the item, route it, and queue it to the unit's staff.

        FilingError on empty or long text; FilingLimitError past the resident's daily allowance.
        """
        body = text.strip()
        if not body:
            raise FilingError("empty")
        if len(body) > self.settings.max_length:
            raise FilingError("too long")
        counted = await self._throttles.hit(f"feedback:{chat.platform.value}:{user_id}", window=DAY)
        if counted.count > self.settings.per_user_per_day:
            raise FilingLimitError("limit")
        now = self._clock()
        due = self._deadline(now, self.settings.overdue_working_days)
        async with self._sessions() as session, session.begin():
            await begin_write(session)
            unit_id = await route(session, await self._clues(session, subject), self.settings.default_unit)
            row = FeedbackItem(
                kind=subject.kind.value,
                ref=subject.ref[:64],
                ref_name=subject.name[:255] if subject.kind is Kind.PROCEDURE else "",
                text=body,
                platform=chat.platform.value,
                chat_id=chat.chat_id,
                user_id=user_id,
                unit_id=unit_id,
                status=Status.OPEN.value,
                created_at=now,
                due_at=due,
                answer="",
                answered_via="",
            )
            session.add(row)
            await session.flush()
            view = await _view(session, row)
            # An item no unit takes goes to the admins, who answer it or create the unit it needs.
            chats = await staff_chats(session, unit_id) if unit_id is not None else await admin_chats(session)
            await self._queue_new(session, view, chats)
        log.info("feedback %s filed (%s), unit %s", view.number, view.subject.kind.value, unit_id)
        return view

    async def _queue_new(self, session: AsyncSession, view: FeedbackView, chats: list[ChatRef]) -> None:
        reply = self._render.new_item(view)
        await enqueue_many(
            session,
            [Outgoing(_key(NEW_KIND, view.id, chat), chat, reply, NEW_KIND, view.number) for chat in chats],
        )

    async def route_unrouted(self) -> int:
        """Give open items filed before any unit matched to the unit that matches now; return items routed."""
        routed = 0
        async with self._sessions() as session, session.begin():
            await begin_write(session)
            rows = (
                await session.execute(
                    select(FeedbackItem)
                    .where(FeedbackItem.status == Status.OPEN.value, FeedbackItem.unit_id.is_(None))
                    .order_by(FeedbackItem.id)
                    .limit(ESCALATION_BATCH)
                )
            ).scalars()
            for row in list(rows):
                subject = Subject(Kind(row.kind), row.ref, row.ref_name)
                unit_id = await route(
                    session, await self._clues(session, subject), self.settings.default_unit
                )
                if unit_id is None:
                    continue
                row.unit_id = unit_id
                await session.flush()
                await self._queue_new(session, await _view(session, row), await staff_chats(session, unit_id))
                routed += 1
        if routed:
            log.info("feedback: %d unrouted item(s) routed to a unit", routed)
        return routed

    async def _clues(self, session: AsyncSession, subject: Subject) -> Clues:
        if subject.kind is Kind.PROCEDURE:
            proc = self._procedure_of(subject.ref)
            return Clues(subject.ref, proc.agency if proc else "", proc.field if proc else "")
        if subject.kind is Kind.DOSSIER:
            dossier = await session.get(Dossier, subject.ref)
            if dossier is None:
                return Clues()
            proc = self._procedure_of(dossier.procedure_code) if dossier.procedure_code else None
            agency = dossier.agency or (proc.agency if proc else "")
            return Clues(dossier.procedure_code, agency, proc.field if proc else "")
        return Clues()

    # --- reading ------------------------------------------------------------------------------------

    async def get(self, item_id: int) -> FeedbackView | None:
        """One item by id."""
        async with self._sessions() as session:
            row = await session.get(FeedbackItem, item_id)
            return await _view(session, row) if row is not None else None

    async def items(
        self, status: str = "", *, limit: int = 200, units: Collection[int] | None = None
    ) -> list[FeedbackView]:
        """Items newest first: all, ``open``, ``answered`` or ``overdue``; of ``units`` only when given."""
        statement: Select[tuple[FeedbackItem]] = select(FeedbackItem)
        if units is not None:
            statement = statement.where(FeedbackItem.unit_id.in_(list(units)))
        if status in (Status.OPEN.value, "overdue"):
            statement = statement.where(FeedbackItem.status == Status.OPEN.value)
        elif status == Status.ANSWERED.value:
            statement = statement.where(FeedbackItem.status == Status.ANSWERED.value)
        if status == "overdue":
            statement = statement.where(FeedbackItem.due_at <= self._clock())
        statement = statement.order_by(FeedbackItem.id.desc()).limit(max(1, limit))
        async with self._sessions() as session:
            rows = list((await session.execute(statement)).scalars())
            return [await _view(session, row) for row in rows]

    # --- answering ----------------------------------------------------------------------------------

    async def answer(self, actor: Actor, item_id: int, text: str) -> AnswerResult:
        """Answer an open item (admins, or staff and leaders of its unit); the answer goes to the resident."""
        body = text.strip()
        if not body or len(body) > self.settings.max_length:
            raise FilingError("empty" if not body else "too long")
        now = self._clock()
        async with self._sessions() as session, session.begin():
            await begin_write(session)
            row = await session.get(FeedbackItem, item_id)
            if row is None:
                return AnswerResult(AnswerOutcome.UNKNOWN)
            person = await session.get(Person, actor.person_id) if actor.person_id is not None else None
            outcome = _may_answer(actor, person, row)
            if outcome is not None:
                return AnswerResult(outcome, await _view(session, row))
            # Of two answers racing, only the one that still finds the item open closes it.
            claimed = await session.execute(
                update(FeedbackItem)
                .where(FeedbackItem.id == item_id, FeedbackItem.status == Status.OPEN.value)
                .values(
                    status=Status.ANSWERED.value,
                    answer=body,
                    answered_at=now,
                    answered_by=actor.person_id,
                    answered_via=actor.label[:96],
                )
                .execution_options(synchronize_session=False)
            )
            if getattr(claimed, "rowcount", 0) != 1:
                await session.refresh(row)
                return AnswerResult(AnswerOutcome.CLOSED, await _view(session, row))
            await session.refresh(row)
            view = await _view(session, row)
            await enqueue_many(
                session,
                [
                    Outgoing(
                        f"{ANSWER_KIND}:{row.id}",
                        view.chat,
                        self._render.answer(view),
                        ANSWER_KIND,
                        view.number,
                    )
                ],
            )
        log.info("feedback %s answered", view.number)
        return AnswerResult(AnswerOutcome.ANSWERED, view)

    # --- rating -------------------------------------------------------------------------------------

    async def rate(self, platform: Platform, user_id: str, item_id: int, score: int) -> RateOutcome:
        """Store the resident's 1-5 rating of the answer (a second replaces the first)."""
        if not 1 <= score <= 5:
            raise ValueError("score must be 1-5")
        async with self._sessions() as session, session.begin():
            await begin_write(session)
            row = await session.get(FeedbackItem, item_id)
            if row is None or row.platform != platform.value or row.user_id != user_id:
                return RateOutcome.UNKNOWN
            if row.status != Status.ANSWERED.value:
                return RateOutcome.NOT_ANSWERED
            outcome = RateOutcome.RATED if row.rating is None else RateOutcome.UPDATED
            row.rating, row.rated_at = score, self._clock()
        return outcome

    # --- overdue ------------------------------------------------------------------------------------

    async def escalate_overdue(self) -> int:
        """Tell each overdue item's unit leaders (else the admins) once; return the items told.

        An item is marked escalated only when a message was queued, so one nobody can be told about yet
        is tried again at the next check (a leader or admin may link a chat meanwhile).
        """
        now = self._clock()
        told = untold = 0
        async with self._sessions() as session, session.begin():
            await begin_write(session)
            rows = list(
                (
                    await session.execute(
                        select(FeedbackItem)
                        .where(
                            FeedbackItem.status == Status.OPEN.value,
                            FeedbackItem.due_at <= now,
                            FeedbackItem.escalated_at.is_(None),
                        )
                        .order_by(FeedbackItem.id)
                        .limit(ESCALATION_BATCH)
                    )
                ).scalars()
            )
            messages: list[Outgoing] = []
            admins: list[ChatRef] | None = None
            for row in rows:
                chats = await leader_chats(session, [row.unit_id]) if row.unit_id is not None else []
                if not chats:
                    admins = await admin_chats(session) if admins is None else admins
                    chats = admins
                if not chats:
                    untold += 1
                    continue
                row.escalated_at = now
                view = await _view(session, row)
                reply = self._render.overdue(view, self.settings.overdue_working_days)
                messages += [
                    Outgoing(_key(OVERDUE_KIND, row.id, chat), chat, reply, OVERDUE_KIND, view.number)
                    for chat in chats
                ]
                told += 1
            await enqueue_many(session, messages)
        if told:
            log.info("feedback overdue: %d item(s) told to a leader or admin", told)
        if untold:
            log.warning(
                "feedback overdue: %d item(s) with no leader or admin to tell; kept for later", untold
            )
        return told


def _key(kind: str, item_id: int, chat: ChatRef) -> str:
    return f"{kind}:{item_id}:{chat.platform.value}:{chat.chat_id}"


def _may_answer(actor: Actor, person: Person | None, row: FeedbackItem) -> AnswerOutcome | None:
    """None when ``actor`` may answer ``row``, else the refusal (a closed item is refused first)."""
    if actor.is_admin:
        return AnswerOutcome.CLOSED if row.status != Status.OPEN.value else None
    if person is None or not person.active or actor.role not in ANSWERING_ROLES:
        return AnswerOutcome.NOT_STAFF
    ours = row.unit_id is not None and (row.unit_id == person.unit_id or row.unit_id in actor.unit_ids)
    if not ours:
        return AnswerOutcome.NOT_YOURS
    return AnswerOutcome.CLOSED if row.status != Status.OPEN.value else None


async def _view(session: AsyncSession, row: FeedbackItem) -> FeedbackView:
    unit_name = ""
    if row.unit_id is not None:
        unit_name = await session.scalar(select(Unit.name).where(Unit.id == row.unit_id)) or ""
    answered_by = row.answered_via
    if row.answered_by is not None:
        answered_by = await session.scalar(select(Person.name).where(Person.id == row.answered_by)) or ""
    return FeedbackView(
        id=row.id,
        subject=Subject(Kind(row.kind), row.ref, row.ref_name),
        text=row.text,
        chat=ChatRef(Platform(row.platform), row.chat_id, False),
        user_id=row.user_id,
        unit_id=row.unit_id,
        unit_name=unit_name,
        status=Status(row.status),
        created_at=row.created_at,
        due_at=row.due_at,
        escalated_at=row.escalated_at,
        answer=row.answer,
        answered_at=row.answered_at,
        answered_by=answered_by,
        rating=row.rating,
    )
