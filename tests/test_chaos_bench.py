"""``bench/chaos.py --quick`` end to end: real processes, PostgreSQL, kills, and figures that add up.

Only what holds whatever the bot's durability: the run completes, every directive message arrives (the
outbox is durable), and no update is lost or answered twice unless a killed process held it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.postgres import find_pg_bin

ROOT = Path(__file__).resolve().parent.parent


def summary(output: str) -> dict[str, float]:
    """The ``summary:`` line the benchmark prints last, as numbers."""
    line = next(line for line in reversed(output.splitlines()) if line.startswith("summary: "))
    return {key: float(value) for key, value in (item.split("=") for item in line.split()[1:])}


def test_quick_chaos_run_adds_up() -> None:
    if find_pg_bin() is None:
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL is not installed; `make test` installs it (see Makefile: postgres)")
        pytest.skip("PostgreSQL is not installed (run `make postgres`)")

    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "chaos.py"), "--quick", "--seed", "3", "--kills", "1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    figures = summary(done.stdout)
    assert figures["updates"] == 40
    assert figures["directive_messages"] == 20
    assert figures["delivered"] == figures["directive_messages"]
    assert figures["updates"] - figures["answered"] <= figures["updates_in_flight"]
    assert figures["duplicate_answers"] <= figures["updates_in_flight"]
    assert figures["zalo_1"] > 0 and figures["zalo_2"] > 0
    assert "kill 1 at" in done.stdout
