"""The staff console ``/console``: login by a one-time link from ``/web``, server-side sessions, CSRF-checked
forms, and the pages each role may open (figures, directives, unanswered questions, feedback, audit log)."""

from __future__ import annotations

from aiohttp import web

from bot.adapters.web.console import directives, feedback, figures, posters, questions, session


def register(app: web.Application) -> None:
    """Add every console route."""
    session.register(app)
    directives.register(app)
    figures.register(app)
    questions.register(app)
    feedback.register(app)
    posters.register(app)
