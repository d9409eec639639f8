"""Conversation state in the database, so a restart between a question and its answer loses nothing.

One row per chat key (``platform:chat_id``) holds two independent things, each with its own expiry:

- the numbered choices last shown (:meth:`ConversationMemory.remember` / ``recall``), last writer wins,
  with the folded search question they answer until the next message settles it (:meth:`settle`);
- at most one active multi-step flow (:class:`Flow`): a name, the step waiting for an answer, and a
  little JSON data collected so far.

Flows use optimistic concurrency. Every flow write adds one to the row's ``version``, and changing a
flow you read (:meth:`ConversationMemory.advance`, :meth:`ConversationMemory.end_flow` with a
:class:`Flow`) is a single ``UPDATE ... WHERE version = <the version read>``: an atomic compare-and-set
on SQLite (one writer at a time) and on PostgreSQL (a concurrent UPDATE of the row waits for the
first to commit, then re-checks the WHERE clause against the new row). Of two messages from one chat
racing to answer the same step, in one process or in two, exactly one wins; the other gets
:class:`StaleFlow`, and the dispatcher runs it again against the flow as it now is. So a flow
handler must write through the store before it does anything else (send, publish, subscribe).

The dispatcher reads a chat's row once per message (:meth:`ConversationMemory.state`: choices and
flow together) and writes only what changed: forgetting choices that are not there writes nothing.
On a SQLite file those per-message statements (the read, remembering and forgetting choices) run
through :class:`bot.storage.sqlite_direct.SqliteDirect`, one thread hand-off each; flows, rarer, keep
the async engine. Both see the same file, each statement in a transaction of its own.
"""

from __future__ import annotations

import math
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from types import MappingProxyType
from typing import Any, TypeAlias

from sqlalchemy import and_, bindparam, delete, insert, or_, select, text, update
from sqlalchemy.engine import Connection, Row
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.sql import Executable

from bot.storage import ConversationState, SessionFactory
from bot.storage.columns import utcnow
from bot.storage.models import QUESTION_MAX
from bot.storage.sqlite_direct import SqliteDirect

DEFAULT_CHOICE_TTL = timedelta(minutes=30)
DEFAULT_FLOW_TTL = timedelta(minutes=30)

JSONValue: TypeAlias = str | int | float | bool | list["JSONValue"] | dict[str, "JSONValue"] | None
"""What a flow's data may hold: it goes through JSON as it is."""


class StaleFlow(Exception):  # noqa: N818 - names the situation, like SchemaNotCurrent
    """The flow changed (advanced, ended, replaced or expired) since it was read."""

    def __init__(self, chat_key: str, version: int) -> None:
        super().__init__(f"flow of {chat_key} is no longer at version {version}")
        self.chat_key = chat_key
        self.version = version


@dataclass(frozen=True, slots=True)
class Flow:
    """A chat's active multi-step flow as read from the database (a snapshot, never updated in place)."""

    chat_key: str
    name: str
    step: str
    data: Mapping[str, JSONValue]
    expires_at: datetime
    ttl: timedelta
    version: int


@dataclass(frozen=True, slots=True)
class ChatState:
    """What one read of a chat's row shows: the unexpired choices and the active flow."""

    choices: tuple[str, ...]
    flow: Flow | None
    flow_stored: bool
    """Whether the row holds a flow at all, expired or not (only then has ending it anything to do)."""
    question: str = ""
    """The folded search question the choices were shown for, not yet settled (kept when they expire)."""


_EMPTY = ChatState(choices=(), flow=None, flow_stored=False)
_STATE = select(
    ConversationState.choices,
    ConversationState.expires_at,
    ConversationState.flow_name,
    ConversationState.flow_step,
    ConversationState.flow_data,
    ConversationState.flow_expires_at,
    ConversationState.flow_ttl_seconds,
    ConversationState.version,
    ConversationState.choices_question,
).where(ConversationState.chat_key == bindparam("key"))


