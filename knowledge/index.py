"""Procedure search: folded syllables, vocabulary and typo repair, candidates, then a learned ranking.

Candidates: the name stage (an inverted index from canonical folded syllables to procedures; every
informative question syllable adds its IDF to the procedures that contain it) and the best of each field
of the whole record (``knowledge.fields``).
Features: how much of the question a candidate covers (concept by concept, a synonym's alternatives
counting once), how much of its own name the question explains (so the general procedure beats its
special cases), agreement of the accented syllables, the level, special-case marks and later steps, and
per-field BM25. Weights and the decision to answer come from ``knowledge/ranker.json`` (``knowledge.ranker``).
"""

from __future__ import annotations

import itertools
import math
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import TypeVar

import numpy as np
import numpy.typing as npt
from rapidfuzz import process
from rapidfuzz.distance import OSA

from knowledge.aliases import LEVELS, Aliases, Marked, Phrase, Word, load_aliases, phrase, words_of
from knowledge.fields import FIELDS, RecordIndex, record_tokens
from knowledge.model import Procedure
from knowledge.normalize import fold
from knowledge.places import levels_of
from knowledge.ranker import CANDIDATE_FEATURES, Ranker, load_ranker
from knowledge.results import AnswerKind, Hit, SearchResult
from knowledge.semantic import SemanticIndex

MAX_QUERY_CHARS = 2000
"""Longer input is not a question: answer ``none``/``too_long`` without looking at it."""
MAX_QUERY_SYLLABLES = 80
MAX_CONCEPTS = 20
"""Longer questions keep their first notions only: the time per question stays bounded."""
CANDIDATES = 60

RECORD_CANDIDATES = 50
"""The best procedures by their whole record join the name stage's candidates ..."""
FIELD_CANDIDATES = 12
"""... and so do the best few of each field ..."""
SEMANTIC_CANDIDATES = 20
"""... and the nearest few by latent semantic vectors (``knowledge.semantic``)."""

_WEAK_FIELD = 0.5
_BIGRAM_CONCEPT_WEIGHT = 0.6
_ACCENT_MISMATCH = 0.75
_ACCENTED_MIN = 2
_NO_KEY = -1
_ACCENTED_SHARE = 0.4
_SOFT_STOP_WEIGHT = 0.3
_SOFT_STOP_UNTIL = 3
_NUMBER_WEIGHT = 0.3
# A question that names a paper but no action ("giấy phép lái xe") does not say whether it wants the first
# issue or a later step, so a later step's special-case mark only counts for part.
_NEUTRAL_SHARE = 0.3
_LEAD_SYLLABLES = 4
_BM25_AT = CANDIDATE_FEATURES.index(f"bm25_{FIELDS[0]}")
_PLAIN_AT = CANDIDATE_FEATURES.index(f"plain_{FIELDS[0]}")
_FLAGS = ("commune", "province", "citizen", "first_issue")
_FLAGS_AT = CANDIDATE_FEATURES.index(_FLAGS[0])
assert CANDIDATE_FEATURES[_FLAGS_AT : _FLAGS_AT + len(_FLAGS)] == _FLAGS, "the level flags are one block"
_NAME_SIDE = ("name_said", "name_unsaid", "name_pairs_share", "name_pairs", "name_length")
"""The features of :meth:`_NameWords.measure`, in its order."""
_COLUMN = MappingProxyType({name: j for j, name in enumerate(CANDIDATE_FEATURES)})
_CANDIDATE_MAX_DF = 600
_PARENTHESES = re.compile(r"\([^)]*\)?")
_K = TypeVar("_K")
_T = TypeVar("_T", bound=np.generic)
_UNREACHED = np.iinfo(np.int64).max
_NOWHERE: npt.NDArray[np.intp] = np.zeros(0, dtype=np.intp)


@dataclass(frozen=True, slots=True)
class _Doc:
    code: str
    name: str
    strong: frozenset[str]
    weak: frozenset[str]
    bigrams: frozenset[tuple[str, str]]
    head_words: frozenset[str]
    accents: frozenset[str]
    text: str
    specials: tuple[Phrase, ...]
    steps: frozenset[Phrase]
    """Every later step its name speaks of, anywhere in the name."""
    first_issue: bool
    first_issue_named: bool
    citizen: float
    names: tuple[Phrase, ...] = ()
    """Its name's core words, then each keyword's words: the names a question may say."""
    name_keys: tuple[str, ...] = ()
    """The accent keys of its name's core words (``names[0]``)."""


@dataclass(frozen=True, slots=True)
class _Concept:
    alternatives: tuple[Phrase, ...]
    weight: float
    phrase_only: bool = False
    first_issue: bool = False
    accent: str | None = None
    """The accent key the resident typed, for a single syllable written with accents."""


@dataclass(frozen=True, slots=True)
class _Query:
    concepts: tuple[_Concept, ...]
    tokens: frozenset[str]
    sequences: tuple[Phrase, ...]
    asks_action: bool
    accents: frozenset[str]
    unknown_share: float
    """Share of the question's syllables that no procedure and no table knows, even after repair."""
    plain: tuple[str, ...]
    """The question's own syllables (abbreviations expanded), for the plain BM25 features."""
    strict: frozenset[str] = frozenset()
    """Syllables said only as typed, with their accents: a name word of another accent is not said."""
    keys: frozenset[str] = frozenset()
    """The accent keys of the syllables in ``strict``."""
    levels: frozenset[str] = frozenset()
    """The levels of government the question names ("lên xã", "Sở Tư pháp"): see ``LEVELS``."""


