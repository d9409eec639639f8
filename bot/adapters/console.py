"""The terminal channel: one line in, plain-text replies out, choices as numbered lines."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import threading
from collections.abc import Awaitable, Callable
from typing import TextIO

from bot import texts
from bot.markup import to_plain
from bot.messages import ChatRef, Incoming, Platform, Reply
from bot.texts import cli as say

log = logging.getLogger(__name__)

PROMPT = say.CHAT_PROMPT
EXIT_COMMANDS = frozenset({"/thoat", "/thoát", "/exit", "/quit"})

Dispatch = Callable[[Incoming], Awaitable[list[Reply]]]

CHAT = ChatRef(Platform.CONSOLE, "local")


def render(reply: Reply) -> str:
    """Render a reply as plain text, with its buttons as numbered lines ("1. …")."""
    lines = [to_plain(reply.text).rstrip()]
    if reply.buttons:
        lines.append("\n".join(f"{n}. {button.label}" for n, button in enumerate(reply.buttons, 1)))
    return "\n".join(line for line in lines if line)


def incoming(text: str, event_id: str = "") -> Incoming:
    """Build the neutral message for one line typed in the terminal."""
    return Incoming(chat=CHAT, user_id="local", text=text, event_id=event_id)


async def run_console(
    dispatch: Dispatch,
    stdin: TextIO,
    stdout: TextIO,
    *,
    interactive: bool,
    stop: asyncio.Event | None = None,
) -> None:
    """Answer lines from ``stdin`` until EOF, ``/thoat`` or ``stop``; prompt and greet when interactive."""
    lines = _line_reader(stdin)
    stopped = asyncio.ensure_future((stop or asyncio.Event()).wait())
    if interactive:
        stdout.write(say.CHAT_GREETING.format(example=texts.EXAMPLES[0]) + "\n\n")
    try:
        for number in itertools.count(1):
            if interactive:
                stdout.write(PROMPT)
            stdout.flush()
            next_line = asyncio.ensure_future(lines.get())
            await asyncio.wait({next_line, stopped}, return_when=asyncio.FIRST_COMPLETED)
            if not next_line.done():
                next_line.cancel()
                break
            line = next_line.result()
            if line is None:
                break
            text = line.strip()
            if text.lower() in EXIT_COMMANDS:
                break
            if not text:
                continue
            stdout.write(await _answer(dispatch, incoming(text, event_id=str(number))) + "\n\n")
    finally:
        stopped.cancel()
        if interactive:
            stdout.write("\n")
        stdout.flush()


async def _answer(dispatch: Dispatch, msg: Incoming) -> str:
    try:
        replies = await dispatch(msg)
    except Exception:
        # A handler bug must not end the session; the traceback goes to the log (stderr).
        log.exception("handler failed")
        return to_plain(texts.ERROR)
    return "\n\n".join(render(reply) for reply in replies)


def _line_reader(stdin: TextIO) -> asyncio.Queue[str | None]:
    """Feed lines into a queue from a daemon thread; None marks EOF.

    A daemon thread rather than the default executor: a thread blocked in readline() must not
    keep the process alive after Ctrl-C or /thoat.
    """
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[str | None] = asyncio.Queue()

    def pump() -> None:
        with contextlib.suppress(RuntimeError):  # the loop has closed: nobody is listening any more
            with contextlib.suppress(OSError, ValueError):
                for line in iter(stdin.readline, ""):
                    loop.call_soon_threadsafe(queue.put_nowait, line)
            loop.call_soon_threadsafe(queue.put_nowait, None)

    threading.Thread(target=pump, name="console-stdin", daemon=True).start()
    return queue
