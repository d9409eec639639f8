"""Directives in the chat: /chidao (a guided flow with preview), acknowledgements, /baocao and /dschidao.

Only admins and leaders create or read directives; everyone else is refused without learning anything.
Roles come from the numeric platform user id (:meth:`PeopleService.actor`). The flow collects one
field per step and asks for the first one still missing, so a field the service rejects at preview is
simply cleared and asked again, and the answers after it are kept.

Acknowledgement: the ``ack:<id>`` payload (Telegram button, or the number of the choice on Zalo) and the
keyword "đã nhận" typed alone; any other free text goes on to the procedure search.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot import texts
from bot.markup import split
from bot.messages import Button, Incoming, Reply
from bot.routing import Handler, Router, parse_command
from bot.services import Flow, Services
from bot.services.conversations import JSONValue
from bot.services.directives import (
    BODY_LIMIT,
    TITLE_LIMIT,
    AckMethod,
    AckOutcome,
    Audience,
    DirectiveDraft,
    DirectiveReport,
    DirectiveService,
    DirectiveStateError,
    InvalidDirectiveError,
    ScheduleKind,
    Urgency,
    is_ack_keyword,
    parse_ack_payload,
    recognise,
)
from bot.services.people import Actor, PeopleService, PermissionDeniedError
from handlers.cards import one_line
from handlers.directive_render import directive_text

router: Router[Services] = Router()
"""Commands and payloads; they need no flow store."""
flow_router: Router[Services] = Router()
"""The answers to /chidao's questions (the dispatcher needs a flow store)."""

FLOW = "directive_create"
FLOW_TTL = timedelta(minutes=30)
PREFIX = "cd"
"""Payload prefix of the flow's buttons: ``cd:<step>:<value>``."""
REPORT_PART = 3000
"""Characters per report message: long reports go out as several messages cut at line boundaries."""
REPORT_NAMES = 15
LIST_LIMIT = 10
MAX_OPTIONS = 40
ECHO_MAX = 40

STEPS = ("title", "body", "urgency", "audience", "ack", "deadline", "schedule")
_FIELD_STEP = {
    "title": "title",
    "body": "body",
    "urgency": "urgency",
    "audience": "audience",
    "ack_deadline": "deadline",
    "ack_within_minutes": "deadline",
    "schedule_at": "schedule",
    "cron": "schedule",
    "timezone": "schedule",
}
_REASONS = {
    "schedule_at": texts.SCHEDULE_PAST,
    "cron": texts.SCHEDULE_INVALID,
    "ack_deadline": texts.DEADLINE_INVALID,
}
_DATE_TIME = re.compile(
    r"^(?:(?P<d1>\d{1,2})/(?P<m1>\d{1,2})(?:/(?P<y1>\d{4}))?\s+(?P<h1>\d{1,2})\s*[:hg]\s*(?P<n1>\d{2})"
    r"|(?P<h2>\d{1,2})\s*[:hg]\s*(?P<n2>\d{2})\s+(?:ngay\s+)?(?P<d2>\d{1,2})/(?P<m2>\d{1,2})(?:/(?P<y2>\d{4}))?)$"
)
_NUMBERS = re.compile(r"^\s*\d{1,2}(?:\s*[,;\s]\s*\d{1,2})*\s*$")


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text.lower().replace("đ", "d"))
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())


def _args(msg: Incoming) -> str:
    command = parse_command(msg.text)
    return command.args if command is not None else ""


def _parts(svc: Services) -> tuple[PeopleService, DirectiveService] | None:
    if svc.people is None or svc.directives is None:
        return None
    return svc.people, svc.directives


UNAVAILABLE = [Reply(text=texts.DIRECTIVE_UNAVAILABLE)]
REFUSED = [Reply(text=texts.DIRECTIVE_REFUSED)]


async def _author(msg: Incoming, svc: Services) -> tuple[Actor, PeopleService, DirectiveService] | None:
    """The actor when they may handle directives (admin or leader), else None."""
    parts = _parts(svc)
    if parts is None:
        return None
    actor = await parts[0].actor(msg.chat.platform, msg.user_id)
    if not (actor.is_admin or actor.is_leader):
        return None
    return actor, parts[0], parts[1]


