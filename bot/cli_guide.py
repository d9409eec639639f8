"""``motcua guide log [--from D] [--to D] [--unit UNIT]``: residents helped and cards per procedure.

Days are the centre's local days (``--to`` included); without ``--from`` the log is read from its
start, without ``--to`` up to now. The log holds no message contents and names residents by no more
than their platform account, which this command does not print either.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import UTC, datetime, timedelta
from typing import Any, TextIO

from sqlalchemy import select

from bot.cli_audit import start_of_day
from bot.config import Config
from bot.services.guide import GuideActivity, guide_activity
from bot.services.people import PeopleService
from bot.services.schedule import zone
from bot.storage import ProcedureRow
from bot.storage.migrate import current_sessions
from bot.texts import guide as say
from knowledge.normalize import fold

EXIT_OK = 0
EXIT_REFUSED = 1
BEGINNING = datetime(2000, 1, 1, tzinfo=UTC)


def register(subparsers: Any) -> None:
    """Add ``guide log`` to the ``motcua`` command."""
    guide = subparsers.add_parser("guide", help="guide mode (Tổ công nghệ số)").add_subparsers(
        title="guide commands", metavar="COMMAND"
    )
    log = guide.add_parser(
        "log",
        help="per guide: residents helped and cards sent per procedure",
        description="Print each guide's residents helped and cards per procedure in a period.",
    )
    log.add_argument("--from", dest="start", default="", metavar="YYYY-MM-DD", help="from this day (local)")
    log.add_argument("--to", dest="end", default="", metavar="YYYY-MM-DD", help="to this day, included")
    log.add_argument("--unit", default="", metavar="UNIT", help="guides of this unit only (name or id)")
    log.set_defaults(handler=cmd_guide_log)


def cmd_guide_log(args: argparse.Namespace, config: Config) -> int:
    """``motcua guide log``."""
    return asyncio.run(run_guide_log(config, start=args.start, end=args.end, unit=args.unit))


async def run_guide_log(
    config: Config,
    *,
    start: str = "",
    end: str = "",
    unit: str = "",
    now: datetime | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Check the period, read the figures and print them, one block per guide."""
    out, err = out or sys.stdout, err or sys.stderr
    tz = zone(config.timezone)
    try:
        first = start_of_day(start, tz) or BEGINNING
        last_day = start_of_day(end, tz)
    except ValueError:
        print(say.CLI_DATE_INVALID, file=err)
        return EXIT_REFUSED
    until = last_day + timedelta(days=1) if last_day is not None else (now or datetime.now(tz))
    if until <= first:
        print(say.CLI_PERIOD_EMPTY, file=err)
        return EXIT_REFUSED
    async with current_sessions(config.database.url, echo=config.database.echo) as sessions:
        unit_id = None
        if unit.strip():
            people = PeopleService(sessions)
            # Named like feedback routing names units: case and Vietnamese marks ignored.
            wanted = fold(unit)
            found = next((u for u in await people.units() if fold(u.name) == wanted), None)
            if found is None and unit.strip().isdigit():
                found = await people.unit(int(unit.strip()))
            if found is None:
                print(say.CLI_UNIT_UNKNOWN.format(unit=unit.strip()), file=err)
                return EXIT_REFUSED
            unit_id = found.id
        async with sessions() as session:
            figures = await guide_activity(session, first, until, unit_id)
            codes = {code for activity in figures for code in activity.by_procedure}
            rows = await session.execute(
                select(ProcedureRow.code, ProcedureRow.name).where(ProcedureRow.code.in_(codes))
            )
            names = dict(rows.tuples().all())
    shown_from = first.astimezone(tz).strftime("%d/%m/%Y") if start.strip() else say.CLI_FROM_START
    shown_to = (until - timedelta(seconds=1)).astimezone(tz).strftime("%d/%m/%Y")
    out.write(render(figures, names, shown_from, shown_to))
    return EXIT_OK


def render(figures: list[GuideActivity], names: dict[str, str], start: str, end: str) -> str:
    """The figures as plain text: a heading, then per guide a line and one line per procedure."""
    lines = [say.CLI_HEADING.format(start=start, end=end)]
    if not figures:
        lines.append(say.CLI_NONE)
    for activity in figures:
        cards = sum(activity.by_procedure.values())
        lines.append("")
        lines.append(
            say.CLI_GUIDE.format(name=activity.guide_name, residents=activity.residents, cards=cards)
        )
        width = max(len(code) for code in activity.by_procedure)
        for code, count in activity.by_procedure.items():
            lines.append(f"  {count:>4}  {code.ljust(width)}  {names.get(code, '')}".rstrip())
    return "\n".join(lines) + "\n"
