"""QR codes of an address, as PNG or SVG bytes."""

from __future__ import annotations

import io

import segno

ERROR_LEVEL = "m"
"""Medium error correction: a poster a little scratched or in a glare still scans."""


def qr_png(url: str, *, scale: int = 10) -> bytes:
    """A PNG QR code of ``url`` (a quiet zone of four modules included)."""
    out = io.BytesIO()
    segno.make(url, error=ERROR_LEVEL, micro=False).save(out, kind="png", scale=scale, border=4)
    return out.getvalue()


def qr_svg(url: str, *, scale: int = 10) -> bytes:
    """An SVG QR code of ``url``."""
    out = io.BytesIO()
    segno.make(url, error=ERROR_LEVEL, micro=False).save(out, kind="svg", scale=scale, border=4, xmldecl=True)
    return out.getvalue()
