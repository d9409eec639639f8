"""The directive service as the bot builds it (the handlers' renderers, APScheduler's cron reader)."""

from __future__ import annotations

from typing import Any

from bot.services.directives import DirectiveService
from bot.storage import SessionFactory
from handlers.directive_render import directive_renderer, escalation_renderer, reminder_renderer
from jobs.schedules import next_fire

TIMEZONE = "Asia/Ho_Chi_Minh"


def directive_service(sessions: SessionFactory, **settings: Any) -> DirectiveService:
    """A directive service over ``sessions``; ``settings`` override the bot's (clock, quiet hours...)."""
    defaults: dict[str, Any] = {
        "render": directive_renderer(TIMEZONE),
        "render_reminder": reminder_renderer(TIMEZONE),
        "render_escalation": escalation_renderer,
        "next_fire": next_fire,
        "timezone": TIMEZONE,
    }
    return DirectiveService(sessions, **{**defaults, **settings})
