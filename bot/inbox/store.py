"""The inbox table's operations: keep an update once, claim a chat's next one, mark it done, take back.

Keeping is ``INSERT ... ON CONFLICT DO NOTHING`` on (platform, update_id): the database itself refuses
a redelivered update, whichever process it reaches. A row is claimable when it waits (or its owner's
lease ran out) and no older row of the same chat is still waiting or claimed, so a chat's updates are
handled one after the other across processes. On PostgreSQL the claim selects with
``FOR UPDATE SKIP LOCKED`` (as the outbox does); SQLite has one process per file, which takes its write
lock first.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, and_, delete, exists, or_, select, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bot.inbox.envelope import CLAIMED, DONE, PENDING, Envelope
from bot.messages import Platform
from bot.storage import InboxUpdate
from bot.storage.columns import utcnow
from bot.storage.engine import SessionFactory, begin_write

log = logging.getLogger(__name__)

ERROR_LIMIT = 255
OPEN = (PENDING, CLAIMED)
KEEP_BATCH = 200
"""Most updates stored in one transaction."""


@dataclass(frozen=True, slots=True)
class Claimed:
    """One stored update leased to this process; ``attempts`` counts this claim and fences the mark."""

    id: int
    platform: Platform
    update_id: str
    chat_key: str
    body: dict[str, Any]
    attempts: int


Finished = tuple[Claimed, str]
"""A handled update and its error (empty when none)."""


LEASE_SECONDS = 30.0
"""How long a claim holds without a heartbeat: on PostgreSQL, when a dead process's claims go back."""


