"""``motcua qr``: PNG codes decode back to the page's address; the PDF has a poster per procedure."""

from __future__ import annotations

import io
from dataclasses import replace
from pathlib import Path

import numpy as np
import zxingcpp
from matplotlib import image
from pypdf import PdfReader

from bot.cli_qr import EXIT_NOT_FOUND, EXIT_OK, EXIT_SETUP, run_qr
from bot.config import Config, DatabaseConfig, DirectivesConfig, HttpConfig
from bot.texts import web_public as say

PUBLIC = "https://motcua.example.vn"
BIRTH = ("1.001193", "Thủ tục đăng ký khai sinh")
RESIDENCE = ("1.004194", "Đăng ký tạm trú")


def _config(database: str, public_url: str = PUBLIC) -> Config:
    return Config(
        database=DatabaseConfig(url=database),
        http=HttpConfig(public_url=public_url),
        directives=DirectivesConfig(bot_username="motcua_thu_bot"),
    )


def _decode(path: Path) -> list[str]:
    pixels = (image.imread(path) * 255).astype(np.uint8)
    return [found.text for found in zxingcpp.read_barcodes(pixels)]


async def test_png_codes_decode_back_to_the_page_and_the_deep_link(web_database: str, tmp_path: Path) -> None:
    out, err = io.StringIO(), io.StringIO()
    code = await run_qr(_config(web_database), [BIRTH[0]], kind="png", output=tmp_path, out=out, err=err)
    assert code == EXIT_OK, err.getvalue()
    assert _decode(tmp_path / f"{BIRTH[0]}.png") == [f"{PUBLIC}/p/{BIRTH[0]}"]
    assert _decode(tmp_path / f"{BIRTH[0]}-telegram.png") == ["https://t.me/motcua_thu_bot?start=p_1_001193"]
    assert str(tmp_path / f"{BIRTH[0]}.png") in out.getvalue()


async def test_the_poster_pdf_has_a_page_per_procedure_in_vietnamese(
    web_database: str, tmp_path: Path
) -> None:
    codes = [BIRTH[0], RESIDENCE[0]]
    assert await run_qr(_config(web_database), codes, kind="pdf", output=tmp_path) == EXIT_OK
    reader = PdfReader(tmp_path / "posters.pdf")
    assert len(reader.pages) == 2
    for page, (code, name) in zip(reader.pages, (BIRTH, RESIDENCE), strict=True):
        text = page.extract_text()
        assert name in text and code in text
        assert say.POSTER_SCAN in text and f"{PUBLIC}/p/{code}" in text
    assert "Giấy chứng sinh (1 bản chính)" in reader.pages[0].extract_text()


async def test_unknown_codes_and_a_missing_public_url_are_refused(web_database: str, tmp_path: Path) -> None:
    err = io.StringIO()
    output = tmp_path / "qr"
    code = await run_qr(_config(web_database), [BIRTH[0], "9.999999"], output=output, err=err)
    assert code == EXIT_NOT_FOUND and "9.999999" in err.getvalue()
    assert not output.exists()
    err = io.StringIO()
    without = replace(_config(web_database), http=HttpConfig())
    assert await run_qr(without, [BIRTH[0]], output=output, err=err) == EXIT_SETUP
    assert "public_url" in err.getvalue()
