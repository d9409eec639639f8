"""Directives to staff: write, publish through the outbox, acknowledge, remind, report, cancel.

Publishing expands the audience into one recipient row and one outbox row per chat, in one
transaction; outbox keys ``directive:{id}:{occurrence}:{platform}:{chat_id}`` make re-publishing
harmless. One-off directives go out when due (``due_at`` of their outbox rows); a recurring one is
published once per occurrence by the scheduler, which is re-armed from ``next_run_at`` at start.
Non-urgent directives falling in quiet hours are held until morning. The messages come from
renderers passed in, so this package holds no user-facing text.

Modules, one concept each: ``model`` (values), ``results`` (outcomes), ``drafts`` (reading a file),
``validation`` (a draft's rules and defaults), ``changes`` (changing a stored one), ``recurring``
(recurring rules as text), ``access`` (who may), ``recipients`` (audience to chats), ``writing``,
``publishing``, ``acks``, ``reminders``, ``reports`` (the service's parts), ``service`` (the whole).
"""

from __future__ import annotations

from bot.services.directives.acks import AckMethod, is_ack_keyword, may_acknowledge, parse_ack_payload
from bot.services.directives.drafts import ChangeRequest, DraftRequest, file_key, read_changes, read_draft
from bot.services.directives.model import (
    ACK_KEYWORDS,
    ACK_PREFIX,
    BODY_LIMIT,
    CANCELLED_REASON,
    EDIT_KIND,
    ESCALATION_KIND,
    KIND,
    ONCE,
    QUEUED,
    REMINDER_KIND,
    REMINDER_MINUTES_MAX,
    REMINDERS_MAX,
    TITLE_LIMIT,
    UNREACHABLE,
    Audience,
    DirectiveDraft,
    DirectiveNotFoundError,
    DirectiveStateError,
    DirectiveView,
    InvalidDirectiveError,
    ScheduleKind,
    Status,
    Urgency,
)
from bot.services.directives.recipients import outbox_key
from bot.services.directives.recurring import NextFire, cron_rule, no_cron, recognise
from bot.services.directives.render import DirectiveRenderer, EscalationRenderer, ReminderRenderer
from bot.services.directives.results import (
    AckOutcome,
    AckResult,
    DirectiveReport,
    DraftCheck,
    PersonAck,
    Preview,
    PublishResult,
    RecipientLine,
    RemindResult,
    Submitted,
    Target,
    UnitLine,
)
from bot.services.directives.service import DirectiveService

__all__ = [
    "ACK_KEYWORDS",
    "ACK_PREFIX",
    "BODY_LIMIT",
    "CANCELLED_REASON",
    "EDIT_KIND",
    "ESCALATION_KIND",
    "KIND",
    "ONCE",
    "QUEUED",
    "REMINDERS_MAX",
    "REMINDER_KIND",
    "REMINDER_MINUTES_MAX",
    "TITLE_LIMIT",
    "UNREACHABLE",
    "AckMethod",
    "AckOutcome",
    "AckResult",
    "Audience",
    "ChangeRequest",
    "DirectiveDraft",
    "DirectiveNotFoundError",
    "DirectiveRenderer",
    "DirectiveReport",
    "DirectiveService",
    "DirectiveStateError",
    "DirectiveView",
    "DraftCheck",
    "DraftRequest",
    "EscalationRenderer",
    "InvalidDirectiveError",
    "NextFire",
    "PersonAck",
    "Preview",
    "PublishResult",
    "RecipientLine",
    "RemindResult",
    "ReminderRenderer",
    "ScheduleKind",
    "Status",
    "Submitted",
    "Target",
    "UnitLine",
    "Urgency",
    "cron_rule",
    "file_key",
    "is_ack_keyword",
    "may_acknowledge",
    "no_cron",
    "outbox_key",
    "parse_ack_payload",
    "read_changes",
    "read_draft",
    "recognise",
]
