"""Feature handlers: each module owns one feature's router; this module composes them."""

from __future__ import annotations

from bot.routing import Router
from bot.services import Services
from handlers import procedures, start
from handlers.unknown import fallback


def build_router() -> Router[Services]:
    """One router with every feature; free text goes to procedure search."""
    router: Router[Services] = Router()
    router.include(procedures.router)
    router.include(start.router)
    return router


__all__ = ["build_router", "fallback"]