def _time(at: datetime, svc: Services) -> str:
    return texts.dossier_time(at, svc.config.timezone)


# --- parsing answers ----------------------------------------------------------------------------------


def parse_moment(text: str, timezone: str, now: datetime | None = None) -> datetime | None:
    """``25/11 07:30``, ``25/11/2026 7h30`` or ``07:30 25/11`` in ``timezone``; None if not a moment.

    Without a year the next such day is meant: this year, or next year when it is long past.
    """
    match = _DATE_TIME.match(_fold(text))
    if match is None:
        return None
    groups = match.groupdict()
    suffix = "1" if groups["d1"] is not None else "2"
    day, month = int(groups["d" + suffix]), int(groups["m" + suffix])
    hour, minute = int(groups["h" + suffix]), int(groups["n" + suffix])
    year_text = groups["y" + suffix]
    zone = ZoneInfo(timezone)
    local_now = (now or datetime.now(UTC)).astimezone(zone)
    year = int(year_text) if year_text else local_now.year
    try:
        moment = datetime(year, month, day, hour, minute, tzinfo=zone)
    except ValueError:
        return None
    if not year_text and moment < local_now - timedelta(days=31):
        try:
            moment = moment.replace(year=year + 1)
        except ValueError:
            return None
    return moment


@dataclass(frozen=True, slots=True)
class _Schedule:
    kind: ScheduleKind
    at: datetime | None = None
    cron: str = ""


def _schedule_of(data: Mapping[str, JSONValue]) -> _Schedule:
    raw = data.get("schedule")
    if not isinstance(raw, dict):
        return _Schedule(ScheduleKind.NOW)
    kind = ScheduleKind(str(raw.get("kind", "now")))
    at = datetime.fromisoformat(str(raw["at"])) if raw.get("at") else None
    return _Schedule(kind, at, str(raw.get("cron") or ""))


# --- the /chidao flow ---------------------------------------------------------------------------------


def _missing(data: Mapping[str, JSONValue], step: str) -> bool:
    if step == "deadline" and data.get("ack") is not True:
        return False
    return data.get(step) is None


def _next_step(data: Mapping[str, JSONValue]) -> str:
    return next((step for step in STEPS if _missing(data, step)), "preview")


def _button(label: str, step: str, value: str) -> Button:
    return Button(label, f"{PREFIX}:{step}:{value}")


def _options(data: Mapping[str, JSONValue]) -> list[dict[str, JSONValue]]:
    raw = data.get("options")
    return [o for o in raw if isinstance(o, dict)] if isinstance(raw, list) else []


async def _audience_options(actor: Actor, people: PeopleService) -> list[dict[str, JSONValue]]:
    """What the actor may send to: each unit they lead (admins: every unit, and "all") and its groups.

    A unit reaches its groups too; a unit with groups is offered once more without them.
    """
    units = await people.units()
    if not actor.is_admin:
        units = [u for u in units if u.id in actor.unit_ids]
    units.sort(key=lambda u: u.id)
    groups_of = {u.id: [g for g in await people.groups_of(u.id) if g.active] for u in units}
    options: list[dict[str, JSONValue]] = []
    if actor.is_admin and units:
        units_all: list[JSONValue] = [u.id for u in units]
        every_group: list[JSONValue] = [g.id for u in units for g in groups_of[u.id]]
        audience_all: dict[str, JSONValue] = {"units": units_all}
        options.append(
            {"label": texts.AUDIENCE_ALL, "audience": audience_all, "all": True, "unit_groups": every_group}
        )
    for unit in units:
        groups = groups_of[unit.id]
        group_ids: list[JSONValue] = [g.id for g in groups]
        options.append({"label": unit.name, "audience": {"units": [unit.id]}, "unit_groups": group_ids})
        if groups:
            private: dict[str, JSONValue] = {"units": [unit.id], "unit_groups": False}
            options.append({"label": texts.audience_private_only(unit.name), "audience": private})
        for group in groups:
            label = group.title or texts.group_title(unit.name)
            options.append({"label": label, "audience": {"groups": [group.id]}})
    return options[:MAX_OPTIONS]


