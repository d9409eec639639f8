"""Residents' feedback in the chat: /gopy (at once or as a short conversation), /traloi for staff, ratings.

``/gopy text`` files at once (a receipt code in the text makes it about that dossier, a procedure code
first about that procedure); ``/gopy`` alone asks what it is about, then the text. Feedback is taken in
private chats only, so the answer goes back to the one who wrote. Nothing about a dossier is shown to
the resident beyond the code they typed.
"""

from __future__ import annotations

import re
from datetime import timedelta

from bot.messages import Button, Incoming, Reply
from bot.routing import Command, Router
from bot.services import Flow, Services
from bot.services.dossiers.events import find_receipt_code
from bot.services.feedback import (
    AnswerOutcome,
    FeedbackService,
    FilingError,
    FilingLimitError,
    Kind,
    RateOutcome,
    Subject,
    format_number,
    parse_number,
)
from bot.services.people import Role
from bot.texts import feedback as say
from handlers.cards import one_line
from handlers.feedback_render import RATE_PREFIX
from knowledge.normalize import fold

router: Router[Services] = Router()
"""/gopy, /traloi, the "what about" buttons and the rating buttons."""
flow_router: Router[Services] = Router()
"""The answers /gopy's conversation asks for (the dispatcher needs a flow store)."""

FLOW = "feedback"
ABOUT_PREFIX = "gopy"
"""Payloads ``gopy:thutuc``, ``gopy:hoso``, ``gopy:chung``, ``gopy:tt:<procedure code>``, and
``gopy:gui`` / ``gopy:guichung`` (send the text kept in the flow, as found or as general feedback)."""
LONG_WORDS = 8
"""A message of this many words where a subject is asked for is taken as the feedback itself."""
ECHO_MAX = 60
CHOICES_MAX = 5
STAFF_ROLES = (Role.ADMIN, Role.LEADER, Role.STAFF)
_ABOUT = {"thutuc": "procedure", "hoso": "dossier", "chung": "text"}


def _service(svc: Services) -> FeedbackService | None:
    return svc.feedback


def _unavailable() -> list[Reply]:
    return [Reply(text=say.FEEDBACK_UNAVAILABLE)]


def _about_buttons() -> tuple[Button, ...]:
    keys = ("thutuc", "hoso", "chung")
    return tuple(
        Button(label, f"{ABOUT_PREFIX}:{key}") for label, key in zip(say.ABOUT_LABELS, keys, strict=True)
    )


def _ttl(service: FeedbackService) -> timedelta:
    return timedelta(minutes=service.settings.flow_minutes)


def _subject_data(subject: Subject) -> dict[str, str]:
    return {"kind": subject.kind.value, "ref": subject.ref, "name": subject.name}


def _subject_of(flow: Flow) -> Subject:
    kind = str(flow.data.get("kind", Kind.GENERAL.value))
    return Subject(
        Kind(kind) if kind in set(Kind) else Kind.GENERAL,
        str(flow.data.get("ref", "")),
        str(flow.data.get("name", "")),
    )


async def _ask_text(
    msg: Incoming, svc: Services, service: FeedbackService, subject: Subject, kept: str = ""
) -> list[Reply]:
    """Move the conversation to the text, naming what it is about (a text already kept is filed now)."""
    if kept:
        flow = await svc.conversations.flow(msg.chat.key)
        if flow is not None:
            await svc.conversations.end_flow(flow)
        return await _file(msg, svc, service, subject, kept)
    await svc.conversations.start_flow(msg.chat.key, FLOW, "text", _subject_data(subject), ttl=_ttl(service))
    about = say.subject_line(subject.kind.value, subject.ref, subject.name)
    return [Reply(text=say.feedback_ask_text(about, service.settings.max_length))]


