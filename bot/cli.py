"""The ``motcua`` command: database, knowledge base, terminal chat and the bot itself."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import sys
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from sqlalchemy.engine import make_url
from sqlalchemy.exc import InterfaceError, OperationalError

from bot import (
    cli_audit,
    cli_directive,
    cli_dossier,
    cli_feedback,
    cli_guide,
    cli_kb,
    cli_people,
    cli_qr,
    cli_report,
)
from bot import config as config_module
from bot.config import Config, ConfigError
from bot.logs import quiet_libraries
from bot.markup import to_plain
from bot.ops import doctor
from bot.services.procedures import (
    ImportSummary,
    import_procedures,
    knowledge_stats,
    load_index,
    load_procedures,
)
from bot.storage import ProcedureRow
from bot.storage.migrate import (
    SchemaNotCurrent,
    current,
    current_sessions,
    head_revision,
    upgrade,
)
from bot.texts import cli as say
from knowledge.importers import ImportError_, ImportResult, load_paths
from knowledge.model import Procedure
from knowledge.results import SearchResult

if TYPE_CHECKING:
    from bot.app import Core

# Exit codes: 1 = the thing asked for does not exist; 2 = the operator must fix something first.
EXIT_OK = 0
EXIT_NOT_FOUND = 1
EXIT_SETUP = 2
EXIT_INTERRUPTED = 130

# What the command prints lives in bot/texts/cli.py (``say``), next to what residents read.
PROBLEMS_SHOWN = 20
FIELDS_SHOWN = 15

log = logging.getLogger("motcua")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``motcua`` command and return its exit code."""
    parser = _parser()
    args = parser.parse_args(argv)
    if getattr(args, "handler", None) is None:
        parser.print_help(sys.stderr)
        return EXIT_SETUP
    try:
        config = config_module.load(args.config)
    except ConfigError as exc:
        if args.handler is cmd_doctor:
            return doctor.report(doctor.config_failed(str(exc)), sys.stdout)
        print(say.CONFIG_ERROR.format(error=exc), file=sys.stderr)
        return EXIT_SETUP
    logging.basicConfig(
        level=config.log_level.upper(),
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    quiet_libraries()
    # Alembic narrates every connection at INFO; the db commands print what matters themselves.
    logging.getLogger("alembic").setLevel(max(logging.WARNING, logging.getLogger().level))
    handler: Callable[[argparse.Namespace, Config], int] = args.handler
    try:
        return handler(args, config)
    except SchemaNotCurrent as exc:
        print(_schema_message(exc, args.config), file=sys.stderr)
        return EXIT_SETUP
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader (e.g. `| head`) went away; point stdout at nothing so the exit flush is quiet.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except (OperationalError, InterfaceError, OSError) as exc:
        cause = getattr(exc, "orig", None) or exc
        url = make_url(config.database.url).render_as_string(hide_password=True)
        print(say.DATABASE_ERROR.format(url=url, error=f"{type(cause).__name__}: {cause}"), file=sys.stderr)
        return EXIT_SETUP


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="motcua", description="The one-stop public-service assistant.")
    parser.add_argument(
        "--config",
        metavar="FILE",
        default=os.environ.get("MOTCUA_CONFIG") or None,
        help="configuration file (TOML); default: $MOTCUA_CONFIG, else built-in defaults",
    )
    sub = parser.add_subparsers(title="commands", metavar="COMMAND")

    db = sub.add_parser("db", help="database schema").add_subparsers(title="db commands", metavar="COMMAND")
    db.add_parser("upgrade", help="create or migrate the schema to the latest version").set_defaults(
        handler=cmd_db_upgrade
    )
    db.add_parser("current", help="print the schema version").set_defaults(handler=cmd_db_current)

    kb = sub.add_parser("kb", help="knowledge base").add_subparsers(title="kb commands", metavar="COMMAND")
    imp = kb.add_parser("import", help="import procedure files or folders (JSON, XLSX)")
    imp.add_argument("paths", nargs="+", metavar="PATH", type=Path)
    imp.set_defaults(handler=cmd_kb_import)
    search = kb.add_parser("search", help="search; without QUERY, one query per stdin line -> JSON lines")
    search.add_argument("query", nargs="*", metavar="QUERY")
    search.add_argument("--limit", type=_positive, default=None, help="at most N results")
    search.add_argument("--json", action="store_true", help="print JSON")
    search.set_defaults(handler=cmd_kb_search)
    show = kb.add_parser("show", help="print a procedure's short card, or one of its sections")
    show.add_argument("code", metavar="CODE")
    show.add_argument(
        "--section",
        choices=("giayto", "cacbuoc", "cancu", "tructuyen", "all"),
        help="print a section the card's buttons open (all: the short card and every section)",
    )
    show.set_defaults(handler=cmd_kb_show)
    kb.add_parser("stats", help="what the knowledge base holds").set_defaults(handler=cmd_kb_stats)
    cli_kb.register(kb)

    cli_dossier.register(sub)
    cli_people.register(sub)
    cli_directive.register(sub)
    cli_audit.register(sub)
    cli_guide.register(sub)
    cli_feedback.register(sub)
    cli_report.register(sub)
    cli_qr.register(sub)
    sub.add_parser("chat", help="chat with the bot in this terminal").set_defaults(handler=cmd_chat)
    sub.add_parser("run", help="serve every configured channel").set_defaults(handler=cmd_run)
    check = sub.add_parser("doctor", help="check the configuration, database, tokens and webhooks")
    check.add_argument(
        "--timeout", type=float, default=doctor.DEFAULT_TIMEOUT, metavar="SECONDS", help="per check"
    )
    check.set_defaults(handler=cmd_doctor)
    return parser


