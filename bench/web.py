"""Web benchmark (issue 16). Public part: ``/p/CODE`` requests per second of one server process, and p95.

Run: ``.venv/bin/python bench/web.py [--source PATH] [--seconds S] [--concurrency N]`` (``make bench``).
Prints figures only.

The real server (``python -m bot``, the web only, no platform token) runs in its own process on the
loopback; this process loads it with an aiohttp client, cycling through every procedure's page. Each page
is fetched once first (rendered through the dispatcher and kept), then the load is timed. Besides
requests per second and latencies, it prints requests per CPU-second of the server process: on a busy
machine the client and other programs take cores the server would otherwise have.

Goals (issue 16): at least 1,000 requests/s per process, p95 < 20 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import aiohttp

from bot.services.procedures import import_procedures
from bot.storage import create_engine, session_factory
from bot.storage.migrate import upgrade_engine
from knowledge.demo import DEMO_DIR
from knowledge.importers import load_paths

CONFIG = """\
log_level = "WARNING"
[database]
url = "{url}"
[http]
host = "127.0.0.1"
port = {port}
public_url = "http://127.0.0.1:{port}"
"""


def percentile(values: Sequence[float], share: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def cpu_seconds(pid: int) -> float:
    """CPU seconds (user + system, all threads) used so far by process ``pid``."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    # Fields 14 and 15 of proc(5), counted after the ")" that ends the command name.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    """A free TCP port on the loopback."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def prepare(folder: Path, source: Path) -> tuple[str, list[str]]:
    """A migrated SQLite database holding ``source``'s procedures: its URL and the codes."""
    url = f"sqlite+aiosqlite:///{folder / 'web.db'}"
    engine = create_engine(url)
    procedures = list(load_paths([source]).procedures.values())
    try:
        await upgrade_engine(engine)
        await import_procedures(session_factory(engine), procedures)
    finally:
        await engine.dispose()
    return url, [proc.code for proc in procedures]


async def until_listening(port: int, server: asyncio.subprocess.Process) -> None:
    """Wait for the server to accept connections."""
    for _ in range(600):
        if server.returncode is not None:
            raise SystemExit(f"the server stopped (exit {server.returncode})")
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0.05)
            continue
        writer.close()
        await writer.wait_closed()
        return
    raise SystemExit("the server did not listen")


async def first_renders(base: str, codes: Sequence[str]) -> list[float]:
    """Fetch each page once (rendered and kept by the server); the seconds each took."""
    took = []
    async with aiohttp.ClientSession() as http:
        for code in codes:
            start = time.perf_counter()
            async with http.get(f"{base}/p/{code}") as response:
                await response.read()
                if response.status != 200:
                    raise SystemExit(f"/p/{code}: HTTP {response.status}")
            took.append(time.perf_counter() - start)
    return took


async def load(base: str, codes: Sequence[str], seconds: float, concurrency: int) -> tuple[list[float], int]:
    """``concurrency`` clients fetching pages back to back for ``seconds``: latencies and errors."""
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds
    connector = aiohttp.TCPConnector(limit=concurrency)

    async def client(offset: int, http: aiohttp.ClientSession) -> None:
        nonlocal errors
        index = offset
        while time.perf_counter() < deadline:
            url = f"{base}/p/{codes[index % len(codes)]}"
            index += concurrency
            start = time.perf_counter()
            async with http.get(url) as response:
                await response.read()
                if response.status != 200:
                    errors += 1
            latencies.append(time.perf_counter() - start)

    async with aiohttp.ClientSession(connector=connector) as http:
        await asyncio.gather(*(client(n, http) for n in range(concurrency)))
    return latencies, errors


async def public_pages(source: Path, seconds: float, concurrency: int) -> None:
    """Serve ``source``'s catalogue in a server process and print the ``/p/CODE`` figures."""
    with tempfile.TemporaryDirectory() as folder:
        url, codes = await prepare(Path(folder), source)
        port = free_port()
        config = Path(folder) / "web.toml"
        config.write_text(CONFIG.format(url=url, port=port), encoding="utf-8")
        server = await asyncio.create_subprocess_exec(sys.executable, "-m", "bot", "--config", str(config))
        try:
            await until_listening(port, server)
            base = f"http://127.0.0.1:{port}"
            first = await first_renders(base, codes)
            cpu_before = cpu_seconds(server.pid)
            started = time.perf_counter()
            latencies, errors = await load(base, codes, seconds, concurrency)
            elapsed = time.perf_counter() - started
            cpu = cpu_seconds(server.pid) - cpu_before
        finally:
            server.terminate()
            await asyncio.wait_for(server.wait(), 10)
    count = len(latencies)
    print(f"/p/CODE, {len(codes)} procedures, {concurrency} connections, {elapsed:.1f} s, one server process")
    print(f"  first render (dispatcher, then kept)  median {percentile(first, 0.5) * 1000:6.1f} ms")
    print(f"  requests/s   {count / elapsed:8.0f}   (per server CPU-second: {count / max(cpu, 1e-9):8.0f})")
    print(
        f"  latency      p50 {percentile(latencies, 0.5) * 1000:6.2f} ms   "
        f"p95 {percentile(latencies, 0.95) * 1000:6.2f} ms   p99 {percentile(latencies, 0.99) * 1000:6.2f} ms"
    )
    print(f"  errors       {errors}")
    print("  goal         >= 1,000 requests/s, p95 < 20 ms")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--source", type=Path, default=DEMO_DIR, help="catalogue to serve (default: the demo)"
    )
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args(argv)
    asyncio.run(public_pages(args.source, args.seconds, args.concurrency))
    return 0


if __name__ == "__main__":
    sys.exit(main())
