"""Procedure cards and search answers as reply markup.

Every line of a card keeps its tags balanced and sections are separated by blank lines, so
:func:`bot.markup.split` can cut a long card at any platform limit without breaking a tag. Field
lengths are capped so that no single line comes near the smallest limit (Zalo's 2000).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bot import texts
from bot.config import CentreConfig
from bot.markup import bold, esc, link
from bot.messages import Reply
from knowledge.model import Channel, Document, Procedure
from knowledge.results import SearchResult

CHOICE_PREFIX = "p"
"""Button payloads ``p:<code>`` open the card of a procedure."""

# Caps in characters of raw text, chosen so a typical card fits one Telegram message and the
# longest records (44k-character conditions) still give a readable card of a few messages.
NAME_MAX = 400
FIELD_MAX = 300
DOCUMENT_MAX = 220
DOCUMENTS_SHOWN = 8
RAW_MAX = 700
FEE_MAX = 200
CHANNELS_SHOWN = 6
SECTION_MAX = 150
NOTE_MAX = 150
STEP_MAX = 240
STEPS_SHOWN = 6
STEPS_BUDGET = 1200
CONDITIONS_MAX = 500
RESULT_MAX = 300
CARDS_CACHED = 1024
"""Rendered cards kept for reuse; a card costs about half a millisecond of the event loop to build."""

# Lone surrogates are stripped too: they cannot be encoded when the reply is sent.
_CONTROL = re.compile(
    r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2064\ufeff\ud800-\udfff]"
)
_SPACES = re.compile(r"[ \t\r\f\v]+")
_STEP_START = re.compile(r"(?<=\S)\s*(?=Bước [0-9]+\s*[:.])")
_BULLET = re.compile(r"^[-–+*•·]+\s*")
_PROCEDURE_PREFIX = re.compile(r"^thủ tục\s+", re.IGNORECASE)
# Section names that only repeat the card's own titles get no sub-heading.
_PLAIN_SECTIONS = {"giấy tờ phải nộp", "giấy tờ phải xuất trình", "thành phần hồ sơ", "a) thành phần hồ sơ"}
_GLUED_ITEM = re.compile(r"(?<=\S)(?=[-*] \S)")


def tidy(text: str) -> str:
    """Drop control and invisible characters, fold runs of spaces and blank lines."""
    text = _CONTROL.sub(" ", text.replace("\r\n", "\n"))
    lines = (_SPACES.sub(" ", line).strip() for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


def shorten(text: str, limit: int) -> tuple[str, bool]:
    """Cut tidied text to at most ``limit`` characters at a word boundary, ending with "…"."""
    # Tidying only shrinks text, so a generous prefix is enough; records reach 50k characters.
    prefix = limit * 3
    text, longer = tidy(text[:prefix]), len(text) > prefix
    if len(text) <= limit and not longer:
        return text, False
    if len(text) <= limit:
        return text.rstrip(" ,;:.-\n") + "…", True
    cut = text[: limit - 1]
    space = max(cut.rfind(" "), cut.rfind("\n"))
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:.-\n") + "…", True


def one_line(text: str, limit: int) -> str:
    """Shorten text and join its lines, for fields shown on a single line."""
    return shorten(text.replace("\n", " "), limit)[0]


@dataclass(frozen=True, slots=True, eq=False)
class _Same:
    """A procedure compared by identity: a re-import builds new records, so a stale card is never hit."""

    proc: Procedure

    def __hash__(self) -> int:
        return id(self.proc)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Same) and other.proc is self.proc


def render_card(proc: Procedure, *, portal_url: str = "") -> str:
    """Render a procedure as a card; ``portal_url`` is the link used when the record has none."""
    return _cached_card(_Same(proc), portal_url)


@functools.lru_cache(maxsize=CARDS_CACHED)
def _cached_card(key: _Same, portal_url: str) -> str:
    # The cache holds the record itself, so its id cannot be reused while the entry lives.
    return _render_card(key.proc, portal_url)


def _render_card(proc: Procedure, portal_url: str) -> str:
    trimmed = False
    sections: list[list[str]] = []
    if proc.demo:
        sections.append([texts.DEMO_NOTICE])
    sections.append(_header(proc))
    for build in (_documents, _channels, _steps, _conditions, _result):
        lines, cut = build(proc)
        trimmed = trimmed or cut
        if lines:
            sections.append(lines)
    footer: list[str] = []
    url = proc.url or portal_url
    if trimmed and url:
        footer.append(f"<i>{esc(texts.CARD_SEE_PORTAL)}</i>")
    if url:
        footer.append("🔗 " + link(url, texts.CARD_PORTAL_LINK))
    if footer:
        sections.append(footer)
    return "\n\n".join("\n".join(lines) for lines in sections)


def _header(proc: Procedure) -> list[str]:
    lines = [bold(one_line(proc.name, NAME_MAX) or proc.code)]
    lines.append(f"{esc(texts.CARD_CODE)}: <code>{esc(one_line(proc.code, FIELD_MAX))}</code>")
    for label, value in (
        (texts.CARD_LEVEL, proc.level),
        (texts.CARD_AGENCY, proc.agency),
        (texts.CARD_FIELD, proc.field),
        (texts.CARD_AUDIENCE, proc.audience),
    ):
        value = one_line(value, FIELD_MAX)
        if value:
            lines.append(f"{esc(label)}: {esc(value)}")
    return lines


def _section(title: str, body: Iterable[str]) -> list[str]:
    body = list(body)
    return [bold(title), *body] if body else []


def _raw(proc: Procedure, key: str, limit: int = RAW_MAX) -> tuple[list[str], bool]:
    """Lines of trimmed raw text for a field the importer could not structure."""
    # Flattened portal tables glue list items together ("...bản chính- Giấy..."): one item per line.
    raw, cut = shorten(_GLUED_ITEM.sub("\n", proc.unparsed.get(key, "")), limit)
    if not raw:
        return [], False
    return [*(esc(line) for line in raw.split("\n")), f"<i>{esc(texts.CARD_RAW_NOTE)}</i>"], cut


def _document_line(doc: Document) -> tuple[str, bool]:
    name, cut = shorten(doc.name.replace("\n", " "), DOCUMENT_MAX)
    name = name or "?"
    counts = []
    if doc.originals:
        counts.append(f"{doc.originals} {texts.CARD_ORIGINALS}")
    if doc.copies:
        counts.append(f"{doc.copies} {texts.CARD_COPIES}")
    line = f"• {esc(name)}"
    if counts:
        line += f" ({esc(', '.join(counts))})"
    template = one_line(doc.template, FIELD_MAX)
    if template.startswith(("http://", "https://")) and " " not in template:
        line += f"; {link(template, texts.CARD_TEMPLATE)}"
    elif template:
        line += f"; {esc(texts.CARD_TEMPLATE)}: {esc(template)}"
    return line, cut


def _heading(section: str) -> str:
    """A sub-heading for a group of documents ("Trường hợp ủy quyền…:"), '' for the main list."""
    text = one_line(section, SECTION_MAX).rstrip(":")
    if text.lower() in _PLAIN_SECTIONS:
        return ""
    return f"<i>{esc(text)}:</i>" if text else ""


def _document_list(docs: Sequence[Document]) -> tuple[list[str], bool]:
    rendered: list[tuple[str, str, bool]] = []
    seen: set[tuple[str, str]] = set()
    for doc in docs:
        line, cut = _document_line(doc)
        heading = _heading(doc.section)
        # The portal lists some rows twice; the same paper under two cases is kept for each.
        if (heading, line) not in seen:
            seen.add((heading, line))
            rendered.append((heading, line, cut))
    lines: list[str] = []
    current = ""
    for heading, line, _ in rendered[:DOCUMENTS_SHOWN]:
        if heading != current and heading:
            lines.append(heading)
        current = heading
        lines.append(line)
    hidden = len(rendered) - DOCUMENTS_SHOWN
    if hidden > 0:
        lines.append(esc(texts.card_more_documents(hidden)))
    return lines, hidden > 0 or any(cut for _, _, cut in rendered[:DOCUMENTS_SHOWN])


def _documents(proc: Procedure) -> tuple[list[str], bool]:
    handed_in = [d for d in proc.documents if not d.must_show]
    shown_only = [d for d in proc.documents if d.must_show]
    if not proc.documents:
        raw, cut = _raw(proc, "documents")
        return _section(texts.CARD_DOCUMENTS, raw), cut
    lines, cut = _document_list(handed_in)
    out = _section(texts.CARD_DOCUMENTS, lines)
    if shown_only:
        more, more_cut = _document_list(shown_only)
        # A blank line between the two lists lets the splitter cut there if it must.
        out += ([""] if out else []) + _section(texts.CARD_MUST_SHOW, more)
        cut = cut or more_cut
    return out, cut


_CHANNEL_ORDER = {"trực tiếp": 0, "trực tuyến": 1, "dịch vụ bưu chính": 2}


def _channel_line(kinds: Sequence[str], channel: Channel, *, with_fee: bool) -> tuple[str, bool]:
    """One line for every channel that shares the same time limit, fee and note."""
    label = ", ".join(one_line(kind, FIELD_MAX) or "?" for kind in kinds)
    details = []
    time_limit = one_line(channel.time_limit, FIELD_MAX)
    if time_limit:
        details.append(f"{texts.CARD_TIME_LIMIT} {time_limit}")
    fee, cut = shorten(channel.fee.replace("\n", " "), FEE_MAX) if with_fee else ("", False)
    if fee:
        details.append(f"{texts.CARD_FEE}: {fee}")
    note, note_cut = shorten(channel.note.replace("\n", " "), NOTE_MAX)
    if note:
        details.append(note)
    line = f"• {bold(label)}"
    if details:
        line += ": " + esc("; ".join(details))
    return line, cut or note_cut


def _channels(proc: Procedure) -> tuple[list[str], bool]:
    if not proc.channels:
        raw, cut = _raw(proc, "channels")
        return _section(texts.CARD_CHANNELS, raw), cut
    channels = sorted(proc.channels, key=lambda c: _CHANNEL_ORDER.get(tidy(c.kind).lower(), 3))
    # The portal repeats one long fee text on every channel; say it once when it is the same.
    fees = {tidy(c.fee) for c in channels}
    shared_fee = fees.pop() if len(fees) == 1 else ""
    # Channels with the same details share one line ("Trực tiếp, Trực tuyến: thời hạn 5 ngày").
    groups: dict[tuple[str, str, str], list[str]] = {}
    for c in channels:
        key = (tidy(c.time_limit), "" if shared_fee else tidy(c.fee), tidy(c.note))
        kinds = groups.setdefault(key, [])
        if tidy(c.kind) not in kinds:
            kinds.append(tidy(c.kind))
    rendered = [
        _channel_line(kinds, Channel(kind="", time_limit=t, fee=f, note=n), with_fee=not shared_fee)
        for (t, f, n), kinds in groups.items()
    ]
    lines = [line for line, _ in rendered[:CHANNELS_SHOWN]]
    cut = any(c for _, c in rendered[:CHANNELS_SHOWN])
    if len(rendered) > CHANNELS_SHOWN:
        lines.append(esc(texts.card_more_channels(len(rendered) - CHANNELS_SHOWN)))
        cut = True
    if not any(tidy(c.time_limit) for c in channels):
        lines.append(esc(texts.CARD_NO_TIME_LIMIT))
    if shared_fee:
        fee, fee_cut = shorten(shared_fee.replace("\n", " "), FEE_MAX)
        lines.append(f"{esc(texts.CARD_FEE_ALL)}: {esc(fee)}")
        cut = cut or fee_cut
    return _section(texts.CARD_CHANNELS, lines), cut


def split_steps(steps: Iterable[str]) -> list[str]:
    """One item per line, run-on text split at "Bước N:" markers; items are tidied when shown."""
    out: list[str] = []
    for step in steps:
        for line in step.split("\n"):
            parts = _STEP_START.split(line) if "Bước" in line else [line]
            out.extend(part.strip() for part in parts if part.strip())
    return out


def _steps(proc: Procedure) -> tuple[list[str], bool]:
    steps = split_steps(proc.steps)
    lines: list[str] = []
    budget = STEPS_BUDGET
    cut = False
    for index, step in enumerate(steps):
        if index >= STEPS_SHOWN or budget <= 0:
            lines.append(esc(texts.card_more_steps(len(steps) - index)))
            cut = True
            break
        text, step_cut = shorten(_BULLET.sub("", step), min(STEP_MAX, max(budget, 40)))
        if not text:
            continue
        budget -= len(text)
        cut = cut or step_cut
        lines.append(f"• {esc(text)}")
    return _section(texts.CARD_STEPS, lines), cut


def _paragraph(title: str, text: str, limit: int) -> tuple[list[str], bool]:
    body, cut = shorten(text, limit)
    return _section(title, (esc(line) for line in body.split("\n") if line)), cut


def _conditions(proc: Procedure) -> tuple[list[str], bool]:
    return _paragraph(texts.CARD_CONDITIONS, proc.conditions, CONDITIONS_MAX)


def _result(proc: Procedure) -> tuple[list[str], bool]:
    return _paragraph(texts.CARD_RESULT, proc.result, RESULT_MAX)


# ---------------------------------------------------------------------------
# Search answers other than a card
# ---------------------------------------------------------------------------


QUERY_ECHO_MAX = 120
QUERY_MAX = 1000
"""Longer messages are not searched: a pasted page is not a question, and ranking it would be slow."""


def render_none(result: SearchResult, centre: CentreConfig) -> Reply:
    """The honest answer when nothing matched, chosen by the reason the search gives."""
    if result.reason == "chitchat":
        return Reply(text=texts.CHITCHAT)
    if result.reason == "empty":
        return Reply(text=texts.ASK_WHAT_TO_SEARCH)
    if result.reason == "too_long":
        return Reply(text=texts.too_long(QUERY_MAX))
    return Reply(text=texts.no_match(one_line(result.query, QUERY_ECHO_MAX), centre))
