"""Feature handlers: each module owns one feature's router; this module composes them."""

from __future__ import annotations

from bot.routing import Router
from bot.services import Services
from handlers import directive_flow, directives, dossiers, people, procedures, start
from handlers.unknown import fallback


def build_router(*, flows: bool = False) -> Router[Services]:
    """One router with every feature; free text shows a pasted receipt code's status, else searches.

    ``flows`` adds the answers to multi-step questions (the digits after /theodoi, the comment after a
    rating); a dispatcher over such a router needs a flow store, which the composition root passes.
    """
    router: Router[Services] = Router()
    router.include(procedures.router)
    router.include(start.router)
    router.include(dossiers.router)
    router.include(people.router)
    # After start's: /help adds the staff section for staff, leaders and admins.
    router.include(people.help_router)
    router.include(directives.router)
    router.include(directive_flow.router)
    if flows:
        router.include(dossiers.flow_router)
        router.include(directive_flow.flow_router)
    # "đã nhận" alone acknowledges a directive; a receipt code is recognised in any other message
    # before the text is taken as a procedure question.
    router.text()(directives.with_ack_keyword(dossiers.with_receipt_codes(procedures.free_text)))
    return router


__all__ = ["build_router", "fallback"]
