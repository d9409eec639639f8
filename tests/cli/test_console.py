"""The terminal channel in-process: plain text out, numbered choices, prompt only when interactive."""

from __future__ import annotations

import asyncio
import io
import os

from bot import texts
from bot.adapters.console import PROMPT, incoming, render, run_console
from bot.cli import Progress
from bot.messages import Button, Incoming, Platform, Reply


class Echo:
    """Answers every line with its text in bold and two choices; fails on "boom"."""

    def __init__(self) -> None:
        self.seen: list[Incoming] = []

    async def __call__(self, msg: Incoming) -> list[Reply]:
        self.seen.append(msg)
        if msg.text == "boom":
            raise RuntimeError("handler bug")
        buttons = (Button("Một & hai", "p:1"), Button("Ba", "p:3"))
        return [Reply(text=f"<b>{msg.text}</b> &lt;ok&gt;"), Reply(text="Chọn:", buttons=buttons)]


def test_render_is_plain_text_with_numbered_choices() -> None:
    reply = Reply(text='<b>Đăng ký</b> <a href="https://x.vn">cổng</a>', buttons=(Button("A & B", "p:a"),))
    assert render(reply) == "Đăng ký cổng (https://x.vn)\n1. A & B"


def test_incoming_is_the_local_console_chat() -> None:
    msg = incoming("xin chào", event_id="7")
    assert (msg.chat.platform, msg.chat.chat_id, msg.user_id, msg.text) == (
        Platform.CONSOLE,
        "local",
        "local",
        "xin chào",
    )


async def test_piped_lines_are_answered_without_prompt_until_eof() -> None:
    echo = Echo()
    out = io.StringIO()
    await run_console(echo, io.StringIO("khai sinh\n\n  kết hôn  \n"), out, interactive=False)
    assert [m.text for m in echo.seen] == ["khai sinh", "kết hôn"]
    assert out.getvalue() == (
        "khai sinh <ok>\n\nChọn:\n1. Một & hai\n2. Ba\n\nkết hôn <ok>\n\nChọn:\n1. Một & hai\n2. Ba\n\n"
    )


async def test_interactive_session_greets_prompts_and_stops_at_thoat() -> None:
    echo = Echo()
    out = io.StringIO()
    await run_console(echo, io.StringIO("a\n/thoat\nb\n"), out, interactive=True)
    assert [m.text for m in echo.seen] == ["a"]
    text = out.getvalue()
    assert "/thoat" in text.split(PROMPT)[0]  # the greeting says how to leave
    assert text.count(PROMPT) == 2


async def test_a_failing_handler_gets_an_apology_and_the_session_goes_on() -> None:
    echo = Echo()
    out = io.StringIO()
    await run_console(echo, io.StringIO("boom\nsau\n"), out, interactive=False)
    assert out.getvalue().startswith(texts.ERROR)
    assert "sau <ok>" in out.getvalue()


async def test_the_stop_event_ends_a_session_waiting_for_input() -> None:
    read_end, write_end = os.pipe()
    stdin = os.fdopen(read_end)
    stop = asyncio.Event()
    try:
        session = asyncio.create_task(run_console(Echo(), stdin, io.StringIO(), interactive=False, stop=stop))
        await asyncio.sleep(0.05)
        assert not session.done()
        stop.set()
        await asyncio.wait_for(session, timeout=5)
    finally:
        # EOF first: closing a file another thread is reading from would wait for that thread.
        os.close(write_end)
        await asyncio.sleep(0.05)
        stdin.close()


class FakeTty(io.StringIO):
    """A stream that claims to be a terminal."""

    def isatty(self) -> bool:
        return True


def test_progress_without_a_terminal_prints_a_line_per_tenth() -> None:
    stream = io.StringIO()
    progress = Progress(stream)
    for done in range(1, 31):
        progress(done, 30)
    progress.finish()
    lines = stream.getvalue().splitlines()
    assert len(lines) == 10
    assert lines[-1].strip() == "100% (30/30 tệp)"


def test_progress_on_a_terminal_redraws_one_bar() -> None:
    stream = FakeTty()
    progress = Progress(stream)
    progress(1, 4)
    progress(4, 4)
    progress.finish()
    text = stream.getvalue()
    assert text.count("\r[") == 2
    assert text.endswith("100% 4/4\n")
    assert "\n" not in text[:-1]
