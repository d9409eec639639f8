"""Feature handlers, composed here into one router.

- One router per feature: :mod:`procedures` (questions, cards), :mod:`start` (/start, /help),
  :mod:`dossiers`, :mod:`people` (invites, groups), :mod:`directives` (acknowledgements, reports) and
  :mod:`directive_flow` (/chidao), :mod:`guide` (/dongy, /huongdan).
- What those routers (and the composition root's renderers) use, with no router of their own:
  :mod:`cards`, :mod:`short_card` and :mod:`card_sections` (procedure cards), :mod:`dossier_notices`,
  :mod:`directive_render`, :mod:`directive_answers` (reading /chidao's answers), and :mod:`unknown`
  (the dispatcher's fallback).
"""

from __future__ import annotations

from bot.routing import Router
from bot.services import Services
from handlers import (
    directive_flow,
    directives,
    dossiers,
    feedback,
    guide,
    people,
    procedures,
    report,
    start,
    web_login,
)
from handlers.unknown import fallback


def build_router(*, flows: bool = False) -> Router[Services]:
    """One router with every feature.

    Free text goes to the first passive matcher accepting it: "đã nhận" alone acknowledges a
    directive (also in a group without a mention), a receipt code anywhere shows its dossier's status,
    and anything else is a procedure question.

    ``flows`` adds the answers to multi-step questions (the digits after /theodoi, the comment after a
    rating, /chidao); a dispatcher over such a router needs a flow store, which the composition root passes.
    """
    router: Router[Services] = Router()
    for feature in (
        procedures,
        start,
        dossiers,
        people,
        directives,
        directive_flow,
        guide,
        feedback,
        report,
        web_login,
    ):
        router.include(feature.router)
    if flows:
        router.include(dossiers.flow_router)
        router.include(directive_flow.flow_router)
        router.include(guide.flow_router)
        router.include(feedback.flow_router)
    return router


__all__ = ["build_router", "fallback"]
