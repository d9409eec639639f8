"""The short card: what a resident needs to decide and prepare, on one phone screen.

Name, level and agency; the papers everyone brings, in a few words each; where and how to submit
(with the online link); the time limit with its source; the fee; and how many special cases the
documents section holds. Everything else is one tap away (:mod:`handlers.card_sections`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from bot import texts
from bot.markup import bold, esc, link, to_plain
from handlers.cards import one_line, shorten, tidy
from knowledge.documents import Paper, SortedDocuments, announces, sort_documents
from knowledge.fees import read_fee
from knowledge.model import Channel, Procedure
from knowledge.paper_names import says_certified, short_name
from knowledge.places import place_of
from knowledge.time_limits import bare_numbers, stated_time_limits

TARGET = 900
"""About one phone screen; the papers list stops short of it."""
HARD_CAP = 2000
"""Zalo's limit after NFC normalisation; no short card may exceed it."""
NAME_MAX = 200
PLACE_MAX = 160
PAPER_MAX = 60
TITLE_MAX = 90
"""A list's heading keeps its announcing words ("… bao gồm"), so it may run a little longer than a name."""
FEE_MAX = 170
FEE_PART_MIN = 90
FEE_FULL = 2000
"""Longer than any fee cell: fees compared in full."""
FEE_ALL_MAX = 300
"""Many channels with different fees: the line stops here, the section "Nộp trực tuyến" has them all."""
TIME_MAX = 160
_CLAUSE_END = re.compile(r";|\.\s|\s\(|:\s|,\s(?:trường hợp|nếu|trừ)\b", re.IGNORECASE)
_LEADING_ARTICLE = re.compile(r"^(?:các|một|01|1)\s+(?=bản|tờ|đơn)", re.IGNORECASE)
_NOT_WORD = re.compile(r"\W+")
_CHANNEL_ORDER = {"Trực tiếp": 0, "Dịch vụ bưu chính": 1, "Trực tuyến": 2}


def _letters(text: str) -> str:
    return _NOT_WORD.sub("", text).casefold()


def paper_words(paper: Paper) -> tuple[str, bool]:
    """A paper in a few words (its name without the sentence around it); the flag: were words left out."""
    # A fact the office looks up reads as the paper to bring when it cannot ("Giấy tờ chứng minh chỗ ở…").
    text = tidy(paper.fallback or paper.text).replace("\n", " ")
    name = short_name(text, PAPER_MAX).name
    _, colon, items = text.partition(": ")
    if colon and items and announces(name):
        # "… một trong các loại văn bản sau đây: a) Giấy chứng nhận…": the heading alone says nothing.
        name = f"{name}: {short_name(items, PAPER_MAX).name.rstrip('…')}…"
    return name, _letters(name) != _letters(text)


def paper_counts(paper: Paper) -> str:
    """The counts the table gives ("1 bản chính, 1 bản sao có chứng thực"); '' when it gives none."""
    doc = paper.document
    counts = []
    if doc.originals:
        counts.append(f"{doc.originals} {texts.CARD_ORIGINALS}")
    if doc.copies:
        certified = says_certified(paper.text)
        counts.append(f"{doc.copies} {texts.CARD_CERTIFIED_COPIES if certified else texts.CARD_COPIES}")
    return ", ".join(counts)


def paper_form(paper: Paper) -> str:
    """ "theo mẫu" (with the form's code when the row names one) for a form with a template; '' otherwise."""
    if not paper.has_template:
        return ""
    return texts.short_form(short_name(tidy(paper.document.name)).form_code)


def _paper_line(paper: Paper) -> tuple[str, bool]:
    words, cut = paper_words(paper)
    details = [form] if (form := paper_form(paper)) else []
    if counts := paper_counts(paper):
        details.append(counts)
    if paper.channels:
        details.append(channel_words(paper))
    if paper.fallback:
        details.append(texts.SHORT_IF_NOT_LOOKED_UP)
    suffix = f" ({'; '.join(details)})" if details else ""
    return f"{'  ◦' if paper.title else '•'} {esc(words)}{esc(suffix)}", cut


