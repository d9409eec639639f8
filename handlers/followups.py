"""A short question about the card just shown ("phí bao nhiêu", "nộp ở đâu"), answered from that card.

The chat's current card is the one whose section buttons are the chat's stored choices: the
dispatcher keeps them in the conversation state (30 minutes, surviving a restart) for as long as each
answer shows them again, and every answer here does. A message is a follow-up when it is made only of
the phrases in :mod:`handlers.followup_phrases`; one naming anything else is a new search.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from bot import texts
from bot.markup import bold, esc, nfc_length, split
from bot.messages import Reply
from bot.services import Services
from handlers import followup_phrases as phrases
from handlers.card_sections import (
    DOCUMENTS,
    ONLINE,
    PART_LIMIT,
    STEPS,
    parse_section_payload,
    render_section,
    section_buttons,
)
from handlers.cards import tidy
from handlers.short_card import FEE_FULL, fee_words, time_limit_text, where_line
from knowledge.model import Procedure
from knowledge.normalize import accent_key, canonical, fold, marks, nfc_lower
from knowledge.places import place_of

WORDS_MAX = 12
"""A follow-up is a few words; a longer message is a question of its own."""
TEXT_MAX = 200
"""Characters: a longer message is not a few words about the card (and costs no matching at all)."""
RAW_FEE_MAX = 1500

_SECTION_OF = {phrases.DOCUMENTS: DOCUMENTS, phrases.STEPS: STEPS, phrases.ONLINE: ONLINE}

Key = tuple[str, str]
"""A word as matched: its folded letters, and its spelling with marks ('' for a word typed without)."""


def _key(word: str) -> Key:
    # A word typed with marks matches only the same marked word ("đầu" is not "đâu"); one typed without
    # marks matches any marking of its letters ("dau" is "đâu").
    return canonical(fold(word)), accent_key(word) if marks(word) else ""


def _same(typed: Key, listed: Key) -> bool:
    return typed[0] == listed[0] and (not typed[1] or typed[1] == listed[1])


@lru_cache(maxsize=1)
def _table() -> dict[str, tuple[tuple[tuple[Key, ...], str], ...]]:
    """Every phrase as word keys with its kind ('' for the neutral words), by its first word's letters."""
    rows = [(p, kind) for kind, listed in phrases.ASKING.items() for p in listed]
    rows += [(p, "") for p in phrases.NEUTRAL]
    table: dict[str, list[tuple[tuple[Key, ...], str]]] = {}
    for phrase, kind in rows:
        keys = tuple(_key(word) for word in nfc_lower(phrase).split())
        table.setdefault(keys[0][0], []).append((keys, kind))
    return {first: tuple(listed) for first, listed in table.items()}


def _words(text: str) -> list[Key]:
    words: list[Key] = []
    for word in nfc_lower(text).split():
        # Punctuation goes; the word keeps its marks so "đầu" and "đâu" stay apart.
        cleaned = "".join(c for c in word if c.isalnum())
        if cleaned:
            words.extend(_key(w) for w in nfc_lower(phrases.SHORTHAND.get(cleaned, cleaned)).split())
    return words


def followup_kinds(text: str) -> tuple[str, ...]:
    """The parts of a card a message asks for, in its order; () when it is not (only) a follow-up."""
    words = _words(text) if len(text) <= TEXT_MAX and len(text.split()) <= WORDS_MAX else []
    if not words or len(words) > WORDS_MAX:
        return ()
    table = _table()
    # best[i]: the fewest phrases covering words[i:], and the kinds they ask (None: no cover at all).
    best: list[tuple[int, tuple[str, ...]] | None] = [None] * (len(words) + 1)
    best[len(words)] = (0, ())
    for start in range(len(words) - 1, -1, -1):
        for phrase, kind in table.get(words[start][0], ()):
            end = start + len(phrase)
            rest = best[end] if end <= len(words) else None
            if rest is None or not all(_same(w, p) for w, p in zip(words[start:end], phrase, strict=True)):
                continue
            candidate = (rest[0] + 1, ((kind,) if kind else ()) + rest[1])
            current = best[start]
            if current is None or candidate[0] < current[0]:
                best[start] = candidate
    found = best[0]
    return tuple(dict.fromkeys(found[1])) if found else ()


