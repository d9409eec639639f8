"""``motcua feedback``: list residents' feedback, show one item, answer it from the command line."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from typing import Any, TextIO

from bot.config import Config
from bot.markup import to_plain
from bot.services.feedback import AnswerOutcome, FeedbackService, FeedbackView, FilingError, parse_number
from bot.services.people import Actor
from bot.storage import SessionFactory
from bot.storage.columns import utcnow
from bot.storage.migrate import current_sessions
from bot.texts import cli as cli_texts
from bot.texts import dossier_time
from bot.texts import feedback as say

EXIT_OK = 0
EXIT_NOT_DONE = 1
EXIT_SETUP = 2
TEXT_COLUMN = 60


def register(subparsers: Any) -> None:
    """Add ``feedback list``, ``feedback show`` and ``feedback answer`` to the ``motcua`` command."""
    feedback = subparsers.add_parser("feedback", help="residents' feedback: list, show, answer")
    commands = feedback.add_subparsers(title="feedback commands", metavar="COMMAND")
    listing = commands.add_parser("list", help="items newest first")
    listing.add_argument("--status", choices=("open", "answered", "overdue"), default="")
    listing.add_argument("--limit", type=_positive, default=200)
    listing.set_defaults(handler=cmd_list)
    show = commands.add_parser("show", help="one item in full")
    show.add_argument("number", metavar="NUMBER", help="tracking number, e.g. GY-000123")
    show.set_defaults(handler=cmd_show)
    answer = commands.add_parser("answer", help="answer an open item; the answer goes to the resident")
    answer.add_argument("number", metavar="NUMBER")
    answer.add_argument("text", metavar="TEXT", nargs="+")
    answer.set_defaults(handler=cmd_answer)


def _positive(value: str) -> int:
    """A positive whole number (argparse exits 2 on anything else)."""
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(cli_texts.LIMIT_NOT_POSITIVE.format(value=value))
    return number


def service_for(sessions: SessionFactory, config: Config) -> FeedbackService:
    """The feedback service as the running bot builds it (its answers in the handlers' words)."""
    # Imported here: the composition root pulls in the handlers, which the other commands never need.
    from bot.app.core import build_feedback

    return build_feedback(config, sessions, None)


def cmd_list(args: argparse.Namespace, config: Config) -> int:
    """Print items as a table."""
    return asyncio.run(run_list(config, args.status, args.limit))


def cmd_show(args: argparse.Namespace, config: Config) -> int:
    """Print one item."""
    return asyncio.run(run_show(config, args.number))


def cmd_answer(args: argparse.Namespace, config: Config) -> int:
    """Answer one item as the operator."""
    return asyncio.run(run_answer(config, args.number, " ".join(args.text)))


async def run_list(config: Config, status: str = "", limit: int = 200, *, out: TextIO | None = None) -> int:
    """Print the items (newest first) with the given status; exit 0."""
    out = out or sys.stdout
    async with current_sessions(config.database.url, echo=config.database.echo) as sessions:
        items = await service_for(sessions, config).items(status, limit=limit)
    if not items:
        print(say.CLI_EMPTY, file=out)
        return EXIT_OK
    now = utcnow()
    rows = [list(say.CLI_LIST_HEADERS)]
    for view in items:
        text = " ".join(view.text.split())
        rows.append(
            [
                view.number,
                _status(view, now),
                dossier_time(view.created_at, config.timezone),
                view.unit_name or say.CLI_NO_UNIT,
                _about(view),
                text if len(text) <= TEXT_COLUMN else text[: TEXT_COLUMN - 1] + "…",
            ]
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    for row in rows:
        print(
            "  ".join([*(c.ljust(w) for c, w in zip(row, widths, strict=False)), row[-1]]).rstrip(), file=out
        )
    return EXIT_OK


async def run_show(
    config: Config, number: str, *, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    """Print one item in full; exit 1 when there is no such item."""
    out, err = out or sys.stdout, err or sys.stderr
    item_id = parse_number(number)
    if item_id is None:
        print(say.CLI_BAD_NUMBER.format(typed=number), file=err)
        return EXIT_NOT_DONE
    async with current_sessions(config.database.url, echo=config.database.echo) as sessions:
        view = await service_for(sessions, config).get(item_id)
    if view is None:
        print(say.CLI_UNKNOWN.format(number=number), file=err)
        return EXIT_NOT_DONE
    labels, tz = say.CLI_SHOW_LABELS, config.timezone
    lines: list[tuple[str, str]] = [
        (labels["status"], _status(view, utcnow())),
        (labels["about"], _about(view)),
        (labels["unit"], view.unit_name or say.CLI_NO_UNIT),
        (labels["from"], f"{view.chat.platform.value}:{view.user_id}"),
        (labels["created"], dossier_time(view.created_at, tz)),
        (labels["due"], dossier_time(view.due_at, tz)),
    ]
    if view.escalated_at is not None:
        lines.append((labels["escalated"], dossier_time(view.escalated_at, tz)))
    lines.append((labels["text"], view.text))
    if view.answered_at is not None:
        lines += [
            (labels["answer"], view.answer),
            (labels["answered"], dossier_time(view.answered_at, tz)),
            (labels["by"], view.answered_by),
        ]
    if view.rating is not None:
        lines.append((labels["rating"], f"{view.rating}/5"))
    print(view.number, file=out)
    for label, value in lines:
        print(f"{label}: {value}", file=out)
    return EXIT_OK


async def run_answer(
    config: Config, number: str, text: str, *, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    """Answer an open item as the operator (``cli``); exit 1 when unknown, closed or the text is wrong."""
    out, err = out or sys.stdout, err or sys.stderr
    item_id = parse_number(number)
    if item_id is None:
        print(say.CLI_BAD_NUMBER.format(typed=number), file=err)
        return EXIT_NOT_DONE
    body = text.strip()
    if not body:
        print(say.CLI_EMPTY_ANSWER, file=err)
        return EXIT_NOT_DONE
    if len(body) > config.feedback.max_length:
        print(say.CLI_TOO_LONG.format(length=len(body), max_length=config.feedback.max_length), file=err)
        return EXIT_NOT_DONE
    async with current_sessions(config.database.url, echo=config.database.echo) as sessions:
        try:
            result = await service_for(sessions, config).answer(Actor.system("cli"), item_id, body)
        except FilingError:
            print(say.CLI_EMPTY_ANSWER, file=err)
            return EXIT_NOT_DONE
    view = result.view
    if result.outcome is AnswerOutcome.ANSWERED and view is not None:
        print(say.CLI_ANSWERED.format(number=view.number), file=out)
        return EXIT_OK
    if result.outcome is AnswerOutcome.CLOSED and view is not None:
        print(say.CLI_CLOSED.format(number=view.number, by=view.answered_by), file=err)
        return EXIT_NOT_DONE
    print(say.CLI_UNKNOWN.format(number=number), file=err)
    return EXIT_NOT_DONE


def _status(view: FeedbackView, now: Any) -> str:
    key = "overdue" if view.overdue(now) else view.status.value
    return say.CLI_STATUS[key]


def _about(view: FeedbackView) -> str:
    subject = view.subject
    if subject.kind.value == "general":
        return say.CLI_KIND["general"]
    name = f" {subject.name}" if subject.name else ""
    return to_plain(f"{say.CLI_KIND[subject.kind.value]} {subject.ref}{name}")


__all__: Sequence[str] = ("register", "run_answer", "run_list", "run_show")