def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError(say.AT_LEAST_ONE)
    return number


def _schema_message(exc: SchemaNotCurrent, config_path: str | None) -> str:
    option = f" --config {config_path}" if config_path else ""
    return say.SCHEMA.format(current=exc.current or say.SCHEMA_EMPTY, head=exc.head, config=option)


# --- db ---------------------------------------------------------------------------------------------


def cmd_db_upgrade(args: argparse.Namespace, config: Config) -> int:
    """Migrate the database to the latest schema."""
    before = current(config.database.url)
    upgrade(config.database.url)
    head = head_revision()
    if before == head:
        print(say.UP_TO_DATE.format(head=head))
    else:
        print(say.UPGRADED.format(before=before or say.SCHEMA_EMPTY, head=head))
    return EXIT_OK


def cmd_db_current(args: argparse.Namespace, config: Config) -> int:
    """Print the schema version and whether it is the latest."""
    revision = current(config.database.url)
    head = head_revision()
    shown = revision or say.SCHEMA_EMPTY
    if revision == head:
        print(say.CURRENT_HEAD.format(current=shown))
        return EXIT_OK
    print(say.CURRENT_BEHIND.format(current=shown, head=head))
    return EXIT_SETUP


# --- kb import --------------------------------------------------------------------------------------


def cmd_kb_import(args: argparse.Namespace, config: Config) -> int:
    """Read procedure files, then write them in one transaction and print a summary."""
    return asyncio.run(_kb_import(config, args.paths))


async def _kb_import(config: Config, paths: list[Path]) -> int:
    async with current_sessions(config.database.url, echo=config.database.echo) as sessions:
        print(say.READING.format(paths=", ".join(str(p) for p in paths)), file=sys.stderr)
        progress = Progress(sys.stderr)
        try:
            result = await asyncio.to_thread(load_paths, paths, progress)
        except ImportError_ as exc:
            progress.finish()
            print(say.IMPORT_ERROR.format(error=exc), file=sys.stderr)
            return EXIT_SETUP
        progress.finish()
        print(say.WRITING.format(count=len(result.procedures)), file=sys.stderr)
        summary = await import_procedures(sessions, result.procedures.values())
    _print_summary(result, summary)
    return EXIT_OK


