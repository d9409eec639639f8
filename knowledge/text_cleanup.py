"""Clean the portal's running text without rewriting it: join broken lines, drop repeated headers,
and mark garbled fragments so a resident knows the words are the portal's, not ours.

Nothing here changes a word: lines are only joined or dropped when they repeat, and a marker is added
after a fragment that is plainly broken.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

# A line that ends a sentence, a list heading or a step title: the next line starts something new.
_ENDS_COMPLETE = re.compile(r"[.;:!?)\]”\"…]\s*$")
_LIST_START = re.compile(r"^(?:[-+*•–]|[a-zđ]\)|\(?[ivx]+\)|[0-9]+[.)]|Bước\s*[0-9])", re.IGNORECASE)
# Titles of the portal's own fields, repeated at the top of the text they head.
_FIELD_TITLES = re.compile(
    r"^[*\-\s]*(?:trình tự thực hiện|cách thức thực hiện|thành phần hồ sơ|trình tự, thủ tục)\s*:?\s*$",
    re.IGNORECASE,
)
# The portal's page scrambled "…nộp hồ sơ đăng ký khai sinh tại Trung tâm Phục vụ…" into "…khai tâm
# Phục vụ…": the tail of a proper name without its head is a sure sign of such a break.
_HEADLESS_NAME = re.compile(r"\S+\s+(?<!Trung )tâm Phục vụ")
# A line ending on the head of a name ("…tại Trung") whose next line does not continue it.
_DANGLING_HEAD = re.compile(r"\bTrung$")
_NAME_TAILS = ("tâm", "ương", "đoàn", "đội", "Quốc", "Tâm", "Ương")
# A list marker alone on its line ("a)") belongs to the line after it.
_LONE_MARKER = re.compile(r"^(?:[a-zđ]\)|\(?[ivx]+\)|[0-9]+[.)]|[-+*•])$", re.IGNORECASE)

# Words a sentence cannot end on: "… theo quy định của", "… Thông tư số".
_OPEN_WORD = re.compile(
    r"(?:^|\s)(?:số|và|hoặc|của|các|những|về|theo|trong|để|cho|tại|với|do|được|là|gồm|từ|đến|bởi|như)$",
    re.IGNORECASE,
)

Marker = Callable[[str], str]
"""Writes a garbled fragment with a visible mark; the caller owns the wording."""


def join_broken_lines(lines: Iterable[str], mark: Marker) -> list[str]:
    """Join a line cut in the middle of a sentence with the line that continues it."""
    out: list[str] = []
    for raw in lines:
        line = raw.strip()
        if not line:
            continue
        previous = out[-1] if out else ""
        if _LONE_MARKER.match(previous):
            out[-1] = f"{previous} {line}"
            continue
        continues = (
            previous
            and not _ENDS_COMPLETE.search(previous)
            and not _LIST_START.match(line)
            and (line[:1].islower() or _OPEN_WORD.search(previous) is not None)
        )
        if not continues:
            out.append(line)
            continue
        head = _DANGLING_HEAD.search(previous)
        if head and not line.startswith(_NAME_TAILS):
            out[-1] = previous[: head.start()] + mark(previous[head.start() :] + " " + line.split(" ", 1)[0])
            rest = line.split(" ", 1)[1] if " " in line else ""
            out[-1] = f"{out[-1]} {rest}".rstrip()
        else:
            out[-1] = f"{previous} {line}"
    return out


def drop_repeated_headers(lines: Iterable[str]) -> list[str]:
    """Drop the field's own title and a line that repeats the one before it."""
    out: list[str] = []
    for line in lines:
        if _FIELD_TITLES.match(line):
            continue
        if out and line.casefold() == out[-1].casefold():
            continue
        out.append(line)
    return out


def mark_garbled(line: str, mark: Marker) -> str:
    """Mark the fragments of a line the portal plainly scrambled."""
    return _HEADLESS_NAME.sub(lambda m: mark(m.group(0)), line)