def title_line(title: str) -> str:
    """The heading of an announced list ("• Một trong các giấy tờ sau:"), in a few words."""
    return f"• {esc(shorten(tidy(title).replace(chr(10), ' ').rstrip(' :.'), TITLE_MAX)[0])}:"


def distinct_names(papers: Sequence[Paper]) -> tuple[Paper, ...]:
    """The papers without repeats of the same short name (and channels): the portal lists some per variant."""
    out: list[Paper] = []
    seen: set[tuple[str, tuple[str, ...], str]] = set()
    for paper in papers:
        key = (_letters(paper_words(paper)[0]), paper.channels, paper.title)
        if key not in seen:
            seen.add(key)
            out.append(paper)
    return tuple(out)


def channel_words(paper: Paper) -> str:
    """The channels a paper depends on, in words ("nộp trực tiếp, qua bưu chính"); '' for any channel."""
    return ", ".join(texts.CHANNEL_LABELS[key] for key in paper.channels)


def everyone_lines(papers: Sequence[Paper], budget: int) -> tuple[list[str], int, bool]:
    """Lines for the papers everyone brings within ``budget`` characters: (lines, hidden, any cut)."""
    lines: list[str] = []
    used = 0
    cut_any = False
    title = ""
    for index, paper in enumerate(papers):
        line, cut = _paper_line(paper)
        if paper.title and paper.title != title:
            line = f"{title_line(paper.title)}\n{line}"
        title = paper.title
        if lines and used + len(line) > budget:
            return lines, len(papers) - index, True
        lines.append(line)
        used += len(line) + 1
        cut_any = cut_any or cut
    return lines, 0, cut_any


def _header(proc: Procedure) -> list[str]:
    lines = [bold(one_line(proc.name, NAME_MAX) or proc.code)]
    # Level and agency from one reading of the record, so the card never names two different places.
    where = place_of(proc)
    place = " · ".join(v for v in (one_line(where.level, PLACE_MAX), one_line(where.agency, PLACE_MAX)) if v)
    if place:
        lines.append(esc(place))
    lines.append(f"{esc(texts.CARD_CODE)}: <code>{esc(one_line(proc.code, PLACE_MAX))}</code>")
    if proc.demo:
        lines.insert(0, texts.DEMO_NOTICE)
    return lines


def _kinds(channels: Sequence[Channel]) -> list[str]:
    kinds: list[str] = []
    for channel in sorted(channels, key=lambda c: _CHANNEL_ORDER.get(tidy(c.kind), 3)):
        kind = texts.CHANNEL_KINDS.get(tidy(channel.kind), tidy(channel.kind).lower())
        if kind and kind not in kinds:
            kinds.append(kind)
    return kinds


def where_line(proc: Procedure, portal_url: str) -> str:
    """How to submit (in person, by post, online with its link), or the portal page when not online."""
    offline = [k for k in _kinds(proc.channels) if k != texts.CHANNEL_KINDS["Trực tuyến"]]
    online = any(tidy(c.kind) == "Trực tuyến" for c in proc.channels)
    parts = []
    if offline:
        parts.append(", ".join(offline))
    url = proc.url or portal_url
    if online:
        parts.append(
            f"{texts.SHORT_ONLINE.lower()}: {link(url, texts.SHORT_ONLINE_LINK)}"
            if url
            else texts.SHORT_ONLINE.lower()
        )
    elif proc.channels:
        parts.append(texts.SHORT_NOT_ONLINE)
    line = f"📮 {bold(texts.SHORT_CHANNELS)}: " + "; ".join(p if "<a " in p else esc(p) for p in parts)
    if url and not online:
        # The portal page is the one place with everything; online procedures link it above.
        return (line + "\n" if parts else "") + "🔗 " + link(url, texts.CARD_PORTAL_LINK)
    return line if parts else ""


