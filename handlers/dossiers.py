"""Dossier status in the chat: /hoso, codes pasted anywhere, /theodoi with its second factor, /huy, ratings.

Anyone holding a receipt code sees status only (the code is guessable); following a dossier needs the
last 4 digits of the applicant's phone, asked only in a private chat. Codes are validated before any
query, lookups are rate-limited per user and wrong digits lock the user out for a while
(:mod:`bot.services.dossiers.subscriptions`).
"""

from __future__ import annotations

import contextlib
import re
from datetime import datetime, timedelta

from bot import texts
from bot.markup import bold, esc
from bot.messages import Incoming, Platform, Reply
from bot.routing import RECEIPT_CODES, Command, Router
from bot.services import Flow, Services, StaleFlow
from bot.services.dossiers.events import Status, find_receipt_code, normalize_receipt_code
from bot.services.dossiers.service import DossierService
from bot.services.dossiers.subscriptions import Rating, SubscriptionService, Verification, user_key
from bot.services.dossiers.views import DossierView
from handlers.cards import one_line
from handlers.dossier_notices import RATE_PREFIX

router: Router[Services] = Router()
"""Commands and payloads; they need no flow store."""
flow_router: Router[Services] = Router()
"""The answers to the questions /theodoi and a rating ask (the dispatcher needs a flow store)."""

FOLLOW_FLOW = "dossier_follow"
COMMENT_FLOW = "dossier_comment"
HISTORY_LINES = 5
NOTE_MAX = 300
ECHO_MAX = 40
_PHONE_TYPED = re.compile(r"^\+?[0-9\s.\-()]{4,20}$")


def status_card(view: DossierView, timezone: str, *, follow_hint: bool = True) -> str:
    """The public status of a dossier: no personal data, dates in the centre's time zone."""

    def when(at: datetime | None) -> str:
        return texts.dossier_time(at, timezone) if at is not None else texts.DOSSIER_NO_DUE

    lines = [
        f"<b>{texts.DOSSIER_TITLE} {esc(view.code)}</b>",
        f"{texts.DOSSIER_STATUS_LABEL}: {bold(texts.dossier_status_word(view.status))}",
    ]
    if view.procedure_name or view.procedure_code:
        name = esc(one_line(view.procedure_name, NOTE_MAX)) if view.procedure_name else ""
        code = f"<code>{esc(view.procedure_code)}</code>" if view.procedure_code else ""
        lines.append(f"{texts.DOSSIER_PROCEDURE}: " + (f"{name} ({code})" if name and code else name or code))
    if view.agency:
        lines.append(f"{texts.DOSSIER_AGENCY}: {esc(one_line(view.agency, NOTE_MAX))}")
    lines.append(f"{texts.DOSSIER_RECEIVED}: {when(view.received_at)}")
    lines.append(f"{texts.DOSSIER_DUE}: {when(view.due_at)}")
    timeliness = texts.DOSSIER_TIMELINESS.get(view.timeliness, view.timeliness)
    lines.append(f"{texts.DOSSIER_TIMELINESS_LABEL}: {esc(timeliness)}")
    if view.result_delivery:
        lines.append(f"{texts.DOSSIER_DELIVERY}: {esc(one_line(view.result_delivery, NOTE_MAX))}")
    if view.note:
        lines.append(f"{texts.DOSSIER_NOTE}: {esc(one_line(view.note, NOTE_MAX))}")
    lines.append(f"{texts.DOSSIER_UPDATED}: {when(view.status_at)}")
    history = sorted(view.history, key=lambda entry: entry.at)[-HISTORY_LINES:]
    if history:
        lines.append("")
        lines.append(f"<b>{texts.DOSSIER_HISTORY}</b>")
        for entry in history:
            line = f"• {when(entry.at)}: {esc(texts.dossier_status_word(entry.status))}"
            if entry.note:
                line += f" ({esc(one_line(entry.note, NOTE_MAX))})"
            lines.append(line)
    lines.append("")
    lines.append(texts.dossier_follow_hint(view.code) if follow_hint else texts.FOLLOW_IN_A_CHAT_APP)
    return "\n".join(lines)


