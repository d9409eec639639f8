"""``motcua people``, ``unit`` and ``group``: invite staff (one-time codes), list people, units and groups.

The command line acts as the system (an admin, audited as "cli"), so the first admin can be invited
from here: ``motcua people invite --name "..." --role admin``.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from datetime import timedelta
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from bot import texts
from bot.config import Config
from bot.services.people import Actor, NotFoundError, PeopleService, PermissionDeniedError, Role, UnitView
from bot.storage.migrate import current_sessions
from bot.texts import cli as say

EXIT_OK = 0
EXIT_REFUSED = 1
EXIT_SETUP = 2
MAX_INVITE_HOURS = 24 * 30


def register(subparsers: Any) -> None:
    """Add ``people`` and ``unit`` to the ``motcua`` command."""
    people = subparsers.add_parser("people", help="staff: invite (one-time code), list")
    commands = people.add_subparsers(title="people commands", metavar="COMMAND")
    invite = commands.add_parser(
        "invite",
        help="create a person and print their one-time link code",
        description=(
            "Create a person and a one-time code; they send /dangky CODE to the bot (on Telegram also "
            "the t.me deep link when [directives] bot_username is set). Exit 0 done, 1 refused, 2 setup."
        ),
    )
    invite.add_argument("--name", required=True, help="the person's full name")
    invite.add_argument("--role", required=True, choices=[r.value for r in Role if r is not Role.RESIDENT])
    invite.add_argument("--unit", default="", help="unit name or #id (required except for admins)")
    invite.add_argument("--hours", type=int, default=24 * 7, help="code valid for H hours (default 168)")
    invite.add_argument("--tag", action="append", default=[], help="a tag (repeatable)")
    invite.set_defaults(handler=cmd_people_invite)
    commands.add_parser("list", help="everyone, with role, unit and linked platforms").set_defaults(
        handler=cmd_people_list
    )

    unit = subparsers.add_parser("unit", help="units (UBND xã, Bộ phận một cửa, ...)")
    unit_commands = unit.add_subparsers(title="unit commands", metavar="COMMAND")
    create = unit_commands.add_parser("create", help="create a unit")
    create.add_argument("name", metavar="NAME")
    create.add_argument("--leader", type=int, default=None, metavar="PERSON", help="the leader's person id")
    create.add_argument("--tag", action="append", default=[], help="a tag (repeatable)")
    create.set_defaults(handler=cmd_unit_create)
    unit_commands.add_parser("list", help="every unit and its leader").set_defaults(handler=cmd_unit_list)
    leader = unit_commands.add_parser(
        "set-leader",
        help="make a person the unit's leader",
        description=(
            "Make a person (see: motcua people list) the leader of a unit: they read its directives' "
            "reports and are told who has not acknowledged. Staff become leaders; admins stay admins."
        ),
    )
    leader.add_argument("unit", metavar="UNIT", help="unit name or #id")
    leader.add_argument("person", type=int, metavar="PERSON", help="the person's id")
    leader.set_defaults(handler=cmd_unit_set_leader)

    group = subparsers.add_parser("group", help="group chats registered with /nhom")
    group_commands = group.add_subparsers(title="group commands", metavar="COMMAND")
    group_commands.add_parser(
        "list", help="every registered group: id (for directive files), unit, platform"
    ).set_defaults(handler=cmd_group_list)


async def find_unit(service: PeopleService, text: str) -> UnitView | None:
    """A unit by ``#id``, a bare id, or its name."""
    key = text.strip().removeprefix("#")
    if key.isascii() and key.isdigit():
        found = await service.unit(int(key))
        if found is not None:
            return found
    return await service.unit_by_name(text)


def cmd_people_invite(args: argparse.Namespace, config: Config) -> int:
    """``motcua people invite``."""
    return asyncio.run(run_invite(config, args.name, Role(args.role), args.unit, args.hours, tags=args.tag))