class ConversationMemory:
    """Pending numbered choices and the active flow per chat, in ``conversation_state``.

    Implements :class:`bot.routing.ChoiceMemory` and :class:`bot.routing.FlowMemory`.
    """

    def __init__(
        self,
        sessions: SessionFactory,
        ttl: timedelta = DEFAULT_CHOICE_TTL,
        clock: Callable[[], datetime] = utcnow,
        flow_ttl: timedelta = DEFAULT_FLOW_TTL,
        *,
        direct: SqliteDirect | None = None,
    ) -> None:
        """``direct``: on a SQLite file, runs the per-message read and choice writes with fewer hand-offs."""
        if ttl <= timedelta(0) or flow_ttl <= timedelta(0):
            raise ValueError("ttl must be positive")
        self._sessions = sessions
        bind = sessions.kw.get("bind")
        # The per-message statements go straight to the engine: an ORM session costs more than the query.
        self._engine = bind if isinstance(bind, AsyncEngine) else None
        self._direct = direct
        self._ttl = ttl
        self._flow_ttl = flow_ttl
        self._clock = clock

    @asynccontextmanager
    async def _connect(self, *, write: bool) -> AsyncIterator[AsyncConnection]:
        """A connection for Core statements; ``write`` commits at the end, else it rolls back."""
        if self._engine is not None:
            async with self._engine.begin() if write else self._engine.connect() as conn:
                yield conn
            return
        async with self._sessions.begin() if write else self._sessions() as session:
            yield await session.connection()

    # Numbered choices

    async def remember(self, chat_key: str, payloads: list[str], question: str = "") -> None:
        """Store the payloads shown and the folded search ``question`` they answer (an empty list forgets)."""
        if not payloads:
            await self.forget(chat_key)
            return
        # One statement, so two messages of a new chat racing to create its row cannot collide.
        values = {
            "chat_key": chat_key,
            "choices": list(payloads),
            "expires_at": self._clock() + self._ttl,
            "question": question[:QUESTION_MAX] or None,
        }
        if self._direct is not None:
            await self._direct.write(partial(_execute, _UPSERT_CHOICES, values))
            return
        async with self._connect(write=True) as conn:
            await conn.execute(_UPSERT_CHOICES, values)

    async def forget(self, chat_key: str, *, known: ChatState | None = None) -> None:
        """Forget the chat's choices; no write at all when none are live (``known``: as already read)."""
        state = await self.state(chat_key) if known is None else known
        if not state.choices:
            return
        now = self._clock()
        # Emptied, never deleted: the row's version must not go back, or a handler holding an old
        # flow could match a newer flow's version. The WHERE keeps a concurrent forget a no-op.
        values = {"key": chat_key, "now": now}
        if self._direct is not None:
            await self._direct.write(partial(_execute, _FORGET_CHOICES, values))
            return
        async with self._connect(write=True) as conn:
            await conn.execute(_FORGET_CHOICES, values)

    async def recall(self, chat_key: str) -> list[str]:
        """Return the payloads last shown, or [] if none or expired."""
        return list((await self.state(chat_key)).choices)

    async def settle(self, chat_key: str, question: str) -> bool:
        """Clear the chat's pending ``question``; True for exactly one caller when messages race."""
        values = {"key": chat_key, "question": question}
        if self._direct is not None:
            return await self._direct.write(partial(_count, _SETTLE, values)) > 0
        async with self._connect(write=True) as conn:
            return _rowcount(await conn.execute(_SETTLE, values)) > 0

    async def state(self, chat_key: str) -> ChatState:
        """Read the chat's unexpired choices and active flow in one small query."""
        if self._direct is not None:
            row = await self._direct.read(partial(_read_state, chat_key))
        else:
            async with self._connect(write=False) as conn:
                row = (await conn.execute(_STATE, {"key": chat_key})).one_or_none()
        if row is None:
            return _EMPTY
        now = self._clock()
        choices = tuple(str(p) for p in row.choices or ()) if row.expires_at > now else ()
        flow = None
        if (
            row.flow_name is not None
            and row.flow_step is not None
            and row.flow_expires_at is not None
            and row.flow_expires_at > now
        ):
            flow = Flow(
                chat_key=chat_key,
                name=row.flow_name,
                step=row.flow_step,
                data=MappingProxyType(dict(row.flow_data or {})),
                expires_at=row.flow_expires_at,
                ttl=timedelta(seconds=row.flow_ttl_seconds or self._flow_ttl.total_seconds()),
                version=row.version,
            )
        return ChatState(
            choices=choices,
            flow=flow,
            flow_stored=row.flow_name is not None,
            question=row.choices_question or "",
        )

    # Flows

    async def start_flow(
        self,
        chat_key: str,
        name: str,
        step: str,
        data: Mapping[str, JSONValue] | None = None,
        ttl: timedelta | None = None,
    ) -> Flow:
        """Start flow ``name`` at ``step``, replacing any flow the chat had; each step lives ``ttl``."""
        ttl = self._flow_ttl if ttl is None else ttl
        if ttl <= timedelta(0):
            raise ValueError("ttl must be positive")
        values: dict[str, Any] = {
            "flow_name": name,
            "flow_step": step,
            "flow_data": dict(data or {}),
            "flow_expires_at": self._clock() + ttl,
            "flow_ttl_seconds": math.ceil(ttl.total_seconds()),
        }
        version = await self._replace_flow(chat_key, values)
        if version is None:
            try:
                async with self._sessions.begin() as session:
                    await session.execute(
                        insert(ConversationState).values(
                            chat_key=chat_key, choices=[], expires_at=self._clock(), version=1, **values
                        )
                    )
                version = 1
            except IntegrityError:
                # Another message created the row meanwhile; replace its flow like any other.
                version = await self._replace_flow(chat_key, values)
                assert version is not None, "the row that collided is gone"
        return self._snapshot(chat_key, values, version)

    async def _replace_flow(self, chat_key: str, values: dict[str, Any]) -> int | None:
        async with self._sessions.begin() as session:
            result = await session.execute(
                update(ConversationState)
                .where(ConversationState.chat_key == chat_key)
                .values(version=ConversationState.version + 1, **values)
                .returning(ConversationState.version)
            )
            return result.scalar_one_or_none()

    async def flow(self, chat_key: str) -> Flow | None:
        """Return the chat's active flow, or None if it has none or it expired."""
        return (await self.state(chat_key)).flow

    async def advance(
        self,
        flow: Flow,
        step: str,
        data: Mapping[str, JSONValue] | None = None,
        ttl: timedelta | None = None,
    ) -> Flow:
        """Move ``flow`` to ``step`` merging ``data``, for ``ttl`` anew; :class:`StaleFlow` if it changed."""
        ttl = flow.ttl if ttl is None else ttl
        if ttl <= timedelta(0):
            raise ValueError("ttl must be positive")
        values: dict[str, Any] = {
            "flow_name": flow.name,
            "flow_step": step,
            "flow_data": {**flow.data, **(data or {})},
            "flow_expires_at": self._clock() + ttl,
            "flow_ttl_seconds": math.ceil(ttl.total_seconds()),
        }
        if not await self._compare_and_set(flow, values):
            raise StaleFlow(flow.chat_key, flow.version)
        return self._snapshot(flow.chat_key, values, flow.version + 1)

    async def end_flow(self, target: str | Flow) -> bool:
        """End a chat key's flow (True if it had one), or exactly ``target`` as read (else StaleFlow)."""
        cleared: dict[str, Any] = dict.fromkeys(
            ("flow_name", "flow_step", "flow_data", "flow_expires_at", "flow_ttl_seconds")
        )
        if isinstance(target, Flow):
            if not await self._compare_and_set(target, cleared):
                raise StaleFlow(target.chat_key, target.version)
            return True
        async with self._sessions.begin() as session:
            result = await session.execute(
                update(ConversationState)
                .where(ConversationState.chat_key == target, ConversationState.flow_name.is_not(None))
                .values(version=ConversationState.version + 1, **cleared)
            )
        return _rowcount(result) > 0

    async def _compare_and_set(self, flow: Flow, values: dict[str, Any]) -> bool:
        async with self._sessions.begin() as session:
            result = await session.execute(
                update(ConversationState)
                .where(
                    ConversationState.chat_key == flow.chat_key,
                    ConversationState.version == flow.version,
                    ConversationState.flow_name == flow.name,
                    ConversationState.flow_expires_at > self._clock(),
                )
                .values(version=ConversationState.version + 1, **values)
            )
        return _rowcount(result) == 1

    def _snapshot(self, chat_key: str, values: dict[str, Any], version: int) -> Flow:
        return Flow(
            chat_key=chat_key,
            name=values["flow_name"],
            step=values["flow_step"],
            data=MappingProxyType(dict(values["flow_data"])),
            expires_at=values["flow_expires_at"],
            ttl=timedelta(seconds=values["flow_ttl_seconds"]),
            version=version,
        )

    # Housekeeping

    async def purge_expired(self) -> int:
        """Delete rows whose choices and flow have both expired; return how many went."""
        now = self._clock()
        async with self._sessions.begin() as session:
            result = await session.execute(
                delete(ConversationState).where(
                    and_(
                        ConversationState.expires_at <= now,
                        or_(
                            ConversationState.flow_expires_at.is_(None),
                            ConversationState.flow_expires_at <= now,
                        ),
                    )
                )
            )
        return _rowcount(result)


