"""Guide mode (issue 15): residents' consent codes, cards sent on their behalf, and the per-guide log.

- :mod:`~bot.services.guide.consent`: :class:`ConsentService` gives codes, checks them (once, in time,
  rate-limited per guide) and queues the card to the resident's own chat with a log row.
- :mod:`~bot.services.guide.figures`: :func:`guide_activity`, the figures reports read.
"""

from bot.services.guide.consent import (
    CARD_KIND,
    CodeLimitError,
    ConsentOutcome,
    ConsentResult,
    ConsentService,
    IssuedCode,
    normalize_consent_code,
)
from bot.services.guide.figures import GuideActivity, guide_activity

__all__ = [
    "CARD_KIND",
    "CodeLimitError",
    "ConsentOutcome",
    "ConsentResult",
    "ConsentService",
    "GuideActivity",
    "IssuedCode",
    "guide_activity",
    "normalize_consent_code",
]