def clean_lines(lines: Iterable[str], mark: Marker) -> list[str]:
    """Clean a field's lines: repeated headers dropped, broken lines joined, garbled fragments marked."""
    return [mark_garbled(line, mark) for line in join_broken_lines(drop_repeated_headers(lines), mark)]


_VOWELS = "aăâeêioôơuưyàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ"
# One Vietnamese syllable: an onset, one to three vowels, a coda. Letters outside it (f, j, w, z) or a
# shape it does not allow ("Master", "Card") keep a word as it is.
_SYLLABLE = re.compile(
    rf"^(?:ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdđghklmnprstvx])?[{_VOWELS}]{{1,3}}(?:ng|nh|ch|[cmnpt])?$"
)
_UPPER = "A-ZĐÀÁẢÃẠĂẰẮẲẴẶÂẦẤẨẪẬÈÉẺẼẸÊỀẾỂỄỆÌÍỈĨỊÒÓỎÕỌÔỒỐỔỖỘƠỜỚỞỠỢÙÚỦŨỤƯỪỨỬỮỰỲÝỶỸỴ"
_LOWER = f"a-zđ{_VOWELS}"
# "lýBước": a lower-case syllable glued to a capitalised one, a word on its own (no "/", ".", "_" around,
# so a link or a file name is never touched).
_GLUED = re.compile(rf"(?<![\w/._=-])([{_UPPER}]?[{_LOWER}]+)([{_UPPER}][{_LOWER}]+)(?![\w/._=-])")
# "đăng k ý": a consonant alone, then the rest of its syllable. A lone letter after "điểm", "khoản"…
# is a legal reference ("điểm k"), and stays.
_SPLIT_ONSET = re.compile(
    r"(?<![\w/._=-])(?<!điểm )(?<!khoản )(?<!mục )(?<!tiết )([bcdđghklmnpqrstvxBCDĐGHKLMNPQRSTVX])"
    rf" ([{_VOWELS}][{_LOWER}]*)(?![\w/._=-])"
)
# "nhân nhân nhân": a syllable three times or more in a row.
_REPEATED = re.compile(rf"(?<![\w/])([{_UPPER}{_LOWER}]+)(?:\s+\1){{2,}}(?![\w/])", re.IGNORECASE)

_CASE_CHANGE = re.compile(f"[{_LOWER}][{_UPPER}]")
_LONE_LETTER = re.compile(r"(?<!\S)[^\W\d_] ")


def is_syllable(word: str) -> bool:
    """Tell whether a word has the shape of one Vietnamese syllable."""
    return _SYLLABLE.match(word.casefold()) is not None


def _split_glued(match: re.Match[str]) -> str:
    head, tail = match.group(1), match.group(2)
    return f"{head} {tail}" if is_syllable(head) and is_syllable(tail) else match.group(0)


def _join_onset(match: re.Match[str]) -> str:
    joined = match.group(1) + match.group(2)
    return joined if is_syllable(joined) else match.group(0)


def clean_words(text: str, mark: Marker) -> str:
    """Set apart syllables glued at a case change, join a consonant split from its syllable, mark a
    syllable the portal repeated three times; nothing else changes and no letter is lost."""
    # Cheap tests first: most lines have none of these, and sections render for every card.
    if _CASE_CHANGE.search(text):
        text = _GLUED.sub(_split_glued, text)
    if _LONE_LETTER.search(text):
        text = _SPLIT_ONSET.sub(_join_onset, text)
    words = text.casefold().split()
    if any(a == b == c for a, b, c in zip(words, words[1:], words[2:], strict=False)):
        text = _REPEATED.sub(lambda m: mark(m.group(0)), text)
    return text


def needs_next(line: str) -> bool:
    """Tell whether a line cannot end where it does: on a word that needs more, or announcing a list."""
    line = line.rstrip()
    return _OPEN_WORD.search(line) is not None or line.endswith(":")
