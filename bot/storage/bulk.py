"""Multi-row ``INSERT ... ON CONFLICT DO NOTHING`` for SQLite and PostgreSQL, one compiled shape per size."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import Table, TextClause, bindparam, text
from sqlalchemy.ext.asyncio import AsyncConnection

INSERT_CHUNK = 100
"""Rows per statement: at most 1,500 parameters, far below SQLite's and asyncpg's limits."""


@lru_cache(maxsize=512)
def _insert_statement(table: Table, conflict: str, columns: tuple[str, ...], count: int) -> TextClause:
    """``INSERT ... VALUES (...), (...) ON CONFLICT DO NOTHING RETURNING <conflict>`` for ``count`` rows.

    One row goes without ``RETURNING``: its row count says whether it went in, one driver call cheaper.

    Both SQLite and PostgreSQL run it; one shape per row count is compiled once and cached. SQLAlchemy's
    dialect ``on_conflict_do_nothing`` constructs are not cacheable; this text keeps the columns' types.
    """
    names = ", ".join(columns)
    values = ", ".join("(" + ", ".join(f":{name}_{n}" for name in columns) + ")" for n in range(count))
    sql = (
        f"INSERT INTO {table.name} ({names}) VALUES {values}"  # noqa: S608
        f" ON CONFLICT ({conflict}) DO NOTHING"
    )
    if count > 1:
        sql += f" RETURNING {conflict}"
    return text(sql).bindparams(
        *(bindparam(f"{name}_{n}", type_=table.c[name].type) for n in range(count) for name in columns)
    )


async def insert_new(
    connection: AsyncConnection, table: Table, conflict: str, rows: Sequence[dict[str, Any]]
) -> set[Any]:
    """Insert rows in order, skipping those whose unique ``conflict`` column is taken; return its new values.

    The unique constraint decides, so two transactions inserting the same key cannot both succeed.
    Every row must have the same columns as the first.
    """
    inserted: set[Any] = set()
    if not rows:
        return inserted
    columns = tuple(rows[0])
    for start in range(0, len(rows), INSERT_CHUNK):
        chunk = rows[start : start + INSERT_CHUNK]
        params = {f"{name}_{n}": row[name] for n, row in enumerate(chunk) for name in columns}
        result = await connection.execute(_insert_statement(table, conflict, columns, len(chunk)), params)
        if len(chunk) > 1:
            inserted.update(result.scalars())
        elif result.rowcount:
            inserted.add(chunk[0][conflict])
    return inserted
