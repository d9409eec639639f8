"""How a directive, a reminder and an escalation read: Vietnamese, urgency marked, an "Đã nhận" button.

The directive service decides *who* receives *which* directive (and writes it to the outbox); this
module decides *what* they read. The service renders per platform: Telegram users get the "Đã nhận"
button alone; on Zalo (and in the terminal), which have no buttons, the button becomes choice 1 and
the text asks for the reply "đã nhận" instead.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot import texts
from bot.markup import bold, esc
from bot.messages import Button, Platform, Reply
from bot.services.directives import (
    ACK_PREFIX,
    DirectiveRenderer,
    DirectiveView,
    EscalationRenderer,
    ReminderRenderer,
    Urgency,
)

ESCALATION_NAMES = 20
"""How many missing names an escalation lists before "… và N người khác"."""


def ack_payload(directive_id: int) -> str:
    """The payload of the "Đã nhận" button of a directive: ``ack:<id>``."""
    return f"{ACK_PREFIX}{directive_id}"


def ack_buttons(directive: DirectiveView) -> tuple[Button, ...]:
    """The "Đã nhận" button when acknowledgement is required (Zalo shows it as choice 1)."""
    if not directive.ack_required:
        return ()
    return (Button(texts.DIRECTIVE_ACK_BUTTON, ack_payload(directive.id)),)


def directive_text(
    directive: DirectiveView,
    timezone: str,
    platform: Platform | None = None,
    acknowledged: Sequence[str] = (),
) -> str:
    """The directive as staff read it, with who acknowledged; TELEGRAM leaves out the "reply" line."""
    head = texts.DIRECTIVE_URGENT if directive.urgency is Urgency.KHAN else texts.DIRECTIVE_NORMAL
    lines = [
        f"{head} ({texts.directive_number(directive.id)})",
        bold(directive.title),
        "",
        esc(directive.body),
    ]
    if directive.link_url:
        lines += ["", texts.directive_link(directive.link_url)]
    if directive.image_url:
        lines += ["", texts.directive_link(directive.image_url)]
    if directive.ack_required:
        lines.append("")
        if directive.ack_deadline is not None:
            lines.append(texts.directive_deadline(texts.dossier_time(directive.ack_deadline, timezone)))
        if platform is not Platform.TELEGRAM:
            lines.append(texts.DIRECTIVE_ACK_REPLY_LINE)
        if acknowledged:
            lines.append(texts.directive_acknowledged_by(list(acknowledged)))
    return "\n".join(lines)


def render_directive(
    directive: DirectiveView,
    occurrence: str,
    acknowledged: Sequence[str] = (),
    *,
    timezone: str,
    platform: Platform | None = None,
) -> Reply:
    """One occurrence of a directive: text (with who acknowledged, once someone has) and the button."""
    text = directive_text(directive, timezone, platform, acknowledged)
    return Reply(text=text, buttons=ack_buttons(directive))


def directive_renderer(timezone: str = "Asia/Ho_Chi_Minh") -> DirectiveRenderer:
    """The renderer the composition root gives the directive service (dates in ``timezone``)."""

    def render(
        directive: DirectiveView,
        occurrence: str,
        acknowledged: Sequence[str] = (),
        platform: Platform | None = None,
    ) -> Reply:
        """Turn one occurrence into the message the chats of ``platform`` read."""
        return render_directive(directive, occurrence, acknowledged, timezone=timezone, platform=platform)

    return render


def reminder_renderer(timezone: str = "Asia/Ho_Chi_Minh") -> ReminderRenderer:
    """Reminder number ``n``: the directive again with the button; to a group, who is still missing."""

    def render(
        directive: DirectiveView, number: int, missing: Sequence[str], platform: Platform | None = None
    ) -> Reply:
        """Turn one reminder into a message for ``platform``."""
        text = texts.reminder_head(number) + "\n\n" + directive_text(directive, timezone, platform)
        if missing:
            shown = list(missing[:ESCALATION_NAMES])
            text += "\n\n" + texts.reminder_missing(shown, len(missing) - len(shown))
        return Reply(text=text, buttons=ack_buttons(directive))

    return render


def render_escalation(directive: DirectiveView, reminders: int, unit: str, missing: Sequence[str]) -> Reply:
    """What a unit's leader reads after ``reminders`` reminders: who is still missing (the first names)."""
    shown = list(missing[:ESCALATION_NAMES])
    more = len(missing) - len(shown)
    return Reply(text=texts.escalation(directive.title, directive.id, reminders, unit, shown, more))


escalation_renderer: EscalationRenderer = render_escalation
"""The escalation renderer the composition root gives the directive service."""
