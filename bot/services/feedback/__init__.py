"""Residents' feedback and recommendations (góp ý): filing, routing to a unit, answers, ratings, overdue.

- :mod:`~bot.services.feedback.model`: tracking numbers, subjects, views and outcomes.
- :mod:`~bot.services.feedback.units`: which unit answers an item (procedure, dossier or general).
- :mod:`~bot.services.feedback.service`: :class:`FeedbackService`, writing every message through the outbox.
- :mod:`~bot.services.feedback.figures`: counts for the leaders' report.
"""

from bot.services.feedback.model import (
    AnswerOutcome,
    AnswerResult,
    FeedbackRenderers,
    FeedbackView,
    Kind,
    RateOutcome,
    Status,
    Subject,
    format_number,
    parse_number,
)
from bot.services.feedback.service import FeedbackService, FilingError, FilingLimitError

__all__ = [
    "AnswerOutcome",
    "AnswerResult",
    "FeedbackRenderers",
    "FeedbackService",
    "FeedbackView",
    "FilingError",
    "FilingLimitError",
    "Kind",
    "RateOutcome",
    "Status",
    "Subject",
    "format_number",
    "parse_number",
]
