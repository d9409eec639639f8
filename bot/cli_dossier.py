"""``motcua dossier``: import dossier events from a file, and print the figures leaders ask for."""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import sys
import unicodedata
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any, TextIO

from bot.config import Config
from bot.services.dossiers.importer import (
    COLUMNS,
    REQUIRED_COLUMNS,
    ImportFileError,
    ImportReport,
    import_file,
)
from bot.services.dossiers.service import DossierService
from bot.services.dossiers.stats import AgencyStats, DossierStats, dossier_stats
from bot.storage import SessionFactory
from bot.storage.migrate import current_sessions
from bot.texts import cli as say

EXIT_OK = 0
EXIT_BAD_ROWS = 1
EXIT_SETUP = 2
ERRORS_SHOWN = 50

IMPORT_EPILOG = say.dossier_import_epilog(REQUIRED_COLUMNS, [c for c in COLUMNS if c not in REQUIRED_COLUMNS])

CSV_HEADERS = (
    "agency",
    "received",
    "resolved_early",
    "resolved_on_time",
    "resolved_late",
    "open",
    "overdue",
    "online",
    "online_share",
    "satisfaction",
    "ratings",
)


def register(subparsers: Any) -> None:
    """Add ``dossier import`` and ``dossier stats`` to the ``motcua`` command."""
    dossier = subparsers.add_parser("dossier", help="dossier status: import events, figures")
    commands = dossier.add_subparsers(title="dossier commands", metavar="COMMAND")
    imp = commands.add_parser(
        "import",
        help="import dossier events (CSV or JSON Lines)",
        description="Import dossier events; idempotent by event_id.",
        epilog=IMPORT_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    imp.add_argument("file", metavar="FILE", type=Path)
    imp.add_argument("--format", choices=("csv", "jsonl"), default=None, help="default: from the file name")
    imp.set_defaults(handler=cmd_dossier_import)
    stats = commands.add_parser("stats", help="figures per agency: received, early / on time / late, ...")
    stats.add_argument("--from", dest="date_from", metavar="DATE", type=_day, help="received on or after")
    stats.add_argument("--to", dest="date_to", metavar="DATE", type=_day, help="received on or before")
    stats.add_argument("--agency", metavar="TEXT", default="", help="agencies whose name contains TEXT")
    stats.add_argument("--csv", action="store_true", help="print CSV instead of a table")
    stats.set_defaults(handler=cmd_dossier_stats)


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(say.DOSSIER_BAD_DATE.format(value=value)) from None


def service_for(sessions: SessionFactory, config: Config) -> DossierService:
    """The dossier service exactly as the running bot builds it (its notices in the centre's name)."""
    # Imported here: the composition root pulls in the handlers, which the other commands never need.
    from bot.app import build_dossiers

    return build_dossiers(config, sessions)[0]


# --- import -----------------------------------------------------------------------------------------


def cmd_dossier_import(args: argparse.Namespace, config: Config) -> int:
    """Import a file of dossier events and report bad rows by line."""
    return asyncio.run(run_import(config, args.file, args.format))


async def run_import(
    config: Config,
    path: Path,
    fmt: str | None = None,
    *,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Import ``path``; print a summary and the bad rows; return the exit code (0, 1 or 2)."""
    out = out or sys.stdout
    err = err or sys.stderr
    if not config.dossiers.hash_key:
        print(say.DOSSIER_NO_HASH_KEY, file=err)
        return EXIT_SETUP
    async with current_sessions(config.database.url, echo=config.database.echo) as sessions:
        service = service_for(sessions, config)

        def progress(report: ImportReport) -> None:
            print(say.DOSSIER_PROGRESS.format(rows=report.rows, applied=report.applied), file=err)

        try:
            report = await import_file(service, path, _format(fmt), progress=progress)
        except ImportFileError as exc:
            print(say.DOSSIER_FILE_ERROR.format(error=exc), file=err)
            return EXIT_SETUP
    print(
        say.DOSSIER_IMPORT_SUMMARY.format(
            rows=report.rows,
            applied=report.applied,
            created=report.created,
            stale=report.stale,
            duplicates=report.duplicates,
            notices=report.notices,
            errors=len(report.errors),
        ),
        file=out,
    )
    for error in report.errors[:ERRORS_SHOWN]:
        reasons = "; ".join(f"{e.field}: {e.reason}" if e.field else e.reason for e in error.errors)
        print(say.DOSSIER_ROW_ERROR.format(line=error.line, reasons=reasons), file=err)
    if len(report.errors) > ERRORS_SHOWN:
        print(say.DOSSIER_MORE_ERRORS.format(count=len(report.errors) - ERRORS_SHOWN), file=err)
    return EXIT_BAD_ROWS if report.errors else EXIT_OK


def _format(value: str | None) -> Any:
    return value if value in ("csv", "jsonl") else None


# --- stats ------------------------------------------------------------------------------------------


def cmd_dossier_stats(args: argparse.Namespace, config: Config) -> int:
    """Print dossier figures per agency and in total, as a table or CSV."""
    return asyncio.run(run_stats(config, args.date_from, args.date_to, args.agency, as_csv=args.csv))


async def run_stats(
    config: Config,
    date_from: date | None,
    date_to: date | None,
    agency: str = "",
    *,
    as_csv: bool = False,
    out: TextIO | None = None,
) -> int:
    """Count and print; always exit 0 once the database answered."""
    out = out or sys.stdout
    async with current_sessions(config.database.url, echo=config.database.echo) as sessions:
        stats = await dossier_stats(sessions, date_from=date_from, date_to=date_to, agency=agency)
    out.write(stats_csv(stats) if as_csv else stats_table(stats))
    return EXIT_OK


def _share(part: float | None) -> str:
    return "" if part is None else f"{part * 100:.1f}%"


def _average(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"


def _cells(row: AgencyStats, label: str) -> list[str]:
    return [
        label,
        str(row.received),
        str(row.early),
        str(row.on_time),
        str(row.late),
        str(row.open),
        str(row.overdue),
        f"{row.online} ({_share(row.online_share) or '-'})",
        _average(row.satisfaction) or "-",
        str(row.ratings),
    ]


def stats_table(stats: DossierStats) -> str:
    """Render the figures as an aligned table with a title line."""
    lines = [_title(stats)]
    if not stats.agencies:
        return "\n".join([*lines, say.DOSSIER_STATS_EMPTY]) + "\n"
    rows = [list(say.DOSSIER_TABLE_HEADERS)]
    rows += [_cells(a, a.agency or say.DOSSIER_NO_AGENCY) for a in stats.agencies]
    rows.append(_cells(stats.total, say.DOSSIER_TOTAL_LABEL))
    rows = [[unicodedata.normalize("NFC", cell) for cell in row] for row in rows]
    widths = [max(len(row[i]) for row in rows) for i in range(len(say.DOSSIER_TABLE_HEADERS))]

    def line(cells: Sequence[str]) -> str:
        first = cells[0].ljust(widths[0])
        rest = (cell.rjust(width) for cell, width in zip(cells[1:], widths[1:], strict=True))
        return "  ".join([first, *rest]).rstrip()

    rule = "  ".join("-" * w for w in widths)
    lines += [line(rows[0]), rule, *(line(r) for r in rows[1:-1]), rule, line(rows[-1])]
    return "\n".join(lines) + "\n"


def _title(stats: DossierStats) -> str:
    start = stats.date_from.strftime("%d/%m/%Y") if stats.date_from else ""
    end = stats.date_to.strftime("%d/%m/%Y") if stats.date_to else ""
    if start and end:
        period = say.DOSSIER_PERIOD_FROM_TO.format(start=start, end=end)
    elif start:
        period = say.DOSSIER_PERIOD_FROM.format(start=start)
    elif end:
        period = say.DOSSIER_PERIOD_TO.format(end=end)
    else:
        period = say.DOSSIER_PERIOD_ALL
    agency = say.DOSSIER_AGENCY_FILTER.format(agency=stats.agency_filter) if stats.agency_filter else ""
    return say.DOSSIER_STATS_PERIOD.format(period=period, agency=agency)


def stats_csv(stats: DossierStats) -> str:
    """Render the figures as CSV: one row per agency, then the total."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_HEADERS)
    for row, label in [*((a, a.agency) for a in stats.agencies), (stats.total, say.DOSSIER_TOTAL_LABEL)]:
        writer.writerow(
            [
                label,
                row.received,
                row.early,
                row.on_time,
                row.late,
                row.open,
                row.overdue,
                row.online,
                "" if row.online_share is None else f"{row.online_share:.4f}",
                "" if row.satisfaction is None else f"{row.satisfaction:.2f}",
                row.ratings,
            ]
        )
    return buffer.getvalue()
