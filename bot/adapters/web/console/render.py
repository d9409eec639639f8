"""Console pages: every template gets the session (name, role, CSRF token) and the menu its role sees."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bot.adapters.web.console.auth import ADMINS, AUTHORS
from bot.adapters.web.pages import pages
from bot.services.web_login import ConsoleSession
from bot.texts import web_console as say


def menu(current: ConsoleSession) -> list[tuple[str, str]]:
    """(address, label) of the sections this role may open."""
    items = [("/console/figures", say.NAV_FIGURES)]
    if current.role in AUTHORS:
        items.append(("/console/directives", say.NAV_DIRECTIVES))
    items += [("/console/questions", say.NAV_UNANSWERED), ("/console/feedback", say.NAV_FEEDBACK)]
    items.append(("/console/posters", say.NAV_POSTERS))
    if current.role in ADMINS:
        items.append(("/console/audit", say.NAV_AUDIT))
    return items


def page(
    request: web.Request, current: ConsoleSession, template: str, *, status: int = 200, **context: Any
) -> web.Response:
    """Render a console page; never kept by the browser (feedback and audit must not outlive a logout)."""
    response = pages(request).response(
        template,
        status=status,
        say=say,
        me=current,
        menu=menu(current),
        role_name=say.ROLES.get(current.role.value, ""),
        **context,
    )
    response.headers["Cache-Control"] = "no-store"
    return response