async def _file(
    msg: Incoming, svc: Services, service: FeedbackService, subject: Subject, text: str
) -> list[Reply]:
    """Store the item and give its tracking number."""
    body = text.strip()
    if len(body) > service.settings.max_length:
        return [Reply(text=say.feedback_too_long(len(body), service.settings.max_length))]
    try:
        view = await service.file(msg.chat, msg.user_id, subject, body)
    except FilingLimitError:
        return [Reply(text=say.feedback_limit(service.settings.per_user_per_day))]
    except FilingError:
        return [Reply(text=say.FEEDBACK_EMPTY)]
    # Which unit handles a dossier is the dossier's data: named only for procedures and general feedback.
    unit = "" if subject.kind is Kind.DOSSIER else view.unit_name
    days = service.settings.overdue_working_days
    return [Reply(text=say.feedback_filed(view.number, unit, days, routed=view.unit_id is not None))]


@router.command("gopy")
async def give_feedback(msg: Incoming, svc: Services, command: Command) -> list[Reply]:
    """File feedback at once (``/gopy text``), or start the conversation (``/gopy``)."""
    service = _service(svc)
    if service is None:
        return _unavailable()
    if msg.chat.is_group:
        return [Reply(text=say.FEEDBACK_IN_PRIVATE)]
    args = command.args.strip()
    if not args:
        await svc.conversations.start_flow(msg.chat.key, FLOW, "about", {}, ttl=_ttl(service))
        return [
            Reply(text=f"{say.FEEDBACK_ASK_ABOUT}\n\n{say.FEEDBACK_USAGE_HINT}", buttons=_about_buttons())
        ]
    code = find_receipt_code(args)
    if code is not None:
        if not await service.dossier_known(code):
            return [Reply(text=say.feedback_dossier_not_found(code))]
        subject = Subject(Kind.DOSSIER, code)
        rest = re.sub(re.escape(code), "", args, count=1, flags=re.IGNORECASE).strip(" \t\n:-,.")
    else:
        first, _, after = args.partition(" ")
        proc = svc.procedures.get(first.strip(".,;:()[]<>\"'"))
        subject = Subject(Kind.PROCEDURE, proc.code, proc.name) if proc is not None else Subject.general()
        rest = after.strip() if proc is not None else args
    if not rest:
        return await _ask_text(msg, svc, service, subject)
    return await _file(msg, svc, service, subject, rest)


@router.payload(ABOUT_PREFIX)
async def about_pressed(msg: Incoming, svc: Services) -> list[Reply]:
    """A "what about" button, or a procedure picked from choices: the next question."""
    service = _service(svc)
    if service is None:
        return _unavailable()
    if msg.chat.is_group:
        return [Reply(text=say.FEEDBACK_IN_PRIVATE)]
    fields = (msg.payload or "").split(":", 2)
    if len(fields) == 3 and fields[1] == "tt":
        proc = svc.procedures.get(fields[2])
        if proc is None:
            return [Reply(text=say.feedback_procedure_not_found(one_line(fields[2], ECHO_MAX)))]
        subject = Subject(Kind.PROCEDURE, proc.code, proc.name)
        return await _ask_text(msg, svc, service, subject, await _kept(msg, svc))
    if len(fields) == 2 and fields[1] in ("gui", "guichung"):
        return await _send_kept(msg, svc, service, general=fields[1] == "guichung")
    step = _ABOUT.get(fields[1] if len(fields) > 1 else "")
    if step is None:
        return [Reply(text=say.FEEDBACK_ASK_ABOUT, buttons=_about_buttons())]
    if step == "text":
        return await _ask_text(msg, svc, service, Subject.general())
    await svc.conversations.start_flow(msg.chat.key, FLOW, step, {}, ttl=_ttl(service))
    return [Reply(text=say.FEEDBACK_ASK_PROCEDURE if step == "procedure" else say.FEEDBACK_ASK_DOSSIER)]


