"""Card benchmark: short-card length, fit in one Zalo message, stated time limits and rendering time.

Run: ``.venv/bin/python bench/cards.py [--source PATH]`` (``make bench``). Prints figures only.

Over every record of the national catalogue:
- the short card's length (characters after NFC, of the markup and of the plain text a Zalo user reads):
  median, p90, maximum; and the share that fits one Zalo message (2,000 characters);
- the share of records with a stated time limit: before (the channel table alone, as imported) and
  after (the table's bare numbers given their unit by the rest of the record); and among the records
  where any part of the record speaks of a time limit (a loose upper bound);
- the section parts a line that needs the next one ends ("… của", "… gồm:"): a sentence split across
  two messages;
- the time to render a short card, and a short card with its four sections.

Goals (issue 13): every short card <= 2,000 characters and the median <= 900; stated time limits on at
least 95% of the records where any source states one.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from bot.markup import nfc_length, to_plain
from handlers.card_sections import SECTIONS, render_section
from handlers.short_card import render_short_card
from knowledge.importers import load_paths
from knowledge.text_cleanup import needs_next
from knowledge.time_limits import mentions_time_limit, stated_time_limits

ROOT = Path(__file__).resolve().parent.parent
ZALO_LIMIT = 2000
PORTAL_URL = "https://dichvucong.gov.vn"


def percentile(values: Sequence[float], share: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def _lengths(label: str, lengths: Sequence[int]) -> str:
    fits = sum(1 for n in lengths if n <= ZALO_LIMIT) / len(lengths)
    return (
        f"{label:22} median {statistics.median(lengths):6.0f}   p90 {percentile(lengths, 0.9):6.0f}   "
        f"max {max(lengths):6.0f}   <= {ZALO_LIMIT}: {fits:6.1%}"
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--source", type=Path, default=ROOT.parent / "shared" / "knowledge-source")
    args = parser.parse_args(argv)
    if not args.source.is_dir():
        print(f"knowledge source not found: {args.source}", file=sys.stderr)
        return 2
    started = time.perf_counter()
    procedures = list(load_paths([args.source]).procedures.values())
    load_s = time.perf_counter() - started

    started = time.perf_counter()
    cards = [render_short_card(proc, portal_url=PORTAL_URL) for proc in procedures]
    card_ms = (time.perf_counter() - started) * 1000 / len(procedures)
    started = time.perf_counter()
    rendered = [render_section(proc, s, portal_url=PORTAL_URL) for proc in procedures for s in SECTIONS]
    sections_ms = (time.perf_counter() - started) * 1000 / len(procedures)
    parts = [len(section) for section in rendered]
    # A part that stops on "… của" or "… gồm:" leaves the resident mid-sentence until the next message.
    open_ends = sum(
        1 for section in rendered for part in section[:-1] if needs_next(to_plain(part).rsplit("\n", 1)[-1])
    )

    before = sum(1 for proc in procedures if any(c.time_limit for c in proc.channels))
    stated = [bool(stated_time_limits(proc)) for proc in procedures]
    mentioned = [mentions_time_limit(proc) for proc in procedures]
    after = sum(stated)
    among = sum(1 for s, m in zip(stated, mentioned, strict=True) if s and m)

    total = len(procedures)
    print(f"catalogue: {total} procedures from {args.source} (import {load_s:.2f} s, not counted)")
    print()
    print("short card length (characters after NFC)")
    print(_lengths("  markup", [nfc_length(card) for card in cards]))
    print(_lengths("  plain text", [nfc_length(to_plain(card)) for card in cards]))
    mean_parts = statistics.mean(parts)
    print(f"  section parts          mean {mean_parts:.2f}   max {max(parts)}  (each <= {ZALO_LIMIT})")
    print(f"  parts ending on a word that needs the next line: {open_ends}")
    print()
    print("stated time limit")
    print(f"  before (table only)    {before:5d} / {total} = {before / total:6.1%}")
    gained = after - before
    print(f"  after (with recovery)  {after:5d} / {total} = {after / total:6.1%}   (+{gained} records)")
    print(
        f"  where any source speaks of one  {among:5d} / {sum(mentioned)} = "
        f"{among / max(1, sum(mentioned)):6.1%}   (goal >= 95%)"
    )
    print()
    print(f"render: short card {card_ms:.3f} ms, its four sections {sections_ms:.3f} ms (mean per record)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
