"""Whole-record retrieval: a BM25 index per field of the procedure record (name and aliases, audience, ...).

Residents describe their situation ("bố mất, sổ đỏ đứng tên bố"), and those words live in the record's
body (who it is for, its conditions, result and documents), not in its name. Each field gets its own
inverted index with its own IDF and length normalisation, so a word common in document lists ("bản sao")
weighs little there while still counting in a name.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np
import numpy.typing as npt

from knowledge.model import Procedure
from knowledge.normalize import accented_syllables, canonical, syllables

FIELDS = ("name", "field", "audience", "result", "documents", "conditions")
"""The record's fields, each indexed on its own; the order is the order of their features.

A procedure's keywords (staff aliases among them) are other names for it, so they are read with its name:
the national catalogue has almost none, and a field of its own would get weights fitted on nothing.
"""

_K1 = 1.2
_B = 0.75
# Document lists and conditions can run to tens of thousands of characters; the start says what they are
# about, and the rest would only add noise and index time.
_FIELD_CHARS = 3000


def field_texts(procedure: Procedure) -> tuple[str, ...]:
    """The text of each field in :data:`FIELDS` order, capped in length."""
    texts = (
        " . ".join((procedure.name, *procedure.keywords)),
        procedure.field,
        procedure.audience,
        procedure.result,
        " . ".join(d.name for d in procedure.documents),
        procedure.conditions,
    )
    return tuple(t[:_FIELD_CHARS] for t in texts)


def record_tokens(
    procedures: Sequence[Procedure], expand: Callable[[list[str]], list[str]]
) -> list[list[list[str]]]:
    """Per field of :data:`FIELDS`, each procedure's folded syllables, abbreviations expanded."""
    # Each distinct word is folded once: folding whole texts character by character took most of the
    # time, and one string per distinct syllable keeps the token lists (all alive at once) tens of MB
    # smaller.
    memo: dict[str, list[str]] = {}

    def tokens(text: str) -> list[str]:
        out: list[str] = []
        for word in accented_syllables(text):
            known = memo.get(word)
            if known is None:
                known = memo[word] = [canonical(s) for s in syllables(word)]
            out.extend(known)
        return expand(out)

    per_field: list[list[list[str]]] = [[] for _ in FIELDS]
    for procedure in procedures:
        for column, text in zip(per_field, field_texts(procedure), strict=True):
            column.append(tokens(text))
    return per_field


@dataclass(frozen=True, slots=True)
class _Postings:
    ids: npt.NDArray[np.intp]
    weights: npt.NDArray[np.float64]
    """BM25 term weight of the token in each document, already saturated and length-normalised."""


class FieldIndex:
    """BM25 postings of one field; scores are shares of the most a question's words can earn there."""

    def __init__(self, docs: Sequence[Sequence[str]]) -> None:
        self._n = len(docs)
        lengths = np.array([len(d) for d in docs], dtype=np.float64)
        average = float(lengths.mean()) if self._n and lengths.sum() else 1.0
        df: Counter[str] = Counter()
        rows: dict[str, list[tuple[int, int]]] = {}
        for i, tokens in enumerate(docs):
            counts = Counter(tokens)
            df.update(counts.keys())
            for token, tf in counts.items():
                rows.setdefault(token, []).append((i, tf))
        n = max(self._n, 1)
        self._idf: Mapping[str, float] = MappingProxyType(
            {t: math.log(1.0 + (n - c + 0.5) / (c + 0.5)) for t, c in df.items()}
        )
        self._unseen = math.log(1.0 + (n + 0.5) / 0.5)
        postings: dict[str, _Postings] = {}
        for token, pairs in rows.items():
            ids = np.fromiter((i for i, _ in pairs), dtype=np.intp, count=len(pairs))
            freq = np.fromiter((f for _, f in pairs), dtype=np.float64, count=len(pairs))
            norm = _K1 * (1.0 - _B + _B * lengths[ids] / average)
            weights = self._idf[token] * freq * (_K1 + 1.0) / (freq + norm)
            ids.flags.writeable = False
            weights.flags.writeable = False
            postings[token] = _Postings(ids, weights)
        self._postings: Mapping[str, _Postings] = MappingProxyType(postings)

    @property
    def size(self) -> int:
        """How many documents the field has."""
        return self._n

    @property
    def unseen_idf(self) -> float:
        """The IDF of a token the field never has (the highest)."""
        return self._unseen

    def idf(self, token: str) -> float:
        """The token's IDF in this field (the highest for a token the field never has)."""
        return self._idf.get(token, self._unseen)

    def tokens(self) -> Iterator[str]:
        """Every token the field has."""
        return iter(self._postings)

    def postings(self, token: str) -> _Postings:
        """The documents holding the token and its BM25 weight in each."""
        return self._postings[token]


