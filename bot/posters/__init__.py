"""QR codes and A4 posters for procedure pages, outside the adapters (the CLI and the console offer them)."""

from __future__ import annotations

from bot.posters.card import bring_lines
from bot.posters.poster import Poster, posters_pdf
from bot.posters.qr import qr_png, qr_svg

__all__ = ["Poster", "bring_lines", "posters_pdf", "qr_png", "qr_svg"]
