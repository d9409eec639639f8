"""The report as one PNG chart: questions, dossiers and the procedures asked about most.

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

from bot.reporting.text import agency_line, label, section_title, shown, title
from bot.services.report.build import Report
from bot.services.report.sections import Section
from bot.texts import report as texts

WIDTH_PX = 1200
HEIGHT_PX = 800
DPI = 100
FONT_FILE = "fonts/ttf/DejaVuSans.ttf"
COLOURS = ("#2e7d32", "#f9a825", "#c62828")
NAME_WIDTH = 60


@cache
def font_family() -> str:
    """Register matplotlib's own DejaVu Sans by path and return its family name."""
    path = Path(matplotlib.get_data_path()) / FONT_FILE
    font_manager.fontManager.addfont(str(path))
    return font_manager.FontProperties(fname=str(path)).get_name()


def _bars(section: Section, keys: tuple[str, ...]) -> tuple[list[str], list[int]]:
    lines = [line for line in section.lines if line.key in keys]
    return [label(line) for line in lines], [int(line.value or 0) for line in lines]


def render_png(report: Report) -> bytes:
    """The chart of ``report`` as PNG bytes, exactly WIDTH_PX x HEIGHT_PX."""
    with matplotlib.rc_context({"font.family": [font_family()], "font.size": 11}):
        figure = Figure(figsize=(WIDTH_PX / DPI, HEIGHT_PX / DPI), dpi=DPI, layout="constrained")
        FigureCanvasAgg(figure)
        figure.suptitle(f"{title(report)}\n{agency_line(report)}", fontsize=15)
        # Subfigures keep the long procedure names of the bottom panel from pushing the top row aside.
        rows = figure.subfigures(3, 1, height_ratios=(1, 1.1, 0.2), squeeze=False)
        top, bottom, footer = rows[0, 0], rows[1, 0], rows[2, 0]
        left, right = top.subplots(1, 2)
        questions, dossiers = report.section("questions"), report.section("dossiers")
        _bar_panel(left, questions, texts.CHART_QUESTIONS, ("confident", "choices", "unanswered"))
        _bar_panel(right, dossiers, texts.CHART_DOSSIERS, ("early", "on_time", "late"))
        _top_panel(bottom.subplots(), report.section("top_procedures"))
        footer.text(0.5, 0.5, _footer(report), ha="center", va="center", fontsize=11, linespacing=1.6)
        out = io.BytesIO()
        figure.savefig(out, format="png", dpi=DPI)
    return out.getvalue()


def _footer(report: Report) -> str:
    """The figures without a panel of their own, a line per section: satisfaction and directives."""
    rows = []
    for key in ("satisfaction", "directives"):
        section = report.section(key)
        figures = "  ·  ".join(
            f"{label(line)}: {shown(line)}" for line in section.lines if line.key != "expected"
        )
        rows.append(f"{section_title(section)} — {figures}")
    return "\n".join(rows)


def _bar_panel(axes: Axes, section: Section, heading: str, keys: tuple[str, ...]) -> None:
    labels, values = _bars(section, keys)
    bars = axes.bar(labels, values, color=COLOURS[: len(values)])
    axes.bar_label(bars, labels=[str(v) for v in values], padding=2)
    axes.set_title(heading)
    axes.set_ylim(0, max([*values, 1]) * 1.2)
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
    axes.spines[["top", "right"]].set_visible(False)
    axes.tick_params(axis="y", labelsize=10)
