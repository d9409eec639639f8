"""``motcua audit``: read the audit log (who created, changed, cancelled and sent what), newest first.

The command line reads as the system (an admin). Times print in the configured zone (Asia/Ho_Chi_Minh);
``who`` is the person's name when the entry names a linked person, else the label ("cli", "scheduler").
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import json
import sys
from datetime import date, datetime, tzinfo
from typing import Any, TextIO

from bot.config import Config
from bot.services.people import Actor, AuditLine, PeopleService
from bot.services.schedule import zone
from bot.storage.migrate import current_sessions
from bot.texts import cli as say

EXIT_OK = 0
EXIT_REFUSED = 1

CSV_HEADERS = ("at", "who", "actor_id", "action", "object", "details")
DETAILS_WIDTH = 120


def register(subparsers: Any) -> None:
    """Add ``audit`` to the ``motcua`` command."""
    audit = subparsers.add_parser(
        "audit",
        help="read the audit log (who created, changed, cancelled and sent what)",
        description="Print the audit log, newest first; times in the configured time zone.",
    )
    audit.add_argument("--action", default="", metavar="PREFIX", help="actions starting with PREFIX")
    audit.add_argument("--object", default="", metavar="TYPE:ID", help="one object, e.g. directive:12")
    audit.add_argument("--since", default="", metavar="YYYY-MM-DD", help="entries from this day (local)")
    audit.add_argument("--limit", type=int, default=100, metavar="N")
    audit.add_argument("--csv", action="store_true", help="print CSV (details as JSON)")
    audit.set_defaults(handler=cmd_audit)


def cmd_audit(args: argparse.Namespace, config: Config) -> int:
    """``motcua audit [--action PREFIX] [--object TYPE:ID] [--since DATE] [--limit N] [--csv]``."""
    return asyncio.run(
        run_audit(
            config,
            action=args.action,
            target=args.object,
            since=args.since,
            limit=args.limit,
            as_csv=args.csv,
        )
    )


def start_of_day(text: str, tz: tzinfo) -> datetime | None:
    """The start of a ``YYYY-MM-DD`` day in the centre's zone (None for no date); ValueError otherwise."""
    if not text.strip():
        return None
    day = date.fromisoformat(text.strip())
    return datetime(day.year, day.month, day.day, tzinfo=tz)


async def run_audit(
    config: Config,
    *,
    action: str = "",
    target: str = "",
    since: str = "",
    limit: int = 100,
    as_csv: bool = False,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Check the filters, read the entries and print them as a table or CSV."""
    out, err = out or sys.stdout, err or sys.stderr
    tz = zone(config.timezone)
    object_type = object_id = ""
    if target:
        object_type, _, object_id = target.partition(":")
        if not object_type or not object_id:
            print(say.AUDIT_OBJECT, file=err)
            return EXIT_REFUSED
    try:
        start = start_of_day(since, tz)
    except ValueError:
        print(say.SINCE_INVALID, file=err)
        return EXIT_REFUSED
    if not 1 <= limit <= 10000:
        print(say.LIMIT_INVALID.format(limit=10000), file=err)
        return EXIT_REFUSED
    async with current_sessions(config.database.url, echo=config.database.echo) as sessions:
        lines = await PeopleService(sessions).audit_log(
            Actor.system("cli"),
            action=action.strip(),
            object_type=object_type.strip(),
            object_id=object_id.strip(),
            since=start,
            limit=limit,
        )
    if as_csv:
        out.write(audit_csv(lines, tz))
    elif not lines:
        print(say.AUDIT_NONE, file=out)
    else:
        from bot.cli_people import table

        rows = [
            (
                line.at.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S"),
                line.who,
                line.action,
                f"{line.object_type}:{line.object_id}",
                _one_line(_details(line), DETAILS_WIDTH),
            )
            for line in lines
        ]
        out.write(table(say.AUDIT_HEADERS, rows))
    return EXIT_OK


def audit_csv(lines: list[AuditLine], tz: Any) -> str:
    """The entries as CSV: local time in ISO 8601, details as JSON."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_HEADERS)
    for line in lines:
        writer.writerow(
            (
                line.at.astimezone(tz).isoformat(),
                line.who,
                "" if line.actor_id is None else line.actor_id,
                line.action,
                f"{line.object_type}:{line.object_id}",
                _details(line),
            )
        )
    return buffer.getvalue()


def _details(line: AuditLine) -> str:
    return json.dumps(line.details, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


def _one_line(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"
