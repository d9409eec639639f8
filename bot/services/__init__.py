"""Services: one concept each, no knowledge of chat platforms."""

from __future__ import annotations

from dataclasses import dataclass

from bot.config import Config
from bot.services.console import ConsoleServices
from bot.services.conversations import ConversationMemory, Flow, StaleFlow
from bot.services.directives import DirectiveService
from bot.services.dossiers.service import DossierService
from bot.services.dossiers.subscriptions import SubscriptionService
from bot.services.feedback import FeedbackService
from bot.services.guide import ConsentService
from bot.services.people import PeopleService
from bot.services.procedures import ProcedureService
from bot.services.report.questions import QuestionLog
from bot.services.unanswered import UnansweredService


@dataclass(frozen=True, slots=True)
class Services:
    """Everything handlers may use, built once by the composition root."""

    config: Config
    procedures: ProcedureService
    conversations: ConversationMemory
    dossiers: DossierService
    """Dossier status, events and notices."""
    subscriptions: SubscriptionService
    """Who follows which dossier, ratings, lookup limits."""
    people: PeopleService
    """Staff, units and groups by platform id."""
    directives: DirectiveService
    """Directives to staff."""
    unanswered: UnansweredService
    """Where questions the search could not answer are counted."""
    guide: ConsentService
    """Residents' consent codes and the cards guides send them."""
    feedback: FeedbackService | None = None
    """Residents' feedback (/gopy, /traloi); None where a caller builds services without it."""
    questions: QuestionLog | None = None
    """The question log and answer ratings (None: nothing logged, never asked)."""
    console: ConsoleServices | None = None
    """The web console's logins, aliases and figures (None: no console)."""


__all__ = [
    "ConsentService",
    "ConversationMemory",
    "DirectiveService",
    "DossierService",
    "FeedbackService",
    "Flow",
    "PeopleService",
    "ProcedureService",
    "Services",
    "StaleFlow",
    "SubscriptionService",
    "UnansweredService",
]
