"""/chidao: a guided flow that writes a directive, previews it, and sends it on "Gửi".

The flow collects one field per step and asks for the first one still missing, so a field the service
rejects at preview is simply cleared and asked again, and the answers after it are kept. Nothing is
stored before "Gửi": the directive is then created and published in one transaction.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import datetime, timedelta

from bot import texts
from bot.messages import Button, Incoming, Reply
from bot.routing import Command, Router
from bot.services import Flow, Services
from bot.services.conversations import JSONValue
from bot.services.directives import (
    BODY_LIMIT,
    TITLE_LIMIT,
    DirectiveService,
    DirectiveStateError,
    DirectiveView,
    InvalidDirectiveError,
    Preview,
    ScheduleKind,
    Urgency,
)
from bot.services.people import Actor, PeopleService, PermissionDeniedError
from handlers.cards import one_line
from handlers.directive_answers import DEFAULT, Retry, draft_of, fold, options, parse_answer, schedule_of
from handlers.directive_render import directive_text
from handlers.directives import REFUSED, author

router: Router[Services] = Router()
"""/chidao and its buttons; they need no flow store."""
flow_router: Router[Services] = Router()
"""The answers to /chidao's questions (the dispatcher needs a flow store)."""

FLOW = "directive_create"
FLOW_TTL = timedelta(minutes=30)
PREFIX = "cd"
"""Payload prefix of the flow's buttons: ``cd:<step>:<value>``."""
MAX_OPTIONS = 40

STEPS = ("title", "body", "urgency", "audience", "ack", "deadline", "remind", "escalate", "schedule")
_ACK_STEPS = ("deadline", "remind")
_FIELD_STEP = {
    "title": "title",
    "body": "body",
    "urgency": "urgency",
    "audience": "audience",
    "ack_deadline": "deadline",
    "ack_within_minutes": "deadline",
    "reminder_minutes": "remind",
    "escalate_after": "escalate",
    "schedule_at": "schedule",
    "cron": "schedule",
    "timezone": "schedule",
}
_REASONS = {
    "schedule_at": texts.SCHEDULE_PAST,
    "cron": texts.SCHEDULE_INVALID,
    "ack_deadline": texts.DEADLINE_INVALID,
}


def _missing(data: Mapping[str, JSONValue], step: str) -> bool:
    if step in _ACK_STEPS and data.get("ack") is not True:
        return False
    reminders = data.get("remind")
    # Escalation is asked only after reminders of one's own: the default ones come with the default.
    if step == "escalate" and (
        data.get("ack") is not True or not isinstance(reminders, list) or not reminders
    ):
        return False
    return data.get(step) is None


def _next_step(data: Mapping[str, JSONValue]) -> str:
    return next((step for step in STEPS if _missing(data, step)), "preview")


def _button(label: str, step: str, value: str) -> Button:
    return Button(label, f"{PREFIX}:{step}:{value}")


def _time(at: datetime, svc: Services) -> str:
    return texts.dossier_time(at, svc.config.timezone)


async def _audience_options(actor: Actor, people: PeopleService) -> list[dict[str, JSONValue]]:
    """What the actor may send to: each unit they lead (admins: every unit, and "all") and its groups.

    A unit reaches its groups too; a unit with groups is offered once more without them.
    """
    units = await people.units()
    if not actor.is_admin:
        units = [u for u in units if u.id in actor.unit_ids]
    units.sort(key=lambda u: u.id)
    groups_of = {u.id: [g for g in await people.groups_of(u.id) if g.active] for u in units}
    offered: list[dict[str, JSONValue]] = []
    if actor.is_admin and units:
        units_all: list[JSONValue] = [u.id for u in units]
        every_group: list[JSONValue] = [g.id for u in units for g in groups_of[u.id]]
        audience_all: dict[str, JSONValue] = {"units": units_all}
        offered.append(
            {"label": texts.AUDIENCE_ALL, "audience": audience_all, "all": True, "unit_groups": every_group}
        )
    for unit in units:
        groups = groups_of[unit.id]
        group_ids: list[JSONValue] = [g.id for g in groups]
        offered.append({"label": unit.name, "audience": {"units": [unit.id]}, "unit_groups": group_ids})
        if groups:
            private: dict[str, JSONValue] = {"units": [unit.id], "unit_groups": False}
            offered.append({"label": texts.audience_private_only(unit.name), "audience": private})
        for group in groups:
            label = group.title or texts.group_title(unit.name)
            offered.append({"label": label, "audience": {"groups": [group.id]}})
    return offered[:MAX_OPTIONS]


