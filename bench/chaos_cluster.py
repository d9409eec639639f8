"""The bot processes of bench/chaos.py: real ``motcua run`` OS processes, started, killed and restarted.

Each start is a new incarnation with its own config file. Its base URLs name it to the fakes
(``.../via/p0.2/bot...``), so every call the fakes record says which incarnation made it; the webhook
URL it registers is the balancer's public address, as behind a real load balancer (the balancer in
:mod:`bench.chaos_balancer` posts to each process's own port).
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from aiohttp import ClientError, ClientSession, ClientTimeout

ROOT = Path(__file__).resolve().parent.parent
WEBHOOK_SECRET = "chaos-bench-secret-0123456789"
TELEGRAM_PATH = "/telegram/webhook"
ZALO_PATH = "/zalo/webhook"
# Never dialled: what both processes register, as they would register a load balancer's address.
PUBLIC_URL = "http://127.0.0.1:9"
# ``python -m bot`` always serves; this runs any ``motcua`` command with the interpreter running the bench.
MOTCUA = (sys.executable, "-c", "import sys; from bot.cli import main; sys.exit(main(sys.argv[1:]))")


@dataclass(frozen=True, slots=True)
class Platforms:
    """Where the fakes listen and the tokens they expect."""

    telegram_url: str
    """The fake Bot API's root, e.g. ``http://127.0.0.1:PORT``."""
    telegram_token: str
    zalo_url: str
    zalo_token: str


def free_port() -> int:
    """A TCP port free on 127.0.0.1 now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True, slots=True)
class Outbox:
    """The outbox settings the bench changes: the lease, and each platform's send rate per process."""

    lease_seconds: int
    per_second: float

    @property
    def batch_size(self) -> int:
        """Rows claimed at once: few enough that a batch is sent well within a quarter of the lease.

        A claimed row waits for its send slot one slot at a time; at a low rate the last rows of a big
        batch would outlive their lease and be sent by the other process too.
        """
        return max(2, int(2 * self.per_second * self.lease_seconds / 4 * 0.8))


def render_config(database_url: str, port: int, platforms: Platforms, via: str, outbox: Outbox) -> str:
    """The TOML of one incarnation: PostgreSQL, both platforms by webhook, its own HTTP port."""
    return f"""\
log_level = "WARNING"

[database]
url = "{database_url}"

[http]
host = "127.0.0.1"
port = {port}

[telegram]
token = "{platforms.telegram_token}"
mode = "webhook"
base_url = "{platforms.telegram_url}/via/{via}/bot"
base_file_url = "{platforms.telegram_url}/via/{via}/file/bot"
webhook_url = "{PUBLIC_URL}{TELEGRAM_PATH}"
webhook_path = "{TELEGRAM_PATH}"
webhook_secret = "{WEBHOOK_SECRET}"

[zalo]
token = "{platforms.zalo_token}"
mode = "webhook"
base_url = "{platforms.zalo_url}/via/{via}"
webhook_url = "{PUBLIC_URL}{ZALO_PATH}"
webhook_path = "{ZALO_PATH}"
webhook_secret = "{WEBHOOK_SECRET}"

[outbox]
lease_seconds = {outbox.lease_seconds}
telegram_per_second = {outbox.per_second:.3f}
zalo_per_second = {outbox.per_second:.3f}
batch_size = {outbox.batch_size}
"""


