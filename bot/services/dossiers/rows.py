"""The dossier row while a batch is applied, and the statements that read and write it."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Select, Table, TextClause, and_, bindparam, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.messages import ChatRef, Platform
from bot.services.dossiers.events import DossierNotice, NoticeKind, Status
from bot.storage import Dossier, DossierEvent, DossierSubscription


@dataclass(slots=True)
class DossierRow:
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


LOAD_CHUNK = 500
DOSSIERS = cast(Table, Dossier.__table__)
EVENTS = cast(Table, DossierEvent.__table__)
DOSSIER_COLUMNS = tuple(f.name for f in fields(DossierRow))


def _rows_statement(*, lock: bool) -> Select[Any]:
    subscriptions = cast(Table, DossierSubscription.__table__)
    query = (
        select(
            *(DOSSIERS.c[name] for name in DOSSIER_COLUMNS),
            subscriptions.c.platform,
            subscriptions.c.chat_id,
            subscriptions.c.is_group,
        )
        .outerjoin(
            subscriptions,
            and_(subscriptions.c.dossier_code == DOSSIERS.c.code, subscriptions.c.active.is_(True)),
        )
        .where(DOSSIERS.c.code.in_(bindparam("codes", expanding=True)))
        .order_by(DOSSIERS.c.code, subscriptions.c.id)
    )
    return query.with_for_update(of=DOSSIERS) if lock else query


SELECT_ROWS = _rows_statement(lock=False)
SELECT_ROWS_LOCKED = _rows_statement(lock=True)


async def load_rows(
    session: AsyncConnection, codes: list[str]
) -> tuple[dict[str, DossierRow], dict[str, list[ChatRef]]]:
    """Load dossiers by code with their active subscribers (each list in subscription order).

    On PostgreSQL the dossiers' rows are locked in code order, so two batches cannot deadlock. SQLite
    needs no row lock: the transaction already holds the database's write lock.
    """
    query = SELECT_ROWS_LOCKED if session.dialect.name == "postgresql" else SELECT_ROWS
    width = len(DOSSIER_COLUMNS)
    rows: dict[str, DossierRow] = {}
    subscribers: dict[str, list[ChatRef]] = {}
    for start in range(0, len(codes), LOAD_CHUNK):
        for values in await session.execute(query, {"codes": codes[start : start + LOAD_CHUNK]}):
            code = values[0]
            if code not in rows:
                rows[code] = DossierRow(*values[:width])
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
    names = [name for name in DOSSIER_COLUMNS if name != "code"]
    sql = f"UPDATE dossiers SET {', '.join(f'{name} = :{name}' for name in names)} WHERE code = :code"  # noqa: S608
    return text(sql).bindparams(*(bindparam(name, type_=DOSSIERS.c[name].type) for name in DOSSIER_COLUMNS))


UPDATE_DOSSIER = _update_statement()

LOOKUP = (
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
        DossierEvent.id.label("event_row"),
    )
    .outerjoin(DossierEvent, DossierEvent.dossier_code == Dossier.code)
    .where(Dossier.code == bindparam("code"))
    .order_by(DossierEvent.occurred_at.desc(), DossierEvent.id.desc())
)


RECEIPTS = (
    select(DossierEvent.dossier_code)
    .where(
        DossierEvent.dossier_code.in_(bindparam("codes", expanding=True)),
        DossierEvent.status == Status.RECEIVED.value,
    )
    .distinct()
)
"""Which of the given dossiers already have their receipt event recorded."""

STORED_EVENTS = select(
    DossierEvent.event_id,
    DossierEvent.dossier_code,
    DossierEvent.status,
    DossierEvent.occurred_at,
    DossierEvent.note,
    DossierEvent.new_due_at,
).where(DossierEvent.event_id.in_(bindparam("ids", expanding=True)))
"""What is recorded of events by id: the content a reused id is compared with."""


def row_params(row: DossierRow) -> dict[str, Any]:
    """The parameters of ``UPDATE_DOSSIER`` for ``row``."""
    return {name: getattr(row, name) for name in DOSSIER_COLUMNS}


def notice(kind: NoticeKind, dossier: Dossier | DossierRow) -> DossierNotice:
    """What a subscriber is told of ``dossier``, as it stands."""
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