def time_limit_text(proc: Procedure) -> str:
    """The time limit as a resident reads it, with its source; honest when no source states it."""
    limits = stated_time_limits(proc)
    if limits:
        sources = {limit.source for limit in limits}
        if len(limits) == 1:
            text = limits[0].text
        elif by_case(proc):
            # One row per case: the limit depends on the case, and the channels name nothing.
            text = f"{texts.FEE_BY_CASE}: " + texts.OR.join(dict.fromkeys(limit.text for limit in limits))
        else:
            text = "; ".join(
                f"{', '.join(texts.CHANNEL_KINDS.get(k, k) for k in limit.channels)}: {limit.text}"
                for limit in limits
            )
        source = "; ".join(texts.TIME_LIMIT_SOURCES.get(s, s) for s in sorted(sources))
        return f"{one_line(text, TIME_MAX)} ({source})"
    bare = sorted(set(bare_numbers(proc).values()))
    if bare:
        return texts.short_time_limit_bare(", ".join(str(n) for n in bare))
    return texts.SHORT_NO_TIME_LIMIT


def offers_online(proc: Procedure) -> bool:
    """Whether the record can be done online: then its card offers the section "Nộp trực tuyến"."""
    return any(tidy(c.kind) == "Trực tuyến" for c in proc.channels)


def fee_words(fee: str, limit: int, *, online: bool = True) -> str:
    """One fee cell as the source states it, at most about ``limit`` characters.

    When its description states amounts its amount cell contradicts ("Miễn phí (Lệ phí … 135.000
    đồng…)"), the description is shown with what the cell says, never "Miễn phí" beside an amount.
    """
    stated = read_fee(tidy(fee).replace("\n", " "))
    if stated.disagrees:
        suffix = texts.fee_disagrees(stated.amount)
        return f"{shorten(stated.note, max(40, limit - len(suffix)))[0]} {suffix}"
    if stated.doubtful:
        return f"{stated.amount} {texts.FEE_DOUBTFUL}"
    if stated.amount and stated.note:
        text, cut = shorten(f"{stated.amount} ({stated.note})", limit)
        if not cut:
            return text
        more = texts.FEE_MORE if online else texts.FEE_MORE_ASK
        if stated.free_for:
            # Free for some only: who, and that the others may pay.
            who = shorten(stated.free_for, max(40, limit - len(more) - 60))[0]
            return f"{texts.fee_free_for(who)} {more}"
        if stated.free:
            # "Miễn phí" beside a description cut short could contradict it: never "free" alone.
            return f"{texts.FEE_FREE_WITH_CONDITIONS} {more}"
        # A condition cut off mid-sentence can read as its opposite: the amount alone, and where the rest is.
        conditions = texts.FEE_CONDITIONS if online else texts.FEE_CONDITIONS_ASK
        return f"{stated.amount} {conditions}"
    return _fitted(stated.amount or stated.note, limit, online=online)


def _fitted(text: str, limit: int, *, online: bool) -> str:
    """``text`` cut to about ``limit`` characters; when cut, it says where the whole of it is."""
    short, cut = shorten(text, limit)
    return f"{short} {texts.FEE_MORE if online else texts.FEE_MORE_ASK}" if cut else short


