"""Directives in the chat: acknowledgements, /baocao and /dschidao (/chidao is in directive_flow).

Only admins and leaders write or read directives; everyone else is refused without learning anything.
Roles come from the numeric platform user id (:meth:`PeopleService.actor`).

Acknowledgement: the ``ack:<id>`` payload (a Telegram button, or the number of the choice on Zalo) and
the keyword "đã nhận" typed alone; any other free text goes on to the procedure search.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from bot import texts
from bot.markup import split
from bot.messages import Incoming, Reply
from bot.routing import ACK_KEYWORDS, Command, Router
from bot.services import Services
from bot.services.directives import (
    AckMethod,
    AckOutcome,
    DirectiveReport,
    DirectiveService,
    DirectiveStateError,
    is_ack_keyword,
    parse_ack_payload,
)
from bot.services.people import Actor, PeopleService, PermissionDeniedError
from handlers.cards import one_line

router: Router[Services] = Router()
"""Acknowledgements, /baocao and /dschidao."""
REPORT_PART = 3000
"""Characters per report message: long reports go out as several messages cut at line boundaries."""
REPORT_NAMES = 15
LIST_LIMIT = 10
ECHO_MAX = 40


REFUSED = [Reply(text=texts.DIRECTIVE_REFUSED)]


async def author(msg: Incoming, svc: Services) -> tuple[Actor, PeopleService, DirectiveService] | None:
    """The actor when they may handle directives (admin or leader), else None."""
    actor = await svc.people.actor(msg.chat.platform, msg.user_id)
    if not (actor.is_admin or actor.is_leader):
        return None
    return actor, svc.people, svc.directives


def _time(at: datetime, svc: Services) -> str:
    return texts.dossier_time(at, svc.config.timezone)


# --- acknowledgements ---------------------------------------------------------------------------------


async def _acknowledge(msg: Incoming, svc: Services, directive_id: int | None, how: AckMethod) -> list[Reply]:
    result = await svc.directives.acks.acknowledge(
        msg.chat.platform, msg.user_id, msg.chat, directive_id=directive_id, how=how
    )
    if result.outcome is AckOutcome.NOT_REGISTERED:
        return [Reply(text=texts.ACK_NOT_REGISTERED)]
    if result.outcome in (AckOutcome.NOT_FOUND, AckOutcome.NOT_A_RECIPIENT):
        return [Reply(text=texts.ACK_NOTHING)]
    if result.outcome is AckOutcome.NOT_REQUIRED:
        return [Reply(text=texts.ACK_NOT_REQUIRED)]
    if result.outcome is AckOutcome.CANCELLED:
        return [Reply(text=texts.ACK_CANCELLED)]
    person = await svc.people.person_for(msg.chat.platform, msg.user_id)
    name = person.name if person is not None else msg.user_name
    acked_id = result.directive_id or 0
    if result.outcome is AckOutcome.ALREADY:
        when = result.acknowledged_at
        return [Reply(text=texts.ack_already(name, _time(when, svc) if when else ""))]
    return [Reply(text=texts.ack_recorded(name, acked_id, list(result.acknowledged_by)))]


@router.payload("ack", unaddressed=True)
async def ack_button(msg: Incoming, svc: Services) -> list[Reply]:
    """The "Đã nhận" button, or its number typed on Zalo: acknowledge for the person who pressed it.

    In a group a number needs no mention of the bot; it is then answered only when it records something.
    """
    directive_id = parse_ack_payload(msg.payload)
    if directive_id is None:
        return [Reply(text=texts.ACK_NOTHING)] if msg.addressed else []
    # A typed number keeps its text; a pressed button has none.
    how = AckMethod.NUMBER if msg.text.strip() else AckMethod.BUTTON
    return _quiet_unless_recorded(msg, await _acknowledge(msg, svc, directive_id, how))


@router.passive(is_ack_keyword, priority=ACK_KEYWORDS, unaddressed=True)
async def ack_keyword(msg: Incoming, svc: Services) -> list[Reply]:
    """ "đã nhận" typed alone acknowledges the chat's latest directive, in a group without a mention."""
    return _quiet_unless_recorded(msg, await _acknowledge(msg, svc, None, AckMethod.KEYWORD))


def _quiet_unless_recorded(msg: Incoming, replies: list[Reply]) -> list[Reply]:
    """Group chatter not meant for the bot: stay silent unless it recorded something."""
    if not msg.addressed and replies and replies[0].text in (texts.ACK_NOTHING, texts.ACK_NOT_REGISTERED):
        return []
    return replies


# --- /baocao and /dschidao ----------------------------------------------------------------------------


def render_report(report: DirectiveReport, svc: Services) -> list[Reply]:
    """Totals, per-unit lines, failures with reasons and the first missing names, cut into messages."""
    directive = report.directive
    lines = report.recipients
    delivered = sum(1 for r in lines if r.status == "delivered")
    failed = [r for r in lines if r.status == "failed"]
    unreachable = sum(1 for r in lines if r.status == "unreachable")
    pending = len(lines) - delivered - len(failed) - unreachable
    acked = sum(1 for a in report.acks if a.at is not None)
    duplicates = max(report.stats.possible_duplicates, sum(1 for r in lines if r.possible_duplicate))
    sections = [
        texts.report_head(directive.id, directive.title, directive.status.value, report.occurrence),
        texts.report_totals(
            delivered, len(failed), pending, unreachable, acked, len(report.acks), duplicates
        ),
    ]
    if report.units:
        unit_lines = [
            texts.report_unit(
                u.name, u.delivered, u.failed, u.pending, u.unreachable, u.acknowledged, u.expected_acks
            )
            for u in report.units
        ]
        sections.append(texts.REPORT_UNITS_HEAD + "\n" + "\n".join(unit_lines))
    if failed:
        reasons = Counter(one_line(r.reason, 80) for r in failed)
        sections.append(texts.report_failures(reasons.most_common()))
    missing = [a.name for a in report.pending_acks]
    if missing:
        shown = missing[:REPORT_NAMES]
        sections.append(texts.report_missing(shown, len(missing) - len(shown)))
    return [Reply(text=part) for part in split("\n\n".join(sections), REPORT_PART)]


@router.command("baocao")
async def report(msg: Incoming, svc: Services, command: Command) -> list[Reply]:
    """``/baocao ID``: the delivery and acknowledgement report (leaders: their units; admins: all)."""
    found = await author(msg, svc)
    if found is None:
        return REFUSED
    actor, _, directives = found
    args = command.args.lstrip("#").strip()
    if not args:
        return [Reply(text=texts.REPORT_USAGE)]
    if not (args.isascii() and args.isdigit()) or len(args) > 9:
        return [Reply(text=texts.directive_not_found(one_line(args, ECHO_MAX)))]
    try:
        report_ = await directives.reports.report(actor, int(args))
    except (PermissionDeniedError, DirectiveStateError):
        return [Reply(text=texts.directive_not_found(args))]
    return render_report(report_, svc)


@router.command("dschidao")
async def recent(msg: Incoming, svc: Services, command: Command) -> list[Reply]:
    """The newest directives the actor may read."""
    found = await author(msg, svc)
    if found is None:
        return REFUSED
    actor, _, directives = found
    views = await directives.reports.recent(actor, limit=LIST_LIMIT)
    if not views:
        return [Reply(text=texts.LIST_EMPTY)]
    lines = [
        texts.directive_list_line(d.id, one_line(d.title, 80), d.status.value, _time(d.created_at, svc))
        for d in views
    ]
    return [Reply(text=texts.LIST_HEAD + "\n" + "\n".join(lines))]


__all__ = ["REFUSED", "author", "router"]
