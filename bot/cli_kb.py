"""``motcua kb unanswered`` and ``motcua kb alias``: what the bot could not answer, and phrases that fix it.

Staff read the unanswered questions (folded text and counts, near-duplicates merged), then attach a
phrase to the procedure it meant: ``motcua kb alias add CODE "phrase"``. A running bot picks the alias up
within ``[search] reload_seconds``. Alias changes are audited as ``cli``; exit 0 done, 1 refused.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from datetime import datetime
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from bot.cli_audit import start_of_day
from bot.config import Config
from bot.services.aliases import (
    PHRASE_MAX,
    AliasNotFoundError,
    AliasService,
    AliasView,
    BadPhraseError,
    UnknownProcedureError,
)
from bot.services.people import Actor
from bot.services.unanswered import UnansweredService
from bot.storage.migrate import current_sessions
from bot.texts import cli as say
from bot.unanswered_report import Group, Variant, group_unanswered

EXIT_OK = 0
EXIT_REFUSED = 1
LIMIT_MAX = 10_000

TEXT_WIDTH = 80


def register(kb: Any) -> None:
    """Add ``unanswered`` and ``alias`` to ``motcua kb``."""
    unanswered = kb.add_parser(
        "unanswered",
        help="questions the bot could not answer, near-duplicates merged, most frequent first",
        description=(
            "Questions answered 'none' (nothing matched) or with choices the next message did not pick, "
            "folded (no diacritics), counted; similar spellings are merged into one group."
        ),
    )
    unanswered.add_argument(
        "--since", default="", metavar="YYYY-MM-DD", help="last seen on or after this day"
    )
    unanswered.add_argument(
        "--limit", type=int, default=50, metavar="N", help="at most N groups (default 50)"
    )
    unanswered.add_argument("--json", action="store_true", help="print JSON")
    unanswered.set_defaults(handler=cmd_kb_unanswered)

    alias = kb.add_parser("alias", help="phrases attached to a procedure (searched like its keywords)")
    commands = alias.add_subparsers(title="alias commands", metavar="COMMAND")
    add = commands.add_parser("add", help="attach a phrase to a procedure (audited)")
    add.add_argument("code", metavar="CODE")
    add.add_argument("phrase", metavar="PHRASE")
    add.set_defaults(handler=cmd_alias_add)
    listing = commands.add_parser("list", help="every alias, or those of one procedure")
    listing.add_argument("code", nargs="?", default=None, metavar="CODE")
    listing.set_defaults(handler=cmd_alias_list)
    remove = commands.add_parser("remove", help="remove an alias by its id (audited)")
    remove.add_argument("alias_id", type=int, metavar="ID")
    remove.set_defaults(handler=cmd_alias_remove)


# --- kb unanswered ------------------------------------------------------------------------------


def cmd_kb_unanswered(args: argparse.Namespace, config: Config) -> int:
    """``motcua kb unanswered [--since DATE] [--limit N] [--json]``."""
    return asyncio.run(run_unanswered(config, since=args.since, limit=args.limit, as_json=args.json))


async def run_unanswered(
    config: Config,
    *,
    since: str = "",
    limit: int = 50,
    as_json: bool = False,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Check the filters, read and group the questions, print a table or JSON."""
    out, err = out or sys.stdout, err or sys.stderr
    tz = ZoneInfo(config.timezone)
    try:
        start = start_of_day(since, tz)
    except ValueError:
        print(say.SINCE_INVALID, file=err)
        return EXIT_REFUSED
    if not 1 <= limit <= LIMIT_MAX:
        print(say.LIMIT_INVALID.format(limit=LIMIT_MAX), file=err)
        return EXIT_REFUSED
    async with current_sessions(config.database.url, echo=config.database.echo) as sessions:
        rows = await UnansweredService(sessions).rows(since=start)
    groups = await asyncio.to_thread(group_unanswered, rows)
    shown = groups[:limit]
    if as_json:
        print(json.dumps([_group_json(g, tz) for g in shown], ensure_ascii=False, indent=2), file=out)
        return EXIT_OK
    if not shown:
        print(say.KB_NO_UNANSWERED, file=out)
        return EXIT_OK
    from bot.cli_people import table

    table_rows = [
        (
            str(g.total.count),
            str(g.total.none),
            str(g.total.choices),
            _local(g.total.last_seen, tz),
            _cut(g.text, TEXT_WIDTH)
            + (say.KB_VARIANTS.format(count=len(g.variants) - 1) if len(g.variants) > 1 else ""),
        )
        for g in shown
    ]
    out.write(table(say.KB_UNANSWERED_HEADERS, table_rows))
    print(say.KB_SHOWN.format(shown=len(shown), total=len(groups)), file=out)
    return EXIT_OK


