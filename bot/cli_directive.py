"""``motcua directive``: create a directive from a TOML file, list, cancel, and report on one.

The command line acts as the system (an admin, audited as "cli"). A created directive is published at
once: sent now, queued for its time, or armed for its recurring rule; the running bot's outbox worker
delivers it and its minute sync picks up new schedules and cancellations.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import sys
import tomllib
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from bot import texts
from bot.config import Config
from bot.services.directives import (
    DirectiveDraft,
    DirectiveNotFoundError,
    DirectiveReport,
    DirectiveService,
    DirectiveStateError,
    InvalidDirectiveError,
    ScheduleKind,
    file_key,
    read_changes,
    read_draft,
)
from bot.services.people import Actor, PermissionDeniedError
from bot.services.schedule import zone
from bot.storage import SessionFactory
from bot.storage.migrate import current_sessions
from bot.texts import cli as say

EXIT_OK = 0
EXIT_REFUSED = 1
EXIT_SETUP = 2


CSV_HEADERS = (
    "directive_id",
    "occurrence",
    "row",
    "unit",
    "name",
    "platform",
    "chat_id",
    "status",
    "reason",
    "sent_at",
    "attempts",
    "possible_duplicate",
    "acknowledged_at",
    "how",
)


def register(subparsers: Any) -> None:
    """Add ``directive`` to the ``motcua`` command."""
    directive = subparsers.add_parser("directive", help="directives to staff: create, list, cancel, report")
    commands = directive.add_subparsers(title="directive commands", metavar="COMMAND")
    create = commands.add_parser(
        "create",
        help="create and publish a directive from a TOML file",
        description="Create a directive from a TOML file and publish it (now, at a time, or recurring).",
        epilog=say.DIRECTIVE_CREATE_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    create.add_argument("--file", required=True, type=Path, metavar="FILE")
    create.set_defaults(handler=cmd_directive_create)
    change = commands.add_parser(
        "change",
        help="change a directive not yet sent (a draft, or a recurring one before its first run)",
        description=(
            "Change a directive nothing of which was sent yet, from a TOML file with the keys of "
            "'create', all optional. A recurring directive is re-armed for its new rule."
        ),
        epilog=say.DIRECTIVE_CREATE_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    change.add_argument("id", type=int, metavar="ID")
    change.add_argument("--file", required=True, type=Path, metavar="FILE")
    change.set_defaults(handler=cmd_directive_change)
    listing = commands.add_parser("list", help="the newest directives")
    listing.add_argument("--limit", type=int, default=50)
    listing.set_defaults(handler=cmd_directive_list)
    cancel = commands.add_parser("cancel", help="cancel a directive (waiting messages are not sent)")
    cancel.add_argument("id", type=int, metavar="ID")
    cancel.set_defaults(handler=cmd_directive_cancel)
    report = commands.add_parser(
        "report",
        help="per recipient and per unit: delivered / failed / acknowledged / pending, duplicates",
    )
    report.add_argument("id", type=int, metavar="ID")
    report.add_argument("--occurrence", default=None, help="an occurrence of a recurring directive")
    report.add_argument("--csv", action="store_true", help="print CSV (one row per chat and per person)")
    report.set_defaults(handler=cmd_directive_report)


def service_for(sessions: SessionFactory, config: Config) -> DirectiveService:
    """The directive service exactly as the running bot builds it (renderers, cron reader, quiet hours)."""
    from bot.app import build_directives

    return build_directives(config, sessions)[1]


# --- the file -----------------------------------------------------------------------------------------


def _read_toml(path: Path) -> dict[str, Any]:
    """The TOML table in ``path``; OSError when it cannot be read or parsed."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise OSError(say.DIRECTIVE_FILE_MISSING.format(path=path)) from None
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise OSError(str(exc)) from None


def _refusal(exc: InvalidDirectiveError) -> str:
    return say.DIRECTIVE_KEY.format(
        key=file_key(exc.field), reason=texts.directive_reason(exc.reason, exc.value)
    )


# --- commands -----------------------------------------------------------------------------------------


def cmd_directive_create(args: argparse.Namespace, config: Config) -> int:
    """``motcua directive create --file FILE``."""
    return asyncio.run(run_create(config, args.file))


