"""Durable state: typed SQLAlchemy models, the engine and session factory, and migrations glue."""

from bot.storage.engine import SessionFactory, create_engine, session_factory
from bot.storage.models import Base, ConversationState, ProcedureRow

__all__ = [
    "Base",
    "ConversationState",
    "ProcedureRow",
    "SessionFactory",
    "create_engine",
    "session_factory",
]
