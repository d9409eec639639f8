"""Every card of the real catalogue renders as valid markup and splits cleanly at platform limits."""

from __future__ import annotations

import re

import pytest

from bot.markup import nfc_length, split
from handlers.cards import render_card
from knowledge.model import Procedure
from tests.handlers.support import CENTRE, lines_balanced, markup_problem

TELEGRAM_LIMIT = 4096
ZALO_LIMIT = 2000
_WHITESPACE = re.compile(r"\s+")


def _squeeze(text: str) -> str:
    return _WHITESPACE.sub("", text)


@pytest.fixture(scope="module")
def cards(catalogue: list[Procedure]) -> dict[str, str]:
    """Every card of the catalogue by procedure code, rendered once."""
    return {proc.code: render_card(proc, portal_url=CENTRE.portal_url) for proc in catalogue}


def test_every_catalogue_card_renders_valid_and_splits_without_loss(cards: dict[str, str]) -> None:
    assert len(cards) >= 2800
    longest = 0
    problems: list[str] = []
    for code, card in cards.items():
        longest = max(longest, len(card))
        if code not in card or not lines_balanced(card):
            problems.append(f"{code}: {markup_problem(card)}")
            continue
        for limit, measure in ((TELEGRAM_LIMIT, len), (ZALO_LIMIT, nfc_length)):
            parts = split(card, limit, measure)
            if any(measure(part) > limit or markup_problem(part) is not None for part in parts):
                problems.append(f"{code}: a part over {limit} or broken")
            if _squeeze("".join(parts)) != _squeeze(card):
                problems.append(f"{code}: text lost splitting at {limit}")
    assert not problems, problems[:10]
    # The real catalogue has cards longer than the Zalo limit, so the split path is exercised.
    assert longest > ZALO_LIMIT


def test_the_longest_real_card_splits_at_line_boundaries(cards: dict[str, str]) -> None:
    card = max(cards.values(), key=len)
    parts = split(card, ZALO_LIMIT, nfc_length)
    assert len(parts) >= 3
    lines = card.split("\n")
    for part in parts:
        assert markup_problem(part) is None
        # Each part is a run of whole lines of the card, never a line cut in two.
        assert all(line in lines for line in part.split("\n"))
    assert _squeeze("".join(parts)) == _squeeze(card)
