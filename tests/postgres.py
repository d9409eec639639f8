"""A throwaway PostgreSQL server for tests: initdb in a temp folder, a free port, stopped at the end."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

PG_BIN_DIRS = [Path("/usr/lib/postgresql") / v / "bin" for v in ("17", "16", "15", "14")]


def find_pg_bin() -> Path | None:
    """The folder holding initdb and pg_ctl, or None when PostgreSQL is not installed."""
    for folder in PG_BIN_DIRS:
        if (folder / "initdb").exists() and (folder / "pg_ctl").exists():
            return folder
    found = shutil.which("initdb")
    return Path(found).parent if found else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _run(*cmd: str, check: bool = True) -> None:
    # PostgreSQL refuses to run as root; CI runs as root, so drop to the postgres system user.
    argv = ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else list(cmd)
    subprocess.run(argv, check=check, capture_output=True, timeout=120)


@contextmanager
def postgres_server() -> Iterator[str]:
    """Start a private PostgreSQL cluster on loopback; yield an asyncpg SQLAlchemy URL for it."""
    pg_bin = find_pg_bin()
    if pg_bin is None:
        raise RuntimeError("PostgreSQL server binaries (initdb, pg_ctl) not found")
    root = Path(tempfile.mkdtemp(prefix="motcua-pg-"))
    data, port = root / "data", _free_port()
    if os.geteuid() == 0:
        shutil.chown(root, user="postgres")
    try:
        _run(str(pg_bin / "initdb"), "-D", str(data), "-U", "motcua", "--auth=trust", "-E", "UTF8")
        options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off"
        log = str(root / "server.log")
        _run(str(pg_bin / "pg_ctl"), "-D", str(data), "-o", options, "-w", "-t", "60", "-l", log, "start")
        _run(str(pg_bin / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "motcua", "motcua")
        yield f"postgresql+asyncpg://motcua@127.0.0.1:{port}/motcua"
    finally:
        _run(str(pg_bin / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop", check=False)
        shutil.rmtree(root, ignore_errors=True)
