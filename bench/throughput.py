"""Throughput benchmark: updates per second and reply latency end to end through the real channels.

Run: ``.venv/bin/python bench/throughput.py [--source PATH] [--only N]`` (``make bench``). Prints figures.

The bot process runs the real core (a SQLite file holding the FULL catalogue, handlers, choice memory)
and one channel built as the runner builds it; a second process runs the loopback fake platform API
and the load. It makes updates available (Telegram: queued for getUpdates, fetched by PTB's long
polling; Zalo: POSTed by the fake to the bot's own webhook server, as Zalo does) and timestamps each
reply as the fake stores it; both processes read the same monotonic clock. Each update comes from its
own chat, so neither per-chat ordering nor per-chat rate limits serialise the load.

Phases: a warm-up; a burst (every update at once; the first push to the last reply's first message
gives the capacity); paced at the goal rate; paced at a light 20/s (latency without queueing).
Latency runs from the push to the first message of the reply reaching the fake. Questions are the
labelled ones of tests/data/ but the locked test split's, each asked in turn (phases carry on where the
last stopped), so the service's kept answers for repeated questions do not flatter the figures.
Telegram runs twice: with the production AIORateLimiter, which by design holds every bot to Telegram's
30 messages/s, and without it (the bot's private ``_rate_limiter`` cleared) to show what the rest of
the pipeline can do. The core alone (search, then
the whole dispatch, no platform) is measured first to show where the time goes.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import multiprocessing
import os
import socket
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, Protocol

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    # The fakes live in tests/, which is not an installed package.
    sys.path.insert(0, str(ROOT))

from bot import eventloop  # noqa: E402 - after the path set-up above

DATA = ROOT / "tests" / "data"
QUESTION_FILES = tuple(
    DATA / name for name in ("devset.tsv", "devset.heldout.tsv", "search-dev.tsv", "search-validation.tsv")
)
GOAL_RATE = 200.0
GOAL_P95_MS = 50.0
PHASE_TIMEOUT_S = 40.0
CONCURRENCY = 32


@dataclass(frozen=True, slots=True)
class Phase:
    """One load phase: how many updates, and at what offered rate (None: all at once)."""

    name: str
    count: int
    rate: float | None


@dataclass(frozen=True, slots=True)
class Scenario:
    """A channel set-up and its phases."""

    label: str
    platform: str
    limiter: bool
    phases: tuple[Phase, ...]
    note: str = ""
    inbox: bool = True
    """Zalo webhook only: False serves the old way (answer 200, handle in memory) for comparison."""


@dataclass(frozen=True, slots=True)
class Result:
    """What one phase measured (latencies in ms)."""

    phase: str
    sent: int
    answered: int
    seconds: float
    latencies: tuple[float, ...]
    messages: int
    cpu: float = 0.0
    """CPU seconds used meanwhile by the measuring process (the load process, or the core alone)."""
    bot_cpu: float | None = None
    """CPU seconds the bot process used during the phase (read from /proc; None where there is none)."""

    @property
    def rate(self) -> float:
        """Answered updates per second of wall time."""
        return self.answered / self.seconds if self.seconds > 0 else 0.0


def percentile(values: Sequence[float], share: float) -> float:
    """Nearest-rank percentile (0 for no values)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


# --- load side (runs in the second process) ------------------------------------------------------


class Platform(Protocol):
    """The fake platform as the load driver sees it."""

    async def push(self, chat_id: int, text: str) -> None:
        """Make one user's message available to the bot."""

    def replies_since(self, position: int) -> tuple[list[tuple[int, float]], int]:
        """(chat id, monotonic time) of replies stored from ``position`` on, and the new position."""

    async def changed(self, within: float) -> None:
        """Return when the fake stored something (or after ``within`` seconds)."""


