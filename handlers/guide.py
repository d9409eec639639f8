"""Guide mode: /dongy gives a resident a consent code; /huongdan lets a guide send them a card with it.

A guide sits next to a resident. The resident sends /dongy (or presses its button under /start on
Telegram) in their own chat and reads the 6-digit code out. The guide, in a private chat:

- ``/huongdan`` alone: asked for the code, then for the procedure;
- ``/huongdan 123456``: asked for the procedure;
- ``/huongdan 123456 đăng ký khai sinh``: sent at once when the search is sure.

When the search offers choices, the guide picks one (button or number). The card goes to the resident's
own chat on their own platform through the outbox, and the guide sees the same card. One code sends one
card. The flow (``guide``) keeps the accepted consent's id; the card is queued only by the service,
which checks that this guide took that consent and that it has not sent a card yet.
"""

from __future__ import annotations

from datetime import timedelta

from bot import texts
from bot.messages import Button, Incoming, Platform, Reply
from bot.routing import Command, Router
from bot.services import Flow, Services
from bot.services.guide import CodeLimitError, ConsentOutcome, normalize_consent_code
from bot.services.people import Actor, Role
from bot.texts import guide as say
from handlers.card_sections import section_buttons
from handlers.cards import QUERY_MAX, tidy
from handlers.choices import distinct_labels
from handlers.procedures import card_reply
from handlers.short_card import render_short_card
from knowledge.model import Procedure

router: Router[Services] = Router()
"""/dongy, its button, /huongdan and the guide's choices."""
flow_router: Router[Services] = Router()
"""The guide's typed answers: the code, then the procedure."""

FLOW = "guide"
CONSENT_PREFIX = "dongy"
"""Payload of the resident's button: ``dongy:new``."""
CONSENT_PAYLOAD = f"{CONSENT_PREFIX}:new"
PICK_PREFIX = "hd"
"""Payload of the guide's choices: ``hd:<procedure code>``."""
GUIDES = (Role.GUIDE, Role.ADMIN)


def consent_button() -> Button:
    """The button (Telegram) that gives the resident a consent code."""
    return Button(say.CONSENT_BUTTON, CONSENT_PAYLOAD)


def consent_buttons(platform: Platform) -> tuple[Button, ...]:
    """The consent button where buttons show (Telegram); elsewhere /dongy is typed."""
    return (consent_button(),) if platform is Platform.TELEGRAM else ()


async def _consent(msg: Incoming, svc: Services) -> list[Reply]:
    if msg.chat.is_group:
        return [Reply(text=say.CONSENT_PRIVATE_ONLY)]
    try:
        issued = await svc.guide.issue(msg.chat, msg.user_id)
    except CodeLimitError:
        return [Reply(text=say.CONSENT_LIMIT)]
    until = texts.dossier_time(issued.expires_at, svc.config.timezone)[-5:]
    return [Reply(text=say.consent_code(issued.code, svc.guide.settings.code_minutes, until))]


@router.command("dongy")
async def consent_command(msg: Incoming, svc: Services, command: Command) -> list[Reply]:
    """``/dongy``: a one-time consent code for the guide helping this resident, in their own chat."""
    return await _consent(msg, svc)


@router.payload(CONSENT_PREFIX)
async def consent_pressed(msg: Incoming, svc: Services) -> list[Reply]:
    """The consent button: the same as /dongy."""
    return await _consent(msg, svc)


async def _guide(msg: Incoming, svc: Services) -> Actor | None:
    actor = await svc.people.actor(msg.chat.platform, msg.user_id)
    return actor if actor.role in GUIDES and actor.person_id is not None else None


def _ttl(svc: Services) -> timedelta:
    return timedelta(minutes=svc.guide.settings.session_minutes)


@router.command("huongdan")
async def guide_command(msg: Incoming, svc: Services, command: Command) -> list[Reply]:
    """``/huongdan [CODE] [QUERY]``: look a procedure up for a resident and send it to their chat."""
    actor = await _guide(msg, svc)
    if actor is None:
        return [Reply(text=say.GUIDE_REFUSED)]
    if msg.chat.is_group:
        return [Reply(text=say.GUIDE_PRIVATE_ONLY)]
    first, _, rest = command.args.partition(" ")
    code = normalize_consent_code(first)
    query = rest.strip() if code is not None else command.args.strip()
    flow = await svc.conversations.start_flow(msg.chat.key, FLOW, "code", {"query": query}, ttl=_ttl(svc))
    if code is None:
        return [Reply(text=say.ASK_CODE)]
    return await _code_entered(msg, svc, actor, flow, code)