def _question(step: str, data: Mapping[str, JSONValue], svc: Services) -> Reply:
    """The question of ``step`` with its buttons."""
    settings = svc.config.directives
    if step == "title":
        return Reply(text=texts.ask_title(TITLE_LIMIT))
    if step == "body":
        return Reply(text=texts.ask_body(BODY_LIMIT))
    if step == "urgency":
        buttons = (
            _button(texts.URGENCY_KHAN, "urgency", Urgency.KHAN.value),
            _button(texts.URGENCY_THUONG, "urgency", Urgency.THUONG.value),
        )
        return Reply(text=texts.ASK_URGENCY, buttons=buttons)
    if step == "audience":
        labels = [str(o.get("label", "")) for o in options(data)]
        return Reply(
            text=texts.ASK_AUDIENCE,
            # Numbered from 1 like the choices on Zalo, so a payload and a typed number read the same.
            buttons=tuple(
                _button(one_line(label, 60), "audience", str(i)) for i, label in enumerate(labels, 1)
            ),
        )
    if step == "ack":
        buttons = (_button(texts.ACK_YES, "ack", "yes"), _button(texts.ACK_NO, "ack", "no"))
        return Reply(text=texts.ASK_ACK, buttons=buttons)
    if step == "deadline":
        hours = settings.ack_deadline_hours
        default = _button(texts.default_deadline(hours), "deadline", "none")
        return Reply(text=texts.ask_deadline(hours), buttons=(default,))
    if step == "remind":
        minutes = list(settings.reminder_minutes)
        default = _button(texts.default_reminders(minutes), "remind", DEFAULT)
        return Reply(text=texts.ASK_REMIND, buttons=(default, _button(texts.NO_REMINDERS, "remind", "none")))
    if step == "escalate":
        reminders = data.get("remind")
        count = len(reminders) if isinstance(reminders, list) else 0
        after = min(settings.escalate_after, count)
        # Choice n is "after the n-th reminder", so a typed number means the same as the button.
        choices = tuple(
            _button(texts.escalate_after(n, default=n == after), "escalate", str(n))
            for n in range(1, count + 1)
        )
        never = _button(texts.NO_ESCALATION, "escalate", "none")
        return Reply(text=texts.ask_escalate(count), buttons=(*choices, never))
    return Reply(text=texts.ASK_SCHEDULE, buttons=(_button(texts.SEND_NOW, "schedule", "now"),))


@router.command("chidao")
async def create(msg: Incoming, svc: Services, command: Command) -> list[Reply]:
    """Start the guided flow (leaders and admins, in a private chat)."""
    if await author(msg, svc) is None:
        return REFUSED
    if msg.chat.is_group:
        return [Reply(text=texts.DIRECTIVE_PRIVATE_ONLY)]
    await svc.conversations.start_flow(msg.chat.key, FLOW, "title", {}, ttl=FLOW_TTL)
    return [_question("title", {}, svc)]


async def _answer(msg: Incoming, svc: Services, flow: Flow, step: str, value: str) -> list[Reply]:
    """Store one answer and ask the next question, or build the preview when everything is there."""
    found = await author(msg, svc)
    if found is None:
        await svc.conversations.end_flow(flow)
        return REFUSED
    actor, people, directives = found
    if step != flow.step:
        # An old button of an earlier step: ask the current question again.
        return [_question(flow.step, flow.data, svc)]
    parsed = parse_answer(step, value, flow.data, svc.config.timezone)
    if isinstance(parsed, Retry):
        return [Reply(text=parsed.reason), _question(step, flow.data, svc)]
    data: dict[str, JSONValue] = {**flow.data, step: parsed.value}
    step = _next_step(data)
    if step == "audience" and not options(data):
        data["options"] = list(await _audience_options(actor, people))
        if not options(data):
            await svc.conversations.end_flow(flow)
            return [Reply(text=texts.AUDIENCE_NONE)]
    if step != "preview":
        await svc.conversations.advance(flow, step, data, ttl=FLOW_TTL)
        return [_question(step, data, svc)]
    # Claim the step first: of two answers racing, only one builds the preview.
    flow = await svc.conversations.advance(flow, "creating", data, ttl=FLOW_TTL)
    return await _preview(svc, flow, data, actor, directives)


async def _preview(
    svc: Services, flow: Flow, data: dict[str, JSONValue], actor: Actor, directives: DirectiveService
) -> list[Reply]:
    try:
        # Validated and counted, not stored: the directive is created only on "Gửi", so an abandoned
        # or expired flow leaves nothing behind.
        checked = await directives.writing.check(actor, draft_of(data, svc.config.timezone))
    except InvalidDirectiveError as exc:
        bad = _FIELD_STEP.get(exc.field, "schedule")
        await svc.conversations.advance(flow, bad, {bad: None}, ttl=FLOW_TTL)
        reason = _REASONS.get(exc.field, texts.DIRECTIVE_INVALID)
        return [Reply(text=reason), _question(bad, data, svc)]
    except PermissionDeniedError:
        await svc.conversations.advance(flow, "audience", {"audience": None}, ttl=FLOW_TTL)
        return [Reply(text=texts.AUDIENCE_OUT_OF_SCOPE), _question("audience", data, svc)]
    token = secrets.token_hex(4)
    await svc.conversations.advance(flow, "preview", {"token": token}, ttl=FLOW_TTL)
    audience = data.get("audience")
    label = str(audience.get("label", "")) if isinstance(audience, dict) else ""
    text = _preview_text(svc, checked.view, checked.preview, data, label)
    buttons = (_button(texts.SEND, "send", token), _button(texts.CANCEL, "cancel", token))
    return [Reply(text=text, buttons=buttons)]