def fee_text(proc: Procedure) -> str:
    """The fee in one line: the shared one, each channel's, or each case's when the rows are cases."""
    fees: dict[str, tuple[str, list[str]]] = {}
    for channel in proc.channels:
        fee = tidy(channel.fee).replace("\n", " ")
        if fee:
            # Channels whose fees read the same (in full) share one entry.
            _, kinds = fees.setdefault(fee_words(fee, FEE_FULL), (fee, []))
            kinds.append(texts.CHANNEL_KINDS.get(tidy(channel.kind), tidy(channel.kind)))
    if not fees:
        return texts.SHORT_FEE_UNKNOWN
    online = offers_online(proc)
    if len(fees) == 1:
        return fee_words(next(iter(fees.values()))[0], FEE_MAX, online=online)
    part = max(FEE_MAX // len(fees), FEE_PART_MIN)
    shown: dict[str, list[str]] = {}
    for fee, kinds in fees.values():
        # Fees that differ only past the cut read the same: one entry, never the same words twice.
        listed = shown.setdefault(fee_words(fee, part, online=online), [])
        listed.extend(kind for kind in kinds if kind not in listed)
    if len(shown) == 1:
        return next(iter(shown))
    if by_case(proc):
        # The table repeats a channel once per case: the fee depends on the case, not on the channel; each
        # case's amount, and where the case and its conditions are written.
        amounts = dict.fromkeys(_amount_words(fee) for fee, _ in fees.values())
        joined = f"{texts.FEE_BY_CASE}: " + texts.OR.join(amounts)
        return f"{shorten(joined, FEE_ALL_MAX)[0]} {texts.CASES_ONLINE if online else texts.CASES_ASK}"
    joined = "; ".join(f"{', '.join(kinds)}: {words}" for words, kinds in shown.items())
    fitted = _fitted(joined, FEE_ALL_MAX, online=online)
    more = texts.FEE_MORE if online else texts.FEE_MORE_ASK
    # A part cut short says where the rest is; the line ends saying it too, whatever comes last.
    pointers = (texts.FEE_MORE, texts.FEE_MORE_ASK, texts.FEE_CONDITIONS, texts.FEE_CONDITIONS_ASK)
    return f"{fitted} {more}" if "…" in fitted and not fitted.endswith(pointers) else fitted


def _amount_words(fee: str) -> str:
    """A fee's amount alone ("500.000 đồng", "miễn phí"), or its first words when it states none."""
    stated = read_fee(tidy(fee).replace("\n", " "))
    if stated.amount and not stated.disagrees:
        return stated.amount[:1].lower() + stated.amount[1:] if stated.free else stated.amount
    return shorten(stated.note or fee, FEE_PART_MIN)[0]


def by_case(proc: Procedure) -> bool:
    """Whether the channel table lists one channel more than once: then its rows are cases, not channels."""
    kinds = [tidy(c.kind) for c in proc.channels]
    return len(set(kinds)) < len(kinds)


def _bring(proc: Procedure, docs: SortedDocuments, budget: int) -> list[str]:
    if not proc.documents:
        return [bold(texts.SHORT_BRING), esc(texts.SHORT_BRING_RAW)] if proc.unparsed.get("documents") else []
    lines, hidden, _ = everyone_lines(distinct_names(docs.handed_in), budget)
    out = [f"📄 {bold(texts.SHORT_BRING)}"]
    out.extend(lines or [esc(texts.SHORT_BRING_NONE)])
    if hidden:
        out.append(esc(texts.short_more_papers(hidden)))
    if docs.shown:
        shown = "; ".join(
            paper_words(p)[0] + (f" ({channel_words(p)})" if p.channels else "")
            for p in distinct_names(docs.shown)
        )
        out.append(f"{esc(texts.SHORT_SHOW)}: {esc(shorten(shown, PAPER_MAX * 2)[0])}")
    return out


def render_short_card(proc: Procedure, *, portal_url: str = "") -> str:
    """Render the short card of a procedure (reply markup, at most :data:`HARD_CAP` characters)."""
    docs = sort_documents(proc.documents, proc.name)
    header = _header(proc)
    tail = [
        line
        for line in (
            where_line(proc, portal_url),
            f"⏱ {bold(texts.SHORT_TIME_LIMIT)}: {esc(time_limit_text(proc))}",
            f"💰 {bold(texts.SHORT_FEE)}: {esc(fee_text(proc))}",
            "➕ " + esc(texts.short_cases(docs.case_count())) if docs.cases else "",
        )
        if line
    ]
    fixed = len(to_plain("\n".join(header + tail)))
    bring = _bring(proc, docs, max(TARGET - fixed - 60, PAPER_MAX * 5))
    sections = [header, bring, tail]
    card = "\n\n".join("\n".join(lines) for lines in sections if lines)
    if len(unicodedata.normalize("NFC", card)) > HARD_CAP:
        # Only pathological records get here (every field at its cap): keep the essentials.
        sections = [header, bring[:4], tail]
        card = "\n\n".join("\n".join(lines) for lines in sections if lines)
    return card
