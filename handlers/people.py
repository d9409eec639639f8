"""Staff in the chat: /dangky CODE links an account, /nhom UNIT registers a group, /help shows staff lines.

Roles come from :class:`bot.services.people.PeopleService` by the numeric platform user id, never by
the name a user shows. Registration happens in private (the private chat is where directives go).
"""

from __future__ import annotations

from bot import texts
from bot.messages import Incoming, Reply
from bot.routing import Router, parse_command
from bot.services import Services
from bot.services.people import (
    NotFoundError,
    PeopleService,
    PermissionDeniedError,
    RedeemOutcome,
    Role,
    UnitView,
    normalize_code,
)
from handlers.cards import one_line

router: Router[Services] = Router()
"""/dangky and /nhom."""
help_router: Router[Services] = Router()
"""/help with the staff section; included after the resident /help so it replaces it."""

CODE_MAX = 64
UNIT_ECHO_MAX = 80
UNAVAILABLE = [Reply(text=texts.PEOPLE_UNAVAILABLE)]

_REFUSALS = {
    RedeemOutcome.WRONG: texts.REGISTER_WRONG,
    RedeemOutcome.USED: texts.REGISTER_USED,
    RedeemOutcome.EXPIRED: texts.REGISTER_EXPIRED,
    RedeemOutcome.ALREADY_LINKED: texts.REGISTER_ALREADY_LINKED,
}


def _args(msg: Incoming) -> str:
    command = parse_command(msg.text)
    return command.args if command is not None else ""


def looks_like_invite(text: str) -> bool:
    """True when ``text`` could be an invite code (letters, digits, spaces and dashes; 6 to 64 characters)."""
    stripped = text.strip()
    if not 6 <= len(stripped) <= CODE_MAX:
        return False
    return all(ch.isascii() and (ch.isalnum() or ch in " -") for ch in stripped) and bool(
        normalize_code(stripped)
    )


async def redeem(code: str, msg: Incoming, svc: Services) -> list[Reply]:
    """Link the sender's account with an invite code; each outcome has its own answer."""
    if svc.people is None:
        return UNAVAILABLE
    if msg.chat.is_group:
        return [Reply(text=texts.REGISTER_IN_PRIVATE)]
    if not code.strip():
        return [Reply(text=texts.REGISTER_USAGE)]
    if len(code) > CODE_MAX:
        return [Reply(text=texts.REGISTER_WRONG)]
    result = await svc.people.redeem(code, msg.chat.platform, msg.user_id, msg.chat.chat_id)
    if result.outcome is not RedeemOutcome.LINKED or result.person is None:
        return [Reply(text=_REFUSALS.get(result.outcome, texts.REGISTER_WRONG))]
    person = result.person
    unit = await svc.people.unit(person.unit_id) if person.unit_id is not None else None
    return [Reply(text=texts.registered(person.name, person.role.value, unit.name if unit else ""))]


@router.command("dangky")
async def register(msg: Incoming, svc: Services) -> list[Reply]:
    """``/dangky CODE``: link this platform account to the invited person."""
    return await redeem(_args(msg), msg, svc)


async def _unit(people: PeopleService, name: str) -> UnitView | None:
    found = await people.unit_by_name(name)
    if found is None and name.isdigit() and len(name) <= 9:
        found = await people.unit(int(name))
    return found


@router.command("nhom")
async def register_group(msg: Incoming, svc: Services) -> list[Reply]:
    """``/nhom UNIT`` inside a group: an admin (or the unit's leader) registers the group for the unit."""
    if svc.people is None:
        return UNAVAILABLE
    if not msg.chat.is_group:
        return [Reply(text=texts.GROUP_ONLY_IN_GROUP)]
    actor = await svc.people.actor(msg.chat.platform, msg.user_id)
    # The role is checked before any unit is looked up, so others learn nothing about units.
    if not (actor.is_admin or actor.is_leader):
        return [Reply(text=texts.GROUP_REFUSED)]
    name = " ".join(_args(msg).split())
    if not name:
        return [Reply(text=texts.GROUP_USAGE)]
    unit = await _unit(svc.people, name)
    if unit is None:
        return [Reply(text=texts.group_unit_unknown(one_line(name, UNIT_ECHO_MAX)))]
    try:
        await svc.people.register_group(actor, msg.chat, unit.id, texts.group_title(unit.name))
    except PermissionDeniedError:
        return [Reply(text=texts.GROUP_REFUSED)]
    except NotFoundError:
        return [Reply(text=texts.group_unit_unknown(one_line(name, UNIT_ECHO_MAX)))]
    return [Reply(text=texts.group_registered(unit.name))]


@help_router.command("help", "trogiup", "huongdan")
async def help_(msg: Incoming, svc: Services) -> list[Reply]:
    """The resident help, plus the staff section for linked staff (and the leaders' commands for leaders)."""
    text = texts.HELP
    if svc.people is not None:
        actor = await svc.people.actor(msg.chat.platform, msg.user_id)
        if actor.role is not Role.RESIDENT:
            text += "\n\n" + texts.STAFF_HELP
            if actor.is_admin or actor.is_leader:
                text += "\n" + texts.LEADER_HELP
    return [Reply(text=text + "\n\n" + texts.contact(svc.config.centre))]
