"""Services: one concept each, no knowledge of chat platforms."""

from __future__ import annotations

from dataclasses import dataclass

from bot.config import Config
from bot.services.conversations import ConversationMemory, Flow, StaleFlow
from bot.services.procedures import ProcedureService


@dataclass(frozen=True, slots=True)
class Services:
    """Everything handlers may use, built once by the composition root."""

    config: Config
    procedures: ProcedureService
    conversations: ConversationMemory


__all__ = ["ConversationMemory", "Flow", "ProcedureService", "Services", "StaleFlow"]