def current_code(shown: Sequence[str]) -> str | None:
    """The procedure whose card the chat was last shown, from its stored choices (its section buttons)."""
    codes = set()
    for payload in shown:
        parsed = parse_section_payload(payload)
        if parsed is None:
            return None
        codes.add(parsed[1])
    return codes.pop() if len(codes) == 1 else None


async def current_procedure(chat_key: str, svc: Services) -> Procedure | None:
    """The procedure of the card the chat is looking at, while its stored choices last; else None."""
    code = current_code(await svc.conversations.recall(chat_key))
    return svc.procedures.get(code) if code else None


def _name(proc: Procedure) -> str:
    return tidy(proc.name).replace("\n", " ")[:200] or proc.code


def _heading(title: str, proc: Procedure) -> str:
    return bold(texts.section_heading(title, _name(proc)))


def _fee(proc: Procedure) -> str:
    """Every fee the record states, in full, with the channels it applies to when they differ."""
    fees: dict[str, list[str]] = {}
    for channel in proc.channels:
        fee = tidy(channel.fee).replace("\n", " ")
        if fee:
            kinds = fees.setdefault(fee_words(fee, FEE_FULL), [])
            kind = texts.CHANNEL_KINDS.get(tidy(channel.kind), tidy(channel.kind))
            if kind and kind not in kinds:
                kinds.append(kind)
    if not fees:
        lines = [esc(texts.SHORT_FEE_UNKNOWN)]
        raw = tidy(proc.unparsed.get("channels", ""))
        if raw:
            lines.extend(esc(line) for line in raw[:RAW_FEE_MAX].split("\n") if line.strip())
        return "\n".join(lines)
    if len(fees) == 1:
        return esc(next(iter(fees)))
    return "\n".join(
        f"• {esc(', '.join(kinds))}: {esc(words)}" if kinds else f"• {esc(words)}"
        for words, kinds in fees.items()
    )


def _place(proc: Procedure, svc: Services) -> str:
    place = place_of(proc)
    agency = " · ".join(part for part in (place.level, place.agency) if part)
    lines = [f"🏛 {bold(texts.FOLLOWUP_AGENCY)}: {esc(agency)}"] if agency else []
    where = where_line(proc, svc.config.centre.portal_url)
    if where:
        lines.append(where)
    lines.append(texts.contact(svc.config.centre))
    return "\n".join(lines)


def _line_answer(proc: Procedure, kind: str, svc: Services) -> list[str]:
    if kind == phrases.FEE:
        body = f"💰 {_fee(proc)}"
        title = texts.FOLLOWUP_FEE
    elif kind == phrases.TIME:
        body = f"⏱ {esc(time_limit_text(proc))}"
        title = texts.FOLLOWUP_TIME
    else:
        body = _place(proc, svc)
        title = texts.FOLLOWUP_PLACE
    return split(f"{_heading(title, proc)}\n\n{body}", PART_LIMIT, nfc_length)


def followup_replies(proc: Procedure, kinds: Sequence[str], svc: Services) -> list[Reply]:
    """The answer to each part asked, from the card's record; the last message offers its sections again."""
    parts: list[str] = []
    for kind in kinds:
        section = _SECTION_OF.get(kind)
        if section is None:
            parts.extend(_line_answer(proc, kind, svc))
        else:
            parts.extend(render_section(proc, section, portal_url=svc.config.centre.portal_url))
    # The card's own buttons again, so the card stays the chat's current one and its numbers keep meaning.
    return [
        *(Reply(text=part) for part in parts[:-1]),
        Reply(text=parts[-1], buttons=section_buttons(proc)),
    ]