def bot_cpu_seconds() -> float | None:
    """CPU seconds (user + system, all threads) used so far by the bot process, this process's parent."""
    try:
        fields = Path(f"/proc/{os.getppid()}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    # Fields 14 and 15 of proc(5), counted after the ")" that ends the command name.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def drive(
    platform: Platform, phase: Phase, questions: Sequence[str], first_chat: int, first_question: int
) -> Result:
    """Push one phase's updates, wait (bounded) for a reply in every chat, measure."""
    chats = list(range(first_chat, first_chat + phase.count))
    pushed: dict[int, float] = {}
    answered: dict[int, float] = {}
    _, position = platform.replies_since(0)
    messages = 0
    tasks: set[asyncio.Task[None]] = set()
    cpu = time.process_time()
    bot_cpu = bot_cpu_seconds()
    started = time.monotonic()

    def collect() -> None:
        nonlocal position, messages
        fresh, position = platform.replies_since(position)
        messages += len(fresh)
        for chat, at in fresh:
            if chat in pushed and chat not in answered:
                answered[chat] = at

    async def push(chat: int, text: str) -> None:
        pushed[chat] = time.monotonic()
        await platform.push(chat, text)

    texts = itertools.islice(itertools.cycle(questions), first_question % len(questions), None)
    for i, chat in enumerate(chats):
        if phase.rate is not None:
            due = started + i / phase.rate
            if (ahead := due - time.monotonic()) > 0:
                # Pacing the offered load, not waiting for a result.
                await asyncio.sleep(ahead)
            collect()
        task = asyncio.create_task(push(chat, next(texts)))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    deadline = time.monotonic() + PHASE_TIMEOUT_S
    while True:
        collect()
        if len(answered) == len(chats) or time.monotonic() >= deadline:
            break
        await platform.changed(min(0.5, max(0.0, deadline - time.monotonic())))
    if tasks:
        await asyncio.gather(*tasks, return_exceptions=True)
    bot_cpu_after = bot_cpu_seconds()
    last = max(answered.values(), default=started)
    latencies = tuple((answered[c] - pushed[c]) * 1000 for c in answered)
    return Result(
        phase.name,
        len(chats),
        len(answered),
        last - started,
        latencies,
        messages,
        time.process_time() - cpu,
        None if bot_cpu is None or bot_cpu_after is None else bot_cpu_after - bot_cpu,
    )


class FakeLoad:
    """What both loads share: the fake platform API they drive, and waiting for its next reply."""

    def __init__(self, fake: Any) -> None:
        self.fake = fake

    async def changed(self, within: float) -> None:
        """Wait for the fake's next change."""
        position = len(self.fake.sent)
        try:
            await self.fake.wait_for(lambda: len(self.fake.sent) > position, within)
        except AssertionError:
            return


class TelegramLoad(FakeLoad):
    """The fake Bot API: updates queued for getUpdates, replies read from what it stored."""

    async def push(self, chat_id: int, text: str) -> None:
        """Queue a private text message."""
        self.fake.push_text(chat_id, text)

    def replies_since(self, position: int) -> tuple[list[tuple[int, float]], int]:
        """Messages stored since ``position``."""
        sent = self.fake.sent
        return [(int(m.chat_id), float(m.at)) for m in sent[position:]], len(sent)


async def _telegram_load(conn: Connection, phases: Sequence[Phase], questions: Sequence[str]) -> None:
    from tests.fakes.telegram_api import FakeTelegram

    async with FakeTelegram() as fake:
        conn.send({"token": fake.token, "base_url": fake.base_url, "base_file_url": fake.base_file_url})
        await _run_phases(conn, TelegramLoad(fake), phases, questions)


class ZaloLoad(FakeLoad):
    """The fake Zalo API with a webhook set: each event is POSTed to the bot's own HTTP server."""

    async def push(self, chat_id: int, text: str) -> None:
        """Deliver a private text message to the webhook (in the background, as Zalo does)."""
        self.fake.push_text(f"{chat_id:020x}", text)

    def replies_since(self, position: int) -> tuple[list[tuple[int, float]], int]:
        """Messages stored since ``position``."""
        sent = self.fake.sent
        return [(int(m.chat_id, 16), float(m.at)) for m in sent[position:]], len(sent)