async def show_status(code: str, msg: Incoming, svc: Services) -> list[Reply]:
    """The status of a validated code, within the user's lookup budget."""
    dossiers, subscriptions = svc.dossiers, svc.subscriptions
    if not await subscriptions.allow_lookup(user_key(msg.chat, msg.user_id)):
        return [Reply(text=texts.DOSSIER_RATE_LIMITED)]
    view = await dossiers.lookup(code)
    if view is None:
        return [Reply(text=texts.dossier_not_found(code, svc.config.centre))]
    web = msg.chat.platform is Platform.WEB
    return [Reply(text=status_card(view, svc.config.timezone, follow_hint=not web))]


def _invalid(args: str) -> list[Reply]:
    return [Reply(text=texts.dossier_code_invalid(one_line(args, ECHO_MAX)))]


@router.command("hoso")
async def dossier_status(msg: Incoming, svc: Services, command: Command) -> list[Reply]:
    """Show a dossier's status by receipt code, or how to ask."""
    args = command.args
    if not args:
        return [Reply(text=texts.DOSSIER_USAGE)]
    code = find_receipt_code(args)
    if code is None:
        return _invalid(args)
    return await show_status(code, msg, svc)


def has_receipt_code(text: str) -> bool:
    """True when a receipt code appears anywhere in ``text``."""
    return find_receipt_code(text) is not None


@router.passive(has_receipt_code, priority=RECEIPT_CODES)
async def pasted_code(msg: Incoming, svc: Services) -> list[Reply]:
    """Free text holding a receipt code: the status of that dossier."""
    code = find_receipt_code(msg.text)
    return [] if code is None else await show_status(code, msg, svc)


def _time(svc: Services, at: datetime | None) -> str:
    return texts.dossier_time(at, svc.config.timezone) if at is not None else ""


@router.command("theodoi")
async def follow(msg: Incoming, svc: Services, command: Command) -> list[Reply]:
    """Follow a dossier (after the second factor, in private), or list what this chat follows."""
    dossiers, subscriptions = svc.dossiers, svc.subscriptions
    args = command.args
    if not args:
        return await _list(msg, svc, dossiers, subscriptions)
    code = find_receipt_code(args)
    if code is None:
        return _invalid(args)
    if msg.chat.platform is Platform.WEB:
        # An anonymous web session is a new chat at will: its tries at the phone digits could not be
        # counted against anyone, so following (and its second factor) stays in the chat apps.
        return [Reply(text=texts.FOLLOW_IN_A_CHAT_APP)]
    user = user_key(msg.chat, msg.user_id)
    if not await subscriptions.allow_lookup(user):
        return [Reply(text=texts.DOSSIER_RATE_LIMITED)]
    if await dossiers.lookup(code) is None:
        return [Reply(text=texts.dossier_not_found(code, svc.config.centre))]
    if await subscriptions.is_subscribed(code, msg.chat):
        return [Reply(text=texts.already_subscribed(code))]
    if msg.chat.is_group:
        # Personal data (even 4 digits) is asked only in private; a member verified there may add the group.
        if await subscriptions.verified_by(code, msg.chat, msg.user_id):
            await subscriptions.subscribe(code, msg.chat, msg.user_id)
            return [Reply(text=texts.group_subscribed(code))]
        return [Reply(text=texts.verify_in_private(code))]
    until = await subscriptions.locked_until(user)
    if until is not None:
        return [Reply(text=texts.verification_locked(_time(svc, until)))]
    minutes = svc.config.dossiers.subscription_flow_minutes
    await svc.conversations.start_flow(
        msg.chat.key, FOLLOW_FLOW, "digits", {"code": code}, ttl=timedelta(minutes=minutes)
    )
    return [Reply(text=texts.ask_phone_digits(code, minutes))]


async def _list(
    msg: Incoming, svc: Services, dossiers: DossierService, subscriptions: SubscriptionService
) -> list[Reply]:
    followed = await subscriptions.of_chat(msg.chat)
    if not followed:
        return [Reply(text=texts.NO_SUBSCRIPTIONS)]
    lines = []
    for item in followed:
        view = await dossiers.lookup(item.code)
        lines.append((item.code, texts.dossier_status_word(view.status) if view else ""))
    return [Reply(text=texts.subscriptions_list(lines))]


