"""`motcua chat` without any channel still learns: an alias staff add meanwhile is answered at once."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

from tests.cli.conftest import MOTCUA, Motcua, make_motcua, write_kb

UNICORN = "thuần hóa kỳ lân"
"""Nonsense: nothing in the small knowledge base answers it."""
DEATH = "1.000656"
MARK = "1.001193"
"""Birth registration: its card, asked after each question, marks where that question's answer ends."""


def _ask(chat: subprocess.Popen[str], question: str, *, seconds: float = 60) -> str:
    """Send a question, then the marker card's command; the lines before the marker's code are the answer."""
    assert chat.stdin is not None and chat.stdout is not None
    chat.stdin.write(f"{question}\n/thutuc {MARK}\n")
    chat.stdin.flush()
    until = f"Mã thủ tục: {MARK}"
    deadline = time.monotonic() + seconds
    seen: list[str] = []
    while time.monotonic() < deadline:
        line = chat.stdout.readline()
        if not line:
            break
        seen.append(line)
        if until in line:
            return "".join(seen)
    raise AssertionError(f"no line with {until!r} in {''.join(seen)!r}")


def test_a_running_chat_answers_an_alias_added_while_it_runs(tmp_path: Path) -> None:
    command: Motcua = make_motcua(tmp_path / "instance", "[search]\nreload_seconds = 0.3\n")
    for args in (("db", "upgrade"), ("kb", "import", str(write_kb(tmp_path / "kb")))):
        done = command(*args)
        assert done.returncode == 0, done.stderr
    env = {k: v for k, v in os.environ.items() if not k.startswith("MOTCUA_")}
    chat = subprocess.Popen(
        [str(MOTCUA), "--config", str(command.config), "chat"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
        cwd=command.config.parent,
    )
    try:
        before = _ask(chat, UNICORN)
        assert DEATH not in before and "chưa tìm thấy" in before
        added = command("kb", "alias", "add", DEATH, UNICORN)
        assert added.returncode == 0, added.stderr
        # The reload runs every 0.3 s; a generous wait keeps a loaded machine from failing the test.
        deadline = time.monotonic() + 30
        answer = ""
        while DEATH not in answer and time.monotonic() < deadline:
            time.sleep(0.5)
            answer = _ask(chat, UNICORN)
        assert DEATH in answer and "khai tử" in answer.lower()
    finally:
        chat.kill()
        chat.wait(timeout=30)