def _question(step: str, data: Mapping[str, JSONValue], svc: Services) -> Reply:
    """The question of ``step`` with its buttons."""
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
        options = _options(data)
        labels = [str(o.get("label", "")) for o in options]
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
        hours = svc.config.directives.ack_deadline_hours
        default = _button(texts.default_deadline(hours), "deadline", "none")
        return Reply(text=texts.ask_deadline(hours), buttons=(default,))
    return Reply(text=texts.ASK_SCHEDULE, buttons=(_button(texts.SEND_NOW, "schedule", "now"),))


@router.command("chidao")
async def create(msg: Incoming, svc: Services) -> list[Reply]:
    """Start the guided flow (leaders and admins, in a private chat)."""
    if _parts(svc) is None:
        return UNAVAILABLE
    author = await _author(msg, svc)
    if author is None:
        return REFUSED
    if msg.chat.is_group:
        return [Reply(text=texts.DIRECTIVE_PRIVATE_ONLY)]
    await svc.conversations.start_flow(msg.chat.key, FLOW, "title", {}, ttl=FLOW_TTL)
    return [_question("title", {}, svc)]


@dataclass(frozen=True, slots=True)
class Accepted:
    """An answer the flow keeps: the value stored for its step."""

    value: JSONValue


@dataclass(frozen=True, slots=True)
class Retry:
    """An answer the flow refuses: the Vietnamese reason, before the question is asked again."""

    reason: str


StepResult = Accepted | Retry


def _parse_answer(step: str, value: str, data: Mapping[str, JSONValue], svc: Services) -> StepResult:
    """The value stored for an answer, or the reason to ask again."""
    text = value.strip()
    folded = _fold(text)
    if step == "title":
        if not text or len(text) > TITLE_LIMIT:
            return Retry(texts.directive_too_long("Tiêu đề", TITLE_LIMIT))
        return Accepted(" ".join(text.split()))
    if step == "body":
        if not text or len(text) > BODY_LIMIT:
            return Retry(texts.directive_too_long("Nội dung", BODY_LIMIT))
        return Accepted(text)
    if step == "urgency":
        if folded in ("khan", "1", "k", "khan cap"):
            return Accepted(Urgency.KHAN.value)
        if folded in ("thuong", "2", "t", "binh thuong"):
            return Accepted(Urgency.THUONG.value)
        return Retry(texts.ASK_URGENCY_AGAIN)
    if step == "audience":
        options = _options(data)
        chosen: list[int] = []
        if folded in ("tat ca", "all"):
            chosen = [i for i, o in enumerate(options) if o.get("all")]
        elif _NUMBERS.match(folded):
            chosen = [int(n) - 1 for n in re.findall(r"\d+", folded)]
        else:
            chosen = [i for i, o in enumerate(options) if _fold(str(o.get("label", ""))) == folded]
        if not chosen or any(not 0 <= i < len(options) for i in chosen):
            return Retry(texts.ASK_AUDIENCE_AGAIN)
        return Accepted(_merge([options[i] for i in chosen]))
    if step == "ack":
        if folded in ("co", "1", "yes", "co can xac nhan", "can"):
            return Accepted(True)
        if folded in ("khong", "2", "no", "ko", "khong can"):
            return Accepted(False)
        return Retry(texts.ASK_ACK_AGAIN)
    if step == "deadline":
        if folded in ("khong", "none", "ko", "khong dat han"):
            return Accepted("")
        moment = parse_moment(text, svc.config.timezone)
        if moment is None:
            return Retry(texts.DEADLINE_INVALID)
        return Accepted(moment.isoformat())
    # schedule
    if folded in ("now", "ngay", "gui ngay", "bay gio"):
        return Accepted({"kind": ScheduleKind.NOW.value})
    moment = parse_moment(text, svc.config.timezone)
    if moment is not None:
        return Accepted({"kind": ScheduleKind.AT.value, "at": moment.isoformat()})
    rule = recognise(text)
    if rule is not None:
        return Accepted({"kind": ScheduleKind.CRON.value, "cron": rule})
    return Retry(texts.SCHEDULE_INVALID)


