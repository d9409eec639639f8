"""Dossier benchmark: lookup latency over many dossiers in SQLite, and push-API events per second.

Run: ``.venv/bin/python bench/dossiers.py [--count N]`` (default 1,000,000 dossiers). Prints figures only.

1. A fresh SQLite file is migrated to the latest revision, then ``--count`` dossiers (each with its
   receipt event) are written straight into it with ``executemany`` in large transactions.
2. ``DossierService.lookup`` is timed over random existing codes and unknown (well-formed) codes.
3. The push API runs for real: ``HttpServer`` + ``add_dossier_api`` + ``DossierService.apply`` on loopback,
   with concurrent aiohttp clients in a separate sender process (4 and 16 by default), one event per request,
   then batches of 100; requests waiting together share one transaction (group commit). The events are
   new status changes of existing dossiers, so every one is a real write.

Goals (issue 5): lookup p95 <= 5 ms, push >= 500 events/s.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import random
import sqlite3
import tempfile
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from aiohttp import ClientSession

from bot.adapters.dossier_api import add_dossier_api
from bot.adapters.http_server import HttpServer
from bot.messages import Reply
from bot.services.dossiers.events import DossierEventIn, DossierNotice, hash_phone
from bot.services.dossiers.service import DossierService
from bot.services.dossiers.views import ApplyResult
from bot.storage import create_engine, session_factory
from bot.storage.migrate import upgrade_engine

TOKEN = "bench-token"
PATH = "/api/v1/dossier-events"
HASH_KEY = "bench-hash-key"
AGENCIES = 50
DAYS = 500
STATUSES = ("received", "in_progress", "supplement_requested", "ready", "returned", "rejected", "withdrawn")
WEIGHTS = (10, 30, 5, 10, 40, 3, 2)
CHUNK = 100_000
EPOCH = datetime(2024, 1, 1, 1, 0, tzinfo=UTC)


def percentile(values: Sequence[float], share: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def receipt_code(i: int) -> str:
    """The i-th generated receipt code (distinct for every i below AGENCIES * DAYS * 9999)."""
    agency, rest = i % AGENCIES, i // AGENCIES
    day, seq = rest % DAYS, rest // DAYS + 1
    received = (EPOCH + timedelta(days=day)).strftime("%y%m%d")
    return f"000.00.{agency % 100:02d}.H{(agency * 7) % 100:02d}-{received}-{seq:04d}"


def unknown_code(rng: random.Random) -> str:
    """A well-formed code no generated dossier has (its sequence number is never reached)."""
    return f"000.00.{rng.randrange(100):02d}.H99-{rng.randrange(10, 99)}0101-{rng.randrange(9000, 9999):04d}"


def _stamp(moment: datetime) -> str:
    """How SQLAlchemy stores an aware UTC datetime in SQLite."""
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")


def _rows(start: int, stop: int, rng: random.Random) -> Iterator[tuple[tuple[Any, ...], tuple[Any, ...]]]:
    now = _stamp(datetime.now(UTC))
    for i in range(start, stop):
        code = receipt_code(i)
        received = EPOCH + timedelta(days=(i // AGENCIES) % DAYS, minutes=rng.randrange(8 * 60))
        due = received + timedelta(days=rng.choice((3, 5, 7, 15, 30)))
        status = rng.choices(STATUSES, WEIGHTS)[0]
        resolved = (
            received + timedelta(days=rng.randrange(1, 35)) if status in ("ready", "returned") else None
        )
        status_at = resolved or received
        phone = f"09{rng.randrange(10**8):08d}"
        dossier = (
            code,
            f"1.{rng.randrange(1000, 9999):06d}",
            "Đăng ký khai sinh",
            f"UBND xã số {i % AGENCIES + 1}",
            _stamp(received),
            _stamp(due),
            status,
            _stamp(status_at),
            _stamp(resolved) if resolved else None,
            "Tại Bộ phận Một cửa",
            i % 3 == 0,
            hash_phone(HASH_KEY, phone),
            phone[-4:],
            "",
            now,
        )
        event = (f"gen-{i}", code, _stamp(received), "received", "", None, "import", now)
        yield dossier, event


def generate(path: Path, count: int, seed: int) -> float:
    """Write ``count`` dossiers and their receipt events into a migrated SQLite file; seconds spent."""
    rng = random.Random(seed)
    started = time.perf_counter()
    db = sqlite3.connect(path, isolation_level=None)
    try:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=OFF")  # a throwaway file: a crash just means generating again
        for start in range(0, count, CHUNK):
            pairs = list(_rows(start, min(count, start + CHUNK), rng))
            db.execute("BEGIN")
            db.executemany(
                "INSERT INTO dossiers (code, procedure_code, procedure_name, agency, received_at, due_at,"
                " status, status_at, resolved_at, result_delivery, online, phone_hash, phone_last4, note,"
                " updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (d for d, _ in pairs),
            )
            db.executemany(
                "INSERT INTO dossier_events (event_id, dossier_code, occurred_at, status, note, new_due_at,"
                " source, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (e for _, e in pairs),
            )
            db.execute("COMMIT")
        db.execute("ANALYZE")
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        db.close()
    return time.perf_counter() - started


def render(notice: DossierNotice) -> Reply:
    """Notices are not what is measured here."""
    return Reply(f"{notice.kind.value} {notice.code}")


async def measure_lookups(
    service: DossierService, count: int, lookups: int, seed: int
) -> dict[str, list[float]]:
    """Lookup latencies in ms, existing and unknown codes interleaved."""
    rng = random.Random(seed + 1)
    timings: dict[str, list[float]] = {"existing": [], "unknown": []}
    for _ in range(50):  # warm the connection pool and the page cache a little
        await service.lookup(receipt_code(rng.randrange(count)))
    for n in range(lookups):
        known = n % 2 == 0
        code = receipt_code(rng.randrange(count)) if known else unknown_code(rng)
        started = time.perf_counter()
        view = await service.lookup(code)
        timings["existing" if known else "unknown"].append((time.perf_counter() - started) * 1000)
        if (view is None) == known:
            raise SystemExit(f"lookup of {code} gave the wrong answer")
    return timings


def _events(first: int, total: int, count: int, rng: random.Random) -> list[dict[str, Any]]:
    at = datetime(2026, 1, 1, tzinfo=UTC)
    return [
        {
            "event_id": f"bench-{first + n}",
            "code": receipt_code(rng.randrange(count)),
            "status": rng.choice(("in_progress", "supplement_requested", "ready")),
            "occurred_at": (at + timedelta(seconds=first + n)).isoformat(),
            "note": "Hồ sơ đang được xử lý.",
        }
        for n in range(total)
    ]


async def measure_push(
    service: DossierService, count: int, *, events: int, batch: int, clients: int, first: int, seed: int
) -> tuple[float, list[float], int]:
    """Events per second through the real push API; request latencies (ms); events applied."""

    async def apply(items: list[DossierEventIn]) -> ApplyResult:
        return await service.apply(items, source="push")

    server = HttpServer("127.0.0.1", 0)
    add_dossier_api(server, path=PATH, token=TOKEN, apply=apply)
    await server.start()
    rng = random.Random(seed + batch)
    payloads = _events(first, events, count, rng)
    bodies: list[Any] = [
        payloads[i] if batch == 1 else {"events": payloads[i : i + batch]}
        for i in range(0, len(payloads), batch)
    ]
    url = f"http://127.0.0.1:{server.port}{PATH}"
    # The sender runs in its own process, as the information system would: its HTTP work does not
    # eat into the CPU of the bot process being measured.
    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe()
    sender = context.Process(target=send_all, args=(theirs, url, bodies, clients), daemon=True)
    sender.start()
    try:
        elapsed, latencies, applied, error = await asyncio.to_thread(ours.recv)
    finally:
        sender.join(10)
        await server.stop()
    if error:
        raise SystemExit(error)
    return events / elapsed, latencies, applied


def send_all(conn: Connection, url: str, bodies: list[Any], clients: int) -> None:
    """Entry point of the sender process: post every body with ``clients`` concurrent clients."""
    conn.send(asyncio.run(_post_all(url, bodies, clients)))


async def _post_all(url: str, bodies: list[Any], clients: int) -> tuple[float, list[float], int, str]:
    queue: asyncio.Queue[Any] = asyncio.Queue()
    for body in bodies:
        queue.put_nowait(body)
    latencies: list[float] = []
    applied = 0
    errors: list[str] = []

    async def client(session: ClientSession) -> None:
        nonlocal applied
        while not queue.empty() and not errors:
            body = queue.get_nowait()
            started = time.perf_counter()
            async with session.post(url, json=body) as response:
                answer = await response.json()
                if response.status != 200:
                    errors.append(f"push API answered {response.status}: {answer}")
                    return
            latencies.append((time.perf_counter() - started) * 1000)
            applied += int(answer["applied"])

    async with ClientSession(headers={"Authorization": f"Bearer {TOKEN}"}) as session:
        started = time.perf_counter()
        await asyncio.gather(*(client(session) for _ in range(clients)))
        elapsed = time.perf_counter() - started
    return elapsed, latencies, applied, errors[0] if errors else ""


PushFigures = tuple[int, int, int, float, list[float], int]
"""(batch size, clients, events, events per second, request latencies in ms, events applied)."""


async def migrate(path: Path) -> None:
    """Create the SQLite file at the latest migration."""
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    try:
        await upgrade_engine(engine)
    finally:
        await engine.dispose()


async def measure(args: argparse.Namespace, path: Path) -> tuple[dict[str, list[float]], list[PushFigures]]:
    """Time lookups, then the push API one event per request and in batches of 100."""
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    push: list[PushFigures] = []
    try:
        service = DossierService(session_factory(engine), hash_key=HASH_KEY, render_notice=render)
        timings = await measure_lookups(service, args.count, args.lookups, args.seed)
        first = 0
        runs = [(1, clients, args.push_events) for clients in args.clients]
        runs.append((100, args.clients[0], args.push_events * 5))
        for batch, clients, events in runs:
            rate, latencies, applied = await measure_push(
                service,
                args.count,
                events=events,
                batch=batch,
                clients=clients,
                first=first,
                seed=args.seed,
            )
            first += events
            push.append((batch, clients, events, rate, latencies, applied))
    finally:
        await engine.dispose()
    return timings, push


def report(timings: dict[str, list[float]], push: list[PushFigures]) -> None:
    """Print the table."""
    print()
    print(f"{'lookup':<28}{'n':>8}{'p50 ms':>10}{'p95 ms':>10}{'p99 ms':>10}")
    for kind, values in timings.items():
        print(
            f"{kind + ' codes':<28}{len(values):>8}{percentile(values, 0.5):>10.2f}"
            f"{percentile(values, 0.95):>10.2f}{percentile(values, 0.99):>10.2f}"
        )
    both = timings["existing"] + timings["unknown"]
    verdict = "met" if percentile(both, 0.95) <= 5 else "MISSED"
    print(
        f"{'all':<28}{len(both):>8}{percentile(both, 0.5):>10.2f}{percentile(both, 0.95):>10.2f}"
        f"{percentile(both, 0.99):>10.2f}   goal p95 <= 5 ms: {verdict}"
    )
    print()
    print(
        f"{'push API (sender process)':<28}{'clients':>8}{'events':>8}{'events/s':>10}"
        f"{'req p50':>10}{'req p95':>10}"
    )
    for batch, clients, events, rate, latencies, applied in push:
        label = "1 event per request" if batch == 1 else f"batches of {batch}"
        verdict = "met" if rate >= 500 else "MISSED"
        print(
            f"{label:<28}{clients:>8}{events:>8}{rate:>10,.0f}{percentile(latencies, 0.5):>8.1f}ms"
            f"{percentile(latencies, 0.95):>8.1f}ms   goal >= 500/s: {verdict}"
        )
        if applied != events:
            print(f"  warning: {applied} of {events} events applied")


def run(args: argparse.Namespace, path: Path) -> None:
    """Generate, then measure lookups and the push API, and print the table."""
    asyncio.run(migrate(path))
    gen_s = generate(path, args.count, args.seed)
    size_mb = path.stat().st_size / 1024 / 1024
    print(
        f"generated {args.count:,} dossiers + {args.count:,} events in {gen_s:.1f} s"
        f" ({args.count / gen_s:,.0f} dossiers/s), file {size_mb:,.0f} MB"
    )
    timings, push = asyncio.run(measure(args, path))
    report(timings, push)


def main() -> None:
    """Parse the options and run the benchmark."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--count", type=int, default=1_000_000, help="dossiers to generate")
    parser.add_argument("--lookups", type=int, default=4000, help="timed lookups (half unknown codes)")
    parser.add_argument("--push-events", type=int, default=2000, help="events sent one per request")
    parser.add_argument(
        "--clients",
        type=int,
        nargs="+",
        default=[4, 16],
        help="concurrent push clients, one run each for single events (batches use the first)",
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--db", type=Path, help="where to write the SQLite file (default: a temporary one)")
    args = parser.parse_args()
    if not 1 <= args.count <= AGENCIES * DAYS * 9000:
        parser.error(f"--count must be between 1 and {AGENCIES * DAYS * 9000}")
    if args.db is not None:
        if args.db.exists():
            parser.error(f"{args.db} exists; the benchmark writes a fresh file")
        run(args, args.db)
        return
    with tempfile.TemporaryDirectory(prefix="motcua-bench-") as folder:
        run(args, Path(folder) / "dossiers.db")


if __name__ == "__main__":
    main()
