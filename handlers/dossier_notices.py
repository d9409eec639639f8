"""Dossier notices in words: what a subscriber is told when a followed dossier changes.

The dossier service decides *that* someone must be told (and writes it to the outbox); this module
decides *what* they read. The centre's name (for the apology of a late dossier) comes from the
configuration, so the composition root builds the renderer with :func:`notice_renderer`.
"""

from __future__ import annotations

from collections.abc import Callable

from bot import texts
from bot.config import CentreConfig
from bot.messages import Button, Reply
from bot.services.dossiers.events import DossierNotice, NoticeKind

RATE_PREFIX = "rate"
"""Payload prefix of the rating buttons: ``rate:<code>:<1-5>``."""


def rating_payload(code: str, score: int) -> str:
    """The payload of the button giving ``score`` to dossier ``code``."""
    return f"{RATE_PREFIX}:{code}:{score}"


def rating_buttons(code: str) -> tuple[Button, ...]:
    """The five rating buttons (Zalo lists them as numbered choices 1-5, in order)."""
    return tuple(
        Button(label, rating_payload(code, score)) for score, label in enumerate(texts.RATING_LABELS, 1)
    )


def notice_renderer(
    centre: CentreConfig, timezone: str = "Asia/Ho_Chi_Minh"
) -> Callable[[DossierNotice], Reply]:
    """A ``render_notice`` speaking in ``centre``'s name, with dates in ``timezone``."""

    def render(notice: DossierNotice) -> Reply:
        """Turn one notice into the message a subscriber reads."""
        code, procedure = notice.code, notice.procedure_name
        if notice.kind is NoticeKind.READY:
            text = texts.notice_ready(code, procedure, notice.agency, notice.result_delivery, notice.note)
            return Reply(text=text)
        if notice.kind is NoticeKind.SUPPLEMENT:
            return Reply(text=texts.notice_supplement(code, procedure, notice.agency, notice.note))
        if notice.kind is NoticeKind.LATE:
            # The appointment just missed is never repeated as if it were a promise.
            return Reply(text=texts.notice_late(centre.name, code, procedure, notice.note))
        if notice.kind is NoticeKind.EXTENDED:
            due = texts.dossier_time(notice.due_at, timezone) if notice.due_at is not None else ""
            return Reply(text=texts.notice_extended(centre.name, code, procedure, due, notice.note))
        if notice.kind is NoticeKind.RETURNED:
            return Reply(
                text=texts.notice_returned(centre.name, code, procedure), buttons=rating_buttons(code)
            )
        status = texts.dossier_status_word(notice.status)
        return Reply(text=texts.notice_status(code, status, procedure, notice.note))

    return render


render_notice = notice_renderer(CentreConfig())
"""The renderer with the default centre name, for callers without a configuration at hand."""
