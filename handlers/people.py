"""Staff in the chat: /moi invites, /dangky CODE links an account, /nhom UNIT registers a group.

Roles come from :class:`bot.services.people.PeopleService` by the numeric platform user id, never by
the name a user shows. Registration happens in private (the private chat is where directives go).
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot import texts
from bot.messages import Incoming, Platform, Reply
from bot.routing import Command, Router
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
"""/moi, /dangky and /nhom."""

CODE_MAX = 64
UNIT_ECHO_MAX = 80

_REFUSALS = {
    RedeemOutcome.WRONG: texts.REGISTER_WRONG,
    RedeemOutcome.USED: texts.REGISTER_USED,
    RedeemOutcome.EXPIRED: texts.REGISTER_EXPIRED,
    RedeemOutcome.ALREADY_LINKED: texts.REGISTER_ALREADY_LINKED,
    RedeemOutcome.NOT_HERE: texts.REGISTER_NOT_HERE,
}


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


# The words a leader may type for a role, folded to lower case without the punctuation around them.
ROLE_BY_WORD = {
    "cán bộ": Role.STAFF,
    "can bo": Role.STAFF,
    "nhân viên": Role.STAFF,
    "nhan vien": Role.STAFF,
    "lãnh đạo": Role.LEADER,
    "lanh dao": Role.LEADER,
    "tổ công nghệ số": Role.GUIDE,
    "to cong nghe so": Role.GUIDE,
    "tổ công nghệ": Role.GUIDE,
    "to cong nghe": Role.GUIDE,
    "quản trị": Role.ADMIN,
    "quan tri": Role.ADMIN,
    "quản trị viên": Role.ADMIN,
    "quan tri vien": Role.ADMIN,
}
NAME_MAX = 120


@router.command("moi")
async def invite(msg: Incoming, svc: Services, command: Command) -> list[Reply]:
    """``/moi NAME; ROLE; UNIT``: an admin, or a leader for their units, gets a new person's one-time code."""
    actor = await svc.people.actor(msg.chat.platform, msg.user_id)
    # The role is checked first, so residents learn nothing about units or people.
    if not (actor.is_admin or actor.is_leader):
        return [Reply(text=texts.INVITE_REFUSED)]
    if msg.chat.is_group:
        return [Reply(text=texts.INVITE_IN_PRIVATE)]
    parts = [" ".join(part.split()) for part in command.args.replace("|", ";").split(";")]
    if len(parts) not in (2, 3) or not parts[0] or not parts[1] or len(parts[0]) > NAME_MAX:
        return [Reply(text=texts.INVITE_USAGE)]
    name, role_word = parts[0], parts[1].lower()
    role = ROLE_BY_WORD.get(role_word)
    if role is None:
        return [Reply(text=texts.invite_role_unknown(one_line(parts[1], UNIT_ECHO_MAX)))]
    unit = None
    if len(parts) == 3 and parts[2]:
        unit = await _unit(svc.people, parts[2])
        if unit is None:
            return [Reply(text=texts.group_unit_unknown(one_line(parts[2], UNIT_ECHO_MAX)))]
    try:
        person = await svc.people.create_person(actor, name, role, unit_id=unit.id if unit else None)
        code = await svc.people.invite(actor, person.id)
    except PermissionDeniedError:
        return [Reply(text=texts.INVITE_REFUSED)]
    except NotFoundError:
        return [Reply(text=texts.INVITE_USAGE)]
    expires = code.expires_at.astimezone(ZoneInfo(svc.config.timezone)).strftime("%H:%M %d/%m/%Y")
    bot = svc.config.directives.bot_username.lstrip("@")
    link = f"https://t.me/{bot}?start={code.code}" if bot else ""
    return [
        Reply(
            text=texts.invite_created(name, role.value, unit.name if unit else "", code.code, expires, link)
        )
    ]


@router.command("dangky")
async def register(msg: Incoming, svc: Services, command: Command) -> list[Reply]:
    """``/dangky CODE``: link this platform account to the invited person."""
    return await redeem(command.args, msg, svc)


async def _unit(people: PeopleService, name: str) -> UnitView | None:
    found = await people.unit_by_name(name)
    if found is None and name.isascii() and name.isdigit() and len(name) <= 9:
        found = await people.unit(int(name))
    return found


@router.command("nhom")
async def register_group(msg: Incoming, svc: Services, command: Command) -> list[Reply]:
    """``/nhom UNIT`` inside a group: an admin (or the unit's leader) registers the group for the unit."""
    if not msg.chat.is_group:
        return [Reply(text=texts.GROUP_ONLY_IN_GROUP)]
    actor = await svc.people.actor(msg.chat.platform, msg.user_id)
    # The role is checked before any unit is looked up, so others learn nothing about units.
    if not (actor.is_admin or actor.is_leader):
        return [Reply(text=texts.GROUP_REFUSED)]
    name = " ".join(command.args.split())
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
    # Only Telegram shows buttons; elsewhere the "Đã nhận" button is a numbered choice.
    buttons = msg.chat.platform is Platform.TELEGRAM
    return [Reply(text=texts.group_registered(unit.name, buttons=buttons))]
