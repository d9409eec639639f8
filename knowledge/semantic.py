"""Latent semantic vectors learned from the catalogue's own text, for words residents use that names lack.

A term-document matrix over the folded syllables and syllable pairs of each record's fields (the name weighs
most), TF-IDF weighted and each record's row of unit length, is reduced by a randomized truncated SVD (a
fixed seed: the same catalogue always gives the same vectors). Words that share records ("sổ đỏ" and
"quyền sử dụng đất", "trâu bò" and "động vật") get near vectors even when a question and a name have no word
in common. Built at index time from the tokens the whole-record index reads (``knowledge.fields``);
nothing is stored or fetched.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from threadpoolctl import threadpool_limits

FIELD_WEIGHTS = (3.0, 1.0, 1.0, 1.0, 1.0, 0.5)
"""How much a term counts in each field of ``knowledge.fields.FIELDS``: the name says most what it is."""
DIMENSIONS = 64
RECORDS_PER_DIMENSION = 2
"""Fewer records than this many per dimension teach no meaning: no vectors, and their features are unknown."""
_OVERSAMPLE = 20
_POWER_ITERATIONS = 1
_SEED = 11
_TERMS_PER_BLOCK = 4096
_MIN_DF = 2
"""A term of one record links it to nothing else: it would only cost time."""
_TOKENS = 160
"""Only the start of a long field (some 700 characters): it says what the field is about."""

Vector = npt.NDArray[np.float32]
_Floats = npt.NDArray[np.float64]
_Ints = npt.NDArray[np.int64]


def _unit_rows(matrix: npt.NDArray[np.floating]) -> Vector:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    out = np.zeros(matrix.shape, dtype=np.float32)
    np.divide(matrix, norms, out=out, where=norms > 0, casting="unsafe")
    return out


def _orthonormal(y: npt.NDArray[np.floating]) -> Vector:
    """An orthonormal basis of the columns of ``y`` (few columns), through their Gram matrix."""
    # A small eigendecomposition instead of a QR: LAPACK's QR of a tall matrix is many times slower on a
    # loaded machine, and directions with no weight (a catalogue smaller than the width) are dropped.
    values, vectors = np.linalg.eigh((y.T @ y).astype(np.float64))
    keep = values > max(float(values.max(initial=0.0)), 1e-300) * 1e-12
    return np.asarray(y @ (vectors[:, keep] / np.sqrt(values[keep])).astype(np.float32), dtype=np.float32)


def _truncated_svd(a: sp.csr_array, k: int) -> tuple[Vector, _Floats, Vector]:
    """A randomized rank-``k`` SVD of ``a`` (Halko et al.): left vectors, singular values, right vectors."""
    # scipy's svds (ARPACK) finds the same directions, but several times slower on the whole catalogue.
    width = min(k + _OVERSAMPLE, *a.shape)
    a_t = sp.csr_array(a.T)
    # The random test matrix (as tall as the terms) lives only for this product: the peak memory of a build.
    q = _orthonormal(a @ np.random.default_rng(_SEED).standard_normal((a.shape[1], width), dtype=np.float32))
    for _ in range(_POWER_ITERATIONS):
        q = _orthonormal(a @ (a_t @ q))
    # B = Q^T A. Its Gram matrix B B^T is summed over blocks of terms, so that B^T (as tall as the terms) is
    # never held whole beside the right vectors.
    gram = np.zeros((q.shape[1], q.shape[1]))
    for start in range(0, a_t.shape[0], _TERMS_PER_BLOCK):
        block = a_t[start : start + _TERMS_PER_BLOCK] @ q
        gram += (block.T @ block).astype(np.float64)
    values, vectors = np.linalg.eigh(gram)
    top = np.argsort(-values, kind="stable")[: min(k, len(values))]
    sigma = np.sqrt(np.maximum(values[top], 0.0))
    w = vectors[:, top].astype(np.float32)
    # B = W S V^T, so V = B^T W / S = A^T (Q W / S), and A's left vectors are Q W.
    left = q @ w
    right = a_t @ (left / np.maximum(sigma, 1e-12).astype(np.float32))
    return left, sigma, np.asarray(right, dtype=np.float32)


class SemanticIndex:
    """Unit vectors for every procedure (whole record, and name alone) and for every term of the catalogue."""

    def __init__(self, per_field: Sequence[Sequence[Sequence[str]]], dimensions: int = DIMENSIONS) -> None:
        """Build the vectors from every procedure's tokens per field (``knowledge.fields.record_tokens``)."""
        self._syllables: dict[str, int] = {}
        n = len(per_field[0]) if per_field else 0
        self.size = n
        counts, names, terms = self._counts(per_field, n)
        df = np.bincount(counts.indices, minlength=len(terms))
        kept = df >= _MIN_DF
        self._keys: _Ints = terms[kept]
        self._idf: _Floats = np.log(max(n, 1) / df[kept]) + 1.0
        records = self._tf_idf(counts, kept)
        names = self._tf_idf(names, kept)
        if not len(self._keys) or n < RECORDS_PER_DIMENSION * dimensions:
            self._vectors: Vector = np.zeros((len(self._keys), 0), dtype=np.float32)
            self._records: Vector = np.zeros((n, 0), dtype=np.float32)
            self._names: Vector = self._records
            return
        # One BLAS thread: on a busy machine, threads waiting for each other made the same products take
        # up to ten times longer, and these are too small to gain from a second core.
        with threadpool_limits(limits=1, user_api="blas"):
            left, sigma, right = _truncated_svd(records, dimensions)
            self._records = _unit_rows(left * sigma.astype(np.float32))
            self._names = _unit_rows(names @ right)
        self._vectors = right
        for array in (self._vectors, self._records, self._names, self._idf, self._keys):
            array.flags.writeable = False

    def _counts(
        self, per_field: Sequence[Sequence[Sequence[str]]], n: int
    ) -> tuple[sp.csr_array, sp.csr_array, _Ints]:
        """Weighted counts of every term in every record, counts in the name alone, and each column's key."""
        # In a method of its own so that the per-occurrence arrays are freed before the SVD's.
        occurrences = [self._occurrences(column) for column in per_field]
        self._width = width = len(self._syllables)
        # A term is a syllable (column: its id) or a pair of adjacent syllables (columns after them all).
        pairs = [self._pairs(rows, ids) for rows, ids in occurrences]
        pair_keys, pair_columns = np.unique(np.concatenate([keys for _, keys in pairs]), return_inverse=True)
        terms = np.concatenate([np.arange(width, dtype=np.int64), pair_keys])
        shape = (n, len(terms))
        counts = sp.csr_array(shape, dtype=np.float32)
        names = counts
        at = 0
        for f, ((rows, ids), (pair_rows, keys), weight) in enumerate(
            zip(occurrences, pairs, FIELD_WEIGHTS, strict=True)
        ):
            columns = np.concatenate([ids, width + pair_columns[at : at + len(keys)]])
            at += len(keys)
            field = self._count(np.concatenate([rows, pair_rows]), columns, shape)
            if f == 0:
                names = field
            counts = counts + weight * field
        return counts, names, terms

    def _occurrences(self, column: Sequence[Sequence[str]]) -> tuple[_Ints, _Ints]:
        """One field's records and syllable ids, an entry per syllable read."""
        ids = self._syllables
        counted = [min(len(tokens), _TOKENS) for tokens in column]
        flat = np.fromiter(
            (ids.setdefault(t, len(ids)) for tokens in column for t in itertools.islice(tokens, _TOKENS)),
            dtype=np.int64,
            count=sum(counted),
        )
        lengths = np.array(counted, dtype=np.int64)
        rows = np.repeat(np.arange(len(column), dtype=np.int64), lengths)
        return rows, flat

    def _pairs(self, rows: _Ints, ids: _Ints) -> tuple[_Ints, _Ints]:
        """Each pair of adjacent syllables of one record: its record and its key (above every syllable)."""
        same = rows[1:] == rows[:-1]
        return rows[:-1][same], (ids[:-1][same] + 1) * self._width + ids[1:][same]

    @staticmethod
    def _count(rows: _Ints, columns: npt.NDArray[np.intp], shape: tuple[int, int]) -> sp.csr_array:
        """How often each (record, term) occurs, as a sparse matrix."""
        ones = np.ones(len(rows), dtype=np.float32)
        matrix = sp.csr_array((ones, (rows, columns)), shape=shape)
        matrix.sum_duplicates()
        return matrix

    def _tf_idf(self, counts: sp.csr_array, kept: npt.NDArray[np.bool_]) -> sp.csr_array:
        """TF-IDF rows of unit length over the kept terms."""
        matrix = sp.csr_array(counts[:, kept])
        matrix.data = (np.log1p(matrix.data) * self._idf[matrix.indices]).astype(np.float32)
        norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
        scale = np.divide(1.0, norms, out=np.zeros_like(norms), where=norms > 0).astype(np.float32)
        return sp.csr_array(sp.diags_array(scale) @ matrix)

    def _columns(self, keys: _Ints) -> npt.NDArray[np.intp]:
        """The column of each key (-1 for a key that is no kept term)."""
        if not len(self._keys):
            return np.full(len(keys), -1, dtype=np.intp)
        at = np.searchsorted(self._keys, keys)
        at[at == len(self._keys)] = 0
        return np.where(self._keys[at] == keys, at, -1).astype(np.intp)

    @property
    def learned(self) -> bool:
        """Whether the catalogue was large enough to learn vectors from (see RECORDS_PER_DIMENSION)."""
        return bool(self._vectors.shape[1] > 0)

    def query(self, readings: Iterable[Sequence[str]]) -> Vector | None:
        """A question's unit vector: the IDF-weighted sum of its terms' vectors (None if it has none).

        Its terms are the syllables and adjacent pairs of each reading (as typed, and each notion's
        catalogue wording), each counted once.
        """
        found: list[int] = []
        for reading in readings:
            known = [self._syllables.get(t, -1) for t in reading]
            found.extend(k for k in known if k >= 0)
            found.extend((a + 1) * self._width + b for a, b in itertools.pairwise(known) if a >= 0 and b >= 0)
        columns = self._columns(np.unique(np.array(found, dtype=np.int64)))
        columns = columns[columns >= 0]
        if not len(columns) or self._vectors.shape[1] == 0:
            return None
        vector = self._idf[columns].astype(np.float32) @ self._vectors[columns]
        norm = float(np.linalg.norm(vector))
        return (vector / norm).astype(np.float32) if norm > 0 else None

    def records(self, vector: Vector) -> _Floats:
        """Cosine of a question's vector with each procedure's whole record."""
        return (self._records @ vector).astype(np.float64)

    def names(self, vector: Vector) -> _Floats:
        """Cosine of a question's vector with each procedure's name."""
        return (self._names @ vector).astype(np.float64)
