"""The weekly digest's content: the report as chat markup, and its chart with a caption."""

from __future__ import annotations

from bot.reporting.text import period_label, render_markup
from bot.services.report.build import Report
from bot.services.report.digest import DigestContent
from bot.texts import report as texts


def digest_content(report: Report) -> DigestContent:
    """Words and chart of one week's digest (matplotlib is loaded on the first call)."""
    from bot.reporting.chart import render_png

    caption = texts.DIGEST_CAPTION.format(period=period_label(report))
    return DigestContent(text=render_markup(report), chart=render_png(report), caption=caption)