_TABLE = ConversationState.__table__
_UPSERT_CHOICES = text(
    "INSERT INTO conversation_state (chat_key, choices, expires_at, version, choices_question)"
    " VALUES (:chat_key, :choices, :expires_at, 0, :question)"
    " ON CONFLICT (chat_key) DO UPDATE SET choices = excluded.choices, expires_at = excluded.expires_at,"
    " choices_question = excluded.choices_question"
).bindparams(
    bindparam("choices", type_=_TABLE.c.choices.type),
    bindparam("expires_at", type_=_TABLE.c.expires_at.type),
)
"""INSERT ... ON CONFLICT DO UPDATE of a chat's choices, the same on SQLite and PostgreSQL.

Text, because SQLAlchemy's dialect upsert constructs are never cached: compiling one cost more than
running it, once per message that shows choices.
"""


_FORGET_CHOICES = (
    update(ConversationState)
    .where(ConversationState.chat_key == bindparam("key"), ConversationState.expires_at > bindparam("now"))
    .values(choices=[], expires_at=bindparam("now"), choices_question=None)
)

_SETTLE = (
    update(ConversationState)
    .where(
        ConversationState.chat_key == bindparam("key"),
        ConversationState.choices_question == bindparam("question"),
    )
    .values(choices_question=None)
)


def _read_state(chat_key: str, conn: Connection) -> Row[Any] | None:
    return conn.execute(_STATE, {"key": chat_key}).one_or_none()


def _execute(statement: Executable, values: dict[str, Any], conn: Connection) -> None:
    conn.execute(statement, values)


def _count(statement: Executable, values: dict[str, Any], conn: Connection) -> int:
    return _rowcount(conn.execute(statement, values))


def _rowcount(result: object) -> int:
    return int(getattr(result, "rowcount", 0) or 0)
