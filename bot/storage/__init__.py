"""Durable state: typed SQLAlchemy models, the engine and session factory, and migrations glue."""

from bot.storage.engine import SessionFactory, create_engine, session_factory
from bot.storage.models import (
    Base,
    ConversationState,
    Dossier,
    DossierEvent,
    DossierRating,
    DossierSubscription,
    OutboxMessage,
    ProcedureRow,
    SyncCursor,
    Throttle,
)

__all__ = [
    "Base",
    "ConversationState",
    "Dossier",
    "DossierEvent",
    "DossierRating",
    "DossierSubscription",
    "OutboxMessage",
    "ProcedureRow",
    "SessionFactory",
    "SyncCursor",
    "Throttle",
    "create_engine",
    "session_factory",
]
