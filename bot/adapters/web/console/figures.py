"""Figures per agency and period, from the report's sections (as ``motcua report`` computes them), drawn
as small server-rendered SVG bars: no script, nothing from another site."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

from aiohttp import web

from bot.adapters.web.console.auth import STAFF, console, guarded
from bot.adapters.web.console.render import page
from bot.reporting.text import label, section_title, shown
from bot.services.report.sections import Section
from bot.services.web_login import ConsoleSession
from bot.texts import report as words
from bot.texts import web_console as say

BAR_WIDTH = 220
AGENCY_MAX = 120


@dataclass(frozen=True, slots=True)
class Row:
    """One figure as shown: label, value as text, and its bar's length in pixels (0: no bar)."""

    label: str
    shown: str
    bar: int


def rows(section: Section, agency: str = "") -> list[Row]:
    """The section's lines, labelled and shown as the CLI's report does, counts with bars to scale."""
    counts = [line.value for line in section.lines if line.format == "count" and isinstance(line.value, int)]
    top = max(counts, default=0)
    found = []
    for line in section.lines:
        value = line.value
        bar = 0
        if line.format == "count" and isinstance(value, int) and top:
            bar = max(1, round(BAR_WIDTH * value / top)) if value else 0
        found.append(Row(label(line, agency), shown(line), bar))
    return found


def _day(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


@guarded(STAFF)
async def figures(request: web.Request, current: ConsoleSession) -> web.Response:
    """The figures of the last week or month, or of chosen days, for one agency or all."""
    query = request.query
    kind: Literal["week", "month"] = "month" if query.get("period") == "month" else "week"
    agency = query.get("agency", "").replace("\x00", "").strip()[:AGENCY_MAX]
    first, last = _day(query.get("from", "")), _day(query.get("to", ""))
    error = ""
    try:
        report = await console(request).figures.report(kind, first=first, last=last, agency=agency)
    except ValueError:
        error = say.FIGURES_REVERSED
        report = await console(request).figures.report(kind, agency=agency)
    period = report.period
    # A section marked as every unit's does not mark its lines again (as in the CLI's report).
    sections = [
        (section_title(s, report.agency), rows(s, "" if s.all_units else report.agency))
        for s in report.sections
    ]
    return page(
        request,
        current,
        "console/figures.html",
        title=words.report_title(period.kind, period.first, period.last),
        sections=sections,
        kind=kind,
        agency=agency,
        first=first.isoformat() if first else "",
        last=last.isoformat() if last else "",
        error=error,
        empty=words.NO_PROCEDURES,
        width=BAR_WIDTH,
    )


def register(app: web.Application) -> None:
    """Add the figures route."""
    app.router.add_get("/console/figures", figures)
