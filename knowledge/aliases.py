"""The abbreviation, synonym, stop-word and small-talk tables of ``synonyms.toml``, compiled for matching.

Phrases match on folded syllables, but a syllable the resident typed with accents must agree with the
accents of the table's phrase: "bạn" (you) is small talk, "bản sao" (copy) is not, though both fold to "ban".
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from types import MappingProxyType
from typing import Any, Literal

from knowledge.normalize import accent_key, accented_syllables, canonical, syllables

Phrase = tuple[str, ...]
LEVELS = ("commune", "province", "ministry")
"""The levels of government a procedure is done at, as ``vocabulary/levels.toml`` names their sections."""
Action = Literal["synonym", "stop", "chitchat"]


@dataclass(frozen=True, slots=True)
class Word:
    """One syllable of a question: canonical folded form, and its accent key when typed with accents."""

    folded: str
    accent: str | None = None

    @property
    def key(self) -> str:
        """The accent key, also for an unmarked syllable (``khai|``)."""
        return self.accent if self.accent is not None else self.folded + "|"

    @property
    def has_tone_or_vowel_marks(self) -> bool:
        """Typed with a tone or vowel mark ("cổ", "thịt"); "đ" alone is a letter of abbreviations too."""
        return self.accent is not None and bool(self.accent.partition("|")[2].strip("đ"))


@dataclass(frozen=True, slots=True)
class Marked:
    """A table phrase in both forms: folded syllables, and accent keys for matching accented text."""

    folded: Phrase
    keys: tuple[str, ...]


def phrase(text: str) -> Phrase:
    """Fold a phrase into canonical syllables (accents, case and i/y spelling ignored)."""
    return tuple(canonical(s) for s in syllables(text))


def words_of(text: str, memo: dict[str, tuple[Word, ...]] | None = None) -> list[Word]:
    """Split text into :class:`Word` items; accent keys only for syllables that carry marks."""
    out: list[Word] = []
    for raw in accented_syllables(text):
        known = memo.get(raw) if memo is not None else None
        if known is None:
            key = accent_key(raw)
            marked = not key.endswith("|")
            known = tuple(Word(canonical(piece), key if marked else None) for piece in syllables(raw))
            if memo is not None:
                memo[raw] = known
        out.extend(known)
    return out


@dataclass(frozen=True, slots=True)
class Rule:
    """What a matched phrase means: alternatives in catalogue wording, and whether its own words stay."""

    means: tuple[Phrase, ...]
    keep: bool
    weight: float = 1.0
    first_issue: bool = False
    after: tuple[Marked, ...] = ()
    """When set, the phrase means this only right after one of these, longest first: "mất" after "bố" (past
    the filler "tôi") is a death, not a lost paper."""
    between: tuple[Marked, ...] = ()
    """The fillers that may stand between ``after`` and the phrase, at most MAX_BETWEEN of them."""
    unless_before: tuple[Marked, ...] = ()
    """Nor right before one of these phrases: "bố tôi mất thẻ" lost a card, "mất mấy ngày" takes days."""


@dataclass(frozen=True, slots=True)
class _Entry:
    accents: tuple[str, ...]
    action: Action
    rule: Rule | None


@dataclass(frozen=True, slots=True)
class Match:
    """One phrase found in a question: where it is and what it is."""

    start: int
    end: int
    action: Action
    rule: Rule | None = None
    soft: bool = False
    """Matched only after folding: the table wrote accents the question did not ("đang" for "dang")."""


@dataclass(frozen=True, slots=True)
class LevelPhrase:
    """A phrase that names a level of government (``LEVELS``; "" for ``not_a_level``)."""

    level: str
    mark: Marked
    accented: bool
    """Matches only a question typed with accents: bare, its syllables are other words too."""


@dataclass(frozen=True, slots=True)
class Aliases:
    """Compiled tables; immutable, so one instance is shared by every search thread."""

    abbreviations: Mapping[str, tuple[Word, ...]]
    entries: Mapping[Phrase, tuple[_Entry, ...]]
    special_cases: tuple[Marked, ...]
    later_steps: tuple[Marked, ...]
    first_issue: tuple[Marked, ...]
    actions: frozenset[Phrase]
    name_noise: tuple[Marked, ...]
    starts: Mapping[str, int]
    """For each syllable a table phrase starts with, the longest such phrase (scanning skips the rest)."""
    levels: Mapping[str, tuple[LevelPhrase, ...]]
    """The phrases that name a level of government ("lên xã", "Sở Tư pháp"), by their first folded syllable:
    a question is scanned once, whatever the number of phrases. The phrases of ``not_a_level`` are among
    them, with no level (""): a level phrase overlapping one ("ở xã" in "nhà ở xã hội") does not count."""

    def levels_named(self, words: Sequence[Word]) -> frozenset[str]:
        """The levels of government a question names; a syllable typed with accents must agree with them."""
        folded = tuple(w.folded for w in words)
        found: list[tuple[str, int, int]] = []
        for i, first in enumerate(folded):
            for entry in self.levels.get(first, ()):
                n = len(entry.mark.folded)
                span = zip(words[i : i + n], entry.mark.keys, strict=False)
                if folded[i : i + n] == entry.mark.folded and all(
                    w.accent == key or (w.accent is None and not (entry.accented and _marked_key(key)))
                    for w, key in span
                ):
                    found.append((entry.level, i, i + n))
        not_levels = [(start, end) for level, start, end in found if not level]
        return frozenset(
            level
            for level, start, end in found
            if level
            and not any(s < end and start < e and not (start <= s and e <= end) for s, e in not_levels)
        )

    def expand_abbreviations(self, words: Iterable[str]) -> list[str]:
        """Replace abbreviations by their syllables (``gpxd`` -> ``giay phep xay dung``)."""
        out: list[str] = []
        for word in words:
            expansion = self.abbreviations.get(word)
            out.extend((w.folded for w in expansion) if expansion is not None else (word,))
        return out

    def expand_words(self, words: Iterable[Word]) -> list[Word]:
        """Replace abbreviations by the accented syllables they stand for."""
        out: list[Word] = []
        for word in words:
            expansion = self.abbreviation(word)
            out.extend(expansion if expansion is not None else (word,))
        return out

    def abbreviation(self, word: Word) -> tuple[Word, ...] | None:
        """What a typed syllable abbreviates, if it is an abbreviation typed without tone or vowel marks.

        "cổ" or "có" is a word, whatever its folded form abbreviates elsewhere; "đ" alone is a letter of
        abbreviations too ("đchi").
        """
        if word.has_tone_or_vowel_marks:
            return None
        return self.abbreviations.get(word.folded)

    def vocabulary(self) -> frozenset[str]:
        """Every syllable the tables know, so that typo correction leaves them alone."""
        known: set[str] = set(self.abbreviations)
        for key, entries in self.entries.items():
            known.update(key)
            for entry in entries:
                if entry.rule is not None:
                    for alternative in entry.rule.means:
                        known.update(alternative)
        return frozenset(known)

    def scan(self, words: Sequence[Word], actions: frozenset[Action]) -> list[Match]:
        """Find phrases left to right, longest first; at equal length a synonym beats a stop word.

        A synonym read in its context takes its context in too ("bố tôi mới mất" is one death), replacing
        what was found there: the relative is not a notion of its own ("bố" would find "Công bố ...").
        """
        found: list[Match] = []
        i = 0
        while i < len(words):
            match = self._match_at(words, i, actions, found)
            if match is None:
                i += 1
                continue
            # Only a match that took its context in starts before ``i``: what it took in is replaced.
            while found and found[-1].start >= match.start:
                found.pop()
            found.append(match)
            i = match.end
        return found

    def _match_at(
        self, words: Sequence[Word], start: int, actions: frozenset[Action], found: Sequence[Match] = ()
    ) -> Match | None:
        longest = self.starts.get(words[start].folded)
        if longest is None:
            return None
        for size in range(min(longest, len(words) - start), 0, -1):
            span = words[start : start + size]
            entries = self.entries.get(tuple(w.folded for w in span), ())
            for entry in entries:
                rule = entry.rule
                begin = start if rule is None or not rule.after else _context(words, start, size, rule, found)
                if begin < 0:
                    continue
                if entry.action in actions and all(
                    w.accent is None or w.accent == a for w, a in zip(span, entry.accents, strict=True)
                ):
                    soft = any(
                        w.accent is None and not a.endswith("|")
                        for w, a in zip(span, entry.accents, strict=False)
                    )
                    return Match(begin, start + size, entry.action, entry.rule, soft)
        return None


MAX_BETWEEN = 3
"""How many ``between`` words may stand between a contextual synonym and what it must follow."""


def _says(words: Sequence[Word], at: int, mark: Marked) -> bool:
    """Whether ``mark`` is said at ``at``; a syllable typed with accents must agree with its accents."""
    span = words[at : at + len(mark.folded)] if at >= 0 else ()
    return len(span) == len(mark.folded) and all(
        w.folded == folded and (w.accent is None or w.accent == key)
        for w, folded, key in zip(span, mark.folded, mark.keys, strict=True)
    )


def _context(words: Sequence[Word], start: int, size: int, rule: Rule, found: Sequence[Match]) -> int:
    """Where the context of the phrase at ``start`` begins, or -1 when it is not in its context: after one
    of ``rule.after`` (past at most MAX_BETWEEN of ``rule.between``), not starting inside an earlier match
    (it may take whole ones in: "cho con" then "gái" is none), and not right before ``rule.unless_before``."""
    if any(_says(words, start + size, mark) for mark in rule.unless_before):
        return -1
    begin = _context_start(words, start, rule)
    return -1 if any(m.start < begin < m.end for m in found) else begin


def _context_start(words: Sequence[Word], start: int, rule: Rule) -> int:
    """Where the context of the phrase at ``start`` begins (its ``after`` phrase, the longest), or -1."""
    end = start
    while True:
        for before in rule.after:
            if _says(words, end - len(before.folded), before):
                return end - len(before.folded)
        if start - end >= MAX_BETWEEN or not any(_says(words, end - 1, w) for w in rule.between):
            return -1
        end -= 1


def _marked_key(key: str) -> bool:
    """Whether an accent key carries marks: "xã" does, "y" in "sở y tế" does not (``y|``)."""
    return not key.endswith("|")


def _level_phrases(data: Mapping[str, Any]) -> dict[str, tuple[LevelPhrase, ...]]:
    """The phrases of ``vocabulary/levels.toml`` (levels, and what is not one), by first syllable."""
    out: dict[str, list[LevelPhrase]] = {}
    sections = [(f"{level}_level", level) for level in LEVELS] + [("not_a_level", "")]
    for section, level in sections:
        for key in ("phrases", "accented"):
            for text in _strings(data.get(section, {}).get(key, []), f"{section}.{key}"):
                mark = _marked(text)
                if mark.keys:
                    out.setdefault(mark.folded[0], []).append(LevelPhrase(level, mark, key == "accented"))
    return {first: tuple(found) for first, found in out.items()}


def _strings(values: Any, where: str) -> list[str]:
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise ValueError(f"synonyms.toml: {where} must be a list of strings")
    return list(values)


def _marked(text: str) -> Marked:
    words = words_of(text)
    return Marked(tuple(w.folded for w in words), tuple(w.key for w in words))


_PRIORITY: dict[Action, int] = {"synonym": 0, "chitchat": 1, "stop": 2}


def _starts(entries: Mapping[Phrase, object]) -> dict[str, int]:
    out: dict[str, int] = {}
    for key in entries:
        out[key[0]] = max(out.get(key[0], 0), len(key))
    return out


def compile_tables(data: Mapping[str, Any]) -> Aliases:
    """Build :class:`Aliases` from parsed TOML; errors name the offending key."""
    abbreviations: dict[str, tuple[Word, ...]] = {}
    for key, value in dict(data.get("abbreviations", {})).items():
        if not isinstance(value, str):
            raise ValueError(f"synonyms.toml: abbreviations.{key} must be a string")
        parts = syllables(key)
        if len(parts) != 1:
            # A typed "c/o" reaches the search as two syllables, so such a key could only ever match the
            # word it folds to ("co": "có", "cơ", "cổ"); a phrase belongs in a synonym's "say".
            raise ValueError(f"synonyms.toml: abbreviations.{key} must be one syllable, not {parts}")
        abbreviations[canonical(parts[0])] = tuple(words_of(value))
    entries: dict[Phrase, list[_Entry]] = {}

    def add(text: str, action: Action, rule: Rule | None) -> None:
        folded = phrase(text)
        if folded:
            keys = tuple(accent_key(raw) for raw in accented_syllables(text) for _ in syllables(raw))
            entries.setdefault(folded, []).append(_Entry(keys, action, rule))

    for n, item in enumerate(data.get("synonym", [])):
        means = tuple(p for p in (phrase(m) for m in _strings(item.get("means"), f"synonym[{n}].means")) if p)
        keep = bool(item.get("keep", False))
        weight = float(item.get("weight", 1.0))
        first_issue = bool(item.get("first_issue", False))

        def context(key: str, item: Mapping[str, Any] = item, n: int = n) -> tuple[Marked, ...]:
            # The longest first: "bố chồng" is one relative, not "chồng" after a stray "bố".
            marks = (_marked(t) for t in _strings(item.get(key, []), f"synonym[{n}].{key}"))
            return tuple(sorted((m for m in marks if m.keys), key=lambda m: -len(m.keys)))

        after, between, unless = context("after"), context("between"), context("unless_before")
        for say in _strings(item.get("say"), f"synonym[{n}].say"):
            own = phrase(say)
            alternatives = means + ((own,) if keep and own not in means else ())
            if not alternatives:
                raise ValueError(f"synonyms.toml: synonym[{n}] means nothing (no words in `means`)")
            add(say, "synonym", Rule(alternatives, keep, weight, first_issue, after, between, unless))
    for text in _strings(data.get("stopwords", {}).get("phrases", []), "stopwords.phrases"):
        add(text, "stop", None)
    for text in _strings(data.get("chitchat", {}).get("phrases", []), "chitchat.phrases"):
        add(text, "chitchat", None)

    def marked(section: str) -> tuple[Marked, ...]:
        texts = _strings(data.get(section, {}).get("phrases", []), f"{section}.phrases")
        return tuple(sorted((m for m in map(_marked, texts) if m.keys), key=lambda m: -len(m.keys)))

    return Aliases(
        abbreviations=MappingProxyType(abbreviations),
        entries=MappingProxyType(
            # A synonym that holds only in its context is tried before the same phrase's plain reading.
            {
                k: tuple(sorted(v, key=lambda e: (_PRIORITY[e.action], not (e.rule and e.rule.after))))
                for k, v in entries.items()
            }
        ),
        special_cases=marked("special_cases"),
        later_steps=marked("later_steps"),
        first_issue=marked("first_issue"),
        actions=frozenset(m.folded for m in marked("actions")),
        name_noise=marked("name_noise"),
        starts=MappingProxyType(_starts(entries)),
        levels=MappingProxyType(_level_phrases(data)),
    )


_PHRASE_SECTIONS = (
    "stopwords",
    "chitchat",
    "name_noise",
    "special_cases",
    "later_steps",
    "actions",
    "first_issue",
    *(f"{level}_level" for level in LEVELS),
    "not_a_level",
)


def merge_tables(tables: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Merge parsed vocabulary files: tables of phrases and synonyms add up, the first abbreviation wins."""
    merged: dict[str, Any] = {"abbreviations": {}, "synonym": []}
    for table in tables:
        for key, value in dict(table.get("abbreviations", {})).items():
            merged["abbreviations"].setdefault(key, value)
        merged["synonym"].extend(table.get("synonym", []))
        for section in _PHRASE_SECTIONS:
            for key in ("phrases", "accented"):
                phrases = table.get(section, {}).get(key, [])
                merged.setdefault(section, {}).setdefault(key, []).extend(phrases)
    return merged


def load_aliases(text: str | None = None) -> Aliases:
    """Load the packaged ``synonyms.toml`` and ``vocabulary/*.toml`` (or only the given TOML text)."""
    if text is not None:
        return compile_tables(tomllib.loads(text))
    package = resources.files("knowledge")
    texts = [package.joinpath("synonyms.toml").read_text(encoding="utf-8")]
    folder = package.joinpath("vocabulary")
    files = sorted((f for f in folder.iterdir() if f.name.endswith(".toml")), key=lambda f: f.name)
    texts += [f.read_text(encoding="utf-8") for f in files]
    return compile_tables(merge_tables(tomllib.loads(t) for t in texts))