def motcua(config: Path, *args: str, timeout: float = 600) -> str:
    """Run one ``motcua`` command to the end; its standard output (raises with its stderr on failure)."""
    done = subprocess.run(
        [*MOTCUA, "--config", str(config), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"motcua {' '.join(args)} exited {done.returncode}: {done.stderr[-2000:]}")
    return done.stdout


class Node:
    """One ``motcua run`` slot: a fixed HTTP port, a process that may be killed and started again."""

    def __init__(
        self, index: int, workdir: Path, database_url: str, platforms: Platforms, outbox: Outbox
    ) -> None:
        self.index = index
        self.port = free_port()
        self.incarnation = ""
        self._starts = 0
        self._workdir = workdir
        self._database_url = database_url
        self._platforms = platforms
        self._outbox = outbox
        self._process: subprocess.Popen[bytes] | None = None
        self.log = workdir / f"p{index}.log"

    @property
    def alive(self) -> bool:
        """True while the current incarnation runs."""
        return self._process is not None and self._process.poll() is None

    @property
    def pid(self) -> int | None:
        """The current incarnation's process id."""
        return self._process.pid if self._process is not None else None

    def start(self) -> str:
        """Start a new incarnation (its own config file); return its name, e.g. ``p1.3``."""
        self._starts += 1
        self.incarnation = f"p{self.index}.{self._starts}"
        config = self._workdir / f"{self.incarnation}.toml"
        config.write_text(
            render_config(self._database_url, self.port, self._platforms, self.incarnation, self._outbox)
        )
        with self.log.open("ab") as log:
            log.write(f"--- {self.incarnation} started at {time.time():.3f}\n".encode())
            self._process = subprocess.Popen(
                [*MOTCUA, "--config", str(config), "run"],
                cwd=ROOT,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
            )
        return self.incarnation

    def kill(self) -> None:
        """SIGKILL the current incarnation and reap it."""
        if self._process is not None and self._process.poll() is None:
            os.kill(self._process.pid, signal.SIGKILL)
            self._process.wait()

    def stop(self, within: float = 30.0) -> int | None:
        """SIGTERM and wait (SIGKILL after ``within`` seconds); the exit code, None if it never ran."""
        if self._process is None:
            return None
        if self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(within)
            except subprocess.TimeoutExpired:
                self.kill()
        return self._process.returncode

    def cpu_seconds(self) -> float:
        """CPU seconds (user + system) the current incarnation used so far; 0 when it is not running."""
        return process_cpu(self.pid)[0] if self.pid is not None else 0.0

    def log_tail(self, lines: int = 15) -> str:
        """The end of this slot's log (every incarnation's stderr)."""
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def process_cpu(pid: int, *, reaped: bool = False) -> tuple[float, int]:
    """(CPU seconds used, parent pid) of a process, from /proc; (0, 0) when it is gone.

    ``reaped``: add what its children that have exited used.
    """
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0, 0
    # proc(5) fields 14-17 (utime, stime, cutime, cstime) and 4 (ppid), counted after the command name.
    ticks = int(fields[11]) + int(fields[12]) + (int(fields[13]) + int(fields[14]) if reaped else 0)
    return ticks / os.sysconf("SC_CLK_TCK"), int(fields[1])


def postgres_cpu(port: int) -> float:
    """CPU seconds used so far by the PostgreSQL server listening on ``port`` and all its backends."""
    server = 0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                argv = (entry / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if argv[0].endswith(b"/postgres") and f"-p {port}".encode() in b" ".join(argv):
                server = int(entry.name)
                break
    if not server:
        return 0.0
    total = process_cpu(server, reaped=True)[0]
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (usage := process_cpu(int(entry.name)))[1] == server:
            total += usage[0]
    return total


def machine_cpu() -> tuple[float, float]:
    """(busy, all) CPU time of the whole machine so far, in clock ticks summed over its cores."""
    ticks = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = ticks[3] + ticks[4]  # idle and iowait
    return float(sum(ticks) - idle), float(sum(ticks))


async def ready(session: ClientSession, port: int) -> bool:
    """The process answers its readiness check: ``/readyz`` where it has one, else ``/healthz``."""
    for path in ("/readyz", "/healthz"):
        try:
            async with session.get(f"http://127.0.0.1:{port}{path}") as response:
                if response.status == 404:
                    continue
                return response.status == 200
        except (ClientError, OSError, TimeoutError):
            return False
    return False


async def wait_ready(node: Node, within: float = 120.0) -> float:
    """Wait until ``node``'s current incarnation is ready; the seconds it took.

    Raises when that incarnation died or was replaced, or time ran out.
    """
    started, incarnation = time.monotonic(), node.incarnation
    async with ClientSession(timeout=ClientTimeout(total=2)) as session:
        while time.monotonic() - started < within:
            if not node.alive or node.incarnation != incarnation:
                raise RuntimeError(f"{incarnation} exited:\n{node.log_tail()}")
            if await ready(session, node.port):
                return time.monotonic() - started
            await asyncio.sleep(0.1)
    raise RuntimeError(f"{node.incarnation} not ready within {within:.0f} s:\n{node.log_tail()}")