def _ids(value: JSONValue) -> set[int]:
    return {v for v in value if isinstance(v, int)} if isinstance(value, list) else set()


def _merge(options: list[dict[str, JSONValue]]) -> dict[str, JSONValue]:
    """One audience from several chosen options (units and groups together).

    Once a unit is chosen without its groups, the groups of the units chosen with theirs are named.
    """
    units: set[int] = set()
    groups: set[int] = set()
    units_groups: set[int] = set()
    private_only = False
    labels: list[str] = []
    for option in options:
        audience = option.get("audience")
        if isinstance(audience, dict):
            units |= _ids(audience.get("units"))
            groups |= _ids(audience.get("groups"))
            private_only = private_only or audience.get("unit_groups") is False
        units_groups |= _ids(option.get("unit_groups"))
        labels.append(str(option.get("label", "")))
    if private_only:
        groups |= units_groups
    unit_list: list[JSONValue] = list(sorted(units))
    group_list: list[JSONValue] = list(sorted(groups))
    return {
        "units": unit_list,
        "groups": group_list,
        "unit_groups": not private_only,
        "label": ", ".join(dict.fromkeys(labels)),
    }


async def _answer(msg: Incoming, svc: Services, flow: Flow, step: str, value: str) -> list[Reply]:
    """Store one answer and ask the next question, or build the preview when everything is there."""
    author = await _author(msg, svc)
    if author is None:
        await svc.conversations.end_flow(flow)
        return REFUSED
    actor, people, directives = author
    if step != flow.step:
        # An old button of an earlier step: ask the current question again.
        return [_question(flow.step, flow.data, svc)]
    parsed = _parse_answer(step, value, flow.data, svc)
    if isinstance(parsed, Retry):
        return [Reply(text=parsed.reason), _question(step, flow.data, svc)]
    data: dict[str, JSONValue] = {**flow.data, step: parsed.value}
    return await _ask_next(msg, svc, flow, data, actor, people, directives)


async def _ask_next(
    msg: Incoming,
    svc: Services,
    flow: Flow,
    data: dict[str, JSONValue],
    actor: Actor,
    people: PeopleService,
    directives: DirectiveService,
) -> list[Reply]:
    step = _next_step(data)
    if step == "audience" and not _options(data):
        data["options"] = list(await _audience_options(actor, people))
        if not _options(data):
            await svc.conversations.end_flow(flow)
            return [Reply(text=texts.AUDIENCE_NONE)]
    if step != "preview":
        await svc.conversations.advance(flow, step, data, ttl=FLOW_TTL)
        return [_question(step, data, svc)]
    # Claim the step first: of two answers racing, only one builds the preview.
    flow = await svc.conversations.advance(flow, "creating", data, ttl=FLOW_TTL)
    draft = _draft(data, svc)
    try:
        # Validated and counted, not stored: the directive is created only on "Gửi", so an abandoned
        # or expired flow leaves nothing behind.
        checked = await directives.writing.check(actor, draft)
    except InvalidDirectiveError as exc:
        bad = _FIELD_STEP.get(exc.field, "schedule")
        await svc.conversations.advance(flow, bad, {bad: None}, ttl=FLOW_TTL)
        reason = _REASONS.get(exc.field, texts.DIRECTIVE_INVALID)
        return [Reply(text=reason), _question(bad, data, svc)]
    except PermissionDeniedError:
        await svc.conversations.advance(flow, "audience", {"audience": None}, ttl=FLOW_TTL)
        return [Reply(text=texts.AUDIENCE_OUT_OF_SCOPE), _question("audience", data, svc)]
    view, preview = checked.view, checked.preview
    token = secrets.token_hex(4)
    await svc.conversations.advance(flow, "preview", {"token": token}, ttl=FLOW_TTL)
    schedule = _schedule_of(data)
    when = ""
    if schedule.kind is ScheduleKind.AT and schedule.at is not None:
        when = _time(schedule.at, svc)
    elif schedule.kind is ScheduleKind.CRON:
        when = schedule.cron
    audience = data.get("audience")
    label = str(audience.get("label", "")) if isinstance(audience, dict) else ""
    ack = texts.ACK_NO
    if view.ack_required:
        ack = texts.ACK_YES + (f" (hạn {_time(view.ack_deadline, svc)})" if view.ack_deadline else "")
    text = texts.directive_preview(
        body=directive_text(view, svc.config.timezone),
        audience=label,
        chats=preview.chats,
        people=preview.people,
        groups=preview.groups,
        unreachable=preview.unreachable,
        ack=ack,
        schedule=texts.schedule_words(schedule.kind.value, when),
    )
    buttons = (_button(texts.SEND, "send", token), _button(texts.CANCEL, "cancel", token))
    return [Reply(text=text, buttons=buttons)]


