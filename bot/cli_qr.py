"""``motcua qr CODE... [--format png|svg|pdf] [--output DIR]``: QR codes and A4 posters of procedure pages.

``png``/``svg`` write ``CODE.png`` (the page ``{public_url}/p/CODE``) and, when ``[directives]
bot_username`` is set, ``CODE-telegram.png`` (the deep link that opens the card in chat); ``pdf`` writes
``posters.pdf``, one A4 page per procedure. Unknown codes are refused before anything is written.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from bot.config import Config
from bot.services.public_links import page_url, telegram_link
from bot.storage import ProcedureRow
from bot.storage.migrate import current_sessions
from bot.texts import web_public as say
from knowledge.model import Procedure

if TYPE_CHECKING:
    from bot.posters import Poster

EXIT_OK = 0
EXIT_NOT_FOUND = 1
EXIT_SETUP = 2
FORMATS = ("png", "svg", "pdf")


def register(subparsers: Any) -> None:
    """Add ``qr`` to the ``motcua`` command."""
    qr = subparsers.add_parser(
        "qr",
        help="QR codes (png, svg) or A4 posters (pdf) of procedure pages",
        description="Write QR codes of {public_url}/p/CODE (and the Telegram deep link), or A4 posters.",
    )
    qr.add_argument("codes", nargs="+", metavar="CODE", help="procedure codes, e.g. 1.001193")
    qr.add_argument("--format", choices=FORMATS, default="png", help="png (default), svg or pdf")
    qr.add_argument("--output", default=".", metavar="DIR", help="folder to write into (default: here)")
    qr.set_defaults(handler=cmd_qr)


def cmd_qr(args: argparse.Namespace, config: Config) -> int:
    """``motcua qr``."""
    return asyncio.run(run_qr(config, args.codes, kind=args.format, output=Path(args.output)))


async def run_qr(
    config: Config,
    codes: list[str],
    *,
    kind: str = "png",
    output: Path = Path("."),
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Check the setup and the codes, then write the files; return the exit code."""
    out, err = out or sys.stdout, err or sys.stderr
    public_url = config.http.public_url.rstrip("/")
    if not public_url:
        print(say.CLI_NO_PUBLIC_URL, file=err)
        return EXIT_SETUP
    wanted = list(dict.fromkeys(code.strip() for code in codes if code.strip()))
    if not wanted:
        print(say.CLI_NO_CODES, file=err)
        return EXIT_NOT_FOUND
    found = await _procedures(config, wanted)
    missing = [code for code in wanted if code not in found]
    if missing:
        print(say.CLI_UNKNOWN_CODES.format(codes=", ".join(missing)), file=err)
        return EXIT_NOT_FOUND
    procs = [found[code] for code in wanted]
    written = await asyncio.to_thread(_write, config, procs, kind, output)
    for path in written:
        print(say.CLI_WROTE.format(path=path), file=out)
    return EXIT_OK


async def _procedures(config: Config, codes: list[str]) -> dict[str, Procedure]:
    async with (
        current_sessions(config.database.url, echo=config.database.echo) as sessions,
        sessions() as session,
    ):
        rows = [await session.get(ProcedureRow, code) for code in codes]
    return {row.code: Procedure.from_dict(row.data) for row in rows if row is not None}


def _write(config: Config, procs: list[Procedure], kind: str, output: Path) -> list[Path]:
    # Imported here: the PDF and QR libraries would slow down every other `motcua` command's start.
    from bot.posters import posters_pdf, qr_png, qr_svg

    output.mkdir(parents=True, exist_ok=True)
    public_url, bot = config.http.public_url, config.directives.bot_username
    if kind == "pdf":
        path = output / "posters.pdf"
        path.write_bytes(posters_pdf([poster_of(proc, config) for proc in procs]))
        return [path]
    make = qr_png if kind == "png" else qr_svg
    written: list[Path] = []
    for proc in procs:
        targets = [(proc.code, page_url(public_url, proc.code))]
        if deep := telegram_link(bot, proc.code):
            targets.append((f"{proc.code}-telegram", deep))
        for stem, url in targets:
            path = output / f"{stem}.{kind}"
            path.write_bytes(make(url))
            written.append(path)
    return written


def poster_of(proc: Procedure, config: Config) -> Poster:
    """What the poster of ``proc`` shows: the short card's "Cần mang" lines and the QR codes' addresses."""
    from bot.posters import Poster, bring_lines
    from handlers.short_card import render_short_card

    card = render_short_card(proc, portal_url=config.centre.portal_url)
    return Poster(
        name=proc.name or proc.code,
        code=proc.code,
        url=page_url(config.http.public_url, proc.code),
        bring=tuple(bring_lines(card)),
        telegram_url=telegram_link(config.directives.bot_username, proc.code),
        office=config.centre.name,
    )