async def _zalo_load(conn: Connection, phases: Sequence[Phase], questions: Sequence[str]) -> None:
    from tests.fakes.zalo_api import FakeZalo

    async with FakeZalo() as fake:
        conn.send({"token": fake.token, "base_url": fake.base_url})
        webhook_url = await _receive(conn, 30)
        await fake.wait_for(lambda: fake.webhook_url == webhook_url, 30)
        conn.send("registered")
        await _run_phases(conn, ZaloLoad(fake), phases, questions)


async def _run_phases(
    conn: Connection, platform: Platform, phases: Sequence[Phase], questions: Sequence[str]
) -> None:
    await asyncio.to_thread(conn.recv)  # the bot is serving
    results = []
    for number, phase in enumerate(phases):
        asked = sum(p.count for p in phases[:number])
        results.append(
            await drive(platform, phase, questions, first_chat=(number + 1) * 100_000, first_question=asked)
        )
    conn.send(results)
    # The fake stays up until the bot has stopped, so late parts of replies and the last poll succeed.
    await asyncio.to_thread(conn.poll, 30)


def load_process(conn: Connection, platform: str, phases: Sequence[Phase], questions: Sequence[str]) -> None:
    """Entry point of the load process."""
    loads: dict[str, Callable[[Connection, Sequence[Phase], Sequence[str]], Coroutine[Any, Any, None]]] = {
        "telegram": _telegram_load,
        "zalo": _zalo_load,
    }
    eventloop.run(loads[platform](conn, phases, questions))


# --- bot side (this process) ---------------------------------------------------------------------


async def _receive(conn: Connection, within: float) -> Any:
    if not await asyncio.to_thread(conn.poll, within):
        raise TimeoutError("the load process did not answer in time")
    return conn.recv()


async def serve_telegram(database_url: str, conn: Connection, *, limiter: bool) -> tuple[list[Result], float]:
    """The real core and a polling TelegramChannel built as the runner builds it, until the load is done."""
    from bot.adapters.telegram.channel import TelegramChannel
    from bot.app import build_core
    from bot.config import Config, DatabaseConfig, TelegramConfig

    fake = await _receive(conn, 30)
    config = Config(
        database=DatabaseConfig(url=database_url),
        telegram=TelegramConfig(
            token=fake["token"], base_url=fake["base_url"], base_file_url=fake["base_file_url"]
        ),
    )
    async with build_core(config) as core:
        channel = TelegramChannel(config.telegram, core.dispatcher.dispatch, timezone=config.timezone)
        if not limiter:
            # Capacity of everything but the limiter: PTB skips rate limiting when the bot has none.
            channel.application.bot._rate_limiter = None
        await channel.start()
        try:
            cpu, wall = time.process_time(), time.monotonic()
            conn.send("go")
            results: list[Result] = await _receive(conn, PHASE_TIMEOUT_S * 4)
            share = (time.process_time() - cpu) / (time.monotonic() - wall)
        finally:
            await channel.stop()
            conn.send("stopped")
    return results, share


async def serve_zalo(
    database_url: str, conn: Connection, *, limiter: bool, inbox: bool = True
) -> tuple[list[Result], float]:
    """The real core served by ``run_channels``: Zalo in webhook mode on our own HTTP server.

    Without ``inbox``: the channel and server wired by hand, without the durable inbox, as before it.
    """
    from bot.app import build_core
    from bot.config import Config, DatabaseConfig, HttpConfig, ZaloConfig
    from bot.runner import run_channels

    fake = await _receive(conn, 30)
    port = _free_port()
    url = f"http://127.0.0.1:{port}/zalo/webhook"
    config = Config(
        database=DatabaseConfig(url=database_url),
        http=HttpConfig(host="127.0.0.1", port=port),
        zalo=ZaloConfig(
            token=fake["token"],
            base_url=fake["base_url"],
            mode="webhook",
            webhook_url=url,
            webhook_secret="bench-secret-0123456789",
        ),
    )
    stop = asyncio.Event()
    async with build_core(config) as core:
        run = run_channels(core, stop) if inbox else _in_memory_zalo(core, stop)
        serving = asyncio.create_task(run)
        try:
            conn.send(url)
            await _receive(conn, 30)  # the fake saw the webhook registered
            cpu, wall = time.process_time(), time.monotonic()
            conn.send("go")
            results: list[Result] = await _receive(conn, PHASE_TIMEOUT_S * 4)
            share = (time.process_time() - cpu) / (time.monotonic() - wall)
        finally:
            stop.set()
            await serving
            conn.send("stopped")
    return results, share