class RecordIndex:
    """BM25 of every field of every procedure, in the order of the procedures given.

    The fields' postings are merged per token (document ``i`` of field ``f`` is place ``f * n + i``), so one
    pass over a phrase's tokens scores it in all fields at once.
    """

    def __init__(self, per_field: Sequence[Sequence[Sequence[str]]]) -> None:
        """Index the tokens of every field of every procedure (see :func:`record_tokens`)."""
        self._n = len(per_field[0]) if per_field else 0
        self._unseen = np.zeros(len(FIELDS))
        merged: dict[str, list[tuple[int, FieldIndex]]] = {}
        for f, column in enumerate(per_field):
            field = FieldIndex(column)
            self._unseen[f] = field.unseen_idf
            for token in field.tokens():
                merged.setdefault(token, []).append((f, field))
        postings: dict[str, tuple[_Postings, npt.NDArray[np.float64]]] = {}
        for token, found in merged.items():
            idf = self._unseen.copy()
            parts = []
            for f, field in found:
                idf[f] = field.idf(token)
                parts.append(field.postings(token))
            ids = np.concatenate([p.ids + f * self._n for (f, _), p in zip(found, parts, strict=True)])
            weights = np.concatenate([p.weights for p in parts])
            ids.flags.writeable = weights.flags.writeable = idf.flags.writeable = False
            postings[token] = (_Postings(ids, weights), idf)
        self._postings: Mapping[str, tuple[_Postings, npt.NDArray[np.float64]]] = MappingProxyType(postings)
        self._unseen.flags.writeable = False

    def phrase(self, tokens: Sequence[str]) -> npt.NDArray[np.float64]:
        """Per field and document, BM25 of these tokens over their summed IDF in the field (fields x docs)."""
        got = np.zeros(len(FIELDS) * self._n)
        total = np.zeros(len(FIELDS))
        for token in tokens:
            found = self._postings.get(token)
            if found is None:
                total += self._unseen
            else:
                got[found[0].ids] += found[0].weights
                total += found[1]
        out = got.reshape(len(FIELDS), self._n)
        np.divide(out, total[:, None], out=out, where=total[:, None] > 0)
        return out

    def scores(self, concepts: Sequence[tuple[float, Sequence[Sequence[str]]]]) -> npt.NDArray[np.float64]:
        """Per field and document, the importance-weighted share of concepts found (fields x documents).

        A concept is (importance, alternatives); it counts by its best alternative, as in the name stage.
        """
        total = sum(weight for weight, _ in concepts) or 1.0
        out = np.zeros((len(FIELDS), self._n))
        for weight, alternatives in concepts:
            best: npt.NDArray[np.float64] | None = None
            for alternative in alternatives:
                share = self.phrase(alternative)
                best = share if best is None else np.maximum(best, share, out=best)
            if best is not None:
                out += weight * np.minimum(best, 1.0)
        out /= total
        return out

    def plain(self, tokens: Sequence[str]) -> npt.NDArray[np.float64]:
        """Per field and document, plain BM25 of the question's own syllables, as a share (fields x docs).

        Every repaired syllable, filler included, and no synonyms: the question as typed, which the analysed
        concepts can lose (rare words carry the weight through their IDF).
        """
        return self.phrase(list(dict.fromkeys(tokens)))
