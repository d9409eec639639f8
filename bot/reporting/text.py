"""The report as plain text (the CLI), chat markup (the digest) and CSV: labels and formats by key."""

from __future__ import annotations

import csv
import io

from bot.markup import esc
from bot.services.report.build import Report
from bot.services.report.sections import Line, Section
from bot.texts import report as texts


def title(report: Report) -> str:
    """E.g. "BÁO CÁO TUẦN 30/11/2026 - 06/12/2026"."""
    period = report.period
    return texts.report_title(period.kind, period.first, period.last)


def period_label(report: Report) -> str:
    """E.g. "tuần 30/11/2026 - 06/12/2026"."""
    period = report.period
    return texts.period_label(period.kind, period.first, period.last)


def section_title(section: Section, agency: str = "") -> str:
    """The section's Vietnamese title, marked as every unit's when ``agency`` filters the rest."""
    heading = texts.TITLES.get(section.key, section.key)
    return f"{heading} ({texts.ALL_UNITS})" if agency and section.all_units else heading


def label(line: Line, agency: str = "") -> str:
    """The line's own name (a procedure, a guide), else its Vietnamese label (by key, else by its last
    part: ``guide.2.other``), marked as every unit's when ``agency`` filters the rest."""
    text = line.name or texts.LABELS.get(line.key) or texts.LABELS.get(line.key.rsplit(".", 1)[-1], line.key)
    return f"{text} ({texts.ALL_UNITS})" if agency and line.all_units else text


def shown(line: Line) -> str:
    """The value as a reader sees it: "6 (60,0%)", "4,36 (33 lượt)", "1 giờ", or a dash."""
    value = line.value
    if value is None:
        return texts.NOT_AVAILABLE
    if line.format == "minutes" and isinstance(value, int | float):
        return texts.minutes(value)
    ratings = f" ({line.count} {texts.RATINGS})" if line.count is not None else ""
    if line.format == "average" and isinstance(value, int | float):
        return f"{value:.2f}".replace(".", ",") + ratings
    if line.format == "ratio" and isinstance(value, int | float):
        return f"{100 * value:.1f}%".replace(".", ",") + ratings
    if line.of is not None and isinstance(value, int):
        return f"{value} ({texts.percent(value, line.of)})"
    if line.format in texts.COUNTED:
        return f"{value} {texts.COUNTED[line.format]}"
    return str(value)


def _lines(report: Report) -> list[tuple[str, list[tuple[int, str]]]]:
    """Each section's title and its lines as (level, "label: value")."""
    out = []
    for s in report.sections:
        # A section marked as every unit's does not mark its lines again.
        agency = "" if s.all_units else report.agency
        lines = [(line.level, f"{label(line, agency)}: {shown(line)}") for line in s.lines]
        out.append((section_title(s, report.agency), lines or [(0, texts.NO_PROCEDURES)]))
    return out


def agency_line(report: Report) -> str:
    """Which agencies the figures cover."""
    return f"{texts.AGENCY}: {report.agency or texts.ALL_AGENCIES}"


def render_text(report: Report) -> str:
    """Plain text, one block per section (what the CLI prints)."""
    out = [title(report), agency_line(report)]
    for heading, lines in _lines(report):
        out += ["", heading, *(f"{'  ' * (level + 1)}{line}" for level, line in lines)]
    return "\n".join(out) + "\n"


def render_markup(report: Report) -> str:
    """The same in chat markup (the digest): titles bold, every piece escaped."""
    out = [f"<b>{esc(title(report))}</b>", esc(agency_line(report))]
    for heading, lines in _lines(report):
        out += [
            "",
            f"<b>{esc(heading)}</b>",
            *(esc(f"{BULLETS[min(level, 1)]}{line}") for level, line in lines),
        ]
    return "\n".join(out)


BULLETS = ("• ", "    ◦ ")

CSV_HEADER = ("period_start", "period_end", "agency", "section", "key", "label", "value")


def render_csv(report: Report) -> str:
    """One row per figure: period, agency, section and line keys, the label and the raw value.

    A figure the agency filter does not narrow (feedback, guides, directives) has an empty agency.
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    first, last = report.period.first.isoformat(), report.period.last.isoformat()
    for section in report.sections:
        for line in section.lines:
            value = "" if line.value is None else line.value
            agency = "" if section.all_units or line.all_units else report.agency
            writer.writerow((first, last, agency, section.key, line.key, label(line), value))
    return out.getvalue()