def _draft(data: Mapping[str, JSONValue], svc: Services) -> DirectiveDraft:
    audience_raw = data.get("audience")
    audience = Audience()
    if isinstance(audience_raw, dict):
        wanted = ("units", "groups", "unit_groups")
        audience = Audience.from_json({k: v for k, v in audience_raw.items() if k in wanted})
    deadline_raw = data.get("deadline")
    deadline = (
        datetime.fromisoformat(deadline_raw) if isinstance(deadline_raw, str) and deadline_raw else None
    )
    schedule = _schedule_of(data)
    return DirectiveDraft(
        title=str(data.get("title") or ""),
        body=str(data.get("body") or ""),
        audience=audience,
        urgency=Urgency(str(data.get("urgency") or Urgency.THUONG.value)),
        ack_required=data.get("ack") is True,
        ack_deadline=deadline,
        schedule_kind=schedule.kind,
        schedule_at=schedule.at,
        cron=schedule.cron,
        timezone=svc.config.timezone,
    )


@flow_router.flow(FLOW)
async def flow_answer(msg: Incoming, svc: Services, flow: Flow) -> list[Reply]:
    """Typed answers to /chidao's questions."""
    if _parts(svc) is None or msg.chat.is_group:
        await svc.conversations.end_flow(flow)
        return UNAVAILABLE if _parts(svc) is None else []
    if flow.step in ("preview", "creating"):
        folded = _fold(msg.text)
        if folded in ("gui", "huy"):
            return await _finish(msg, svc, flow, send=folded == "gui")
        return [Reply(text=texts.ASK_SEND_OR_CANCEL)]
    return await _answer(msg, svc, flow, flow.step, msg.text)


@router.payload(PREFIX)
async def flow_button(msg: Incoming, svc: Services) -> list[Reply]:
    """A pressed (or numbered) choice of /chidao: an answer, or "Gửi" / "Hủy" at the preview."""
    fields = (msg.payload or "").split(":", 2)
    flow = await svc.conversations.flow(msg.chat.key)
    if len(fields) != 3 or flow is None or flow.name != FLOW or _parts(svc) is None:
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
    author = await _author(msg, svc)
    await svc.conversations.end_flow(flow)
    if author is None:
        return REFUSED
    if flow.step != "preview":
        return [Reply(text=texts.DIRECTIVE_FLOW_GONE)]
    if not send:
        return [Reply(text=texts.DIRECTIVE_CANCELLED_DRAFT)]
    actor, _, directives = author
    try:
        submitted = await directives.writing.submit(actor, _draft(flow.data, svc))
    except InvalidDirectiveError as exc:
        # Valid at the preview, no longer now (a scheduled time that passed meanwhile).
        return [
            Reply(text=_REASONS.get(exc.field, texts.DIRECTIVE_INVALID)),
            Reply(text=texts.DIRECTIVE_FLOW_GONE),
        ]
    except (PermissionDeniedError, DirectiveStateError):
        return [Reply(text=texts.DIRECTIVE_FLOW_GONE)]
    directive_id, result = submitted.directive.id, submitted.result
    schedule = _schedule_of(flow.data)
    if schedule.kind is ScheduleKind.CRON:
        first = _time(result.due_at, svc) if result.due_at is not None else ""
        return [Reply(text=texts.directive_armed(directive_id, first))]
    when = _time(result.due_at, svc) if schedule.kind is ScheduleKind.AT and result.due_at else ""
    return [Reply(text=texts.directive_queued(directive_id, result.chats, result.unreachable, when))]