async def _in_memory_zalo(core: Any, stop: asyncio.Event) -> None:
    """Zalo's webhook as it was before the inbox: 200 first, de-duplication and handling in memory.

    The outbox worker and the scheduler with the knowledge jobs run as in ``run_channels``, so the
    two Zalo scenarios differ by the inbox alone.
    """
    from bot.adapters.http_server import HttpServer
    from bot.adapters.zalo.channel import ZALO_AUTH_HEADER, ZaloChannel, zalo_event_id
    from bot.app.serving import Background
    from jobs.knowledge import knowledge_jobs

    settings = core.config.zalo
    server = HttpServer(core.config.http.host, core.config.http.port)
    channel = ZaloChannel(settings, core.dispatcher.dispatch)
    server.add_webhook(
        settings.webhook_path,
        secret_header=ZALO_AUTH_HEADER,
        secret=settings.webhook_secret,
        handle=channel.feed,
        dedup_key=zalo_event_id,
        name="zalo",
    )
    services = core.services
    background = Background(
        core, knowledge_jobs(services.procedures, core.sessions, core.config.search, services.unanswered)
    )
    await server.start()
    await channel.start()
    await background.start()
    try:
        await stop.wait()
    finally:
        await server.stop()
        await channel.stop()
        await background.stop()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run_scenario(
    scenario: Scenario, database_url: str, questions: Sequence[str]
) -> tuple[list[Result], float]:
    """Start the load process, serve it from this one; its measurements and this process's CPU share."""
    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe()
    process = context.Process(
        target=load_process, args=(theirs, scenario.platform, scenario.phases, list(questions)), daemon=True
    )
    process.start()
    try:
        if scenario.platform == "zalo":
            return eventloop.run(serve_zalo(database_url, ours, limiter=False, inbox=scenario.inbox))
        return eventloop.run(serve_telegram(database_url, ours, limiter=scenario.limiter))
    finally:
        process.join(10)
        if process.is_alive():
            process.kill()


async def prepare_database(path: Path, source: Path) -> tuple[str, int]:
    """A migrated SQLite file holding the full catalogue; returns its URL and the procedure count."""
    from bot.services.procedures import import_procedures
    from bot.storage import create_engine, session_factory
    from bot.storage.migrate import upgrade_engine
    from knowledge.importers import load_paths

    url = f"sqlite+aiosqlite:///{path}"
    procedures = list(load_paths([source]).procedures.values())
    engine = create_engine(url)
    try:
        await upgrade_engine(engine)
        await import_procedures(session_factory(engine), procedures)
    finally:
        await engine.dispose()
    return url, len(procedures)


