"""What the directive service asks of the renderers it is given (the texts live with the handlers)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

from bot.messages import Platform, Reply
from bot.services.directives.model import DirectiveView


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