async def _code_entered(msg: Incoming, svc: Services, actor: Actor, flow: Flow, code: str) -> list[Reply]:
    """Check the code; accepted, go on to the procedure (searching the query typed with it, if any)."""
    # Claim the step first: of two codes typed at once, only one is checked.
    flow = await svc.conversations.advance(flow, "checking", ttl=_ttl(svc))
    result = await svc.guide.redeem(actor, code)
    if result.outcome is ConsentOutcome.LOCKED:
        await svc.conversations.end_flow(flow)
        until = result.locked_until
        return [Reply(text=say.code_locked(texts.dossier_time(until, svc.config.timezone) if until else ""))]
    if result.outcome is not ConsentOutcome.ACCEPTED or result.consent_id is None:
        await svc.conversations.advance(flow, "code", ttl=_ttl(svc))
        refusal = {
            ConsentOutcome.EXPIRED: say.code_expired(svc.guide.settings.code_minutes),
            ConsentOutcome.USED: say.CODE_USED,
            ConsentOutcome.OWN: say.CODE_OWN,
        }.get(result.outcome, say.CODE_WRONG)
        return [Reply(text=refusal)]
    flow = await svc.conversations.advance(flow, "query", {"consent": result.consent_id}, ttl=_ttl(svc))
    query = str(flow.data.get("query") or "")
    if not query:
        return [Reply(text=say.ASK_PROCEDURE)]
    return [Reply(text=say.CODE_ACCEPTED), *await _search(msg, svc, actor, flow, query)]


async def _search(msg: Incoming, svc: Services, actor: Actor, flow: Flow, query: str) -> list[Reply]:
    """A procedure by code or by search: sure, send it; else choices, or ask again."""
    if len(query) > QUERY_MAX:
        return [Reply(text=texts.too_long(QUERY_MAX))]
    query = tidy(query)
    if not query:
        return [Reply(text=say.ASK_QUERY_AGAIN)]
    typed = svc.procedures.get(query.split()[0].strip(".,;:()[]<>\"'"))
    if typed is not None:
        return await _send(msg, svc, actor, flow, typed)
    result = await svc.procedures.search(query, limit=svc.config.search.max_choices)
    if result.answer == "none" or not result.hits:
        return [Reply(text=say.NOT_FOUND)]
    procs = [svc.procedures.get(hit.code) or Procedure(code=hit.code, name=hit.name) for hit in result.hits]
    if result.answer == "confident" or len(procs) == 1:
        return await _send(msg, svc, actor, flow, procs[0])
    labels = distinct_labels(procs)
    buttons = tuple(
        Button(label, f"{PICK_PREFIX}:{proc.code}") for proc, label in zip(procs, labels, strict=True)
    )
    return [Reply(text=say.CHOOSE, buttons=buttons)]


async def _send(msg: Incoming, svc: Services, actor: Actor, flow: Flow, proc: Procedure) -> list[Reply]:
    """Queue the card to the resident and show it to the guide; the flow ends first (one card per code)."""
    consent = flow.data.get("consent")
    await svc.conversations.end_flow(flow)
    if not isinstance(consent, int):
        return [Reply(text=say.SESSION_GONE)]
    portal = svc.config.centre.portal_url
    guide = await svc.people.person(actor.person_id) if actor.person_id is not None else None
    intro = say.card_from_guide(guide.name if guide else "")
    card = Reply(
        text=f"{intro}\n\n{render_short_card(proc, portal_url=portal)}", buttons=section_buttons(proc)
    )
    if not await svc.guide.send_card(actor, consent, proc.code, card):
        return [Reply(text=say.SESSION_GONE)]
    return [Reply(text=say.card_sent(proc.name, proc.code)), card_reply(proc, svc)]


@flow_router.flow(FLOW)
async def flow_answer(msg: Incoming, svc: Services, flow: Flow) -> list[Reply]:
    """The guide's typed code, then the procedure."""
    actor = await _guide(msg, svc)
    if actor is None or msg.chat.is_group:
        await svc.conversations.end_flow(flow)
        return [Reply(text=say.GUIDE_REFUSED)] if actor is None else []
    if flow.step in ("code", "checking"):
        code = normalize_consent_code(msg.text)
        if code is None:
            return [Reply(text=say.CODE_FORMAT)]
        return await _code_entered(msg, svc, actor, flow, code)
    return await _search(msg, svc, actor, flow, msg.text)


@router.payload(PICK_PREFIX)
async def picked(msg: Incoming, svc: Services) -> list[Reply]:
    """A procedure the guide picked from the choices: send it, if the session still holds a consent."""
    actor = await _guide(msg, svc)
    if actor is None:
        return [Reply(text=say.GUIDE_REFUSED)]
    flow = await svc.conversations.flow(msg.chat.key)
    code = (msg.payload or "").partition(":")[2]
    proc = svc.procedures.get(code) if code else None
    if flow is None or flow.name != FLOW or flow.step != "query" or proc is None:
        return [Reply(text=say.SESSION_GONE)]
    return await _send(msg, svc, actor, flow, proc)
