"""The sections a short card's buttons open, each split into parts that fit one Zalo message.

"Giấy tờ trong trường hợp đặc biệt" holds every row the short card did not show in full, so no paper
is ever lost; "Các bước" the cleaned steps; "Căn cứ pháp lý" the legal basis; "Nộp trực tuyến" the
ways to submit with their time limits and fees, and the online link.

A button carries its section and procedure code (``s:giayto:1.001193``), so it opens the section with
nothing remembered: a Telegram button still works after a restart, and so does a number typed on Zalo
while the chat's stored choices last.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from bot import texts
from bot.markup import bold, esc, link, nfc_length, split
from bot.messages import Button
from handlers.cards import shorten, split_steps, tidy
from handlers.short_card import (
    channel_words,
    fee_words,
    offers_online,
    paper_counts,
    paper_form,
    paper_words,
    time_limit_text,
)
from knowledge.documents import Paper, announces, distinct, sort_documents
from knowledge.model import Procedure
from knowledge.paper_names import same_paper_key
from knowledge.text_cleanup import clean_lines, clean_words, needs_next

DOCUMENTS = "giayto"
STEPS = "cacbuoc"
LEGAL = "cancu"
ONLINE = "tructuyen"
SECTIONS = (DOCUMENTS, STEPS, LEGAL, ONLINE)
"""Section keys, in the order the buttons will show them."""
TITLES = {
    DOCUMENTS: texts.SECTION_DOCUMENTS,
    STEPS: texts.SECTION_STEPS,
    LEGAL: texts.SECTION_LEGAL,
    ONLINE: texts.SECTION_ONLINE,
}
FEE_FULL = 1200
"""A fee in a section is shown whole unless it is a page long."""
PART_LIMIT = 2000
"""Zalo's message limit after NFC normalisation, the smallest of the platforms."""
REPEAT_SHORT_MIN = 120
"""A paper repeated in a later case is shortened only when its row is longer than this."""
NAME_MAX = 200
"""A procedure's name above a section is cut, at a word, past this many characters."""
SECTION_PREFIX = "s"
"""Button payloads ``s:<section>:<code>`` open one section of a procedure's card."""


# "…/TT-BCAngày 01/7/2025": the portal glued a document's number to the date after it.
_GLUED_DATE = re.compile(r"(/\d{4}/[A-ZĐ]+(?:-[A-ZĐ0-9]+)*)(?=ngày\b)")
# "…; Thông tư số 56/2021/TT-BCA …": one legal title row holding several documents.
_KINDS = r"(?:Luật|Bộ luật|Nghị định|Nghị quyết|Thông tư|Quyết định|Pháp lệnh)\b"
_NEXT_DOCUMENT = re.compile(rf";\s+(?={_KINDS})")
_LOWER = "a-zđàáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵ"
# "… của Bộ Tư pháp18/2026/NĐ-CP Nghị định quy định …": the portal glued a title to its document's number
# and the next document's title; "… Bộ Tư phápThông tư số …": a title to the next one.
_GLUED_NUMBER = re.compile(
    rf"(?<=[{_LOWER}])([0-9]{{1,4}}/[0-9]{{4}}/[A-ZĐ]+(?:-[A-ZĐ0-9]+)*)(?P<next>\s+(?={_KINDS}))?"
)
_GLUED_TITLE = re.compile(rf"(?<=[{_LOWER}])(?={_KINDS})")
# "- A. - B.": a note's points run together on one line.
_NOTE_POINT = re.compile(
    r"(?<=[.;:])\s*-\s+(?=[A-ZĐ])|^(?:lưu ý|ghi chú|chú ý)\s*:\s*-\s*(?=\S)", re.IGNORECASE
)
_FILE_EXTENSION = re.compile(r"\.(?:docx?|pdf|xlsx?|rtf|odt)$", re.IGNORECASE)
_READABLE_NAME = re.compile(r"\w+\s+\w+\s+\w+")


