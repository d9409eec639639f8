"""The choice list ("did you mean…?"): one button per procedure, with labels a resident can tell apart.

The catalogue holds procedures whose names differ only past the cut of a button ("Thẩm định và phê
duyệt kế hoạch ứng phó sự cố tràn dầu của… " at two levels, or two variants at one level), and
procedures with the same name at several levels. Each label first shows the name and level; labels
that still read the same show the words where the names differ, then the level and agency in a few
words, and only as a last resort the procedure's code.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from bot import texts
from bot.messages import Button, Reply
from handlers.cards import CHOICE_PREFIX, one_line, tidy
from knowledge.model import Procedure
from knowledge.places import place_of

LABEL_MAX = 60
LEVEL_LABEL_MAX = 40

HEAD_MAX = 28
"""The shared start of names that differ further on: a few words, the differing words follow."""
TAIL_MAX = 48
AGENCY_MAX = 40
_PROCEDURE_PREFIX = re.compile(r"^thủ tục\s+", re.IGNORECASE)


def _name(proc: Procedure) -> str:
    name = _PROCEDURE_PREFIX.sub("", tidy(proc.name).replace("\n", " ")) or proc.code
    return name[:1].upper() + name[1:]


def _words_in_common(names: Sequence[str]) -> int:
    split = [name.split() for name in names]
    count = 0
    for words in zip(*split, strict=False):
        if len(set(words)) > 1:
            break
        count += 1
    return count


def _differing(procs: Sequence[Procedure]) -> list[str]:
    """Labels showing where the names part ("Thẩm định… các cảng xăng dầu có khả năng…")."""
    names = [_name(proc) for proc in procs]
    if len(set(names)) < len(names):
        # The same name twice: only the place can tell them apart.
        return _placed(procs)
    common = _words_in_common(names)
    labels = []
    for proc, name in zip(procs, names, strict=True):
        words = name.split()
        head = one_line(" ".join(words[:common]), HEAD_MAX).rstrip("…")
        tail = one_line(" ".join(words[common:]), TAIL_MAX)
        level = one_line(place_of(proc).level, AGENCY_MAX)
        # A name that is the start of another one is shown as it is.
        label = f"{head}… {tail}" if common and tail else tail or one_line(name, HEAD_MAX + TAIL_MAX)
        labels.append(f"{label} ({level})" if level else label)
    return labels


def _placed(procs: Sequence[Procedure]) -> list[str]:
    """Labels naming the level and the agency in a few words."""
    labels = []
    for proc in procs:
        place = place_of(proc)
        where = " · ".join(
            part for part in (one_line(place.level, AGENCY_MAX), one_line(place.agency, AGENCY_MAX)) if part
        )
        name = one_line(_name(proc), TAIL_MAX)
        labels.append(f"{name} ({where})" if where else name)
    return labels


def _coded(procs: Sequence[Procedure]) -> list[str]:
    return [f"{label} · {proc.code}" for label, proc in zip(_placed(procs), procs, strict=True)]


_WAYS: tuple[Callable[[Sequence[Procedure]], list[str]], ...] = (_differing, _placed, _coded)


def distinct_labels(procs: Sequence[Procedure]) -> list[str]:
    """One label per procedure, no two the same: the plain label, or more words where two collide."""
    labels = [choice_label(proc) for proc in procs]
    for way in _WAYS:
        groups: dict[str, list[int]] = {}
        for index, label in enumerate(labels):
            groups.setdefault(label, []).append(index)
        clashes = [indexes for indexes in groups.values() if len(indexes) > 1]
        if not clashes:
            break
        for indexes in clashes:
            for index, label in zip(indexes, way([procs[i] for i in indexes]), strict=True):
                labels[index] = label
    return labels


def choice_label(proc: Procedure) -> str:
    """A short plain-text button label: the name without "Thủ tục", and the level."""
    name = one_line(_name(proc), LABEL_MAX)
    level = one_line(proc.level, LEVEL_LABEL_MAX)
    return f"{name} ({level})" if level else name


def render_choices(procs: Sequence[Procedure], *, question: str = "") -> Reply:
    """The choices answer: a prompt and one button per procedure, opening its card.

    ``question`` (folded) is remembered with the buttons, so a list nobody picks from counts as unanswered.
    """
    labels = distinct_labels(procs)
    buttons = [
        Button(label=label, payload=f"{CHOICE_PREFIX}:{proc.code}")
        for proc, label in zip(procs, labels, strict=True)
    ]
    return Reply(text=texts.CHOICES_PROMPT, buttons=tuple(buttons), question=question)