@flow_router.flow(FLOW)
async def conversation(msg: Incoming, svc: Services, flow: Flow) -> list[Reply]:
    """The answers of /gopy's conversation: what it is about, then the text."""
    service = _service(svc)
    if service is None or msg.chat.is_group:
        await svc.conversations.end_flow(flow)
        return [] if service is not None else _unavailable()
    typed = msg.text.strip()
    if flow.step == "text":
        if len(typed) > service.settings.max_length:
            # The flow stays: a shorter text is still welcome.
            return [Reply(text=say.feedback_too_long(len(typed), service.settings.max_length))]
        await svc.conversations.end_flow(flow)
        return await _file(msg, svc, service, _subject_of(flow), typed)
    kept = str(flow.data.get("text") or "") if flow.step == "confirm" else ""
    if fold(typed) in say.GENERAL_WORDS:
        return await _ask_text(msg, svc, service, Subject.general(), kept)
    code = find_receipt_code(typed)
    if code is None and len(typed.split()) >= LONG_WORDS:
        return await _keep_text(msg, svc, service, typed)
    if flow.step == "dossier" or code is not None:
        if code is None:
            return [Reply(text=say.feedback_dossier_invalid(one_line(typed, ECHO_MAX)))]
        if not await service.dossier_known(code):
            return [Reply(text=say.feedback_dossier_not_found(code))]
        rest = " ".join(re.sub(re.escape(code), " ", typed, count=1, flags=re.IGNORECASE).split()).strip(
            ":-,."
        )
        # A code with words around it carries the feedback too: nothing typed is lost.
        text = kept or (rest if len(rest.split()) >= 3 else "")
        return await _ask_text(msg, svc, service, Subject(Kind.DOSSIER, code), text)
    return await _procedure_typed(msg, svc, service, typed, kept)


async def _kept(msg: Incoming, svc: Services) -> str:
    """The text a /gopy conversation keeps waiting for its subject, if any."""
    flow = await svc.conversations.flow(msg.chat.key)
    if flow is None or flow.name != FLOW or flow.step != "confirm":
        return ""
    return str(flow.data.get("text") or "")


async def _keep_text(msg: Incoming, svc: Services, service: FeedbackService, typed: str) -> list[Reply]:
    """A long message where a subject was asked for: keep it as the feedback and ask to confirm it.

    It is about the procedure the search is sure of, else general; the resident sees which and chooses.
    """
    if len(typed) > service.settings.max_length:
        return [Reply(text=say.feedback_too_long(len(typed), service.settings.max_length))]
    result = await svc.procedures.search(typed, limit=1)
    hit = result.hits[0] if result.answer == "confident" and result.hits else None
    subject = Subject(Kind.PROCEDURE, hit.code, hit.name) if hit is not None else Subject.general()
    data: dict[str, str] = {**_subject_data(subject), "text": typed}
    await svc.conversations.start_flow(msg.chat.key, FLOW, "confirm", data, ttl=_ttl(service))
    about = say.subject_line(subject.kind.value, subject.ref, subject.name)
    buttons = [Button(say.SEND_KEPT, f"{ABOUT_PREFIX}:gui")]
    if hit is not None:
        buttons.append(Button(say.SEND_KEPT_GENERAL, f"{ABOUT_PREFIX}:guichung"))
    return [Reply(text=say.feedback_confirm(about, one_line(typed, ECHO_MAX)), buttons=tuple(buttons))]


async def _send_kept(msg: Incoming, svc: Services, service: FeedbackService, *, general: bool) -> list[Reply]:
    """File the text kept by :func:`_keep_text` (as general feedback when asked)."""
    flow = await svc.conversations.flow(msg.chat.key)
    if flow is None or flow.name != FLOW or flow.step != "confirm" or not flow.data.get("text"):
        return [Reply(text=say.FEEDBACK_KEPT_GONE)]
    await svc.conversations.end_flow(flow)
    subject = Subject.general() if general else _subject_of(flow)
    return await _file(msg, svc, service, subject, str(flow.data["text"]))