def legal_titles(title: str) -> list[str]:
    """One line per legal document a title row names, with a glued date set apart."""
    title = _GLUED_DATE.sub(r"\1 ", title)
    title = _GLUED_NUMBER.sub(lambda m: f" ({m.group(1)})" + ("; " if m.group("next") else ""), title)
    title = _GLUED_TITLE.sub("; ", title)
    return [part.strip() for part in _NEXT_DOCUMENT.split(title) if part.strip()]


# "Thông tư số" and nothing more: the head of a document split from its number.
_SHELL = re.compile(rf"^{_KINDS}(?:\s+số)?\s*:?$", re.IGNORECASE)


def _without_shells(titles: list[str], number: str) -> list[str]:
    """Legal titles with a bare "Thông tư số" joined to what follows, or to its number, never dropped."""
    out: list[str] = []
    carried = ""
    for part in titles:
        if _SHELL.match(part):
            carried = f"{carried} {part}".strip()
            continue
        # "Luật" then "Luật 18/2017/QH14": the next part already starts with the shell's words.
        joined = part if _letters(part).startswith(_letters(carried)) else f"{carried} {part}".strip()
        out.append(joined)
        carried = ""
    if carried:
        # Nothing follows it: the row's number completes it, and a document named in full just above
        # needs no second line; otherwise the words stay, at the end of the line before.
        whole = f"{carried} {number}".strip() if number and _SHELL.match(carried) else carried
        if out and _letters(whole) in _letters(out[-1]):
            return out
        if whole != carried:
            out.append(whole)
        elif out:
            out[-1] = f"{out[-1]} {_mark(carried)}"
        else:
            out.append(carried)
    return out


def template_words(template: str) -> str:
    """A template that is not a link, in words: its readable file name, or '' for a mangled one."""
    name = _FILE_EXTENSION.sub("", template.strip())
    return name if _READABLE_NAME.search(name) else ""


def _mark(fragment: str) -> str:
    # In quotes, so the resident sees which words the mark is about.
    return f"“{fragment}” {texts.GARBLED}"


def _full_line(paper: Paper) -> str:
    """A paper in full, with its counts, template and channel."""
    details = [counts] if (counts := paper_counts(paper)) else []
    template = tidy(paper.document.template).replace("\n", " ")
    if template.startswith(("http://", "https://")) and " " not in template:
        return (
            f"• {esc(tidy(paper.text))}"
            + (f" ({esc('; '.join(details))})" if details else "")
            + (f" {link(template, texts.SHORT_FORM)}")
        )
    # A file name without a link is no use to a resident: its readable name at most, never "Mau-01.docx".
    if words := template_words(template):
        details.insert(0, f"{texts.SHORT_FORM}: {words}")
    elif paper.has_template:
        details.insert(0, paper_form(paper))
    if paper.channels:
        details.append(channel_words(paper))
    suffix = f" ({'; '.join(details)})" if details else ""
    return f"• {esc(tidy(paper.text).replace(chr(10), ' '))}{esc(suffix)}"


def _documents(proc: Procedure) -> list[list[str]]:
    docs = sort_documents(proc.documents, proc.name)
    blocks: list[list[str]] = []
    group = None
    shown: set[str] = set()
    for case in docs.cases:
        block: list[str] = []
        if case.group != group and case.group:
            block.append(bold(tidy(case.group).replace("\n", " ")))
        group = case.group
        if case.condition:
            block.append(f"<i>{esc(tidy(case.condition).replace(chr(10), ' '))}:</i>")
        block.extend(_listed(merged(case.papers), shown))
        blocks.append(block)
    if not docs.cases:
        blocks.append([esc(texts.SHORT_NO_CASES)])
    # The short card gives these in a few words, and may stop short: here they are in full.
    general = merged((*docs.handed_in, *docs.shown))
    leads = _lead_ins(proc, docs.notes, general)
    if general:
        blocks.append([bold(texts.SECTION_GENERAL_FULL), *[f"<i>{esc(lead)}</i>" for lead in leads]])
        blocks[-1].extend(_listed(general, set()))
    if docs.by_office:
        blocks.append([bold(texts.SECTION_BY_OFFICE), *_listed(merged(docs.by_office), set())])
    # A heading titling some papers, or naming the case of some, is shown above them; one with nothing
    # after it stays a note. A note the portal repeats under several cases is shown once.
    titles = docs.titles()
    cases = [_letters(case.group) for case in docs.cases]
    repeated = dict.fromkeys(
        tidy(p.document.name)
        for p in docs.notes
        if not (p.heading and p.text in titles)
        and not (p.condition and any(_letters(p.document.name) in c for c in cases))
        and tidy(p.document.name) not in leads
    )
    notes = [f"• {esc(point)}" for name in repeated for point in _note_points(name)]
    if notes:
        blocks.append([bold(texts.SECTION_NOTES), *notes])
    if not proc.documents and proc.unparsed.get("documents"):
        raw = tidy(proc.unparsed["documents"]).split("\n")
        blocks.append([esc(line) for line in clean_lines(raw, _mark)])
    return blocks


