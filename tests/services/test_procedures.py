"""Importing procedures into the database, idempotently, and loading the search index back."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from bot.services.conversations import ConversationMemory
from bot.services.procedures import (
    ANSWER_CACHE_SIZE,
    INLINE_QUERY_CHARS,
    ImportSummary,
    ProcedureService,
    content_hash,
    import_procedures,
    knowledge_stats,
    load_index,
    load_procedures,
)
from bot.storage import ProcedureRow, SessionFactory
from knowledge.index import ProcedureIndex
from knowledge.model import Channel, Document, Procedure
from knowledge.results import SearchResult

BIRTH = Procedure(
    code="1.001193",
    name="Đăng ký khai sinh",
    level="Cấp Xã",
    field="Hộ tịch",
    source="dichvucong",
    documents=(Document(name="Tờ khai đăng ký khai sinh", originals=1),),
    channels=(Channel(kind="Trực tiếp", time_limit="Ngay trong ngày", fee="Miễn lệ phí"),),
    unparsed={"legal_basis": "Luật Hộ tịch 2014"},
)
DEATH = Procedure(code="1.000656", name="Đăng ký khai tử", level="Cấp Xã", field="Hộ tịch", source="bqp")
MARRIAGE = Procedure(code="1.000894", name="Đăng ký kết hôn", field="Hộ tịch", source="demo", demo=True)


async def test_first_import_inserts_and_second_changes_nothing(sessions: SessionFactory) -> None:
    assert await import_procedures(sessions, [BIRTH, DEATH]) == ImportSummary(imported=2)
    again = await import_procedures(sessions, [BIRTH, DEATH])
    assert again == ImportSummary(imported=0, updated=0, unchanged=2)


async def test_a_changed_record_is_updated_in_place(sessions: SessionFactory) -> None:
    await import_procedures(sessions, [BIRTH, DEATH])
    async with sessions() as session:
        before = await session.get(ProcedureRow, BIRTH.code)
    assert before is not None
    changed = replace(BIRTH, name="Đăng ký khai sinh (mới)")
    summary = await import_procedures(sessions, [changed, DEATH, MARRIAGE])
    assert summary == ImportSummary(imported=1, updated=1, unchanged=1)
    async with sessions() as session:
        row = await session.get(ProcedureRow, BIRTH.code)
    assert row is not None
    assert row.name == "Đăng ký khai sinh (mới)"
    assert row.content_hash == content_hash(changed) != before.content_hash
    assert row.imported_at == before.imported_at
    assert row.updated_at > before.updated_at


async def test_demo_records_never_replace_real_ones_but_real_replace_demo(sessions: SessionFactory) -> None:
    demo_birth = replace(BIRTH, name="Khai sinh (mẫu)", source="demo", demo=True)
    await import_procedures(sessions, [BIRTH, MARRIAGE])
    summary = await import_procedures(sessions, [demo_birth])
    assert summary == ImportSummary(kept_real=1)
    real_marriage = replace(MARRIAGE, source="dichvucong", demo=False)
    assert await import_procedures(sessions, [real_marriage]) == ImportSummary(updated=1)
    assert await load_procedures(sessions) == [real_marriage, BIRTH]


async def test_stored_record_round_trips_to_the_same_procedure(sessions: SessionFactory) -> None:
    await import_procedures(sessions, [BIRTH, MARRIAGE])
    assert await load_procedures(sessions) == [MARRIAGE, BIRTH]  # ordered by code
    async with sessions() as session:
        row = (await session.scalars(select(ProcedureRow).where(ProcedureRow.code == MARRIAGE.code))).one()
    assert (row.source, row.demo, row.field) == ("demo", True, "Hộ tịch")


async def test_duplicate_codes_in_one_batch_keep_the_last(sessions: SessionFactory) -> None:
    newer = replace(DEATH, name="Đăng ký khai tử lần hai")
    assert await import_procedures(sessions, [DEATH, newer]) == ImportSummary(imported=1)
    [stored] = await load_procedures(sessions)
    assert stored.name == "Đăng ký khai tử lần hai"


async def test_import_is_one_transaction(sessions: SessionFactory, tmp_path: Path) -> None:
    await import_procedures(sessions, [DEATH])
    broken = Procedure(code="9.999999", name=None)  # type: ignore[arg-type]
    with pytest.raises(IntegrityError):
        await import_procedures(sessions, [replace(DEATH, name="khác"), BIRTH, broken])
    with sqlite3.connect(tmp_path / "motcua.db") as conn:
        assert conn.execute("select code, name from procedures").fetchall() == [(DEATH.code, DEATH.name)]


async def test_index_is_loaded_from_the_database(sessions: SessionFactory) -> None:
    await import_procedures(sessions, [BIRTH, DEATH, MARRIAGE])
    index = await load_index(sessions)
    assert len(index) == 3
    assert index.get(BIRTH.code) == BIRTH
    result = index.search("khai sinh", limit=3)
    assert result.hits
    assert result.hits[0].code == BIRTH.code


async def test_short_and_long_questions_get_the_index_answer_and_long_ones_leave_the_loop() -> None:
    index = ProcedureIndex([BIRTH, DEATH, MARRIAGE])
    service = ProcedureService(index)
    short = "khai sinh"
    long = "đăng ký khai sinh, " * 8
    assert len(short) <= INLINE_QUERY_CHARS < len(long)
    seen: list[str] = []

    class Recording(ProcedureIndex):
        def search(self, query: str, limit: int = 5) -> SearchResult:
            seen.append(threading.current_thread().name)
            return super().search(query, limit)

    service.replace_index(Recording([BIRTH, DEATH, MARRIAGE]))
    assert await service.search(short) == index.search(short)
    assert await service.search(long) == index.search(long)
    assert (await service.search(long)).hits[0].code == BIRTH.code
    assert seen[0] == threading.current_thread().name
    assert seen[1] != threading.current_thread().name and seen[1].startswith("motcua-search")


def test_stats_count_sources_levels_fields_and_details() -> None:
    stats = knowledge_stats([BIRTH, DEATH, MARRIAGE])
    assert stats.total == 3
    assert stats.demo == 1
    assert stats.by_source == {"dichvucong": 1, "bqp": 1, "demo": 1}
    assert stats.by_level == {"Cấp xã": 2, "": 1}
    several = knowledge_stats([replace(DEATH, level="Cấp tỉnh, Cấp Xã"), BIRTH])
    assert several.by_level == {"Cấp xã": 2, "Cấp tỉnh": 1}
    assert stats.by_field == {"Hộ tịch": 3}
    assert (stats.with_documents, stats.with_channels, stats.with_fees) == (1, 1, 1)


async def test_an_import_while_the_bot_writes_choices_does_not_fail(sessions: SessionFactory) -> None:
    memory = ConversationMemory(sessions)
    procs = [Procedure(code=f"1.{i:06d}", name=f"Thủ tục {i}") for i in range(300)]
    for round_ in range(3):
        chats = (memory.remember(f"zalo:{round_}-{i}", ["p:1"]) for i in range(30))
        changed = [replace(p, name=f"{p.name} v{round_}") for p in procs]
        importing = asyncio.create_task(import_procedures(sessions, changed))
        await asyncio.gather(*chats)
        assert (await importing).updated == (300 if round_ else 0)


def _counting(calls: list[str]) -> type[ProcedureIndex]:
    """An index class that notes every question it is asked to search."""

    class Counting(ProcedureIndex):
        def search(self, query: str, limit: int = 5) -> SearchResult:
            calls.append(query)
            return super().search(query, limit)

    return Counting


async def test_a_repeated_question_is_answered_from_the_cache_until_the_index_is_replaced() -> None:
    calls: list[str] = []
    counting = _counting(calls)
    service = ProcedureService(counting([BIRTH, DEATH]))
    first = await service.search("khai sinh")
    assert await service.search("khai sinh") == first
    assert await service.search("khai sinh", limit=1) == ProcedureIndex([BIRTH, DEATH]).search("khai sinh", 1)
    assert calls == ["khai sinh", "khai sinh"]  # the second limit is another question
    service.replace_index(counting([DEATH, MARRIAGE]))
    after = await service.search("khai sinh")
    assert len(calls) == 3
    assert BIRTH.code not in [hit.code for hit in after.hits]


async def test_the_answer_cache_is_bounded_and_forgets_the_oldest_question() -> None:
    calls: list[str] = []
    counting = _counting(calls)
    service = ProcedureService(counting([BIRTH, DEATH]))
    for i in range(ANSWER_CACHE_SIZE + 1):
        await service.search(f"câu hỏi {i}")
    await service.search(f"câu hỏi {ANSWER_CACHE_SIZE}")  # the newest is still kept
    assert len(calls) == ANSWER_CACHE_SIZE + 1
    await service.search("câu hỏi 0")  # the oldest was let go
    assert len(calls) == ANSWER_CACHE_SIZE + 2
