"""``motcua report``: the leaders' figures for a week, a month or chosen days, as text, CSV or a PNG chart."""

from __future__ import annotations

import argparse
import asyncio
import errno
import sys
from datetime import date, datetime
from pathlib import Path
from typing import Any, TextIO

from bot.config import Config
from bot.reporting.text import render_csv, render_text
from bot.services.report.build import agency_known, build_report
from bot.services.report.period import PeriodRangeError, period_for
from bot.storage.columns import utcnow
from bot.storage.migrate import current_sessions
from bot.texts import cli as cli_say
from bot.texts import report as say

EXIT_OK = 0
EXIT_BAD = 2


def register(subparsers: Any) -> None:
    """Add ``report`` to the ``motcua`` command."""
    report = subparsers.add_parser(
        "report",
        help="figures for leaders: questions, dossiers, satisfaction, directives",
        description="By default the previous full week (Mon-Sun) or month, in the configured timezone.",
    )
    report.add_argument("--period", choices=("week", "month"), default="week")
    report.add_argument("--from", dest="date_from", metavar="DATE", type=_day, help="first day (YYYY-MM-DD)")
    report.add_argument("--to", dest="date_to", metavar="DATE", type=_day, help="last day, included")
    report.add_argument("--agency", metavar="TEXT", default="", help="agencies whose name contains TEXT")
    report.add_argument("--format", choices=("text", "csv", "png"), default="text")
    report.add_argument("--output", metavar="FILE", type=Path, help="write here instead of printing")
    report.set_defaults(handler=cmd_report)


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(say.CLI_BAD_DATE.format(value=value)) from None


def cmd_report(args: argparse.Namespace, config: Config) -> int:
    """Print or write the report."""
    return asyncio.run(
        run_report(
            config,
            period=args.period,
            date_from=args.date_from,
            date_to=args.date_to,
            agency=args.agency,
            fmt=args.format,
            output=args.output,
        )
    )


async def run_report(
    config: Config,
    *,
    period: str = "week",
    date_from: date | None = None,
    date_to: date | None = None,
    agency: str = "",
    fmt: str = "text",
    output: Path | None = None,
    now: datetime | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Build the report and print it, or write it to ``output``; a PNG without ``output`` goes to
    ``report-<period>-<first day>.png`` in the current folder. Returns the exit code."""
    out, err, moment = out or sys.stdout, err or sys.stderr, now or utcnow()
    try:
        chosen = period_for(
            "month" if period == "month" else "week", moment, config.timezone, first=date_from, last=date_to
        )
    except PeriodRangeError:
        print(cli_say.REPORT_OUT_OF_RANGE, file=err)
        return EXIT_BAD
    except ValueError:
        print(say.CLI_REVERSED, file=err)
        return EXIT_BAD
    async with current_sessions(config.database.url, echo=config.database.echo) as sessions:
        if agency.strip() and not await agency_known(sessions, agency):
            print(cli_say.REPORT_NO_AGENCY.format(agency=agency.strip()), file=err)
            return EXIT_BAD
        report = await build_report(sessions, chosen, agency=agency, now=moment)
    if fmt == "png":
        from bot.reporting.chart import render_png  # matplotlib is loaded only for charts

        # Named after the period's first day, so each week's or month's chart has its own file.
        path = output or Path(f"report-{period}-{chosen.first.isoformat()}.png")
        if not _write(path, render_png(report), err):
            return EXIT_BAD
        print(say.CLI_WROTE.format(path=path), file=out)
        return EXIT_OK
    body = render_csv(report) if fmt == "csv" else render_text(report)
    if output is None:
        out.write(body)
        return EXIT_OK
    return EXIT_OK if _write(output, body.encode("utf-8"), err) else EXIT_BAD


def _write(path: Path, data: bytes, err: TextIO) -> bool:
    try:
        path.write_bytes(data)
    except OSError as exc:
        print(say.CLI_CANNOT_WRITE.format(path=path, error=file_error(exc)), file=err)
        return False
    return True


def file_error(exc: OSError) -> str:
    """Why a file could not be written, in Vietnamese (the system's own text is English)."""
    name = errno.errorcode.get(exc.errno or 0, "")
    return cli_say.FILE_ERRORS.get(name) or cli_say.FILE_ERROR_OTHER.format(code=name or exc.errno)