def _lead_ins(proc: Procedure, notes: Iterable[Paper], general: list[Paper]) -> list[str]:
    """Notes announcing a list ("… các giấy tờ sau:") whose next row in the record is a general paper.

    Shown at the head of the general papers they announce, not at the end among the notes where the
    list they announce would seem missing.
    """
    rows = list(proc.documents)
    shown = {id(paper.document) for paper in general}
    leads: list[str] = []
    for note in notes:
        name = tidy(note.document.name)
        if note.document.section or not announces(name) or note.document not in rows:
            continue
        after = rows[rows.index(note.document) + 1 : rows.index(note.document) + 2]
        if after and id(after[0]) in shown and name not in leads:
            leads.append(name.replace("\n", " "))
    return leads


def merged(papers: Iterable[Paper]) -> list[Paper]:
    """The papers once each: a row naming a kept paper (same short name and counts) and adding nothing."""
    kept: list[Paper] = []
    for paper in distinct(tuple(papers)):
        same = [
            k for k in kept if _paper_key(k) == _paper_key(paper) and _letters(paper.text) in _letters(k.text)
        ]
        if same:
            continue
        # A longer row saying all a kept one says replaces it, in its place.
        covered = [
            i
            for i, k in enumerate(kept)
            if _paper_key(k) == _paper_key(paper) and _letters(k.text) in _letters(paper.text)
        ]
        if covered:
            kept[covered[0]] = paper
            kept = [k for i, k in enumerate(kept) if i not in covered[1:]]
            continue
        kept.append(paper)
    return kept


def _paper_key(paper: Paper) -> tuple[str, str, tuple[str, ...], str]:
    return (same_paper_key(paper.text), paper_counts(paper), paper.channels, paper.title)


def _letters(text: str) -> str:
    return re.sub(r"\W+", "", text).casefold()


def _listed(papers: Iterable[Paper], shown: set[str]) -> list[str]:
    """Full lines for papers, each announced list under its heading.

    A paper already written in full above (``shown``, updated) reads in a few words the second time:
    the portal repeats whole paragraphs in every case that needs them.
    """
    lines: list[str] = []
    title = ""
    for paper in papers:
        if paper.title and paper.title != title:
            lines.append(f"<i>{esc(tidy(paper.title).replace(chr(10), ' '))}</i>")
        title = paper.title
        letters = _letters(paper.text)
        long = len(paper.text) > REPEAT_SHORT_MIN
        if long and letters in shown:
            details = [d for d in (paper_counts(paper), channel_words(paper), texts.SECTION_SEE_ABOVE) if d]
            line = f"• {esc(paper_words(paper)[0])} ({esc('; '.join(details))})"
            if line not in lines:
                lines.append(line)
        else:
            lines.append(_full_line(paper))
        shown.add(letters)
    return lines


def _note_points(text: str) -> list[str]:
    """A note's points, one per line ("Lưu ý: - A. - B." gives "Lưu ý:", "A.", "B.")."""
    line = tidy(text).replace("\n", " ").lstrip("-+* ")
    head = re.match(r"^(?:lưu ý|ghi chú|chú ý)\s*:\s*-\s*", line, re.IGNORECASE)
    points = [line[: head.end()].rstrip(" -")] if head else []
    rest = line[head.end() :] if head else line
    points.extend(part.strip() for part in _NOTE_POINT.split(rest) if part.strip())
    return points