class InboxStore:
    """Keep, claim, mark done, take back and prune inbox rows for one process (``owner``).

    ``lease_seconds`` is how long a claim holds without a heartbeat: on PostgreSQL, another process
    takes back the claims of one that stopped renewing them (it died) once their lease ran out.
    """

    def __init__(
        self,
        sessions: SessionFactory,
        *,
        lease_seconds: float = LEASE_SECONDS,
        owner: str | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._sessions = sessions
        self.lease = timedelta(seconds=lease_seconds)
        self.owner = owner or uuid.uuid4().hex
        self._clock = clock
        self._listeners: list[Callable[[], None]] = []
        self._batch: list[tuple[Envelope, asyncio.Future[bool]]] = []
        self._committer: asyncio.Task[None] | None = None

    def on_kept(self, listener: Callable[[], None]) -> None:
        """Call ``listener`` after each commit that stored a new update (the worker wakes)."""
        self._listeners.append(listener)

    async def keep(self, envelopes: Sequence[Envelope]) -> list[bool]:
        """Store each update unless already stored; per envelope, True when it is new. Committed on return."""
        if not envelopes:
            return []
        now = self._clock()
        fresh: list[bool] = []
        async with self._sessions() as session, session.begin():
            insert = postgresql.insert if _dialect(session) == "postgresql" else sqlite.insert
            for envelope in envelopes:
                statement = (
                    insert(InboxUpdate)
                    .values(
                        platform=envelope.platform.value,
                        update_id=envelope.update_id,
                        chat_key=envelope.chat_key,
                        body=envelope.body,
                        status=PENDING,
                        attempts=0,
                        received_at=now,
                    )
                    .on_conflict_do_nothing(index_elements=["platform", "update_id"])
                    .returning(InboxUpdate.id)
                )
                fresh.append((await session.execute(statement)).first() is not None)
        if any(fresh):
            for listener in self._listeners:
                listener()
        return fresh

    async def keep_one(self, envelope: Envelope) -> bool:
        """Store one update; True when it is new, False for a duplicate. Committed on return.

        Updates arriving together (a webhook burst) are stored in one transaction: each caller waits
        for the commit that holds its update, so nobody hears 200 before that.
        """
        waiting = asyncio.get_running_loop().create_future()
        # A caller that went away (its request cancelled) leaves the outcome unread: no warning for it.
        waiting.add_done_callback(lambda done: done.cancelled() or done.exception())
        self._batch.append((envelope, waiting))
        if self._committer is None or self._committer.done():
            self._committer = asyncio.create_task(self._commit_batches())
        fresh: bool = await asyncio.shield(waiting)
        return fresh

    async def _commit_batches(self) -> None:
        while self._batch:
            batch, self._batch = self._batch[:KEEP_BATCH], self._batch[KEEP_BATCH:]
            try:
                results = await self.keep([envelope for envelope, _ in batch])
            except Exception as exc:
                for _, waiting in batch:
                    if not waiting.done():
                        waiting.set_exception(exc)
                continue
            for (_, waiting), fresh in zip(batch, results, strict=True):
                if not waiting.done():
                    waiting.set_result(fresh)

    async def claim(
        self,
        limit: int,
        platforms: Iterable[Platform],
        *,
        finished: Sequence[Finished] = (),
        probe: bool = True,
    ) -> list[Claimed]:
        """Lease up to ``limit`` updates, oldest first: each the oldest open one of its chat.

        ``finished`` (updates handled since the last claim) are marked done in the same transaction,
        so a chat's next update is claimed as its previous one is marked, in one round trip. With
        ``probe`` (and nothing finished), a read first checks that there is anything to claim, so
        an idle worker takes no write lock; the caller that knows an update just came skips it.
        """
        names = sorted({p.value for p in platforms})
        if not names or limit <= 0:
            await self.done_many(finished)
            return []
        now = self._clock()
        claimable = or_(
            InboxUpdate.status == PENDING,
            and_(InboxUpdate.status == CLAIMED, InboxUpdate.lease_until <= now),
        )
        older = aliased(InboxUpdate)
        waits_for_older = exists().where(
            older.chat_key == InboxUpdate.chat_key,
            older.id < InboxUpdate.id,
            older.status.in_(OPEN),
        )
        select_next = (
            select(InboxUpdate.id)
            # status IN (...) rather than != done: the (status, id) index then skips the done rows.
            .where(InboxUpdate.platform.in_(names), InboxUpdate.status.in_(OPEN), claimable, ~waits_for_older)
            .order_by(InboxUpdate.id)
            .limit(limit)
        )
        if probe and not finished and not await self._anything(select_next):
            return []
        async with self._sessions() as session, session.begin():
            if _dialect(session) == "postgresql":
                select_next = select_next.with_for_update(skip_locked=True, of=InboxUpdate)
            else:
                await begin_write(session)
            if finished:
                await self._mark_done(session, finished, now)
            ids = list((await session.execute(select_next)).scalars())
            if not ids:
                return []
            statement = (
                update(InboxUpdate)
                .where(InboxUpdate.id.in_(ids), claimable)
                .values(
                    status=CLAIMED,
                    owner=self.owner,
                    lease_until=now + self.lease,
                    attempts=InboxUpdate.attempts + 1,
                )
                .returning(
                    InboxUpdate.id,
                    InboxUpdate.platform,
                    InboxUpdate.update_id,
                    InboxUpdate.chat_key,
                    InboxUpdate.body,
                    InboxUpdate.attempts,
                )
                .execution_options(synchronize_session=False)
            )
            rows = (await session.execute(statement)).all()
        return [
            Claimed(
                id=row.id,
                platform=Platform(row.platform),
                update_id=row.update_id,
                chat_key=row.chat_key,
                body=row.body if isinstance(row.body, dict) else {},
                attempts=row.attempts,
            )
            for row in sorted(rows, key=lambda r: int(r.id))
        ]

    async def _anything(self, select_next: Select[tuple[int]]) -> bool:
        """Whether a claim would find something: a read, so an idle worker never takes a write lock."""
        async with self._sessions() as session:
            return (await session.execute(select_next.limit(1))).first() is not None

    async def done(self, item: Claimed, error: str = "") -> bool:
        """Mark a claimed update handled; False when this process no longer held the claim."""
        return await self.done_many([(item, error)]) == 1

    async def done_many(self, finished: Sequence[Finished]) -> int:
        """Mark claimed updates handled (each with its error, empty if none); how many were still ours."""
        if not finished:
            return 0
        async with self._sessions() as session, session.begin():
            return await self._mark_done(session, finished, self._clock())

    async def _mark_done(self, session: AsyncSession, finished: Sequence[Finished], now: datetime) -> int:
        """Mark done, in one statement for those without an error; each fenced by its claim."""
        values: dict[str, Any] = {"status": DONE, "done_at": now, "lease_until": None}
        marked = 0
        for item, error in finished:
            if error:
                marked += await self._fenced(session, item, {**values, "error": error[:ERROR_LIMIT]})
        clean = [(item.id, item.attempts) for item, error in finished if not error]
        if clean:
            statement = (
                update(InboxUpdate)
                .where(
                    tuple_(InboxUpdate.id, InboxUpdate.attempts).in_(clean),
                    InboxUpdate.status == CLAIMED,
                    InboxUpdate.owner == self.owner,
                )
                .values(**values)
                .execution_options(synchronize_session=False)
            )
            count = int(getattr(await session.execute(statement), "rowcount", 0) or 0)
            if count < len(clean):
                log.warning("inbox: %d update row(s) taken back before they were marked", len(clean) - count)
            marked += count
        return marked

    async def release(self, item: Claimed) -> bool:
        """Give a claimed update back unhandled (the process is stopping); the claim is not counted."""
        values = {"status": PENDING, "owner": None, "lease_until": None, "attempts": item.attempts - 1}
        async with self._sessions() as session, session.begin():
            return await self._fenced(session, item, values)

    async def heartbeat(self) -> int:
        """Renew the lease of every claim this process holds; how many it holds."""
        statement = (
            update(InboxUpdate)
            .where(InboxUpdate.owner == self.owner, InboxUpdate.status == CLAIMED)
            .values(lease_until=self._clock() + self.lease)
            .execution_options(synchronize_session=False)
        )
        async with self._sessions() as session, session.begin():
            result = await session.execute(statement)
        return int(getattr(result, "rowcount", 0) or 0)

    async def take_back(self) -> int:
        """At start: give back the claims of processes that died; how many.

        SQLite serves one process per file, so every claim found at start is a dead process's and is
        taken back at once. On PostgreSQL only claims whose lease ran out are (their owner stopped its
        heartbeat); the claim query takes those anyway, this only makes them visible at once.
        """
        async with self._sessions() as session, session.begin():
            stale = InboxUpdate.status == CLAIMED
            if _dialect(session) == "postgresql":
                stale = and_(stale, InboxUpdate.lease_until <= self._clock())
            statement = (
                update(InboxUpdate)
                .where(stale)
                .values(status=PENDING, owner=None, lease_until=None)
                .execution_options(synchronize_session=False)
            )
            result = await session.execute(statement)
        taken = int(getattr(result, "rowcount", 0) or 0)
        if taken:
            log.warning("inbox: %d update(s) claimed by a stopped process taken back", taken)
        return taken

    async def prune(self, older_than: timedelta, *, batch: int = 1000) -> int:
        """Delete up to ``batch`` done rows finished before ``older_than`` ago; how many."""
        cutoff = self._clock() - older_than
        async with self._sessions() as session, session.begin():
            ids = (
                select(InboxUpdate.id)
                .where(InboxUpdate.status == DONE, InboxUpdate.done_at < cutoff)
                .limit(batch)
            )
            result = await session.execute(
                delete(InboxUpdate)
                .where(InboxUpdate.id.in_(ids))
                .execution_options(synchronize_session=False)
            )
        return int(getattr(result, "rowcount", 0) or 0)

    async def _fenced(self, session: AsyncSession, item: Claimed, values: dict[str, Any]) -> bool:
        statement = (
            update(InboxUpdate)
            .where(
                InboxUpdate.id == item.id,
                InboxUpdate.status == CLAIMED,
                InboxUpdate.owner == self.owner,
                InboxUpdate.attempts == item.attempts,
            )
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        marked = bool(getattr(await session.execute(statement), "rowcount", 0))
        if not marked:
            log.warning("inbox: update row %s was taken back before it was marked", item.id)
        return marked


def _dialect(session: AsyncSession) -> str:
    return session.get_bind().dialect.name