class Progress:
    """File progress on stderr: a redrawn bar on a terminal, a line per tenth otherwise."""

    WIDTH = 30

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._tty = stream.isatty()
        self._shown = 0
        self._drawn = False

    def __call__(self, done: int, total: int) -> None:
        """Report ``done`` of ``total`` files read."""
        percent = 100 if total <= 0 else min(100, done * 100 // total)
        if self._tty:
            filled = percent * self.WIDTH // 100
            bar = "#" * filled + "." * (self.WIDTH - filled)
            self._stream.write(f"\r[{bar}] {percent:3d}% {done}/{total}")
            self._drawn = True
        elif percent // 10 > self._shown // 10:
            self._stream.write(say.PROGRESS.format(percent=percent, done=done, total=total) + "\n")
        else:
            return
        self._shown = percent
        self._stream.flush()

    def finish(self) -> None:
        """End the bar's line."""
        if self._drawn:
            self._stream.write("\n")
            self._stream.flush()
            self._drawn = False


def _print_summary(result: ImportResult, summary: ImportSummary) -> None:
    print(
        say.SUMMARY.format(
            files=result.files,
            read=len(result.procedures),
            imported=summary.imported,
            updated=summary.updated,
            unchanged=summary.unchanged,
        )
    )
    if summary.kept_real:
        print(say.KEPT_REAL.format(count=summary.kept_real))
    counts = result.unparsed_counts()
    if counts:
        print(say.UNPARSED.format(counts=", ".join(f"{name} {n}" for name, n in counts.items())))
    else:
        print(say.UNPARSED_NONE)
    if result.problems:
        print(say.PROBLEMS.format(count=len(result.problems)), file=sys.stderr)
        for problem in result.problems[:PROBLEMS_SHOWN]:
            print(f"  - {problem}", file=sys.stderr)
        if len(result.problems) > PROBLEMS_SHOWN:
            print(f"  … (+{len(result.problems) - PROBLEMS_SHOWN})", file=sys.stderr)


# --- kb search / show / stats -----------------------------------------------------------------------


def cmd_kb_search(args: argparse.Namespace, config: Config) -> int:
    """Search one query, or every stdin line as JSON lines."""
    limit: int = args.limit or config.search.max_choices
    query = " ".join(args.query).strip()
    return asyncio.run(_kb_search(config, query, limit, as_json=args.json))


async def _kb_search(config: Config, query: str, limit: int, *, as_json: bool) -> int:
    async with current_sessions(config.database.url, echo=config.database.echo) as sessions:
        index = await load_index(sessions)
    if not query:
        for line in sys.stdin:
            if line.strip():
                print(
                    json.dumps(search_json(index.search(line.strip(), limit)), ensure_ascii=False), flush=True
                )
        return EXIT_OK
    result = index.search(query, limit)
    if as_json:
        print(json.dumps(search_json(result), ensure_ascii=False, indent=2))
        return EXIT_OK
    print(
        f"{say.SEARCH_ANSWER.get(result.answer, result.answer)}"
        + (f" ({result.reason})" if result.reason else "")
    )
    for number, hit in enumerate(result.hits, 1):
        print(f"{number}. [{hit.score:5.1f}] {hit.code}  {hit.name}")
    return EXIT_OK


def search_json(result: SearchResult) -> dict[str, Any]:
    """The JSON form of a search result (one line of ``kb search`` stdin mode)."""
    return {
        "query": result.query,
        "answer": result.answer,
        "results": [{"code": h.code, "name": h.name, "score": round(h.score, 2)} for h in result.hits],
    }


def cmd_kb_show(args: argparse.Namespace, config: Config) -> int:
    """Print one procedure's card as plain text."""
    proc = asyncio.run(_kb_get(config, args.code.strip()))
    if proc is None:
        print(say.UNKNOWN_CODE.format(code=args.code), file=sys.stderr)
        return EXIT_NOT_FOUND
    from handlers.card_sections import SECTIONS, render_section
    from handlers.short_card import render_short_card

    portal_url = config.centre.portal_url
    if args.section in (None, "all"):
        print(to_plain(render_short_card(proc, portal_url=portal_url)))
    for section in SECTIONS if args.section == "all" else (args.section,) if args.section else ():
        for part in render_section(proc, section, portal_url=portal_url):
            print()
            print(to_plain(part))
    return EXIT_OK


async def _kb_get(config: Config, code: str) -> Procedure | None:
    async with (
        current_sessions(config.database.url, echo=config.database.echo) as sessions,
        sessions() as session,
    ):
        row = await session.get(ProcedureRow, code)
    return None if row is None else Procedure.from_dict(row.data)


def cmd_kb_stats(args: argparse.Namespace, config: Config) -> int:
    """Print what the knowledge base holds."""
    procedures = asyncio.run(_kb_all(config))
    stats = knowledge_stats(procedures)
    total = stats.total
    if not total:
        print(say.EMPTY_KB)
        return EXIT_OK
    if stats.demo == total:
        kind = say.STATS_DEMO
    elif stats.demo == 0:
        kind = say.STATS_REAL
    else:
        kind = say.STATS_MIXED.format(real=total - stats.demo, demo=stats.demo)
    print(say.STATS_TOTAL.format(total=total, kind=kind))
    _print_counts(say.STATS_BY_SOURCE, stats.by_source.items(), total)
    _print_counts(say.STATS_BY_LEVEL, stats.by_level.items(), total)
    fields = list(stats.by_field.items())
    title = say.STATS_BY_FIELD
    if len(fields) > FIELDS_SHOWN:
        title += say.STATS_TOP.format(shown=FIELDS_SHOWN, total=len(fields))
    _print_counts(title, fields[:FIELDS_SHOWN], total)
    print(say.STATS_DETAILS)
    for label, count in (
        (say.STATS_DOCUMENTS, stats.with_documents),
        (say.STATS_CHANNELS, stats.with_channels),
        (say.STATS_FEES, stats.with_fees),
    ):
        print(f"  {label}: {count} ({_share(count, total)})")
    return EXIT_OK


async def _kb_all(config: Config) -> list[Procedure]:
    async with current_sessions(config.database.url, echo=config.database.echo) as sessions:
        return await load_procedures(sessions)


def _print_counts(title: str, counts: Iterable[tuple[str, int]], total: int) -> None:
    print(f"{title}:")
    for name, count in counts:
        print(f"  {name or say.UNKNOWN_VALUE}: {count} ({_share(count, total)})")


def _share(count: int, total: int) -> str:
    return f"{100 * count / total:.1f}%" if total else "-"


# --- chat / run -------------------------------------------------------------------------------------


def cmd_chat(args: argparse.Namespace, config: Config) -> int:
    """Chat in the terminal; with a Telegram or Zalo token, serve those channels in the same process too."""
    if sys.stdin.isatty():
        # Log lines would interleave with the conversation; only problems are worth showing here.
        root = logging.getLogger()
        root.setLevel(max(logging.WARNING, root.level))
    from bot.runner import EXIT_FAILED, in_use
    from bot.storage.process_lock import DatabaseInUseError, hold_database

    try:
        # One serving process per SQLite file: the chat runs the same dispatcher, outbox and jobs.
        with hold_database(config.database.url):
            asyncio.run(_chat(config))
    except DatabaseInUseError as exc:
        print(in_use(exc), file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print(file=sys.stdout)
    return EXIT_OK


async def _chat(config: Config) -> None:
    from bot.adapters.console import CHAT, run_console
    from bot.app import build_core
    from bot.app.serving import knowledge_scheduler

    async with build_core(config) as core:
        if core.services.procedures.count == 0:
            print(say.EMPTY_KB, file=sys.stderr)
        # Each terminal session is a new conversation: a number picks only from a list it showed.
        await core.services.conversations.forget(CHAT.key)
        stop = asyncio.Event()
        channels: list[asyncio.Task[None]] = []
        # Without a channel, nothing else would pick up new aliases or a re-import while the chat runs.
        learning = None if config.channels else knowledge_scheduler(core)
        if config.channels:
            channels.append(asyncio.create_task(_run_other_channels(core, stop)))
        try:
            await run_console(core.dispatcher.dispatch, sys.stdin, sys.stdout, interactive=sys.stdin.isatty())
        finally:
            stop.set()
            if learning is not None:
                learning.shutdown(wait=False)
            for task in channels:
                with contextlib.suppress(asyncio.CancelledError):
                    await task


async def _run_other_channels(core: Core, stop: asyncio.Event) -> None:
    from bot.adapters import ChannelError
    from bot.runner import run_channels

    try:
        await run_channels(core, stop)
    except (ChannelError, OSError) as exc:
        # The terminal keeps working when a channel cannot start (bad token, no network, [http] port taken).
        log.error(say.CHANNEL_FAILED, exc)


def cmd_run(args: argparse.Namespace, config: Config) -> int:
    """Serve every configured channel until stopped."""
    # Imported here: it pulls in the platform libraries, which the db and kb commands never need.
    from bot.runner import run

    return run(config)


# --- doctor -----------------------------------------------------------------------------------------


def cmd_doctor(args: argparse.Namespace, config: Config) -> int:
    """Check what ``motcua run`` needs and print what is wrong and how to fix it; 1 when something is."""
    findings = asyncio.run(doctor.diagnose(config, config_path=args.config, seconds=args.timeout))
    return doctor.report(findings, sys.stdout)
