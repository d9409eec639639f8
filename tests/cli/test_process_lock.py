"""One serving process per SQLite file, with real OS processes: the second is refused, SIGKILL frees it."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from bot.storage.process_lock import DatabaseInUseError, hold_database, lock_path
from tests.cli.conftest import MOTCUA, Motcua, make_motcua, write_kb

TELEGRAM = '[telegram]\ntoken = "123:abc"\nbase_url = "http://127.0.0.1:9/bot"\n'


@pytest.fixture
def instance(tmp_path: Path) -> Motcua:
    """A migrated SQLite file with a small knowledge base."""
    command = make_motcua(tmp_path / "instance")
    for args in (("db", "upgrade"), ("kb", "import", str(write_kb(tmp_path / "kb")))):
        done = command(*args)
        assert done.returncode == 0, done.stderr
    return command


@contextmanager
def serving_chat(command: Motcua) -> Iterator[subprocess.Popen[str]]:
    """A ``motcua chat`` left waiting on its open stdin, once it holds the database's lock."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MOTCUA_")}
    proc = subprocess.Popen(
        [str(MOTCUA), "--config", str(command.config), "chat"],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        lock = lock_path(command.database.resolve())
        deadline = time.monotonic() + 60
        while not (lock.exists() and lock.read_text().strip() == str(proc.pid)):
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            assert time.monotonic() < deadline, "the chat never took the lock"
            time.sleep(0.05)
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(30)
        if proc.stderr is not None:
            proc.stderr.close()
        if proc.stdin is not None:
            proc.stdin.close()


def test_a_second_serving_process_on_the_same_file_is_refused(instance: Motcua, tmp_path: Path) -> None:
    with serving_chat(instance) as first:
        second_chat = instance("chat", stdin="/help\n", timeout=60)
        assert second_chat.returncode == 1
        assert str(instance.database) in second_chat.stderr
        assert f"pid {first.pid}" in second_chat.stderr
        assert "một tiến trình khác" in second_chat.stderr
        assert "Traceback" not in second_chat.stderr

        runner = make_motcua(tmp_path / "runner")
        runner.config.write_text(instance.config.read_text() + TELEGRAM)
        second_run = Motcua(runner.config, instance.database)("run", timeout=60)
        assert second_run.returncode == 1
        assert str(instance.database) in second_run.stderr
        assert "123:abc" not in second_run.stderr

        # One-shot commands still work beside the running bot.
        assert instance("db", "upgrade").returncode == 0
        imported = instance("kb", "import", str(write_kb(tmp_path / "more")))
        assert imported.returncode == 0, imported.stderr
        assert first.poll() is None


def test_a_killed_process_never_blocks_a_restart(instance: Motcua) -> None:
    with serving_chat(instance) as first:
        first.send_signal(signal.SIGKILL)
        first.wait(30)
    again = instance("chat", stdin="đăng ký kết hôn\n", timeout=120)
    assert again.returncode == 0, again.stderr
    assert "kết hôn" in again.stdout


def test_the_lock_is_per_file_and_released_on_exit(tmp_path: Path) -> None:
    first = f"sqlite+aiosqlite:///{tmp_path / 'a.db'}"
    other = f"sqlite+aiosqlite:///{tmp_path / 'b.db'}"
    with hold_database(first) as held:
        assert held == tmp_path / "a.db.lock"
        with pytest.raises(DatabaseInUseError) as refused, hold_database(first):
            pass
        assert refused.value.database == tmp_path / "a.db"
        assert refused.value.pid == os.getpid()
        with hold_database(other) as elsewhere:
            assert elsewhere == tmp_path / "b.db.lock"
    with hold_database(first) as again:
        assert again is not None
    with hold_database("postgresql+asyncpg://u@127.0.0.1:9/x") as nothing:
        assert nothing is None