async def _procedure_typed(
    msg: Incoming, svc: Services, service: FeedbackService, typed: str, kept: str = ""
) -> list[Reply]:
    """A procedure by code, or by name through the search (choices when unsure); files ``kept`` if any."""
    proc = svc.procedures.get(typed.strip(".,;:()[]<>\"'"))
    if proc is not None:
        return await _ask_text(msg, svc, service, Subject(Kind.PROCEDURE, proc.code, proc.name), kept)
    result = await svc.procedures.search(typed, limit=CHOICES_MAX)
    if result.answer == "confident" and result.hits:
        hit = result.hits[0]
        return await _ask_text(msg, svc, service, Subject(Kind.PROCEDURE, hit.code, hit.name), kept)
    if result.answer == "choices" and result.hits:
        buttons = tuple(Button(one_line(h.name, 60), f"{ABOUT_PREFIX}:tt:{h.code}") for h in result.hits)
        return [Reply(text=say.FEEDBACK_PICK_PROCEDURE, buttons=buttons)]
    return [Reply(text=say.feedback_procedure_not_found(one_line(typed, ECHO_MAX)))]


@router.command("traloi")
async def answer(msg: Incoming, svc: Services, command: Command) -> list[Reply]:
    """Staff answer an item: ``/traloi GY-000123 text``; the answer goes back to the resident."""
    service = _service(svc)
    if service is None:
        return _unavailable()
    actor = await svc.people.actor(msg.chat.platform, msg.user_id)
    if actor.role not in STAFF_ROLES:
        return [Reply(text=say.TRALOI_NOT_STAFF)]
    parts = command.args.strip().split(maxsplit=1)
    item_id = parse_number(parts[0]) if parts else None
    text = parts[1].strip() if len(parts) == 2 else ""
    if item_id is None or not text:
        if parts and item_id is None:
            return [Reply(text=say.traloi_unknown(one_line(parts[0], ECHO_MAX)))]
        return [Reply(text=say.TRALOI_USAGE)]
    if len(text) > service.settings.max_length:
        return [Reply(text=say.traloi_too_long(len(text), service.settings.max_length))]
    result = await service.answer(actor, item_id, text)
    number, view = format_number(item_id), result.view
    if result.outcome is AnswerOutcome.ANSWERED:
        return [Reply(text=say.traloi_done(number))]
    if result.outcome is AnswerOutcome.CLOSED and view is not None:
        return [
            Reply(text=say.traloi_closed(number, view.answered_by, view.answered_at, svc.config.timezone))
        ]
    if result.outcome is AnswerOutcome.NOT_YOURS and view is not None:
        return [Reply(text=say.traloi_not_yours(number, view.unit_name))]
    if result.outcome is AnswerOutcome.NOT_STAFF:
        return [Reply(text=say.TRALOI_NOT_STAFF)]
    return [Reply(text=say.traloi_unknown(number))]


@router.payload(RATE_PREFIX)
async def rate(msg: Incoming, svc: Services) -> list[Reply]:
    """The resident's 1-5 rating of an answer (pressed, or typed as a number on Zalo)."""
    service = _service(svc)
    if service is None:
        return _unavailable()
    fields = (msg.payload or "").split(":")
    if len(fields) != 3 or not fields[1].isdigit() or not re.fullmatch(r"[1-5]", fields[2]):
        return [Reply(text=say.FEEDBACK_RATE_INVALID)]
    score = int(fields[2])
    outcome = await service.rate(msg.chat.platform, msg.user_id, int(fields[1]), score)
    if outcome is RateOutcome.NOT_ANSWERED:
        return [Reply(text=say.FEEDBACK_RATE_NOT_YET)]
    if outcome is RateOutcome.UNKNOWN:
        return [Reply(text=say.FEEDBACK_RATE_INVALID)]
    return [Reply(text=say.feedback_rated(score, updated=outcome is RateOutcome.UPDATED))]
