"""Services: one concept each, no knowledge of chat platforms."""

from __future__ import annotations

from dataclasses import dataclass

from bot.config import Config
from bot.services.conversations import ConversationMemory, Flow, StaleFlow
from bot.services.directives import DirectiveService
from bot.services.dossiers.service import DossierService
from bot.services.dossiers.subscriptions import SubscriptionService
from bot.services.people import PeopleService
from bot.services.procedures import ProcedureService
from bot.services.unanswered import UnansweredService


@dataclass(frozen=True, slots=True)
class Services:
    """Everything handlers may use, built once by the composition root."""

    config: Config
    procedures: ProcedureService
    conversations: ConversationMemory
    dossiers: DossierService | None = None
    """Dossier status; None where a caller does not offer it (dossier commands then say so)."""
    subscriptions: SubscriptionService | None = None
    """Who follows which dossier, ratings, lookup limits; set together with ``dossiers``."""
    people: PeopleService | None = None
    """Staff, units and groups by platform id; None where a caller does not offer directives."""
    directives: DirectiveService | None = None
    """Directives to staff; set together with ``people``."""
    unanswered: UnansweredService | None = None
    """Where questions the search could not answer are counted; None: they are not."""


__all__ = [
    "ConversationMemory",
    "DirectiveService",
    "DossierService",
    "Flow",
    "PeopleService",
    "ProcedureService",
    "Services",
    "StaleFlow",
    "SubscriptionService",
    "UnansweredService",
]
