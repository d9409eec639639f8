"""Answer procedure questions from the in-memory index of the catalogue; import and load it from storage.

The index is built from the stored records with each procedure's aliases among its keywords. A running
bot rebuilds it when the knowledge base's fingerprint changes (:meth:`ProcedureService.refresh`), so a
re-import or a new alias takes effect without a restart.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from bot.services.aliases import alias_phrases
from bot.storage import ProcedureAlias, ProcedureRow, SessionFactory
from bot.storage.columns import utcnow
from bot.storage.engine import begin_write
from knowledge.index import ProcedureIndex
from knowledge.model import Procedure
from knowledge.results import SearchResult

# Keeps the IN (...) list of one lookup well under SQLite's and asyncpg's parameter limits.
_LOOKUP_CHUNK = 500

INLINE_QUERY_CHARS = 40
"""Questions up to this long are scored on the event loop (bench/search.py prints the slowest), where a
short question costs less than handing it to a thread under load; longer ones go to the search thread."""

ANSWER_CACHE_SIZE = 4096
"""How many recent (question, limit) answers a service keeps: residents ask the same few things often."""

# One thread for every longer search in the process. Searches hold the GIL, so several threads would
# run one at a time anyway, and fighting over it (numpy lets go of it between array steps) multiplied
# the CPU per question under many concurrent chats (bench/throughput.py's core stage shows it).
_SEARCH_THREAD = ThreadPoolExecutor(max_workers=1, thread_name_prefix="motcua-search")


@dataclass(frozen=True, slots=True)
class KnowledgeFingerprint:
    """A cheap summary of the knowledge base that changes whenever what the index is built from does."""

    procedures: int
    procedures_updated: datetime | None
    aliases: int
    last_alias: int | None
    """The newest alias id: a removal and an addition between two checks still change the fingerprint."""


async def knowledge_fingerprint(sessions: SessionFactory) -> KnowledgeFingerprint:
    """Count and newest change of the procedures, count and newest id of the aliases (two small queries)."""
    async with sessions() as session:
        procedures, updated = (
            await session.execute(select(func.count(), func.max(ProcedureRow.updated_at)))
        ).one()
        aliases, last_alias = (await session.execute(select(func.count(), func.max(ProcedureAlias.id)))).one()
    return KnowledgeFingerprint(int(procedures), updated, int(aliases), last_alias)


class ProcedureService:
    """Search and look up procedures; long questions are scored off the event loop."""

    def __init__(self, index: ProcedureIndex, fingerprint: KnowledgeFingerprint | None = None) -> None:
        """``fingerprint``: of the knowledge base the index was built from (None: unknown, so stale)."""
        self._index = index
        self._fingerprint = fingerprint
        self._answers: OrderedDict[tuple[str, int], SearchResult] = OrderedDict()
        self.on_answer: Callable[[str], None] | None = None
        """Told the kind of each answer (``confident``, ``choices``, ``none``): the metrics count them."""

    @classmethod
    async def load(cls, sessions: SessionFactory) -> ProcedureService:
        """A service over the index built from the database, knowing the fingerprint it was built at."""
        fingerprint = await knowledge_fingerprint(sessions)
        return cls(await load_index(sessions), fingerprint)

    @property
    def count(self) -> int:
        """How many procedures are searchable."""
        return len(self._index)

    async def search(self, query: str, limit: int = 5) -> SearchResult:
        """Rank procedures for a question without stalling other chats (long ones in the search thread).

        The index is immutable, so a question asked again gets the answer kept from the last time, until
        the index is replaced.
        """
        key = (query, limit)
        answers = self._answers
        found = answers.get(key)
        if found is not None:
            answers.move_to_end(key)
        else:
            found = await self._search(query, limit)
        if self.on_answer is not None:
            self.on_answer(found.answer)
        return found

    async def _search(self, query: str, limit: int) -> SearchResult:
        key = (query, limit)
        answers = self._answers
        if len(query) <= INLINE_QUERY_CHARS:
            found = self._index.search(query, limit)
        else:
            loop = asyncio.get_running_loop()
            found = await loop.run_in_executor(_SEARCH_THREAD, self._index.search, query, limit)
        # A search that was running when the index was replaced lands in the old index's cache, not here.
        answers[key] = found
        if len(answers) > ANSWER_CACHE_SIZE:
            answers.popitem(last=False)
        return found

    def get(self, code: str) -> Procedure | None:
        """Return one procedure by its code."""
        return self._index.get(code.strip())

    def replace_index(self, index: ProcedureIndex, fingerprint: KnowledgeFingerprint | None = None) -> None:
        """Swap in a rebuilt index (searches already running finish on the old one)."""
        self._index = index
        self._fingerprint = fingerprint
        self.forget_answers()

    def forget_answers(self) -> None:
        """Drop the kept answers, so that the next questions are searched (benchmarks measure that)."""
        self._answers = OrderedDict()

    async def reload(self, sessions: SessionFactory, fingerprint: KnowledgeFingerprint | None = None) -> None:
        """Rebuild the index from the database (off the event loop) and swap it in.

        ``fingerprint``: the knowledge base's, just read by the caller (else it is read here).
        """
        # The fingerprint is read first: a change made while the index is built is seen at the next check.
        if fingerprint is None:
            fingerprint = await knowledge_fingerprint(sessions)
        self.replace_index(await load_index(sessions), fingerprint)

    async def refresh(self, sessions: SessionFactory) -> bool:
        """Reload when the knowledge base changed since the index was built; True when it did."""
        fingerprint = await knowledge_fingerprint(sessions)
        if fingerprint == self._fingerprint:
            return False
        await self.reload(sessions, fingerprint)
        return True


@dataclass(frozen=True, slots=True)
class ImportSummary:
    """What one import changed in the database."""

    imported: int = 0
    updated: int = 0
    unchanged: int = 0
    kept_real: int = 0
    """Demo records not written because a real record has the same code."""

    @property
    def total(self) -> int:
        """Every procedure the import looked at."""
        return self.imported + self.updated + self.unchanged + self.kept_real


def content_hash(procedure: Procedure) -> str:
    """Return a stable hash of a procedure's stored form (key order and escaping do not matter)."""
    canonical = json.dumps(procedure.to_dict(), ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


async def import_procedures(sessions: SessionFactory, procedures: Iterable[Procedure]) -> ImportSummary:
    """Upsert procedures by code in one transaction; unchanged records are not touched (idempotent).

    A demo record never replaces a real one with the same code (the demo set reuses real codes).
    """
    batch = {p.code: p for p in procedures}
    imported = updated = unchanged = kept_real = 0
    now = utcnow()
    async with sessions.begin() as session:
        await begin_write(session)
        existing: dict[str, ProcedureRow] = {}
        codes = list(batch)
        for start in range(0, len(codes), _LOOKUP_CHUNK):
            chunk = codes[start : start + _LOOKUP_CHUNK]
            rows = await session.scalars(select(ProcedureRow).where(ProcedureRow.code.in_(chunk)))
            existing.update((row.code, row) for row in rows)
        for code, proc in batch.items():
            digest = content_hash(proc)
            row = existing.get(code)
            if row is None:
                session.add(_new_row(proc, digest, now))
                imported += 1
            elif row.content_hash == digest:
                unchanged += 1
            elif proc.demo and not row.demo:
                kept_real += 1
            else:
                _fill(row, proc, digest)
                row.updated_at = now
                updated += 1
    return ImportSummary(imported=imported, updated=updated, unchanged=unchanged, kept_real=kept_real)


def _new_row(proc: Procedure, digest: str, now: datetime) -> ProcedureRow:
    row = ProcedureRow(code=proc.code, imported_at=now, updated_at=now)
    _fill(row, proc, digest)
    return row


def _fill(row: ProcedureRow, proc: Procedure, digest: str) -> None:
    row.name = proc.name
    row.level = proc.level
    row.field = proc.field
    row.source = proc.source
    row.demo = proc.demo
    row.data = proc.to_dict()
    row.content_hash = digest


async def load_procedures(sessions: SessionFactory) -> list[Procedure]:
    """Read every stored procedure, ordered by code."""
    async with sessions() as session:
        data = await session.scalars(select(ProcedureRow.data).order_by(ProcedureRow.code))
        return [Procedure.from_dict(d) for d in data]


async def load_index(sessions: SessionFactory) -> ProcedureIndex:
    """Build the search index from the database, aliases among the keywords (off the event loop)."""
    async with sessions() as session:
        records = list(await session.scalars(select(ProcedureRow.data).order_by(ProcedureRow.code)))
        aliases = await alias_phrases(session)
    return await asyncio.to_thread(build_index, records, aliases)


def build_index(records: Sequence[dict[str, Any]], aliases: Mapping[str, Sequence[str]]) -> ProcedureIndex:
    """The search index over stored records, each procedure's aliases added to its keywords.

    The aliases are also handed over as staff's: a question equal to one is answered with its procedure.
    """
    procedures = []
    for data in records:
        procedure = Procedure.from_dict(data)
        extra = aliases.get(procedure.code)
        if extra:
            procedure = replace(procedure, keywords=(*procedure.keywords, *extra))
        procedures.append(procedure)
    return ProcedureIndex(procedures, staff=aliases)


@dataclass(frozen=True, slots=True)
class KnowledgeStats:
    """What the knowledge base holds."""

    total: int
    demo: int
    by_source: dict[str, int]
    by_level: dict[str, int]
    """A procedure done at several levels counts at each."""
    by_field: dict[str, int]
    with_documents: int
    with_channels: int
    with_fees: int


def knowledge_stats(procedures: Iterable[Procedure]) -> KnowledgeStats:
    """Count procedures by source, level and field, and how many have documents, channels and fees.

    A procedure done at several levels ("Cấp tỉnh, Cấp xã") counts once at each.
    """
    procs = list(procedures)
    return KnowledgeStats(
        total=len(procs),
        demo=sum(p.demo for p in procs),
        by_source=dict(Counter(p.source for p in procs).most_common()),
        by_level=dict(Counter(level for p in procs for level in _levels(p.level)).most_common()),
        by_field=dict(Counter(p.field for p in procs).most_common()),
        with_documents=sum(bool(p.documents) for p in procs),
        with_channels=sum(bool(p.channels) for p in procs),
        with_fees=sum(any(c.fee for c in p.channels) for p in procs),
    )


def _levels(level: str) -> list[str]:
    # The catalogue capitalises levels inconsistently ("Cấp Xã", "Cấp xã"); count them as one.
    parts = [part.strip() for part in level.split(",")]
    return [part[:1].upper() + part[1:].lower() for part in parts if part] or [""]