@dataclass(frozen=True, slots=True)
class Candidates:
    """The procedures worth ranking for one question, one row of features each (CANDIDATE_FEATURES)."""

    codes: tuple[str, ...]
    features: npt.NDArray[np.float64]
    unknown_share: float
    concepts: int
    rows: tuple[int, ...] = ()

    def order(self, scores: npt.NDArray[np.float64]) -> list[int]:
        """The candidates' places, best score first; equal scores by code, so ties never depend on luck."""
        return sorted(range(len(self.codes)), key=lambda r: (-scores[r], self.codes[r]))


def _frozen(array: npt.NDArray[_T]) -> npt.NDArray[_T]:
    array.flags.writeable = False
    return array


def _postings_of(keys_per_doc: Iterable[Iterable[_K]]) -> Mapping[_K, npt.NDArray[np.intp]]:
    """For each key, the ascending numbers of the procedures that have it."""
    found: defaultdict[_K, list[int]] = defaultdict(list)
    for i, keys in enumerate(keys_per_doc):
        for key in keys:
            found[key].append(i)
    return MappingProxyType({key: _frozen(np.array(ids, dtype=np.intp)) for key, ids in found.items()})


def _top(row: npt.NDArray[np.float64], k: int) -> npt.NDArray[np.intp]:
    """The ``k`` best places of a row with a score, best first, ties by place (a stable sort's order)."""
    # Most procedures score nothing in a field: sorting only the others is several times cheaper.
    scored = np.flatnonzero(row)
    if len(scored) > k:
        # Only the places at or above the k-th best value can be among the k best (ties included).
        values = row[scored]
        scored = scored[values >= np.partition(values, len(values) - k)[len(values) - k]]
    return scored[np.lexsort((scored, -row[scored]))][:k]


def _ranks_of(scores: npt.NDArray[np.float64]) -> npt.NDArray[np.intp]:
    """Each score's rank from 0: how many scores are strictly higher (equal scores share a rank)."""
    ascending = np.sort(scores)
    return np.asarray(len(scores) - np.searchsorted(ascending, scores, side="right"), dtype=np.intp)


def _spans(sequences: tuple[Phrase, ...], longest: int) -> frozenset[Phrase]:
    """Every run of up to ``longest`` syllables in the question's readings: a phrase is said if it is one."""
    return frozenset(
        seq[i : i + n] for seq in sequences for n in range(1, longest + 1) for i in range(len(seq) - n + 1)
    )


def _occurrences(keys: Sequence[str], phrases: Sequence[Marked]) -> list[tuple[Marked, int]]:
    """Non-overlapping occurrences of the phrases (longest listed first), compared with their accents."""
    present = set(keys)
    taken: set[int] = set()
    found: list[tuple[Marked, int]] = []
    for part in phrases:
        if part.keys[0] not in present:
            continue
        n = len(part.keys)
        for start in range(len(keys) - n + 1):
            span = range(start, start + n)
            if tuple(keys[start : start + n]) == part.keys and not taken.intersection(span):
                taken.update(span)
                found.append((part, start))
    return found


_LEVEL_OF_BODY = MappingProxyType({"xã": "commune", "tỉnh": "province", "bộ": "ministry"})
"""Each level of ``knowledge.places`` as one of ``LEVELS``."""


def _done_at(procedure: Procedure) -> tuple[bool, ...]:
    """At which of ``LEVELS`` a procedure is done, as ``knowledge.places`` reads its level and agency."""
    done = {_LEVEL_OF_BODY[body] for body in levels_of(procedure)}
    return tuple(level in done for level in LEVELS)


def _ids(known: Mapping[_K, int], keys: Iterable[_K]) -> npt.NDArray[np.intp]:
    """The numbers of the keys that are known."""
    return np.fromiter((known[k] for k in keys if k in known), dtype=np.intp)


def _counts(
    places: npt.NDArray[np.intp], weights: npt.NDArray[np.float64] | None, n: int
) -> npt.NDArray[np.float64]:
    """Per place 0..n-1, the sum of the weights given there (or how often it occurs)."""
    return np.bincount(places, weights=weights, minlength=n).astype(np.float64)