def _group_json(group: Group, tz: ZoneInfo) -> dict[str, Any]:
    return {
        "text": group.text,
        **_counts_json(group.total, tz),
        "variants": [{"text": v.text, **_counts_json(v, tz)} for v in group.variants],
    }


def _counts_json(variant: Variant, tz: ZoneInfo) -> dict[str, Any]:
    return {
        "count": variant.count,
        "none": variant.none,
        "choices": variant.choices,
        "first_seen": variant.first_seen.astimezone(tz).isoformat() if variant.first_seen else None,
        "last_seen": variant.last_seen.astimezone(tz).isoformat() if variant.last_seen else None,
    }


# --- kb alias -----------------------------------------------------------------------------------


def cmd_alias_add(args: argparse.Namespace, config: Config) -> int:
    """``motcua kb alias add CODE PHRASE``."""
    return asyncio.run(run_alias_add(config, args.code, args.phrase))


async def run_alias_add(
    config: Config, code: str, phrase: str, *, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    """Attach the phrase; unknown codes and unusable phrases are refused (exit 1)."""
    out, err = out or sys.stdout, err or sys.stderr
    async with current_sessions(config.database.url, echo=config.database.echo) as sessions:
        try:
            alias, created = await AliasService(sessions).add(Actor.system("cli"), code, phrase)
        except UnknownProcedureError as exc:
            print(say.UNKNOWN_CODE.format(code=exc.code), file=err)
            return EXIT_REFUSED
        except BadPhraseError:
            print(say.KB_BAD_PHRASE.format(max=PHRASE_MAX), file=err)
            return EXIT_REFUSED
    if created:
        seconds = f"{config.search.reload_seconds:g}"
        print(
            say.KB_ALIAS_ADDED.format(id=alias.id, code=alias.code, phrase=alias.phrase, seconds=seconds),
            file=out,
        )
    else:
        print(say.KB_ALIAS_EXISTS.format(id=alias.id, code=alias.code, phrase=alias.phrase), file=out)
    return EXIT_OK


def cmd_alias_list(args: argparse.Namespace, config: Config) -> int:
    """``motcua kb alias list [CODE]``."""
    return asyncio.run(run_alias_list(config, args.code))


async def run_alias_list(
    config: Config, code: str | None = None, *, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    """Print the aliases as a table; an unknown code is refused (exit 1)."""
    out, err = out or sys.stdout, err or sys.stderr
    async with current_sessions(config.database.url, echo=config.database.echo) as sessions:
        try:
            aliases = await AliasService(sessions).aliases(code)
        except UnknownProcedureError as exc:
            print(say.UNKNOWN_CODE.format(code=exc.code), file=err)
            return EXIT_REFUSED
    if not aliases:
        print(say.KB_NO_ALIASES, file=out)
        return EXIT_OK
    from bot.cli_people import table

    tz = ZoneInfo(config.timezone)
    out.write(table(say.KB_ALIAS_HEADERS, [_alias_row(a, tz) for a in aliases]))
    return EXIT_OK


def _alias_row(alias: AliasView, tz: ZoneInfo) -> tuple[str, ...]:
    return (
        str(alias.id),
        alias.code,
        _cut(alias.phrase, TEXT_WIDTH),
        _local(alias.created_at, tz),
        alias.created_by,
    )


def cmd_alias_remove(args: argparse.Namespace, config: Config) -> int:
    """``motcua kb alias remove ID``."""
    return asyncio.run(run_alias_remove(config, args.alias_id))


async def run_alias_remove(
    config: Config, alias_id: int, *, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    """Remove one alias; an unknown id is refused (exit 1)."""
    out, err = out or sys.stdout, err or sys.stderr
    async with current_sessions(config.database.url, echo=config.database.echo) as sessions:
        try:
            removed = await AliasService(sessions).remove(Actor.system("cli"), alias_id)
        except AliasNotFoundError:
            print(say.KB_NO_ALIAS.format(id=alias_id), file=err)
            return EXIT_REFUSED
    print(say.KB_ALIAS_REMOVED.format(id=removed.id, code=removed.code, phrase=removed.phrase), file=out)
    return EXIT_OK


def _local(moment: datetime | None, tz: ZoneInfo) -> str:
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M") if moment is not None else ""


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