# --- acknowledgements ---------------------------------------------------------------------------------


async def _acknowledge(msg: Incoming, svc: Services, directive_id: int | None, how: AckMethod) -> list[Reply]:
    parts = _parts(svc)
    if parts is None:
        return UNAVAILABLE
    people, directives = parts
    result = await directives.acks.acknowledge(
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
    person = await people.person_for(msg.chat.platform, msg.user_id)
    name = person.name if person is not None else msg.user_name
    acked_id = result.directive_id or 0
    if result.outcome is AckOutcome.ALREADY:
        when = result.acknowledged_at
        return [Reply(text=texts.ack_already(name, _time(when, svc) if when else ""))]
    return [Reply(text=texts.ack_recorded(name, acked_id, list(result.acknowledged_by)))]


@router.payload("ack")
async def ack_button(msg: Incoming, svc: Services) -> list[Reply]:
    """The "Đã nhận" button (or its number on Zalo): acknowledge for the person who pressed it."""
    directive_id = parse_ack_payload(msg.payload)
    if directive_id is None:
        return [Reply(text=texts.ACK_NOTHING)]
    return await _acknowledge(msg, svc, directive_id, AckMethod.BUTTON)


def with_ack_keyword(other: Handler[Services]) -> Handler[Services]:
    """Free text: "đã nhận" alone acknowledges the chat's latest directive; other text goes to ``other``."""

    async def free_text(msg: Incoming, svc: Services) -> list[Reply]:
        """Acknowledge on the keyword, else pass the text on."""
        if _parts(svc) is None or not is_ack_keyword(msg.text):
            return await other(msg, svc)
        replies = await _acknowledge(msg, svc, None, AckMethod.KEYWORD)
        if not msg.addressed and replies and replies[0].text in (texts.ACK_NOTHING, texts.ACK_NOT_REGISTERED):
            # Group chatter not meant for the bot: stay silent unless it recorded something.
            return []
        return replies

    return free_text


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
async def report(msg: Incoming, svc: Services) -> list[Reply]:
    """``/baocao ID``: the delivery and acknowledgement report (leaders: their units; admins: all)."""
    if _parts(svc) is None:
        return UNAVAILABLE
    author = await _author(msg, svc)
    if author is None:
        return REFUSED
    actor, _, directives = author
    args = _args(msg).lstrip("#").strip()
    if not args:
        return [Reply(text=texts.REPORT_USAGE)]
    if not args.isdigit() or len(args) > 9:
        return [Reply(text=texts.directive_not_found(one_line(args, ECHO_MAX)))]
    try:
        found = await directives.reports.report(actor, int(args))
    except (PermissionDeniedError, DirectiveStateError):
        return [Reply(text=texts.directive_not_found(args))]
    return render_report(found, svc)


@router.command("dschidao")
async def recent(msg: Incoming, svc: Services) -> list[Reply]:
    """The newest directives the actor may read."""
    if _parts(svc) is None:
        return UNAVAILABLE
    author = await _author(msg, svc)
    if author is None:
        return REFUSED
    actor, _, directives = author
    found = await directives.reports.recent(actor, limit=LIST_LIMIT)
    if not found:
        return [Reply(text=texts.LIST_EMPTY)]
    lines = [
        texts.directive_list_line(d.id, one_line(d.title, 80), d.status.value, _time(d.created_at, svc))
        for d in found
    ]
    return [Reply(text=texts.LIST_HEAD + "\n" + "\n".join(lines))]


__all__ = ["flow_router", "router", "with_ack_keyword"]