class _NameWords:
    """How much of each procedure's name (its words and word pairs) a question says, for every procedure.

    The question-side scores (coverage, BM25) cannot tell "Cấp lại giấy phép lái xe" from "Cấp lại giấy
    phép xe tập lái" when the question says both: the name side can, by what each name leaves unsaid. A
    procedure's keywords (staff aliases among them) are other names: each is measured on its own and the
    procedure counts by its best name, so a record with many keywords is not made to look unsaid.
    """

    def __init__(self, docs: Sequence[_Doc], idf: Callable[[str], float]) -> None:
        words: dict[str, int] = {}
        pairs: dict[Phrase, int] = {}
        keys: dict[str, int] = {}
        word_ids: list[int] = []
        word_keys: list[int] = []
        word_names: list[int] = []
        pair_ids: list[int] = []
        pair_names: list[int] = []
        owners: list[int] = []
        # The first name of each procedure is its own; its length says how specific the procedure is.
        own_lengths = [len(set(doc.names[0])) if doc.names else 0 for doc in docs]
        for i, doc in enumerate(docs):
            for number, name in enumerate(doc.names):
                # The own name keeps its accents; a keyword's words are compared folded.
                marked = doc.name_keys if number == 0 and len(doc.name_keys) == len(name) else ()
                seen: set[str] = set()
                for at, token in enumerate(name):
                    if token in seen:
                        continue
                    seen.add(token)
                    word_ids.append(words.setdefault(token, len(words)))
                    word_keys.append(keys.setdefault(marked[at], len(keys)) if marked else _NO_KEY)
                    word_names.append(len(owners))
                for pair in dict.fromkeys(itertools.pairwise(name)):
                    pair_ids.append(pairs.setdefault(pair, len(pairs)))
                    pair_names.append(len(owners))
                owners.append(i)
        self._n = len(docs)
        self._names = len(owners)
        self._owners = _frozen(np.array(owners, dtype=np.intp))
        self._words: Mapping[str, int] = MappingProxyType(words)
        self._pairs: Mapping[Phrase, int] = MappingProxyType(pairs)
        self._word_ids = _frozen(np.array(word_ids, dtype=np.intp))
        self._keys: Mapping[str, int] = MappingProxyType(keys)
        self._word_keys = _frozen(np.array(word_keys, dtype=np.intp))
        self._word_names = _frozen(np.array(word_names, dtype=np.intp))
        self._word_idf = _frozen(np.array([idf(t) for t in words], dtype=np.float64)[self._word_ids])
        self._pair_ids = _frozen(np.array(pair_ids, dtype=np.intp))
        self._pair_names = _frozen(np.array(pair_names, dtype=np.intp))
        self._mass = _frozen(_counts(self._word_names, self._word_idf, self._names))
        self._pair_counts = _frozen(_counts(self._pair_names, None, self._names))
        self._length = _frozen(np.log1p(np.array(own_lengths, dtype=np.float64)))

    def measure(self, query: _Query) -> tuple[npt.NDArray[np.float64], ...]:
        """Per procedure, by its best name: words said (share), unsaid (IDF), pairs said, name length."""
        said_words = np.zeros(len(self._words), dtype=bool)
        said_words[_ids(self._words, {*query.tokens, *query.plain})] = True
        said_entries = said_words[self._word_ids]
        if query.strict:
            strict = np.zeros(len(self._words), dtype=bool)
            strict[_ids(self._words, query.strict)] = True
            # The last slot stands for a word compared folded (_NO_KEY): its accents never disagree.
            typed = np.zeros(len(self._keys) + 1, dtype=bool)
            typed[_ids(self._keys, query.keys)] = True
            typed[_NO_KEY] = True
            said_entries &= ~strict[self._word_ids] | typed[self._word_keys]
        said_pairs = np.zeros(len(self._pairs), dtype=bool)
        asked = {pair for seq in query.sequences for pair in itertools.pairwise(seq)}
        said_pairs[_ids(self._pairs, asked)] = True
        said = _counts(self._word_names, self._word_idf * said_entries, self._names)
        pairs = _counts(self._pair_names, said_pairs[self._pair_ids].astype(np.float64), self._names)
        share = np.divide(said, self._mass, out=np.zeros(self._names), where=self._mass > 0)
        pair_share = np.divide(
            pairs, self._pair_counts, out=np.zeros(self._names), where=self._pair_counts > 0
        )
        return (
            self._best(share),
            -self._best(said - self._mass),
            self._best(pair_share),
            self._best(pairs),
            self._length,
        )

    def _best(self, values: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """The highest value among each procedure's names (0 for a procedure without any)."""
        out = np.full(self._n, -np.inf)
        np.maximum.at(out, self._owners, values)
        out[np.isinf(out)] = 0.0
        return out


def _typed_with_accents(words: Sequence[Word]) -> bool:
    """Whether a question was typed with accents: most Vietnamese syllables carry a mark."""
    marked = sum(w.has_tone_or_vowel_marks for w in words)
    return marked >= _ACCENTED_MIN and marked >= _ACCENTED_SHARE * len(words)


class ProcedureIndex:
    """An in-memory search index over procedures; immutable after construction, safe across threads."""

    def __init__(
        self,
        procedures: Iterable[Procedure],
        aliases: Aliases | None = None,
        ranker: Ranker | None = None,
        staff: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        """Index the procedures; ``staff`` maps codes to the questions staff attached to them (aliases)."""
        self._aliases = aliases if aliases is not None else load_aliases()
        self._ranker = ranker if ranker is not None else load_ranker()
        by_code = {p.code: p for p in procedures}
        self._procedures: Mapping[str, Procedure] = MappingProxyType(by_code)
        memo: dict[str, tuple[Word, ...]] = {}
        docs = [self._make_doc(p, memo) for p in by_code.values()]
        df: Counter[str] = Counter()
        postings: defaultdict[str, list[int]] = defaultdict(list)
        for i, doc in enumerate(docs):
            for token in doc.strong | doc.weak:
                df[token] += 1
                postings[token].append(i)
        n = max(len(docs), 1)
        self._df: Mapping[str, int] = MappingProxyType(dict(df))
        self._idf: Mapping[str, float] = MappingProxyType(
            {t: math.log(1.0 + (n - c + 0.5) / (c + 0.5)) for t, c in df.items()}
        )
        self._unseen_idf = math.log(1.0 + (n + 0.5) / 0.5)
        self._postings: Mapping[str, npt.NDArray[np.intp]] = MappingProxyType(
            {t: _frozen(np.array(ids, dtype=np.intp)) for t, ids in postings.items()}
        )
        self._docs = tuple(docs)
        self._strong = _postings_of(doc.strong for doc in docs)
        self._weak = _postings_of(doc.weak for doc in docs)
        self._accented = _postings_of(doc.accents for doc in docs)
        self._paired: Mapping[Phrase, npt.NDArray[np.intp]] = _postings_of(doc.bigrams for doc in docs)
        self._first_issue = _frozen(np.array([doc.first_issue for doc in docs], dtype=bool))
        self._head_postings = _postings_of(doc.head_words for doc in self._docs)
        self._head_totals: npt.NDArray[np.float64] = _frozen(
            np.array([sum(self._idf_of(t) for t in doc.head_words) or 1.0 for doc in self._docs])
        )
        self._done_at: npt.NDArray[np.bool_] = _frozen(
            np.array([_done_at(p) for p in by_code.values()], dtype=bool).reshape(len(docs), len(LEVELS))
        )
        # The commune and province columns of where each is done, then who it is for and its first issue.
        self._level_flags: npt.NDArray[np.float64] = _frozen(
            np.column_stack(
                [
                    self._done_at[:, [LEVELS.index("commune"), LEVELS.index("province")]],
                    [d.citizen for d in self._docs],
                    [d.first_issue_named for d in self._docs],
                ]
            ).astype(np.float64)
        )
        self._name_words = _NameWords(docs, self._idf_of)
        self._catalogue_words = frozenset(df)
        self._known = self._catalogue_words | self._aliases.vocabulary()
        self._vocabulary = tuple(sorted(self._known))
        self._later = frozenset(m.folded for m in self._aliases.later_steps)
        marks = (*self._aliases.later_steps, *self._aliases.special_cases)
        self._longest_mark = max((len(m.folded) for m in marks), default=1)
        procedures_in_order = list(by_code.values())
        tokens = record_tokens(procedures_in_order, self._aliases.expand_abbreviations)
        # The semantic vectors first: their build's large temporary arrays are gone before the record
        # index's postings are made, so the two peaks do not add up.
        self._semantic = SemanticIndex(tokens)
        self._record = RecordIndex(tokens)
        del tokens
        place = {p.code: i for i, p in enumerate(procedures_in_order)}
        exact: defaultdict[Phrase, set[int]] = defaultdict(set)
        for code, phrases in (staff or {}).items():
            if code in place:
                for text in phrases:
                    exact[phrase(text)].add(place[code])
        self._staff: Mapping[Phrase, frozenset[int]] = MappingProxyType(
            {k: frozenset(v) for k, v in exact.items() if k}
        )

    def _make_doc(self, procedure: Procedure, memo: dict[str, tuple[Word, ...]]) -> _Doc:
        typed = self._aliases.expand_words(words_of(procedure.name, memo))
        name = [w.folded for w in typed]
        keys = [w.key for w in typed]
        specials = {p.folded for p, _ in _occurrences(keys, self._aliases.special_cases)}
        # A later step is the name's leading verb ("Cấp lại ...", "Thủ tục đăng ký thay đổi ..."), not a
        # sub-case further on ("Giải thể doanh nghiệp, giải thể trong trường hợp bị thu hồi ...").
        lead = keys[: _LEAD_SYLLABLES + (2 if name[:2] == ["thu", "tuc"] else 0)]
        later = {p.folded for p, _ in _occurrences(lead, self._aliases.later_steps)}
        specials.update(later)
        first_issue = bool(_occurrences(keys, self._aliases.first_issue))
        noisy = {
            i for p, at in _occurrences(keys, self._aliases.name_noise) for i in range(at, at + len(p.keys))
        }
        core = [w for i, w in enumerate(name) if i not in noisy]
        core_keys = tuple(k for i, k in enumerate(keys) if i not in noisy)
        head_typed = self._aliases.expand_words(words_of(_PARENTHESES.sub(" ", procedure.name), memo))
        head_keys = [w.key for w in head_typed]
        head_noise = {
            i
            for p, at in _occurrences(head_keys, self._aliases.name_noise)
            for i in range(at, at + len(p.keys))
        }
        head_words = frozenset(w.folded for i, w in enumerate(head_typed) if i not in head_noise)
        keyword_lists = [self._aliases.expand_abbreviations(phrase(k)) for k in procedure.keywords]
        field = self._aliases.expand_abbreviations(phrase(procedure.field))
        strong = set(core)
        bigrams = set(itertools.pairwise(core))
        for words in keyword_lists:
            strong.update(words)
            bigrams.update(itertools.pairwise(words))
        weak = (set(field) | {name[i] for i in noisy}) - strong
        return _Doc(
            code=procedure.code,
            name=procedure.name.strip(),
            strong=frozenset(strong),
            weak=frozenset(weak),
            bigrams=frozenset(bigrams),
            head_words=head_words or frozenset(core),
            accents=frozenset(keys),
            text=" ".join(core),
            specials=tuple(sorted(specials)),
            steps=frozenset(p.folded for p, _ in _occurrences(keys, self._aliases.later_steps)),
            first_issue=first_issue or not later,
            first_issue_named=first_issue,
            citizen=float("cong dan viet nam" in fold(procedure.audience)),
            names=(tuple(core), *(tuple(k) for k in keyword_lists if k)),
            name_keys=core_keys,
        )

    def __len__(self) -> int:
        return len(self._docs)

    def get(self, code: str) -> Procedure | None:
        """Return the procedure with this code, if any."""
        return self._procedures.get(code)

    def search(self, query: str, limit: int = 5) -> SearchResult:
        """Rank procedures for a free-text question: confident, choices, or none with a reason."""
        if len(query) > MAX_QUERY_CHARS:
            return SearchResult(query=query, answer="none", reason="too_long")
        named = self._named_by_staff(query)
        if named:
            # Staff attached this very question to these procedures (an alias): their word is final.
            by_staff = tuple(self._hit(i, 1.0) for i in named[: max(limit, 1)])
            answer: AnswerKind = "confident" if len(by_staff) == 1 else "choices"
            return SearchResult(query=query, answer=answer, hits=by_staff)
        found = self.candidates(query)
        if isinstance(found, str):
            return SearchResult(query=query, answer="none", reason=found)
        if not found.codes or found.unknown_share >= 1.0:
            # Not one syllable of the question is a word of the catalogue or of the vocabulary, even after
            # repair: whatever the candidates share with it is an accident of spelling.
            return SearchResult(query=query, answer="none", reason="no_match")
        scores = self._ranker.rank.apply(found.features)
        order = found.order(scores)
        decision = self._ranker.decision
        wording = self._ranker.wording.score(query)
        question = question_features(found, scores, order, decision.lone_margin, wording)
        probability = self._ranker.probability(question)
        if probability < decision.answer_at:
            return SearchResult(query=query, answer="none", reason="no_match")
        best = float(scores[order[0]])
        certainty = self._ranker.certainty(question)
        hits = [self._hit(found.rows[r], certainty) for r in order[: max(limit, 1)]]
        # The same procedure at another level (an equal name) is never ruled out by a certainty: the
        # resident is offered both.
        twin = (
            len(order) > 1 and self._docs[found.rows[order[1]]].text == self._docs[found.rows[order[0]]].text
        )
        if (certainty >= decision.confident_at and not twin) or limit <= 1:
            return SearchResult(query=query, answer="confident", hits=(hits[0],))
        close = tuple(
            h for r, h in zip(order, hits, strict=False) if scores[r] >= best - decision.choice_window
        )
        return SearchResult(query=query, answer="choices", hits=close if len(close) > 1 else tuple(hits[:2]))

    def ranked(self, query: str, limit: int = 5) -> list[str]:
        """The codes the ranking puts first, before any decision to answer (for evaluation and tests)."""
        found = self.candidates(query)
        if isinstance(found, str) or not found.codes:
            return []
        order = found.order(self._ranker.rank.apply(found.features))
        return [found.codes[r] for r in order[:limit]]

    def _named_by_staff(self, query: str) -> list[int]:
        """The procedures one of whose staff aliases is the whole question, in catalogue order."""
        return sorted(self._staff.get(phrase(query), ()))

    def _hit(self, i: int, probability: float) -> Hit:
        doc = self._docs[i]
        return Hit(code=doc.code, name=doc.name, score=round(probability * 100, 1))

    # Question analysis -------------------------------------------------------------------------------

    def _analyse(self, query: str) -> _Query | str:
        words = words_of(query)
        if not words:
            return "empty"
        small_talk = self._aliases.scan(words, frozenset({"chitchat", "stop"}))
        if sum(m.end - m.start for m in small_talk) == len(words):
            return "chitchat" if any(m.action == "chitchat" for m in small_talk) else "no_match"
        accents = frozenset(w.accent for w in words if w.accent is not None)
        repaired: list[Word] = []
        groups: list[int] = []  # which abbreviation a syllable was expanded from, -1 for none
        # Typed with accents, a question's unmarked syllable is unmarked on purpose: "tu bổ" is not "tử".
        accented = _typed_with_accents(words)
        for number, word in enumerate(words[: MAX_QUERY_SYLLABLES * 2]):
            pieces = self._repair(word)
            if accented and word.accent is None:
                word = Word(word.folded, word.key)
            for piece in [word] if pieces == [word.folded] else [Word(p) for p in pieces]:
                expansion = self._aliases.abbreviation(piece)
                repaired.extend(expansion if expansion is not None else (piece,))
                groups.extend([number] * len(expansion) if expansion is not None else [-1])
        repaired = repaired[:MAX_QUERY_SYLLABLES]
        del groups[MAX_QUERY_SYLLABLES:]
        concepts: list[_Concept] = []
        run: list[str] = []

        def flush() -> None:
            for a, b in itertools.pairwise(run):
                weight = _BIGRAM_CONCEPT_WEIGHT * (_NUMBER_WEIGHT if a.isdigit() or b.isdigit() else 1.0)
                concepts.append(_Concept(((a, b),), weight, phrase_only=True))
            run.clear()

        def plain(start: int, end: int) -> None:
            i = start
            while i < end:
                word = repaired[i]
                if groups[i] >= 0:
                    # An abbreviation stands for one notion: its syllables form a single phrase concept.
                    j = i
                    while j < end and groups[j] == groups[i]:
                        j += 1
                    flush()
                    concepts.append(_Concept((tuple(w.folded for w in repaired[i:j]),), 1.0))
                    i = j
                    continue
                weight = _NUMBER_WEIGHT if word.folded.isdigit() else 1.0
                concepts.append(_Concept(((word.folded,),), weight, accent=word.accent))
                run.append(word.folded)
                i += 1
            flush()

        position = 0
        for match in self._aliases.scan(repaired, frozenset({"synonym", "stop"})):
            plain(position, match.start)
            if match.rule is not None:
                rule = match.rule
                concepts.append(_Concept(rule.means, rule.weight, first_issue=rule.first_issue))
            elif match.soft and match.end - match.start < _SOFT_STOP_UNTIL:
                # Typed without accents, a stop word may be a real word ("dang ky" is "đăng ký", not "đang");
                # three or more read as one stop phrase ("mat bao lau", "can nhung gi") are that phrase.
                concepts.extend(
                    _Concept(((w.folded,),), _SOFT_STOP_WEIGHT) for w in repaired[match.start : match.end]
                )
            position = match.end
        plain(position, len(repaired))
        if len(concepts) > MAX_CONCEPTS:
            # A long question states its situation first and its request last ("... giờ xin lại thế nào?"):
            # keep its most telling notions wherever they stand, in their order, not just the first ones.
            telling = sorted(
                range(len(concepts)), key=lambda i: (-concepts[i].weight * self._importance(concepts[i]), i)
            )
            concepts = [concepts[i] for i in sorted(telling[:MAX_CONCEPTS])]
        if not concepts:
            return "no_match"
        tokens = frozenset(t for c in concepts for alt in c.alternatives for t in alt)
        typed = tuple(w.folded for w in repaired)
        sequences = (typed, *(a for c in concepts for a in c.alternatives))
        asks_action = any(
            typed[i : i + len(action)] == action
            for action in self._aliases.actions
            for i in range(len(typed))
        )
        unknown = sum(1 for w in repaired if w.folded not in self._known) / max(len(repaired), 1)
        own = tuple(w.folded for w in repaired)
        loose = {
            t for c in concepts if c.accent is None and not c.phrase_only for a in c.alternatives for t in a
        }
        strict = frozenset(c.alternatives[0][0] for c in concepts if c.accent is not None) - loose
        keys = frozenset(c.accent for c in concepts if c.accent is not None)
        levels = self._aliases.levels_named(repaired)
        return _Query(
            tuple(concepts), tokens, sequences, asks_action, accents, unknown, own, strict, keys, levels
        )

    def _repair(self, typed: Word) -> list[str]:
        """Fix a syllable the catalogue does not know: split run-together syllables, else nearest spelling.

        A syllable typed with tone or vowel marks ("thịt") is a word the resident chose: it is split if run
        together, never respelt into another word ("thi").
        """
        word = typed.folded
        if word in self._known or len(word) < 3 or len(word) > 40 or not word.isalpha() or not word.isascii():
            return [word]
        split = self._split(word)
        if split is not None:
            return split
        if typed.has_tone_or_vowel_marks:
            return [word]
        limit = 1 if len(word) <= 4 else 2
        found = process.extract(word, self._vocabulary, scorer=OSA.distance, score_cutoff=limit, limit=20)
        if not found:
            return [word]
        best = min(found, key=lambda f: (f[1], -self._df.get(f[0], 0), f[0]))
        return [best[0]]

    def _split(self, word: str) -> list[str] | None:
        """Segment ``khaisinh`` into ``khai sinh`` with the fewest catalogue syllables (2+ letters each)."""
        n = len(word)
        best: list[list[str] | None] = [None] * (n + 1)
        best[0] = []
        for end in range(2, n + 1):
            for start in range(max(0, end - 7), end - 1):
                head = best[start]
                piece = word[start:end]
                if head is not None and piece in self._catalogue_words:
                    candidate = [*head, piece]
                    current = best[end]
                    if current is None or len(candidate) < len(current):
                        best[end] = candidate
        result = best[n]
        return result if result is not None and len(result) >= 2 else None

    # Ranking -----------------------------------------------------------------------------------------

    def _head_shares(self, tokens: frozenset[str]) -> npt.NDArray[np.float64]:
        """For each procedure, the IDF share of its name's head words that the question has."""
        got = np.zeros(len(self._docs))
        for token in tokens:
            ids = self._head_postings.get(token)
            if ids is not None:
                got[ids] += self._idf_of(token)
        return got / self._head_totals

    def _accent_shares(self, accents: frozenset[str]) -> npt.NDArray[np.float64]:
        """For each procedure, the share of the question's accented syllables its name has as typed."""
        got = np.zeros(len(self._docs))
        for key in accents:
            got[self._accented.get(key, _NOWHERE)] += 1.0
        return got / len(accents) if accents else got

    def _idf_of(self, token: str) -> float:
        return self._idf.get(token, self._unseen_idf)

    def candidates(self, query: str) -> Candidates | str:
        """The candidates of a question with their features, or why there are none (for fitting too)."""
        analysed = self._analyse(query)
        if isinstance(analysed, str):
            return analysed
        return self._features(analysed)

    def _features(self, query: _Query) -> Candidates:
        """Gather candidates from the name stage and the whole-record stage and measure each of them."""
        importance = [c.weight * self._importance(c) for c in query.concepts]
        named, named_scores = self._candidates(query, importance)
        record = self._record.scores(
            [
                (w, c.alternatives)
                for c, w in zip(query.concepts, importance, strict=True)
                if not c.phrase_only
            ]
        )
        plain = self._record.plain(query.plain)
        body = record.sum(axis=0) + plain.sum(axis=0)
        body_order = np.argsort(-body, kind="stable")
        # Each field brings its own best few, so a question that only a record's result or documents
        # explain still reaches the ranking; then the best of all fields together.
        picked: list[int] = [*named, *self._phrase_candidates(query)]
        for row in (*record, *plain):
            picked.extend(int(i) for i in _top(row, FIELD_CANDIDATES))
        picked.extend(int(i) for i in body_order[:RECORD_CANDIDATES] if body[i] > 0)
        meaning = self._semantic.query(query.sequences)
        near = None if meaning is None else (self._semantic.records(meaning), self._semantic.names(meaning))
        if near is not None:
            picked.extend(int(i) for i in _top(np.maximum(near[0], 0.0), SEMANTIC_CANDIDATES))
        order = list(dict.fromkeys(picked))
        if not order:
            return Candidates((), np.zeros((0, len(CANDIDATE_FEATURES))), query.unknown_share, 0)
        rows = np.array(order, dtype=np.intp)
        total = sum(importance) or 1.0
        covered = np.zeros(len(rows))
        missing = np.zeros(len(rows))
        heaviest = max(importance, default=0.0) or 1.0
        for concept, weight in zip(query.concepts, importance, strict=True):
            match = self._concept_matches(concept)[rows]
            covered += weight * match
            if not concept.phrase_only:
                np.maximum(missing, weight * (1.0 - match) / heaviest, out=missing)
        # A stage's rank is how many procedures it scored strictly higher: equal scores share a rank, so
        # which of two equals a stage happened to list first never counts.
        name_rank = dict(zip(named, _ranks_of(named_scores).tolist(), strict=True))
        body_rank = _ranks_of(body)
        said = _spans(query.sequences, self._longest_mark)
        asked = [p for p in self._later if p in said]
        docs = [self._docs[i] for i in order]
        features = np.zeros((len(rows), len(CANDIDATE_FEATURES)))
        column = _COLUMN
        features[:, column["coverage"]] = covered / total
        features[:, column["head"]] = self._head_shares(query.tokens)[rows]
        features[:, column["accents"]] = self._accent_shares(query.accents)[rows]
        features[:, _FLAGS_AT : _FLAGS_AT + len(_FLAGS)] = self._level_flags[rows]
        features[:, column["unasked_special"]] = [
            min(
                sum(
                    1 if query.asks_action or p not in self._later else _NEUTRAL_SHARE
                    for p in d.specials
                    if p not in said
                ),
                2.0,
            )
            for d in docs
        ]
        features[:, _BM25_AT : _BM25_AT + len(FIELDS)] = record[:, rows].T
        features[:, _PLAIN_AT : _PLAIN_AT + len(FIELDS)] = plain[:, rows].T
        features[:, column["name_rank"]] = [1.0 / (1.0 + name_rank.get(i, CANDIDATES)) for i in order]
        features[:, column["record_rank"]] = 1.0 / (1.0 + body_rank[rows])
        if asked:
            features[:, column["step_not_named"]] = [
                sum(p not in d.steps for p in asked) / len(asked) for d in docs
            ]
        features[:, column["missing"]] = missing
        if query.levels:
            columns = [LEVELS.index(level) for level in sorted(query.levels)]
            at_level = self._done_at[rows][:, columns].any(axis=1)
            features[:, column["level_named"]] = at_level
            features[:, column["level_other"]] = ~at_level
        if near is not None:
            features[:, column["semantic_record"]] = near[0][rows]
            features[:, column["semantic_name"]] = near[1][rows]
        elif not self._semantic.learned:
            # A small catalogue (a test's, a demo's) has no vectors: say nothing, rather than "unrelated".
            features[:, column["semantic_record"]] = np.nan
            features[:, column["semantic_name"]] = np.nan
        name_side = self._name_words.measure(query)
        for name, values in zip(_NAME_SIDE, name_side, strict=True):
            features[:, column[name]] = values[rows]
        codes = tuple(self._docs[i].code for i in order)
        return Candidates(codes, features, query.unknown_share, len(query.concepts), tuple(order))

    def _candidates(
        self, query: _Query, importance: list[float]
    ) -> tuple[list[int], npt.NDArray[np.float64]]:
        """The procedures worth re-ranking, best first, and their scores; of equals, the one reached first.

        Each procedure's score is an array cell summed in the same order as one would add by hand, so
        equal procedures stay exactly equal; ``reached`` records when the question first reached each.
        """
        n = len(self._docs)
        scores = np.zeros(n)
        reached = np.full(n, _UNREACHED, dtype=np.int64)
        step = 0
        # The candidate stage reads only the rarer syllables of each alternative (the rarest one if all are
        # common): "cap" or "dang ky" alone would pull in half the catalogue for nothing.
        common = max(_CANDIDATE_MAX_DF, n // 8)
        for concept, weight in zip(query.concepts, importance, strict=True):
            if concept.phrase_only:
                continue
            best: npt.NDArray[np.float64] | None = None
            for alternative in concept.alternatives:
                known = sorted((t for t in set(alternative) if t in self._postings), key=self._df.__getitem__)
                chosen = [t for t in known if self._df[t] <= common] or known[:1]
                total = sum(self._idf_of(t) for t in alternative)
                share = np.zeros(n)
                for token in chosen:
                    ids = self._postings[token]
                    share[ids] += self._idf[token] / total
                    fresh = ids[reached[ids] == _UNREACHED]
                    reached[fresh] = step * n + fresh
                    step += 1
                best = share if best is None else np.maximum(best, share, out=best)
            if best is not None:
                scores += weight * best
        found = np.flatnonzero(reached != _UNREACHED)
        ranked = found[np.lexsort((reached[found], -scores[found]))][:CANDIDATES]
        return [int(i) for i in ranked], scores[ranked]

    def _phrase_candidates(self, query: _Query) -> list[int]:
        """Procedures that say a whole phrase of the question (2+ syllables), the shortest names first.

        "đăng ký thường trú" is what "nhập hộ khẩu" asks for, however common each of its syllables is, and
        however many other words of a long question pull elsewhere.
        """
        picked: list[int] = []
        for concept in query.concepts:
            for alternative in concept.alternatives:
                if concept.phrase_only or len(alternative) < 2:
                    continue
                whole = self._whole_phrase(alternative)
                picked.extend(
                    sorted(whole.tolist(), key=lambda i: (len(self._docs[i].text), i))[:FIELD_CANDIDATES]
                )
        return picked

    def _whole_phrase(self, alternative: Phrase) -> npt.NDArray[np.intp]:
        """The procedures whose name or keywords hold every syllable pair of the phrase."""
        pairs = list(itertools.pairwise(alternative))
        found = self._paired.get(pairs[0], _NOWHERE)
        for pair in pairs[1:]:
            if not len(found):
                break
            found = np.intersect1d(found, self._paired.get(pair, _NOWHERE), assume_unique=True)
        return found

    def _concept_matches(self, concept: _Concept) -> npt.NDArray[np.float64]:
        """How well each procedure matches one concept, 0 to 1: its best alternative, accents considered."""
        n = len(self._docs)
        if concept.phrase_only:
            match = np.zeros(n)
            match[self._paired.get(concept.alternatives[0], _NOWHERE)] = 1.0
            return match
        if all(len(alt) == 1 for alt in concept.alternatives):
            # One syllable each (the common case): in the name or keywords counts 1, in the field half.
            match = np.zeros(n)
            for (token,) in concept.alternatives:
                weak = self._weak.get(token, _NOWHERE)
                match[weak] = np.maximum(match[weak], _WEAK_FIELD)
                match[self._strong.get(token, _NOWHERE)] = 1.0
        else:
            match = np.zeros(n)
            for alternative in concept.alternatives:
                np.maximum(match, self._alternative_matches(alternative), out=match)
        if concept.accent is not None:
            unaccented = np.ones(n, dtype=bool)
            unaccented[self._accented.get(concept.accent, _NOWHERE)] = False
            match[unaccented] *= _ACCENT_MISMATCH
        if concept.first_issue:
            match[self._first_issue] = 1.0
        return match

    def _alternative_matches(self, alternative: Phrase) -> npt.NDArray[np.float64]:
        """The IDF share of an alternative's syllables each procedure has, scaled by its syllable pairs."""
        n = len(self._docs)
        got = np.zeros(n)
        total = 0.0
        for token in alternative:
            idf = self._idf_of(token)
            total += idf
            got[self._strong.get(token, _NOWHERE)] += idf
            got[self._weak.get(token, _NOWHERE)] += _WEAK_FIELD * idf
        share = got / total if total else got
        pairs = tuple(itertools.pairwise(alternative))
        if pairs:
            paired = np.zeros(n)
            for pair in pairs:
                paired[self._paired.get(pair, _NOWHERE)] += 1
            share *= 0.7 + 0.3 * paired / len(pairs)
        return share

    def _importance(self, concept: _Concept) -> float:
        return max(sum(self._idf_of(t) for t in alt) / math.sqrt(len(alt)) for alt in concept.alternatives)


def question_features(
    found: Candidates,
    scores: npt.NDArray[np.float64],
    order: Sequence[int],
    lone_margin: float,
    wording: float,
) -> npt.NDArray[np.float64]:
    """The features of QUESTION_FEATURES for a question whose candidates are ranked in ``order``.

    ``wording`` is what the question's own words say (``knowledge.wording.Wording.score``).

    A lone candidate leads nobody: its margin is ``lone_margin`` (``Decision.lone_margin``), as wide as the
    widest leads seen on dev, so the fitted models read it as far ahead.
    """
    first = order[0]
    row = found.features[first]
    # The body: every field but the name (which the name stage's own features already measure).
    body_at = _BM25_AT + 1
    return np.array(
        [
            scores[first],
            scores[first] - scores[order[1]] if len(order) > 1 else lone_margin,
            row[_COLUMN["coverage"]],
            row[_COLUMN["head"]],
            float(row[body_at : body_at + len(FIELDS) - 1].max()),
            found.unknown_share,
            math.log1p(found.concepts),
            row[_PLAIN_AT],
            float(row[_PLAIN_AT + 1 : _PLAIN_AT + len(FIELDS)].max()),
            row[_COLUMN["missing"]],
            row[_COLUMN["name_said"]],
            row[_COLUMN["name_pairs"]],
            float(found.features[:, _COLUMN["name_said"]].max()),
            row[_COLUMN["semantic_record"]],
            float(np.max(found.features[:, _COLUMN["semantic_record"]])),
            wording,
        ],
        dtype=np.float64,
    )