async def measure_core(database_url: str, questions: Sequence[str]) -> list[Result]:
    """The core without any platform: search, then dispatch; one at a time, then as many as PTB runs."""
    from bot.app import build_core
    from bot.config import Config, DatabaseConfig
    from bot.messages import ChatRef, Incoming
    from bot.messages import Platform as ChatPlatform

    async with build_core(Config(database=DatabaseConfig(url=database_url))) as core:
        # Distinct chats throughout, so every dispatch creates its chat's rows as a new resident's would.
        single, many = range(CONCURRENCY, CONCURRENCY + 300), range(CONCURRENCY + 300, CONCURRENCY + 1300)
        texts = [questions[i % len(questions)] for i in range(many.stop)]

        async def search(i: int) -> None:
            await core.services.procedures.search(texts[i])

        async def dispatch(i: int) -> None:
            chat = ChatRef(ChatPlatform.TELEGRAM, str(900_000 + i), False)
            await core.dispatcher.dispatch(
                Incoming(chat=chat, user_id=str(i), text=texts[i], event_id=str(i))
            )

        results = []
        for name, step in (("search", search), ("dispatch", dispatch)):
            await asyncio.gather(*(step(i) for i in range(CONCURRENCY)))  # warm-up
            # The service keeps recent answers; each stage measures questions searched anew.
            core.services.procedures.forget_answers()
            results.append(await _concurrently(f"{name} x1", step, single, 1))
            core.services.procedures.forget_answers()
            results.append(await _concurrently(f"{name} x{CONCURRENCY}", step, many, CONCURRENCY))
    return results


async def _concurrently(
    name: str, step: Callable[[int], Awaitable[None]], items: range, concurrency: int
) -> Result:
    latencies: list[float] = []
    queue = iter(items)
    cpu = time.process_time()
    started = time.monotonic()

    async def worker() -> None:
        for i in queue:
            begun = time.monotonic()
            await step(i)
            latencies.append((time.monotonic() - begun) * 1000)

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    seconds = time.monotonic() - started
    return Result(name, len(items), len(items), seconds, tuple(latencies), 0, time.process_time() - cpu)


def report(scenario: Scenario, results: Sequence[Result], bot_cpu: float) -> None:
    """Print one scenario's figures beside the goals."""
    print(f"{scenario.label}")
    if scenario.note:
        print(f"  ({scenario.note})")
    for result in results:
        if result.phase == "warm-up":
            continue
        missing = result.sent - result.answered
        offered = next(p.rate for p in scenario.phases if p.name == result.phase)
        load = "all at once" if offered is None else f"offered {offered:.0f}/s"
        p50, p95 = percentile(result.latencies, 0.5), percentile(result.latencies, 0.95)
        worst = max(result.latencies, default=0.0)
        per_update = result.messages / max(result.answered, 1)
        cpu = (
            ""
            if result.bot_cpu is None
            else f"   bot CPU {result.bot_cpu * 1000 / max(result.answered, 1):4.2f} ms/update"
            # The load process (fake platform and driver) near 100% means the figure is its limit.
            f", load {result.cpu / max(result.seconds, 1e-9):4.0%}"
        )
        print(
            f"  {result.phase:<7} {result.sent:5d} updates ({load:<13}) {result.rate:7.1f} updates/s   "
            f"p50 {p50:7.1f} ms   p95 {p95:7.1f} ms   max {worst:7.1f} ms   {per_update:.2f} msg/update"
            + cpu
            + (f"   NO REPLY: {missing}" if missing else "")
        )
    by_phase = {r.phase: r for r in results}
    verdicts = []
    if "burst" in by_phase:
        rate = by_phase["burst"].rate
        verdicts.append(
            f">= {GOAL_RATE:.0f} updates/s {'met' if rate >= GOAL_RATE else 'MISSED'} ({rate:.0f})"
        )
    for name in ("paced", "light"):
        if name in by_phase:
            p95 = percentile(by_phase[name].latencies, 0.95)
            offered = next(p.rate for p in scenario.phases if p.name == name)
            verdicts.append(
                f"p95 < {GOAL_P95_MS:.0f} ms at {offered:.0f}/s {'met' if p95 < GOAL_P95_MS else 'MISSED'}"
            )
    print("  goals: " + "; ".join(verdicts))
    measured = [r for r in results if r.phase != "warm-up"]
    load_cpu = sum(r.cpu for r in measured) / max(sum(r.seconds for r in measured), 1e-9)
    print(
        f"  CPU over all phases: bot process {bot_cpu:.0%} (all threads), "
        f"load process {load_cpu:.0%} of one core"
    )
    print()


