"""A whole report: its period, its agency filter and its sections; rendered as text or CSV."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from bot.markup import esc
from bot.services.report.period import Period
from bot.services.report.sections import SECTIONS, Scope, Section, SectionFunc
from bot.storage import SessionFactory
from bot.storage.columns import utcnow
from bot.texts import report as texts


@dataclass(frozen=True, slots=True)
class Report:
    """The figures of one period (and agency, when filtered)."""

    period: Period
    agency: str
    sections: tuple[Section, ...]

    def section(self, key: str) -> Section:
        """The section named ``key`` (KeyError when absent)."""
        for section in self.sections:
            if section.key == key:
                return section
        raise KeyError(key)

    @property
    def title(self) -> str:
        """E.g. "BÁO CÁO TUẦN 30/11/2026 - 06/12/2026"."""
        if self.period.kind == "week":
            return f"{texts.TITLE_WEEK} {self.period.label.removeprefix('tuần ')}"
        if self.period.kind == "month":
            return f"{texts.TITLE_MONTH} {self.period.label.removeprefix('tháng ')}"
        return f"{texts.TITLE_RANGE} {self.period.label}"


async def build_report(
    sessions: SessionFactory,
    period: Period,
    *,
    agency: str = "",
    now: datetime | None = None,
    sections: Iterable[SectionFunc] = SECTIONS,
) -> Report:
    """Compute every section for ``period`` (dossiers and questions filtered by ``agency`` when given)."""
    scope = Scope(sessions, period, agency.strip(), now or utcnow())
    return Report(period, scope.agency, tuple([await section(scope) for section in sections]))


def render_text(report: Report) -> str:
    """Plain text, one block per section (what the CLI prints)."""
    lines = [report.title, f"{texts.AGENCY}: {report.agency or texts.ALL_AGENCIES}"]
    for section in report.sections:
        lines += ["", section.title]
        if not section.lines:
            lines.append(f"  {texts.NO_PROCEDURES}")
        lines += [f"  {line.label}: {line.shown}" for line in section.lines]
    return "\n".join(lines) + "\n"


def render_markup(report: Report) -> str:
    """The same text in chat markup (the digest): titles bold, every value escaped."""
    lines = [f"<b>{esc(report.title)}</b>", esc(f"{texts.AGENCY}: {report.agency or texts.ALL_AGENCIES}")]
    for section in report.sections:
        lines += ["", f"<b>{esc(section.title)}</b>"]
        if not section.lines:
            lines.append(esc(f"• {texts.NO_PROCEDURES}"))
        lines += [esc(f"• {line.label}: {line.shown}") for line in section.lines]
    return "\n".join(lines)


CSV_HEADER = ("period_start", "period_end", "agency", "section", "key", "label", "value")


def render_csv(report: Report) -> str:
    """One row per figure: period, agency, section and line keys, the label and the raw value."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    first, last = report.period.first.isoformat(), report.period.last.isoformat()
    for section in report.sections:
        for line in section.lines:
            value = "" if line.value is None else line.value
            writer.writerow((first, last, report.agency, section.key, line.key, line.label, value))
    return out.getvalue()
