"""Renderer protocols and the plain default renderers used by tests and the CLI."""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from typing import Protocol

from bot.messages import Button, Platform, Reply
from bot.services.directives.model import ACK_PREFIX, DirectiveView


class DirectiveRenderer(Protocol):
    """Builds the message of one occurrence of a directive for a platform (None: any).

    ``acknowledged`` names who acknowledged in that chat; the platform lets Telegram show only the
    button and Zalo the line asking for the reply "đã nhận".
    """

    def __call__(
        self,
        directive: DirectiveView,
        occurrence: str,
        acknowledged: Sequence[str] = (),
        platform: Platform | None = None,
    ) -> Reply:
        """Render one occurrence."""
        ...


class ReminderRenderer(Protocol):
    """Builds reminder number ``n``: to a person (no names) or to a group (the members still missing)."""

    def __call__(
        self,
        directive: DirectiveView,
        number: int,
        missing: Sequence[str],
        platform: Platform | None = None,
    ) -> Reply:
        """Render one reminder."""
        ...


EscalationRenderer = Callable[[DirectiveView, int, str, Sequence[str]], Reply]
"""Builds the message to a unit's leader (directive, reminders sent, unit name, who is still missing)."""


def default_render(
    directive: DirectiveView,
    occurrence: str,
    acknowledged: Sequence[str] = (),
    platform: Platform | None = None,
) -> Reply:
    """A plain rendering (title, body, link, who acknowledged, button) for tests and the CLI."""
    parts = [f"<b>{html.escape(directive.title)}</b>", html.escape(directive.body)]
    if directive.link_url:
        parts.append(html.escape(directive.link_url))
    if directive.ack_required and platform is not Platform.TELEGRAM:
        parts.append("Trả lời “đã nhận” để xác nhận")
    if acknowledged:
        parts.append("Đã nhận: " + ", ".join(html.escape(name) for name in acknowledged))
    buttons = (Button("Đã nhận", f"{ACK_PREFIX}{directive.id}"),) if directive.ack_required else ()
    return Reply("\n\n".join(parts), buttons)


def default_reminder(
    directive: DirectiveView, number: int, missing: Sequence[str], platform: Platform | None = None
) -> Reply:
    """A plain reminder for tests and the CLI."""
    text = f"Nhắc lần {number}: {html.escape(directive.title)}"
    if missing:
        text += "\n\nChưa nhận: " + ", ".join(html.escape(name) for name in missing)
    buttons = (Button("Đã nhận", f"{ACK_PREFIX}{directive.id}"),)
    return Reply(text, buttons)


def default_escalation(directive: DirectiveView, reminders: int, unit: str, missing: Sequence[str]) -> Reply:
    """A plain escalation for tests and the CLI."""
    names = ", ".join(html.escape(name) for name in missing)
    head = f"Chưa nhận chỉ đạo #{directive.id} {html.escape(directive.title)}"
    return Reply(f"{head} sau {reminders} lần nhắc ({html.escape(unit)}): {names}")