async def run_create(
    config: Config,
    path: Path,
    *,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Read, validate, create and publish in one go; print what was queued or armed."""
    out, err = out or sys.stdout, err or sys.stderr
    actor = Actor.system("cli")
    try:
        raw = _read_toml(path)
    except OSError as exc:
        print(say.DIRECTIVE_FILE.format(error=exc), file=err)
        return EXIT_SETUP
    async with current_sessions(config.database.url, echo=config.database.echo) as sessions:
        service = service_for(sessions, config)
        try:
            draft = await service.writing.resolve(read_draft(raw, config.timezone))
            submitted = await service.writing.submit(actor, draft)
        except InvalidDirectiveError as exc:
            print(_refusal(exc), file=err)
            return EXIT_REFUSED
        except (PermissionDeniedError, DirectiveStateError) as exc:
            print(say.REFUSED.format(reason=exc), file=err)
            return EXIT_REFUSED
    created, result = submitted.directive, submitted.result
    tz = zone(config.timezone)
    print(say.DIRECTIVE_CREATED.format(id=created.id, title=created.title), file=out)
    due = result.due_at.astimezone(tz).strftime("%H:%M %d/%m/%Y") if result.due_at else "-"
    if created.schedule_kind is ScheduleKind.CRON:
        print(say.DIRECTIVE_ARMED.format(cron=created.cron, due=due), file=out)
    else:
        print(
            say.DIRECTIVE_QUEUED.format(
                queued=result.queued, chats=result.chats, due=due, unreachable=result.unreachable
            ),
            file=out,
        )
    return EXIT_OK


def cmd_directive_change(args: argparse.Namespace, config: Config) -> int:
    """``motcua directive change ID --file FILE``."""
    return asyncio.run(run_change(config, args.id, args.file))


async def run_change(
    config: Config,
    directive_id: int,
    path: Path,
    *,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Read the changes, apply them (audited), and print what changed and when it goes out."""
    out, err = out or sys.stdout, err or sys.stderr
    actor = Actor.system("cli")
    try:
        raw = _read_toml(path)
    except OSError as exc:
        print(say.DIRECTIVE_FILE.format(error=exc), file=err)
        return EXIT_SETUP
    async with current_sessions(config.database.url, echo=config.database.echo) as sessions:
        service = service_for(sessions, config)
        try:
            changes = await service.writing.resolve_changes(read_changes(raw, config.timezone))
            before = await service.reports.get(actor, directive_id)
            after = await service.writing.change(actor, directive_id, changes)
            result = None
            # The CLI publishes what it creates: a recurring directive changed to a one-off goes out.
            if before.status.value == "scheduled" and after.status.value == "draft":
                result = await service.publishing.publish(actor, directive_id)
        except InvalidDirectiveError as exc:
            print(_refusal(exc), file=err)
            return EXIT_REFUSED
        except DirectiveNotFoundError:
            print(say.DIRECTIVE_NOT_FOUND.format(id=directive_id), file=err)
            return EXIT_REFUSED
        except DirectiveStateError:
            print(say.DIRECTIVE_NOT_CHANGEABLE.format(id=directive_id), file=err)
            return EXIT_REFUSED
        except PermissionDeniedError as exc:
            print(say.REFUSED.format(reason=exc), file=err)
            return EXIT_REFUSED
    fields = [
        name
        for name in DirectiveDraft.__dataclass_fields__
        if getattr(before, name, None) != getattr(after, name, None)
    ]
    if not fields:
        print(say.DIRECTIVE_UNCHANGED.format(id=directive_id), file=out)
        return EXIT_OK
    print(
        say.DIRECTIVE_CHANGED.format(id=directive_id, fields=", ".join(file_key(f) for f in fields)), file=out
    )
    tz = zone(config.timezone)
    if after.schedule_kind is ScheduleKind.CRON and after.next_run_at is not None:
        print(
            say.DIRECTIVE_ARMED.format(
                cron=after.cron, due=after.next_run_at.astimezone(tz).strftime("%H:%M %d/%m/%Y")
            ),
            file=out,
        )
    elif result is not None:
        due = result.due_at.astimezone(tz).strftime("%H:%M %d/%m/%Y") if result.due_at else "-"
        print(
            say.DIRECTIVE_QUEUED.format(
                queued=result.queued, chats=result.chats, due=due, unreachable=result.unreachable
            ),
            file=out,
        )
    return EXIT_OK


def cmd_directive_list(args: argparse.Namespace, config: Config) -> int:
    """``motcua directive list``."""
    return asyncio.run(run_list(config, args.limit))


async def run_list(config: Config, limit: int = 50, *, out: TextIO | None = None) -> int:
    """Print the newest directives."""
    out = out or sys.stdout
    tz = zone(config.timezone)
    async with current_sessions(config.database.url, echo=config.database.echo) as sessions:
        views = await service_for(sessions, config).reports.recent(Actor.system("cli"), limit=max(1, limit))
    if not views:
        print(say.DIRECTIVE_NONE, file=out)
        return EXIT_OK
    rows = []
    for view in views:
        when = view.next_run_at or view.schedule_at or view.created_at
        schedule = view.cron or (view.schedule_kind.value)
        rows.append(
            (
                str(view.id),
                view.title[:40],
                say.DIRECTIVE_URGENCY[view.urgency.value],
                schedule,
                view.status.value,
                when.astimezone(tz).strftime("%H:%M %d/%m/%Y"),
            )
        )
    from bot.cli_people import table

    out.write(table(say.DIRECTIVE_LIST_HEADERS, rows))
    return EXIT_OK


def cmd_directive_cancel(args: argparse.Namespace, config: Config) -> int:
    """``motcua directive cancel ID``."""
    return asyncio.run(run_cancel(config, args.id))


async def run_cancel(
    config: Config, directive_id: int, *, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    """Cancel a directive."""
    out, err = out or sys.stdout, err or sys.stderr
    async with current_sessions(config.database.url, echo=config.database.echo) as sessions:
        try:
            stopped = await service_for(sessions, config).publishing.cancel(Actor.system("cli"), directive_id)
        except DirectiveStateError:
            print(say.DIRECTIVE_NOT_FOUND.format(id=directive_id), file=err)
            return EXIT_REFUSED
    print(say.DIRECTIVE_CANCELLED.format(id=directive_id, stopped=stopped), file=out)
    return EXIT_OK


def cmd_directive_report(args: argparse.Namespace, config: Config) -> int:
    """``motcua directive report ID [--csv]``."""
    return asyncio.run(run_report(config, args.id, args.occurrence, as_csv=args.csv))


async def run_report(
    config: Config,
    directive_id: int,
    occurrence: str | None = None,
    *,
    as_csv: bool = False,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Print the report of a directive (an occurrence; by default the latest)."""
    out, err = out or sys.stdout, err or sys.stderr
    async with current_sessions(config.database.url, echo=config.database.echo) as sessions:
        try:
            report = await service_for(sessions, config).reports.report(
                Actor.system("cli"), directive_id, occurrence
            )
        except DirectiveStateError:
            print(say.DIRECTIVE_NOT_FOUND.format(id=directive_id), file=err)
            return EXIT_REFUSED
    tz = zone(config.timezone)
    out.write(report_csv(report, tz) if as_csv else report_text(report, tz))
    return EXIT_OK


def _when(moment: datetime | None, tz: ZoneInfo) -> str:
    return moment.astimezone(tz).strftime("%H:%M %d/%m/%Y") if moment is not None else ""


def _acknowledged(at: datetime | None, how: str, tz: ZoneInfo) -> str:
    if at is None:
        return say.DIRECTIVE_NOT_ACKNOWLEDGED
    return say.DIRECTIVE_ACKNOWLEDGED.format(at=_when(at, tz), how=say.DIRECTIVE_ACK_HOW.get(how, how))


def report_text(report: DirectiveReport, tz: ZoneInfo) -> str:
    """The report as aligned tables: per unit, per chat, per person."""
    from bot.cli_people import table

    view = report.directive
    head = say.DIRECTIVE_REPORT_HEAD.format(
        id=view.id, title=view.title, status=view.status.value, occurrence=report.occurrence or "-"
    )
    lines = [head]
    stats = report.stats
    lines.append(
        say.DIRECTIVE_REPORT_MESSAGES.format(
            sent=stats.sent,
            failed=stats.failed,
            waiting=stats.pending + stats.sending,
            duplicates=stats.possible_duplicates,
        )
    )
    lines.append("")
    unit_rows = [
        (
            u.name or say.DIRECTIVE_NO_UNIT,
            str(u.delivered),
            str(u.failed),
            str(u.pending),
            str(u.unreachable),
            f"{u.acknowledged}/{u.expected_acks}",
        )
        for u in report.units
    ]
    headers = say.DIRECTIVE_UNIT_HEADERS
    lines.append(table(headers, unit_rows).rstrip("\n"))
    lines.append("")
    chat_rows = [
        (
            r.name or "-",
            f"{r.chat.platform.value}:{r.chat.chat_id}" if r.chat is not None else "-",
            say.DIRECTIVE_STATUS_TEXT.get(r.status, r.status)
            + (say.DIRECTIVE_POSSIBLE_DUPLICATE if r.possible_duplicate else ""),
            r.reason,
            _when(r.sent_at, tz),
        )
        for r in report.recipients
    ]
    lines.append(table(say.DIRECTIVE_CHAT_HEADERS, chat_rows).rstrip("\n"))
    if report.acks:
        lines.append("")
        ack_rows = [(a.name, _acknowledged(a.at, a.how, tz)) for a in report.acks]
        lines.append(table(say.DIRECTIVE_ACK_HEADERS, ack_rows).rstrip("\n"))
    return "\n".join(lines) + "\n"


def report_csv(report: DirectiveReport, tz: ZoneInfo) -> str:
    """The report as CSV: one row per chat, then one per person expected to acknowledge."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_HEADERS)
    units = {u.unit_id: u.name for u in report.units}
    view = report.directive
    for r in report.recipients:
        writer.writerow(
            (
                view.id,
                report.occurrence,
                "chat",
                units.get(r.unit_id, ""),
                r.name,
                r.chat.platform.value if r.chat is not None else "",
                r.chat.chat_id if r.chat is not None else "",
                r.status,
                r.reason,
                r.sent_at.astimezone(tz).isoformat() if r.sent_at is not None else "",
                r.attempts,
                int(r.possible_duplicate),
                "",
                "",
            )
        )
    for a in report.acks:
        writer.writerow(
            (
                view.id,
                report.occurrence,
                "person",
                units.get(a.unit_id, ""),
                a.name,
                "",
                "",
                "acknowledged" if a.at is not None else "pending",
                "",
                "",
                "",
                "",
                a.at.astimezone(tz).isoformat() if a.at is not None else "",
                a.how,
            )
        )
    return buffer.getvalue()