def _preview_text(
    svc: Services, view: DirectiveView, preview: Preview, data: Mapping[str, JSONValue], label: str
) -> str:
    schedule = schedule_of(data)
    when = ""
    if schedule.kind is ScheduleKind.AT and schedule.at is not None:
        when = _time(schedule.at, svc)
    elif schedule.kind is ScheduleKind.CRON:
        when = schedule.cron
    ack = texts.ACK_NO
    if view.ack_required:
        settings = svc.config.directives
        minutes = view.reminder_minutes if view.reminder_minutes is not None else settings.reminder_minutes
        escalate = view.escalate_after if view.escalate_after is not None else settings.escalate_after
        deadline = _time(view.ack_deadline, svc) if view.ack_deadline else ""
        ack = texts.ack_words(deadline, list(minutes), min(escalate, len(minutes)))
    return texts.directive_preview(
        body=directive_text(view, svc.config.timezone),
        audience=label,
        chats=preview.chats,
        people=preview.people,
        groups=preview.groups,
        unreachable=preview.unreachable,
        ack=ack,
        schedule=texts.schedule_words(schedule.kind.value, when),
    )


@flow_router.flow(FLOW)
async def flow_answer(msg: Incoming, svc: Services, flow: Flow) -> list[Reply]:
    """Typed answers to /chidao's questions."""
    if msg.chat.is_group:
        await svc.conversations.end_flow(flow)
        return []
    if flow.step in ("preview", "creating"):
        folded = fold(msg.text)
        if folded in ("gui", "huy"):
            return await _finish(msg, svc, flow, send=folded == "gui")
        return [Reply(text=texts.ASK_SEND_OR_CANCEL)]
    return await _answer(msg, svc, flow, flow.step, msg.text)


@router.payload(PREFIX)
async def flow_button(msg: Incoming, svc: Services) -> list[Reply]:
    """A pressed (or numbered) choice of /chidao: an answer, or "Gửi" / "Hủy" at the preview."""
    fields = (msg.payload or "").split(":", 2)
    flow = await svc.conversations.flow(msg.chat.key)
    if len(fields) != 3 or flow is None or flow.name != FLOW:
        return [Reply(text=texts.DIRECTIVE_FLOW_GONE)]
    step, value = fields[1], fields[2]
    if step in ("send", "cancel"):
        if flow.step != "preview" or str(flow.data.get("token")) != value:
            return [Reply(text=texts.DIRECTIVE_FLOW_GONE)]
        return await _finish(msg, svc, flow, send=step == "send")
    return await _answer(msg, svc, flow, step, value)


async def _finish(msg: Incoming, svc: Services, flow: Flow, *, send: bool) -> list[Reply]:
    """Create and publish (or schedule) the previewed draft, or drop it; the flow ends first.

    Ending the flow first (a compare-and-set) makes a doubled "Gửi" create one directive only.
    """
    found = await author(msg, svc)
    await svc.conversations.end_flow(flow)
    if found is None:
        return REFUSED
    if flow.step != "preview":
        return [Reply(text=texts.DIRECTIVE_FLOW_GONE)]
    if not send:
        return [Reply(text=texts.DIRECTIVE_CANCELLED_DRAFT)]
    actor, _, directives = found
    try:
        submitted = await directives.writing.submit(actor, draft_of(flow.data, svc.config.timezone))
    except InvalidDirectiveError as exc:
        # Valid at the preview, no longer now (a scheduled time that passed meanwhile).
        return [
            Reply(text=_REASONS.get(exc.field, texts.DIRECTIVE_INVALID)),
            Reply(text=texts.DIRECTIVE_FLOW_GONE),
        ]
    except (PermissionDeniedError, DirectiveStateError):
        return [Reply(text=texts.DIRECTIVE_FLOW_GONE)]
    directive_id, result = submitted.directive.id, submitted.result
    schedule = schedule_of(flow.data)
    if schedule.kind is ScheduleKind.CRON:
        first = _time(result.due_at, svc) if result.due_at is not None else ""
        return [Reply(text=texts.directive_armed(directive_id, first))]
    when = _time(result.due_at, svc) if schedule.kind is ScheduleKind.AT and result.due_at else ""
    return [Reply(text=texts.directive_queued(directive_id, result.chats, result.unreachable, when))]