def _steps(proc: Procedure) -> list[list[str]]:
    lines = clean_lines(split_steps(proc.steps), _mark)
    return [[f"• {esc(line.lstrip('-–•* ').strip())}" for line in lines]] if lines else []


def _legal(proc: Procedure) -> list[list[str]]:
    lines: list[str] = []
    for basis in proc.legal_basis:
        title = tidy(basis.title).replace("\n", " ")
        number = tidy(basis.number)
        titles = legal_titles(title)
        if number and number not in title:
            # "Thông tư số" and its number read as one name; after a title the number is in brackets.
            titles[-1] += f" {number}" if _SHELL.match(titles[-1]) else f" ({number})"
        titles = _without_shells(titles, number)
        lines.extend(f"• {esc(part)}" for part in titles)
    if not lines and proc.unparsed.get("legal_basis"):
        lines = [esc(line) for line in tidy(proc.unparsed["legal_basis"]).split("\n")]
    return [lines] if lines else []


def _online(proc: Procedure, portal_url: str) -> list[list[str]]:
    blocks: list[list[str]] = []
    lines = []
    for channel in proc.channels:
        details = [
            f"{texts.CARD_TIME_LIMIT} {tidy(channel.time_limit)}" if channel.time_limit else "",
            f"{texts.CARD_FEE}: {fee_words(channel.fee, FEE_FULL)}" if channel.fee else "",
            tidy(channel.note),
        ]
        text = "; ".join(d.replace("\n", " ") for d in details if d)
        lines.append(f"• {bold(tidy(channel.kind))}" + (f": {esc(text)}" if text else ""))
    if lines:
        lines.append(f"⏱ {esc(texts.SHORT_TIME_LIMIT)}: {esc(time_limit_text(proc))}")
        blocks.append(lines)
    elif proc.unparsed.get("channels"):
        blocks.append([esc(line) for line in tidy(proc.unparsed["channels"]).split("\n")])
    online = any(tidy(c.kind) == "Trực tuyến" for c in proc.channels)
    url = proc.url or portal_url
    if online and url:
        blocks.append([f"🔗 {esc(texts.SECTION_ONLINE_AT)}: {link(url, texts.SHORT_ONLINE_LINK)}"])
    elif proc.channels:
        blocks.append([esc(texts.SECTION_ONLINE_NONE)])
    return blocks


_BUILDERS: dict[str, Callable[[Procedure, str], list[list[str]]]] = {
    DOCUMENTS: lambda proc, _url: _documents(proc),
    STEPS: lambda proc, _url: _steps(proc),
    LEGAL: lambda proc, _url: _legal(proc),
    ONLINE: _online,
}


def _join(blocks: Iterable[list[str]]) -> str:
    return "\n\n".join("\n".join(block) for block in blocks if block)


def render_section(proc: Procedure, section: str, *, portal_url: str = "") -> list[str]:
    """Render one section of a procedure as parts of at most :data:`PART_LIMIT` characters each."""
    if section not in _BUILDERS:
        raise KeyError(section)
    name, _ = shorten(tidy(proc.name).replace("\n", " "), NAME_MAX)
    heading = bold(texts.section_heading(TITLES[section], name))
    body = _join(_BUILDERS[section](proc, portal_url)) or esc(texts.SECTION_NONE)
    cleaned = without_repeats(_clean_words_outside_tags(line) for line in body.split("\n"))
    lines = [piece for line in cleaned for piece in sentence_lines(line, PART_LIMIT)]
    # A line that goes on in the next is held to it, so a part never ends on "… của" or "… gồm:".
    held, run = "", 0
    for line, after in zip(lines, [*lines[1:], ""], strict=True):
        run += nfc_length(line) + 1
        hold = line and after and needs_next(_plain(line)) and run + nfc_length(after) <= PART_LIMIT
        held += line + (_HELD if hold else "\n")
        run = run if hold else 0
    parts = split(f"{heading}\n\n{held}".rstrip("\n"), PART_LIMIT, nfc_length)
    return [part.replace(_HELD, "\n") for part in parts]


_HELD = "\x00"
"""Stands for a line break the parts must not be cut at; as long as one, so lengths are unchanged."""


