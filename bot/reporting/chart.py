"""The report as one PNG chart: questions, dossiers, feedback, top procedures and guides; the rest below.

Drawn with matplotlib's Agg canvas on a :class:`~matplotlib.figure.Figure` of its own (no pyplot, so
no global state and no display). Labels are Vietnamese in DejaVu Sans, loaded by path from the font
matplotlib ships: no system font is needed, and every Vietnamese letter is covered.
"""

from __future__ import annotations

import io
import textwrap
from functools import cache
from pathlib import Path

import matplotlib
from matplotlib import font_manager
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from bot.reporting.text import agency_line, label, section_title, shown, title
from bot.services.report.build import Report
from bot.services.report.sections import Section
from bot.texts import report as texts

WIDTH_PX = 1200
HEIGHT_PX = 800
DPI = 100
FONT_FILE = "fonts/ttf/DejaVuSans.ttf"
COLOURS = ("#2e7d32", "#f9a825", "#c62828")
FEEDBACK_COLOURS = ("#1565c0", "#2e7d32", "#c62828")
NAME_WIDTH = 42
BAR_LABEL_WIDTH = 14
TICK_STEPS = (1, 2, 5, 10)
GUIDES_SHOWN = 6


@cache
def font_family() -> str:
    """Register matplotlib's own DejaVu Sans by path and return its family name."""
    path = Path(matplotlib.get_data_path()) / FONT_FILE
    font_manager.fontManager.addfont(str(path))
    return font_manager.FontProperties(fname=str(path)).get_name()


def _bars(section: Section, keys: tuple[str, ...]) -> tuple[list[str], list[int]]:
    lines = [line for line in section.lines if line.key in keys]
    # Three panels share a row: a label longer than a bar's width wraps rather than run into the next.
    labels = [textwrap.fill(label(line), BAR_LABEL_WIDTH) for line in lines]
    return labels, [int(line.value or 0) for line in lines]


def render_png(report: Report) -> bytes:
    """The chart of ``report`` as PNG bytes, exactly WIDTH_PX x HEIGHT_PX."""
    with matplotlib.rc_context({"font.family": [font_family()], "font.size": 11}):
        figure = Figure(figsize=(WIDTH_PX / DPI, HEIGHT_PX / DPI), dpi=DPI, layout="constrained")
        FigureCanvasAgg(figure)
        figure.suptitle(f"{title(report)}\n{agency_line(report)}", fontsize=15)
        # Subfigures keep the long procedure names of the middle row from pushing the top row aside.
        rows = figure.subfigures(3, 1, height_ratios=(1, 1.1, 0.2), squeeze=False)
        top, middle, footer = rows[0, 0], rows[1, 0], rows[2, 0]
        questions_axes, dossiers_axes, feedback_axes = top.subplots(1, 3)
        _bar_panel(
            questions_axes,
            report.section("questions"),
            texts.CHART_QUESTIONS,
            ("confident", "choices", "unanswered"),
        )
        _bar_panel(
            dossiers_axes, report.section("dossiers"), texts.CHART_DOSSIERS, ("early", "on_time", "late")
        )
        feedback = report.section("feedback")
        heading = texts.CHART_FEEDBACK + (f" ({texts.ALL_UNITS})" if report.agency else "")
        keys = ("feedback_received", "feedback_answered", "feedback_overdue")
        _bar_panel(feedback_axes, feedback, heading, keys, FEEDBACK_COLOURS)
        procedures_axes, guides_axes = middle.subplots(1, 2, width_ratios=(1.1, 1))
        _top_panel(procedures_axes, report.section("top_procedures"))
        _guides_panel(guides_axes, report.section("guides"), report.agency)
        footer.text(0.5, 0.5, _footer(report), ha="center", va="center", fontsize=11, linespacing=1.6)
        out = io.BytesIO()
        figure.savefig(out, format="png", dpi=DPI)
    return out.getvalue()


def _footer(report: Report) -> str:
    """The figures without a panel of their own, a line per section: satisfaction and directives."""
    rows = []
    for key in ("satisfaction", "directives"):
        section = report.section(key)
        agency = "" if section.all_units else report.agency
        figures = "  ·  ".join(
            f"{label(line, agency)}: {shown(line)}" for line in section.lines if line.key != "expected"
        )
        rows.append(f"{section_title(section, report.agency)} — {figures}")
    return "\n".join(rows)


def _bar_panel(
    axes: Axes, section: Section, heading: str, keys: tuple[str, ...], colours: tuple[str, ...] = COLOURS
) -> None:
    labels, values = _bars(section, keys)
    bars = axes.bar(labels, values, color=colours[: len(values)])
    axes.bar_label(bars, labels=[str(v) for v in values], padding=2)
    axes.set_title(heading)
    axes.set_ylim(0, max([*values, 1]) * 1.2)
    axes.yaxis.set_major_locator(MaxNLocator(integer=True, steps=TICK_STEPS))
    axes.spines[["top", "right"]].set_visible(False)


def _top_panel(axes: Axes, section: Section) -> None:
    axes.set_title(section_title(section))
    lines = list(reversed(section.lines))
    if not lines:
        axes.text(0.5, 0.5, texts.NO_PROCEDURES, ha="center", va="center", transform=axes.transAxes)
        axes.set_axis_off()
        return
    labels = [textwrap.shorten(label(line), NAME_WIDTH, placeholder="…") for line in lines]
    values = [int(line.value or 0) for line in lines]
    bars = axes.barh(labels, values, color="#1565c0")
    axes.bar_label(bars, labels=[str(v) for v in values], padding=3)
    axes.set_xlim(0, max([*values, 1]) * 1.15)
    axes.xaxis.set_major_locator(MaxNLocator(integer=True, steps=TICK_STEPS))
    axes.spines[["top", "right"]].set_visible(False)
    axes.tick_params(axis="y", labelsize=10)


def _guides_panel(axes: Axes, section: Section, agency: str) -> None:
    """Residents helped by each of the most active guides (the section lists them most active first)."""
    axes.set_title(texts.CHART_GUIDES + (f"\n({texts.ALL_UNITS})" if agency else ""))
    guides = [line for line in section.lines if line.key.startswith("guide.") and line.level == 0]
    if not guides:
        axes.text(0.5, 0.5, texts.NO_GUIDES, ha="center", va="center", transform=axes.transAxes)
        axes.set_axis_off()
        return
    shown_guides = list(reversed(guides[:GUIDES_SHOWN]))
    labels = [textwrap.shorten(label(line), NAME_WIDTH, placeholder="…") for line in shown_guides]
    values = [int(line.value or 0) for line in shown_guides]
    bars = axes.barh(labels, values, color="#6a1b9a")
    axes.bar_label(bars, labels=[str(v) for v in values], padding=3)
    axes.set_xlim(0, max([*values, 1]) * 1.15)
    axes.xaxis.set_major_locator(MaxNLocator(integer=True, steps=TICK_STEPS))
    axes.spines[["top", "right"]].set_visible(False)
    axes.tick_params(axis="y", labelsize=10)
