"""Procedure search. PLACEHOLDER ranking (rapidfuzz over folded names) until the real index lands."""

from __future__ import annotations

from collections.abc import Iterable

from rapidfuzz import fuzz, process

from knowledge.model import Procedure
from knowledge.normalize import fold
from knowledge.results import Hit, SearchResult


class ProcedureIndex:
    """An in-memory search index over procedures."""

    def __init__(self, procedures: Iterable[Procedure]) -> None:
        self._procedures = {p.code: p for p in procedures}
        self._codes = list(self._procedures)
        self._names = [fold(self._procedures[c].name) for c in self._codes]

    def __len__(self) -> int:
        return len(self._codes)

    def get(self, code: str) -> Procedure | None:
        """Return the procedure with this code, if any."""
        return self._procedures.get(code)

    def search(self, query: str, limit: int = 5) -> SearchResult:
        """Rank procedures for a free-text question."""
        folded = fold(query).strip()
        if not folded:
            return SearchResult(query=query, answer="none", reason="empty")
        matches = process.extract(folded, self._names, scorer=fuzz.WRatio, limit=limit)
        hits = tuple(Hit(self._codes[i], self._procedures[self._codes[i]].name, float(s)) for _, s, i in matches)
        if not hits or hits[0].score < 60:
            return SearchResult(query=query, answer="none", reason="no_match")
        if len(hits) == 1 or hits[0].score - hits[1].score > 10:
            return SearchResult(query=query, answer="confident", hits=hits[:1])
        return SearchResult(query=query, answer="choices", hits=hits)