def _plain(line: str) -> str:
    return re.sub(r"<[^>]*>", "", line)


def _clean_words_outside_tags(line: str) -> str:
    pieces = re.split(r"(<[^>]*>)", line)
    return "".join(p if p.startswith("<") else clean_words(p, _mark) for p in pieces)


def _line_key(line: str) -> str:
    return re.sub(r"^[\s•\-+*–]+|[\s:.]+$", "", re.sub(r"<[^>]*>", "", line)).casefold()


def without_repeats(lines: Iterable[str]) -> list[str]:
    """Lines without one that repeats the line just before it ("Lưu ý" then "• Lưu ý:")."""
    out: list[str] = []
    for line in lines:
        if out and line.strip() and _line_key(line) == _line_key(out[-1]):
            continue
        out.append(line)
    return out


# Where a line too long for one message may go on in the next, best first: after a sentence or a
# clause, or before a "+" point; after a comma; after any word a sentence may end on. Never inside a tag.
_CUTS = (
    re.compile(r"(?<=[.;!?])\s+(?=\S)|\s+(?=[+-]\s)"),
    re.compile(r"(?<=,)\s+(?=\S)"),
    re.compile(r"\s+(?=\S)"),
)
_TAG = re.compile(r"<(/?)[a-z]+\b[^>]*>")


def _outside_tags(line: str) -> list[bool]:
    """For each character of a line, whether it lies outside every tag and tagged span."""
    outside: list[bool] = []
    depth, position = 0, 0
    for tag in _TAG.finditer(line):
        outside.extend([depth == 0] * (tag.start() - position))
        depth += -1 if tag.group(1) else 1
        outside.extend([False] * (tag.end() - tag.start()))
        position = tag.end()
    outside.extend([depth == 0] * (len(line) - position))
    return outside


def _best_cut(line: str, start: int, limit: int, outside: list[bool]) -> tuple[int, int] | None:
    for pattern in _CUTS:
        best = None
        for cut in pattern.finditer(line, start):
            if nfc_length(line[start : cut.start()]) > limit:
                break
            if outside[cut.start()] and not needs_next(_plain(line[start : cut.start()])):
                best = (cut.start(), cut.end())
        if best is not None:
            return best
    return None


def sentence_lines(line: str, limit: int) -> list[str]:
    """A line longer than ``limit`` as several lines, each cut after a sentence if it can be, else after
    a clause or a word that may end one: a part then never stops on "… của"."""
    if nfc_length(line) <= limit:
        return [line]
    outside = _outside_tags(line)
    out: list[str] = []
    start = 0
    while nfc_length(line[start:]) > limit:
        cut = _best_cut(line, start, limit, outside)
        if cut is None:
            break
        out.append(line[start : cut[0]])
        start = cut[1]
    out.append(line[start:])
    return out


def section_payload(section: str, code: str) -> str:
    """The button payload opening ``section`` of the procedure ``code``."""
    return f"{SECTION_PREFIX}:{section}:{code}"


def parse_section_payload(payload: str) -> tuple[str, str] | None:
    """(section, code) of a section button's payload; None when it is not one (the section is unchecked)."""
    prefix, _, rest = payload.partition(":")
    section, _, code = rest.partition(":")
    if prefix != SECTION_PREFIX or not section or not code.strip():
        return None
    return section, code.strip()


def sections_of(proc: Procedure) -> list[str]:
    """The sections worth a button for this record, in button order."""
    found = []
    if proc.documents or proc.unparsed.get("documents"):
        # Even without special cases it holds the papers in full; the short card gives a few words each.
        found.append(DOCUMENTS)
    if _steps(proc):
        found.append(STEPS)
    if _legal(proc):
        found.append(LEGAL)
    # A button "Nộp trực tuyến" for a procedure that cannot be done online would only disappoint.
    if offers_online(proc):
        found.append(ONLINE)
    return found


def section_buttons(proc: Procedure) -> tuple[Button, ...]:
    """Buttons for the record's sections, always the same ones in the same order (numbers stay put)."""
    return tuple(
        Button(label=TITLES[key], payload=section_payload(key, proc.code)) for key in sections_of(proc)
    )
