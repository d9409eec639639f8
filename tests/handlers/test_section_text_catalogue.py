"""The sections' text over the whole real catalogue: cleaned, never cut mid-sentence, no word lost."""

from __future__ import annotations

import itertools
import re

from bot import texts
from bot.markup import to_plain
from handlers.card_sections import LEGAL, SECTIONS, STEPS, render_section
from handlers.cards import split_steps
from knowledge.model import Procedure
from tests.handlers.support import CENTRE

# A line ending on one of these words goes on in the next: a part must not stop there.
_OPEN_END = re.compile(
    r"\s(?:số|và|hoặc|của|các|về|theo|trong|để|cho|tại|với|do|được|là|gồm|từ|đến)$", re.IGNORECASE
)
_KINDS = r"(?:Luật|Bộ luật|Nghị định|Nghị quyết|Thông tư|Quyết định|Pháp lệnh)"
_SHELL = re.compile(rf"^• {_KINDS}(?:\s+số)?\s*:?$", re.IGNORECASE)

# A field's own title atop its text ("Trình tự thực hiện:") is the one line cleaning drops.
_FIELD_TITLE = re.compile(
    r"^[*\-\s]*(?:trình tự thực hiện|cách thức thực hiện|thành phần hồ sơ|trình tự, thủ tục)\s*:?\s*$",
    re.IGNORECASE,
)

_CASE_CHANGE = re.compile(r"(?<=[^\W\d_])(?=[A-ZĐ])")


def _letters(text: str) -> str:
    return re.sub(r"\W+", "", text.replace(texts.GARBLED, "")).casefold()


def _sections(proc: Procedure) -> dict[str, list[str]]:
    return {s: [to_plain(p) for p in render_section(proc, s, portal_url=CENTRE.portal_url)] for s in SECTIONS}


def test_no_part_but_the_last_ends_on_a_word_that_needs_the_next(catalogue: list[Procedure]) -> None:
    open_ends = []
    for proc in catalogue:
        for section, parts in _sections(proc).items():
            for part in parts[:-1]:
                last = part.rstrip().rsplit("\n", 1)[-1]
                if _OPEN_END.search(last):
                    open_ends.append(f"{proc.code} {section}: …{last[-40:]}")
    assert not open_ends, open_ends[:10]


def test_no_legal_line_is_a_documents_kind_without_its_number(catalogue: list[Procedure]) -> None:
    shells = [
        f"{proc.code}: {line}"
        for proc in catalogue
        for part in render_section(proc, LEGAL, portal_url=CENTRE.portal_url)
        for line in to_plain(part).split("\n")
        if _SHELL.match(line)
    ]
    assert not shells, shells[:10]


def test_no_section_shows_a_line_twice_in_a_row(catalogue: list[Procedure]) -> None:
    repeats = []
    for proc in catalogue:
        for section, parts in _sections(proc).items():
            lines = [line for line in "\n".join(parts).split("\n") if line.strip()]
            repeats.extend(f"{proc.code} {section}: {a[:50]}" for a, b in itertools.pairwise(lines) if a == b)
    assert not repeats, repeats[:10]


def test_no_word_of_a_step_or_a_legal_title_is_lost(catalogue: list[Procedure]) -> None:
    lost = []
    for proc in catalogue:
        steps = _letters(to_plain("".join(render_section(proc, STEPS, portal_url=CENTRE.portal_url))))
        lost.extend(
            f"{proc.code}: {s[:50]}"
            for s in split_steps(proc.steps)
            if _letters(s) not in steps and not _FIELD_TITLE.match(s)
        )
        legal = _letters(to_plain("".join(render_section(proc, LEGAL, portal_url=CENTRE.portal_url))))
        for basis in proc.legal_basis:
            # Splitting a row into one line per document only inserts punctuation between its words.
            # Words the portal glued ("Môi trườngNghị quyết") are looked for one by one; a kind the
            # portal wrote twice in a row ("LuậtLuật 18/2017/QH14") is shown once.
            glued = _CASE_CHANGE.sub(" ", basis.title + " " + basis.number)
            words = re.sub(r"\W+", " ", glued).casefold().split()
            title = [w for i, w in enumerate(words) if not i or w != words[i - 1]]
            missing = [w for w in title if w not in legal]
            if missing:
                lost.append(f"{proc.code}: {missing[:3]}")
    assert not lost, lost[:10]
