"""Feedback messages in words: what the unit's group, the resident and the leader read.

The feedback service decides *that* someone must be told (and writes it to the outbox); this module
decides *what* they read. The composition root builds the renderers with :func:`feedback_renderers`.
"""

from __future__ import annotations

from bot.messages import Button, Reply
from bot.services.feedback import FeedbackRenderers, FeedbackView, Kind
from bot.texts import feedback as say

RATE_PREFIX = "gyrate"
"""Payload prefix of the buttons rating an answer: ``gyrate:<item id>:<1-5>``."""
TEXT_SHOWN_MAX = 600
"""Characters of a resident's text quoted to the leader (the group has it whole)."""


def about(view: FeedbackView) -> str:
    """What the item is about, as markup."""
    return say.subject_line(view.subject.kind.value, view.subject.ref, view.subject.name)


def rating_buttons(item_id: int) -> tuple[Button, ...]:
    """The five rating buttons (Zalo lists them as numbered choices 1-5, in order)."""
    return tuple(
        Button(label, f"{RATE_PREFIX}:{item_id}:{score}") for score, label in enumerate(say.RATING_LABELS, 1)
    )


def feedback_renderers(timezone: str = "Asia/Ho_Chi_Minh") -> FeedbackRenderers:
    """The renderers, with dates in ``timezone``."""

    def new_item(view: FeedbackView) -> Reply:
        """To the unit's staff."""
        text = say.feedback_new(
            view.number,
            about(view),
            view.text,
            view.unit_name,
            view.due_at,
            timezone,
            dossier=view.subject.kind is Kind.DOSSIER,
        )
        return Reply(text=text)

    def answer(view: FeedbackView) -> Reply:
        """To the resident, with the rating buttons."""
        text = say.feedback_answer(view.number, about(view), view.answer, view.unit_name)
        return Reply(text=text, buttons=rating_buttons(view.id))

    def overdue(view: FeedbackView, days: int) -> Reply:
        """To the unit's leader."""
        shown = view.text if len(view.text) <= TEXT_SHOWN_MAX else view.text[: TEXT_SHOWN_MAX - 1] + "…"
        text = say.feedback_overdue(
            view.number, about(view), shown, view.unit_name, days, view.created_at, timezone
        )
        return Reply(text=text)

    return FeedbackRenderers(new_item=new_item, answer=answer, overdue=overdue)