@flow_router.flow(FOLLOW_FLOW)
async def follow_answer(msg: Incoming, svc: Services, flow: Flow) -> list[Reply]:
    """Check the digits typed after /theodoi CODE: subscribe, say how many tries are left, or lock out."""
    code = str(flow.data.get("code", ""))
    if msg.chat.is_group or normalize_receipt_code(code) is None:
        await svc.conversations.end_flow(flow)
        return []
    typed = msg.text.strip()
    if not _PHONE_TYPED.match(typed):
        return [Reply(text=texts.ASK_DIGITS_AGAIN)]
    # Claim the step first: of two answers racing, only one is checked (and counted).
    flow = await svc.conversations.advance(flow, "digits")
    result = await svc.subscriptions.verify(code, msg.chat, msg.user_id, typed)
    if result.outcome is Verification.WRONG and result.tries_left > 0:
        return [Reply(text=texts.wrong_digits(result.tries_left))]
    # Another answer may have moved the flow on meanwhile; it answers for itself.
    with contextlib.suppress(StaleFlow):
        await svc.conversations.end_flow(flow)
    if result.outcome is Verification.SUBSCRIBED:
        return [Reply(text=texts.subscribed(code))]
    return [Reply(text=texts.verification_locked(_time(svc, result.locked_until)))]


@router.command("huy")
async def cancel(msg: Incoming, svc: Services, command: Command) -> list[Reply]:
    """Stop following a dossier; alone, confirm that whatever was going on has stopped."""
    args = command.args
    if not args:
        # The dispatcher already ended the chat's flow: every command does.
        return [Reply(text=texts.CANCELLED)]
    code = find_receipt_code(args)
    if code is None:
        return _invalid(args)
    if await svc.subscriptions.unsubscribe(code, msg.chat):
        return [Reply(text=texts.unsubscribed(code))]
    return [Reply(text=texts.not_subscribed(code))]


@router.payload(RATE_PREFIX)
async def rate(msg: Incoming, svc: Services) -> list[Reply]:
    """Store a 1-5 rating pressed (or typed as a number) under a "returned" notice; then ask for a comment."""
    dossiers, subscriptions = svc.dossiers, svc.subscriptions
    fields = (msg.payload or "").split(":")
    code = normalize_receipt_code(fields[1]) if len(fields) == 3 else None
    if code is None or not re.fullmatch(r"[1-5]", fields[2]):
        return [Reply(text=texts.RATING_INVALID)]
    score = int(fields[2])
    view = await dossiers.lookup(code)
    if view is None:
        return [Reply(text=texts.RATING_INVALID)]
    if view.status is not Status.RETURNED:
        return [Reply(text=texts.RATING_NOT_YET)]
    outcome = await subscriptions.rate(code, msg.chat, msg.user_id, score)
    if outcome is Rating.NOT_SUBSCRIBED:
        return [Reply(text=texts.RATING_NOT_ALLOWED)]
    await svc.conversations.start_flow(
        msg.chat.key,
        COMMENT_FLOW,
        "comment",
        {"code": code},
        ttl=timedelta(minutes=svc.config.dossiers.subscription_flow_minutes),
    )
    return [Reply(text=texts.rating_thanks(score, updated=outcome is Rating.UPDATED))]


@flow_router.flow(COMMENT_FLOW)
async def comment(msg: Incoming, svc: Services, flow: Flow) -> list[Reply]:
    """Store the optional comment after a rating."""
    await svc.conversations.end_flow(flow)
    code = str(flow.data.get("code", ""))
    if normalize_receipt_code(code) is None:
        return [Reply(text=texts.DOSSIERS_UNAVAILABLE)]
    await svc.subscriptions.comment(code, msg.chat, msg.user_id, msg.text)
    return [Reply(text=texts.COMMENT_THANKS)]


@router.command("boqua")
async def skip(msg: Incoming, svc: Services, command: Command) -> list[Reply]:
    """Skip the comment (the dispatcher already ended the flow, as for any command)."""
    return [Reply(text=texts.COMMENT_SKIPPED)]