async def run_invite(
    config: Config,
    name: str,
    role: Role,
    unit: str = "",
    hours: int = 24 * 7,
    *,
    tags: list[str] | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Create the person and their invite; print the code and how to use it."""
    out, err = out or sys.stdout, err or sys.stderr
    if not name.strip():
        print(say.PEOPLE_EMPTY_NAME, file=err)
        return EXIT_REFUSED
    if not 1 <= hours <= MAX_INVITE_HOURS:
        print(say.PEOPLE_BAD_HOURS.format(limit=MAX_INVITE_HOURS), file=err)
        return EXIT_REFUSED
    actor = Actor.system("cli")
    async with current_sessions(config.database.url, echo=config.database.echo) as sessions:
        service = PeopleService(sessions)
        unit_view = await find_unit(service, unit) if unit.strip() else None
        if unit.strip() and unit_view is None:
            print(say.PEOPLE_NO_UNIT.format(unit=unit), file=err)
            return EXIT_REFUSED
        if unit_view is None and role is not Role.ADMIN:
            print(say.PEOPLE_UNIT_NEEDED.format(role=texts.ROLE_WORDS[role.value]), file=err)
            return EXIT_REFUSED
        unit_id = unit_view.id if unit_view is not None else None
        try:
            person = await service.create_person(actor, name, role, unit_id=unit_id, tags=tags or ())
            code = await service.invite(actor, person.id, ttl=timedelta(hours=hours))
        except (PermissionDeniedError, NotFoundError) as exc:
            print(say.REFUSED.format(reason=exc), file=err)
            return EXIT_REFUSED
    expires = code.expires_at.astimezone(_zone(config)).strftime("%H:%M %d/%m/%Y")
    label = f", {unit_view.name}" if unit_view is not None else ""
    print(
        say.PEOPLE_INVITED.format(
            name=person.name,
            person_id=person.id,
            role=texts.ROLE_WORDS[role.value],
            unit=label,
            expires=expires,
            code=code.code,
        ),
        file=out,
    )
    if config.directives.bot_username:
        print(say.PEOPLE_DEEP_LINK.format(bot=config.directives.bot_username, code=code.code), file=out)
    print(say.PEOPLE_REGISTER.format(code=code.code), file=out)
    return EXIT_OK


def cmd_people_list(args: argparse.Namespace, config: Config) -> int:
    """``motcua people list``."""
    return asyncio.run(run_people_list(config))


async def run_people_list(config: Config, *, out: TextIO | None = None) -> int:
    """Print everyone: id, name, role, unit, linked platforms."""
    out = out or sys.stdout
    async with current_sessions(config.database.url, echo=config.database.echo) as sessions:
        service = PeopleService(sessions)
        directory = await service.directory()
        units = {u.id: u.name for u in await service.units()}
    if not directory:
        print(say.PEOPLE_NO_PEOPLE, file=out)
        return EXIT_OK
    rows = [
        (
            str(person.id),
            person.name + ("" if person.active else say.PEOPLE_INACTIVE),
            person.role.value,
            units.get(person.unit_id, "") if person.unit_id is not None else "",
            ", ".join(platforms) or "-",
        )
        for person, platforms in directory
    ]
    out.write(table(say.PEOPLE_PEOPLE_HEADERS, rows))
    return EXIT_OK


def cmd_unit_create(args: argparse.Namespace, config: Config) -> int:
    """``motcua unit create``."""
    return asyncio.run(run_unit_create(config, args.name, args.leader, tags=args.tag))


async def run_unit_create(
    config: Config,
    name: str,
    leader: int | None = None,
    *,
    tags: list[str] | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Create a unit (optionally naming its leader)."""
    out, err = out or sys.stdout, err or sys.stderr
    if not name.strip():
        print(say.PEOPLE_UNIT_NAME_EMPTY, file=err)
        return EXIT_REFUSED
    async with current_sessions(config.database.url, echo=config.database.echo) as sessions:
        service = PeopleService(sessions)
        existing = await service.unit_by_name(name)
        if existing is not None:
            print(say.PEOPLE_UNIT_EXISTS.format(name=existing.name, unit_id=existing.id), file=err)
            return EXIT_REFUSED
        try:
            created = await service.create_unit(Actor.system("cli"), name, leader_id=leader, tags=tags or ())
        except NotFoundError:
            print(say.PEOPLE_NO_PERSON.format(person=leader), file=err)
            return EXIT_REFUSED
    suffix = say.PEOPLE_LEADER_SUFFIX.format(leader=leader) if leader is not None else ""
    print(say.PEOPLE_UNIT_CREATED.format(name=created.name, unit_id=created.id, leader=suffix), file=out)
    return EXIT_OK


def cmd_unit_list(args: argparse.Namespace, config: Config) -> int:
    """``motcua unit list``."""
    return asyncio.run(run_unit_list(config))


async def run_unit_list(config: Config, *, out: TextIO | None = None) -> int:
    """Print every unit and its leader."""
    out = out or sys.stdout
    async with current_sessions(config.database.url, echo=config.database.echo) as sessions:
        service = PeopleService(sessions)
        units = await service.units()
        names = {p.id: p.name for p, _ in await service.directory()}
    if not units:
        print(say.PEOPLE_NO_UNITS, file=out)
        return EXIT_OK
    rows = [
        (str(u.id), u.name, names.get(u.leader_id, "") if u.leader_id is not None else "-") for u in units
    ]
    out.write(table(say.PEOPLE_UNIT_HEADERS, rows))
    return EXIT_OK


def cmd_unit_set_leader(args: argparse.Namespace, config: Config) -> int:
    """``motcua unit set-leader UNIT PERSON``."""
    return asyncio.run(run_unit_set_leader(config, args.unit, args.person))


async def run_unit_set_leader(
    config: Config, unit: str, person_id: int, *, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    """Name a unit's leader (a staff member becomes a leader)."""
    out, err = out or sys.stdout, err or sys.stderr
    async with current_sessions(config.database.url, echo=config.database.echo) as sessions:
        service = PeopleService(sessions)
        unit_view = await find_unit(service, unit)
        if unit_view is None:
            print(say.PEOPLE_NO_UNIT_NAMED.format(unit=unit), file=err)
            return EXIT_REFUSED
        before = await service.person(person_id)
        if before is None:
            print(say.PEOPLE_NO_PERSON_ID.format(person=person_id), file=err)
            return EXIT_REFUSED
        after = await service.set_unit_leader(Actor.system("cli"), unit_view.id, person_id)
    print(
        say.PEOPLE_LEADER_SET.format(
            name=after.name, person_id=after.id, unit=unit_view.name, unit_id=unit_view.id
        ),
        file=out,
    )
    if after.role is not before.role:
        print(say.PEOPLE_PROMOTED.format(name=after.name, old=texts.ROLE_WORDS[before.role.value]), file=out)
    return EXIT_OK


def cmd_group_list(args: argparse.Namespace, config: Config) -> int:
    """``motcua group list``."""
    return asyncio.run(run_group_list(config))


async def run_group_list(config: Config, *, out: TextIO | None = None) -> int:
    """Print every registered group: id, title, unit, platform, chat id, whether it still receives."""
    out = out or sys.stdout
    async with current_sessions(config.database.url, echo=config.database.echo) as sessions:
        service = PeopleService(sessions)
        groups = await service.groups()
        units = {u.id: u.name for u in await service.units()}
    if not groups:
        print(say.PEOPLE_NO_GROUPS, file=out)
        return EXIT_OK
    rows = [
        (
            str(g.id),
            g.title or "-",
            units.get(g.unit_id, ""),
            g.chat.platform.value,
            g.chat.chat_id,
            say.PEOPLE_GROUP_ACTIVE if g.active else say.PEOPLE_GROUP_INACTIVE,
        )
        for g in groups
    ]
    out.write(table(say.PEOPLE_GROUP_HEADERS, rows))
    return EXIT_OK


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """An aligned plain-text table."""
    widths = [max(len(str(c)) for c in column) for column in zip(headers, *rows, strict=True)]
    lines = [
        "  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
        for row in [headers, *rows]
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines) + "\n"


def _zone(config: Config) -> ZoneInfo:
    return ZoneInfo(config.timezone)
