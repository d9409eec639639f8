"""/start (with optional deep link to a procedure or an invite code) and /help (with the staff section)."""

from __future__ import annotations

import re

from bot import texts
from bot.messages import Incoming, Reply
from bot.routing import Command, Router
from bot.services import Services
from bot.services.people import Role
from bot.texts import guide as guide_texts
from handlers.cards import one_line
from handlers.guide import GUIDES, consent_buttons
from handlers.people import looks_like_invite, redeem
from handlers.procedures import CODE_ECHO_MAX, card_reply

router: Router[Services] = Router()

# Telegram deep links allow only [A-Za-z0-9_-] and 64 characters, so the dots of a code become "_".
_DEEP_LINK = re.compile(r"^p_([0-9A-Za-z_-]{1,62})$")


def start_payload(code: str) -> str:
    """The ``/start`` payload that opens a procedure's card, e.g. ``p_1_000110`` for ``1.000110``."""
    return "p_" + code.replace(".", "_")


def code_from_start_payload(payload: str) -> str | None:
    """The procedure code inside a ``/start`` payload, or None if it is not a procedure link."""
    match = _DEEP_LINK.match(payload.strip())
    return match.group(1).replace("_", ".") if match else None


@router.command("start", "batdau")
async def start(msg: Incoming, svc: Services, command: Command) -> list[Reply]:
    """Welcome the user, open the procedure a deep link points to, or redeem an invite (``?start=CODE``)."""
    payload = command.args
    welcome = Reply(text=texts.welcome(svc.config.centre.name), buttons=consent_buttons(msg.chat.platform))
    code = code_from_start_payload(payload) if payload else None
    if code is None:
        if payload and svc.people is not None and looks_like_invite(payload):
            # The Telegram deep link t.me/<bot>?start=CODE is the same as /dangky CODE.
            return await redeem(payload, msg, svc)
        return [welcome]
    proc = svc.procedures.get(code)
    if proc is None:
        return [Reply(text=texts.unknown_code(one_line(code, CODE_ECHO_MAX))), welcome]
    return [card_reply(proc, svc)]


@router.command("help", "trogiup")
async def help_(msg: Incoming, svc: Services, command: Command) -> list[Reply]:
    """What the bot can do and where to reach a person; staff also read their commands."""
    text = texts.HELP + "\n\n" + guide_texts.CONSENT_HELP
    if svc.people is not None:
        actor = await svc.people.actor(msg.chat.platform, msg.user_id)
        if actor.role is not Role.RESIDENT:
            text += "\n\n" + texts.STAFF_HELP
            if actor.role in GUIDES:
                text += "\n" + guide_texts.GUIDE_HELP
            if actor.is_admin or actor.is_leader:
                text += "\n" + texts.LEADER_HELP
    return [Reply(text=text + "\n\n" + texts.contact(svc.config.centre))]
