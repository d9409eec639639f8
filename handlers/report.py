"""The question log seen from chat: log each answered question, ask a share of confident answers for 👍/👎."""

from __future__ import annotations

from bot.messages import Button, Incoming, Reply
from bot.routing import Router
from bot.services import Services
from bot.services.report.questions import Outcome, Rated
from bot.texts import report as texts
from knowledge.model import Procedure

router: Router[Services] = Router()

HELPFUL_PREFIX = "hq"
"""Payload ``hq:<log id>.<token>:1`` (👍) or ``…:0`` (👎); "rate" is the dossier rating's."""


async def log_question(
    svc: Services, channel: str, outcome: Outcome, proc: Procedure | None = None, *, rate: bool = True
) -> list[Reply]:
    """Log one answered question; after a confident answer, maybe the 👍/👎 question (else nothing).

    ``rate`` False never asks (a group chat: any member could answer for the one who asked).
    """
    questions = svc.questions
    if questions is None:
        return []
    code, agency = (proc.code, proc.agency) if proc is not None else ("", "")
    entry = await questions.record(channel, outcome, code, agency)
    if entry is None or outcome != "confident" or not rate or not questions.ask_rating():
        return []
    buttons = (
        Button(texts.RATE_YES, f"{HELPFUL_PREFIX}:{entry}:1"),
        Button(texts.RATE_NO, f"{HELPFUL_PREFIX}:{entry}:0"),
    )
    return [Reply(text=texts.RATE_QUESTION, buttons=buttons)]


@router.payload(HELPFUL_PREFIX)
async def rated(msg: Incoming, svc: Services) -> list[Reply]:
    """Store a 👍/👎; a 👎 also counts the card among the unanswered questions for staff."""
    parsed = _parse(msg.payload or "")
    if svc.questions is None or parsed is None:
        return [Reply(text=texts.RATE_UNKNOWN)]
    entry, helpful = parsed
    outcome, code = await svc.questions.rate(entry, helpful)
    if outcome is Rated.UNKNOWN:
        return [Reply(text=texts.RATE_UNKNOWN)]
    if outcome is Rated.ALREADY:
        return [Reply(text=texts.RATE_ALREADY)]
    if helpful:
        return [Reply(text=texts.RATE_THANKS_YES)]
    await svc.unanswered.record_unhelpful(code)
    return [Reply(text=texts.RATE_THANKS_NO)]


def _parse(payload: str) -> tuple[str, bool] | None:
    parts = payload.split(":")
    if len(parts) != 3 or not parts[1].isascii() or parts[2] not in ("0", "1"):
        return None
    return parts[1], parts[2] == "1"