def scenarios() -> list[Scenario]:
    """What ``main`` runs, bounded in count so the whole benchmark stays well under two minutes."""
    unlimited = (
        Phase("warm-up", 50, None),
        Phase("burst", 600, None),
        Phase("paced", 400, GOAL_RATE),
        Phase("light", 100, 20.0),
    )
    return [
        Scenario(
            "Telegram long polling, production AIORateLimiter (30 msg/s overall, Telegram's own ceiling)",
            "telegram",
            limiter=True,
            phases=(Phase("warm-up", 20, None), Phase("burst", 150, None), Phase("paced", 100, 20.0)),
            note="a reply is at least one sendMessage, so the limiter caps answers at 30/s by design",
        ),
        Scenario(
            "Telegram long polling, rate limiter removed (what the pipeline itself can do)",
            "telegram",
            limiter=False,
            phases=unlimited,
        ),
        Scenario(
            "Zalo webhook (run_channels: our aiohttp server in, the durable inbox, the fake Zalo API out)",
            "zalo",
            limiter=False,
            phases=unlimited,
            note="the channel has no rate limiter; the fake POSTs each event as Zalo would",
        ),
        Scenario(
            "Zalo webhook without the inbox (200 first, handled in memory: the way before issue 14)",
            "zalo",
            limiter=False,
            phases=unlimited,
            note="for comparison only: a crash loses what was answered 200 and not yet handled",
            inbox=False,
        ),
    ]


def main(argv: Sequence[str] | None = None) -> int:
    """Run every scenario and print the figures."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--source", type=Path, default=ROOT.parent / "shared" / "knowledge-source")
    parser.add_argument("--only", type=int, action="append", help="run only scenario N (1-based; repeatable)")
    args = parser.parse_args(argv)
    if not args.source.is_dir():
        print(f"knowledge source not found: {args.source}", file=sys.stderr)
        return 2
    from knowledge.evaluation import load_cases

    # Every labelled question but the locked test split's, each once: a scenario asks almost every one
    # of them once, so the answers the service keeps for repeated questions barely help.
    questions = list(dict.fromkeys(case.query for path in QUESTION_FILES for case in load_cases(path)))
    with tempfile.TemporaryDirectory(prefix="motcua-bench-") as tmp:
        started = time.perf_counter()
        url, count = asyncio.run(prepare_database(Path(tmp) / "motcua.db", args.source))
        print(
            f"catalogue: {count} procedures in SQLite (import {time.perf_counter() - started:.1f} s, "
            f"not counted); {len(questions)} distinct labelled questions, in turn"
        )
        print(f"goals: >= {GOAL_RATE:.0f} updates/s per process, p95 < {GOAL_P95_MS:.0f} ms")
        print(f"event loop: {eventloop.loop_name()} (MOTCUA_EVENT_LOOP=asyncio for the standard one)")
        print()
        print(
            "core alone, no platform (x1: one at a time = service time; "
            f"x{CONCURRENCY}: as many as the Telegram channel runs, latency includes waiting for a turn)"
        )
        for result in eventloop.run(measure_core(url, questions)):
            p50, p95 = percentile(result.latencies, 0.5), percentile(result.latencies, 0.95)
            print(
                f"  {result.phase:<12} {result.sent:5d} questions {result.rate:7.1f} /s   "
                f"p50 {p50:7.1f} ms   p95 {p95:7.1f} ms   CPU {result.cpu / result.seconds:4.0%}"
            )
        print()
        bursts: dict[bool, float] = {}
        for number, scenario in enumerate(scenarios(), 1):
            if args.only and number not in args.only:
                continue
            results, share = run_scenario(scenario, url, questions)
            report(scenario, results, share)
            if scenario.platform == "zalo":
                bursts[scenario.inbox] = next((r.rate for r in results if r.phase == "burst"), 0.0)
        if len(bursts) == 2 and bursts[False] > 0:
            print(
                f"Zalo webhook burst with the durable inbox / without: {bursts[True]:.0f} / "
                f"{bursts[False]:.0f} updates/s = {bursts[True] / bursts[False]:.2f}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
