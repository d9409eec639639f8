"""Answer procedure questions from the in-memory index of the catalogue."""

from __future__ import annotations

import asyncio

from knowledge.index import ProcedureIndex
from knowledge.model import Procedure
from knowledge.results import SearchResult


class ProcedureService:
    """Search and look up procedures; scoring runs off the event loop."""

    def __init__(self, index: ProcedureIndex) -> None:
        self._index = index

    @property
    def count(self) -> int:
        """How many procedures are searchable."""
        return len(self._index)

    async def search(self, query: str, limit: int = 5) -> SearchResult:
        """Rank procedures for a question without stalling other chats."""
        return await asyncio.to_thread(self._index.search, query, limit)

    def get(self, code: str) -> Procedure | None:
        """Return one procedure by its code."""
        return self._index.get(code.strip())

    def replace_index(self, index: ProcedureIndex) -> None:
        """Swap in a rebuilt index (after an import)."""
        self._index = index
