"""A4 posters, one page per procedure: its name, code, the papers to bring, and the QR code of its page."""

from __future__ import annotations

import io
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from typing import cast

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from bot.posters.qr import qr_png
from bot.texts import web_public as say

# fpdf2 subsets the embedded font through fontTools, which narrates every table at INFO.
logging.getLogger("fontTools").setLevel(logging.WARNING)
_FONTS = resources.files("matplotlib") / "mpl-data" / "fonts" / "ttf"
"""DejaVu Sans ships inside matplotlib (a dependency) and covers Vietnamese."""
MARGIN = 18.0
PAGE_WIDTH = 210.0
QR_SIZE = 95.0
TELEGRAM_QR_SIZE = 32.0
BRING_MAX = 9
"""Papers listed on a poster; the page behind the QR code has them all."""
NAME_MAX = 220


@dataclass(frozen=True, slots=True)
class Poster:
    """What one poster shows."""

    name: str
    code: str
    url: str
    """The procedure's public page (what the QR code holds)."""
    bring: tuple[str, ...] = ()
    """The short card's "Cần mang" lines."""
    telegram_url: str = ""
    office: str = ""


def posters_pdf(posters: Sequence[Poster]) -> bytes:
    """One A4 PDF, a page per poster, with the DejaVu Sans font embedded."""
    pdf = FPDF(format="A4", unit="mm")
    pdf.set_auto_page_break(False)
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    pdf.add_font("DejaVu", "", str(_FONTS / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(_FONTS / "DejaVuSans-Bold.ttf"))
    for poster in posters:
        _page(pdf, poster)
    return bytes(pdf.output())


def _page(pdf: FPDF, poster: Poster) -> None:
    pdf.add_page()
    width = PAGE_WIDTH - 2 * MARGIN
    if poster.office:
        pdf.set_font("DejaVu", "", 11)
        pdf.set_text_color(165, 29, 36)
        pdf.cell(width, 6, poster.office, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(3)
    pdf.set_text_color(20, 20, 20)
    name = poster.name if len(poster.name) <= NAME_MAX else poster.name[: NAME_MAX - 1] + "…"
    pdf.set_font("DejaVu", "B", 20 if len(name) < 90 else 16)
    pdf.multi_cell(width, 9, name, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("DejaVu", "", 12)
    pdf.cell(width, 7, f"{say.POSTER_CODE}: {poster.code}", align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(3)
    qr_top = pdf.get_y()
    pdf.image(io.BytesIO(qr_png(poster.url, scale=12)), x=(PAGE_WIDTH - QR_SIZE) / 2, y=qr_top, w=QR_SIZE)
    pdf.set_y(qr_top + QR_SIZE + 1)
    pdf.set_font("DejaVu", "B", 16)
    pdf.cell(width, 9, say.POSTER_SCAN, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("DejaVu", "", 9)
    pdf.cell(width, 5, poster.url, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(4)
    _bring(pdf, poster, width, bottom=297 - MARGIN - (TELEGRAM_QR_SIZE + 8 if poster.telegram_url else 0))
    if poster.telegram_url:
        top = 297 - MARGIN - TELEGRAM_QR_SIZE
        pdf.image(io.BytesIO(qr_png(poster.telegram_url, scale=6)), x=MARGIN, y=top, w=TELEGRAM_QR_SIZE)
        pdf.set_xy(MARGIN + TELEGRAM_QR_SIZE + 4, top + TELEGRAM_QR_SIZE / 2 - 6)
        pdf.set_font("DejaVu", "B", 11)
        pdf.cell(width - TELEGRAM_QR_SIZE - 4, 6, say.POSTER_TELEGRAM, new_x=XPos.LEFT, new_y=YPos.NEXT)
        pdf.set_font("DejaVu", "", 9)
        pdf.cell(width - TELEGRAM_QR_SIZE - 4, 5, poster.telegram_url)


def _bring(pdf: FPDF, poster: Poster, width: float, *, bottom: float) -> None:
    """The papers to bring, as many as fit above ``bottom`` (the QR code's page has them all)."""
    if not poster.bring:
        return
    pdf.set_font("DejaVu", "B", 13)
    pdf.cell(width, 7, say.POSTER_BRING + ":", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("DejaVu", "", 11)
    line_height = 5.5
    shown = 0
    for line in poster.bring[:BRING_MAX]:
        rows = len(cast(list[str], pdf.multi_cell(width, line_height, line, dry_run=True, output="LINES")))
        if pdf.get_y() + (rows + 1) * line_height > bottom:
            break
        pdf.multi_cell(width, line_height, line, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        shown += 1
    if shown < len(poster.bring) and pdf.get_y() + line_height <= bottom:
        pdf.set_font("DejaVu", "", 10)
        pdf.multi_cell(width, line_height, say.POSTER_MORE, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
