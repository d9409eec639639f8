"""Chaos benchmark: two ``motcua run`` processes on PostgreSQL in webhook mode, one SIGKILLed now and then.

Run: ``.venv/bin/python bench/chaos.py [--seed N] [--updates N] [--recipients N] [--kills N] [--quick]``.
Prints figures; takes a few minutes (``--quick``: small numbers and the demo knowledge base, a smoke run).

Set-up: a private PostgreSQL server (tests/postgres.py), ``motcua db upgrade``, a knowledge base
(``motcua kb import``: the real catalogue when ``--source`` exists, else the demo one), a unit of
recipients whose Telegram or Zalo accounts are linked by invite, and the loopback fake Telegram and Zalo
APIs in this process. The fakes play the platforms: each update is POSTed to one of the processes' own
webhook ports, round robin, to the other one while a process is down, and again after a non-2xx answer
(:mod:`bench.chaos_balancer`). Everything is judged from outside: updates in, messages reaching the fakes.

Phases:

1. Scaling, no kills: the same updates (questions of tests/data/search-dev.tsv, each from a new chat,
   half Telegram, half Zalo, all at once) answered by one process, then by two. The first gives each
   question's reply; the second checks it is the same. Zalo's rate is the headline: Telegram's answers
   go through each process's own send limiter (30 messages/s), which two processes simply double.
   The CPU used by the bots, PostgreSQL and the bench, and how busy the whole machine was, are printed
   beside the rates: on a machine busy with other work a second process finds no spare core.
2. Chaos: ``--updates`` updates paced at ``--rate`` (many chats, some with several questions, each
   question of a chat with a different reply so every answer is told apart) while a directive goes to
   ``--recipients`` people through the outbox; one process is SIGKILLed at ``--kills`` random moments
   (seeded, one in each equal slot of the load) and started again at once. One process is down at a
   time: a kill waits until the last one killed is serving again. Counted:

   - an update is answered when its reply reached its chat; answered twice or more is a duplicate;
   - in flight at a kill: updates not answered yet, or answered less than a second before it (the inbox's
     mark may not be written), that the killed process had accepted (2xx), or was being POSTed;
   - a directive message is lost when its recipient got nothing, duplicated when they got it twice;
   - outbox sends in flight at a kill: the killed process's directive sends open at the kill or answered
     less than a second before it (their delivery may not be recorded yet).

The outbox lease is shortened (``--lease``), so rows a killed process had claimed are sent again within
the run, and the outbox's send rate is lowered (``--outbox-rate``) so the directive's delivery spans the
load and the kills, with batches small enough to be sent within their lease; all ordinary ``[outbox]``
settings.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import shutil
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    # The fakes and the PostgreSQL helper live in tests/, which is not an installed package.
    sys.path.insert(0, str(ROOT))

from bench.chaos_balancer import Backend, Balancer, Delivery  # noqa: E402
from bench.chaos_cluster import (  # noqa: E402
    TELEGRAM_PATH,
    ZALO_PATH,
    Node,
    Outbox,
    Platforms,
    machine_cpu,
    motcua,
    postgres_cpu,
    render_config,
    wait_ready,
)
from bot.inbox.store import LEASE_SECONDS as INBOX_LEASE_SECONDS  # noqa: E402

QUESTIONS = ROOT / "tests" / "data" / "search-dev.tsv"
DEFAULT_SOURCE = ROOT.parent / "shared" / "knowledge-source"
DEMO_SOURCE = ROOT / "knowledge" / "demo"
TELEGRAM, ZALO = "telegram", "zalo"
UNIT = "Tổ thử tải"
GOAL_RATIO = 1.6
RECENT_SEND = 1.0
"""Seconds before a kill in which a directive send counts as in flight (its mark may not be written)."""
RECENT_ANSWER = 1.0
"""Seconds before a kill in which an answered update counts as in flight (its inbox mark may be unwritten)."""


@dataclass(frozen=True, slots=True)
class Options:
    """What the command line asked for."""

    seed: int
    updates: int
    recipients: int
    kills: int
    rate: float
    lease: int
    outbox_rate: float
    """Directive messages per second per platform and process: spread over the load, so kills hit it."""
    source: Path
    timeout: float
    keep: bool


@dataclass(slots=True)
class Kill:
    """One SIGKILL: when (monotonic), which incarnation, and what replaced it."""

    at: float
    victim: str
    planned: float
    """The seeded moment; later when the previous victim was still starting."""
    successor: str = ""


@dataclass(slots=True)
class Fakes:
    """The two fake platform APIs, and where each chat's messages went."""

    telegram: Any
    zalo: Any

    def messages(self) -> dict[tuple[str, str], list[tuple[str, float]]]:
        """(platform, chat id) -> the (text, monotonic time) of every message the bot sent there."""
        out: dict[tuple[str, str], list[tuple[str, float]]] = defaultdict(list)
        for platform, fake in ((TELEGRAM, self.telegram), (ZALO, self.zalo)):
            for message in fake.sent:
                out[(platform, str(message.chat_id))].append((message.text, float(message.at)))
        return out

    def delivery(self, platform: str, chat: str, question: str) -> Delivery:
        """A resident's text as the platform would POST it to the bot's webhook."""
        if platform == TELEGRAM:
            body = self.telegram.text_update(int(chat), question)
            return Delivery(platform, chat, question, TELEGRAM_PATH, body)
        body = self.zalo.text_update(chat, question)
        return Delivery(platform, chat, question, ZALO_PATH, body)

    async def post(self, url: str, body: Any) -> int:
        """POST as the platform the update is from, with the secret the bot registered last."""
        fake = self.telegram if "update_id" in body else self.zalo
        status: int = await fake.post(url, body, fake.webhook_headers())
        return status

    async def registered(self, within: float = 60.0) -> None:
        """Wait until the bot has set both webhooks (a process is serving only from then)."""
        await self.telegram.wait_for(lambda: self.telegram.webhook_url, within)
        await self.zalo.wait_for(lambda: self.zalo.webhook_url, within)


def chat_id(platform: str, base: int, number: int) -> str:
    """A private chat id as each platform writes it (Telegram: an integer; Zalo: a hex string)."""
    return str(base + number) if platform == TELEGRAM else f"{base + number:020x}"


# --- set-up ----------------------------------------------------------------------------------------


async def link_recipients(database_url: str, count: int) -> list[tuple[str, str]]:
    """A unit of ``count`` staff, each linked by invite on Telegram or Zalo; their (platform, chat)s."""
    from bot.messages import Platform
    from bot.services.people import Actor, PeopleService, Role
    from bot.storage import create_engine, session_factory

    engine = create_engine(database_url)
    people = PeopleService(session_factory(engine))
    admin = Actor.system()
    recipients = [(TELEGRAM if n % 2 == 0 else ZALO, n) for n in range(count)]
    gate = asyncio.Semaphore(8)
    try:
        unit = await people.create_unit(admin, UNIT)

        async def link(platform: str, number: int) -> None:
            async with gate:
                person = await people.create_person(admin, f"Cán bộ {number}", Role.STAFF, unit_id=unit.id)
                invite = await people.invite(admin, person.id)
                chat = chat_id(platform, 7_000_000, number)
                await people.redeem(invite.code, Platform(platform), chat, chat)

        await asyncio.gather(*(link(p, n) for p, n in recipients))
    finally:
        await engine.dispose()
    return [(p, chat_id(p, 7_000_000, n)) for p, n in recipients]


DIRECTIVE = f"""\
title = "Chỉ đạo thử tải"
body = "Đề nghị các đồng chí kiểm tra việc nhận tin khi máy chủ khởi động lại."
urgency = "khan"
ack_required = false

[audience]
units = ["{UNIT}"]
unit_groups = false
"""


# --- phases ----------------------------------------------------------------------------------------


@dataclass(slots=True)
class Scaling:
    """What one scaling phase measured."""

    processes: int
    deliveries: list[Delivery]
    first_answer: dict[int, float]
    """Index of the delivery -> when the first message of its reply arrived."""
    started: float
    bot_cpu: float
    load_cpu: float
    postgres_cpu: float
    machine_busy: float
    """Share of the whole machine's CPU time that was busy (anyone's work) during the phase."""
    seconds: float

    def rate(self, platform: str | None = None) -> float:
        """Answered updates per second, from the first POST to the last first reply (of one platform)."""
        chosen = [i for i, d in enumerate(self.deliveries) if platform in (None, d.platform)]
        times = [self.first_answer[i] for i in chosen if i in self.first_answer]
        if not times:
            return 0.0
        return len(times) / max(max(times) - self.started, 1e-9)


async def scaling_phase(
    processes: int,
    balancer: Balancer,
    fakes: Fakes,
    nodes: Sequence[Node],
    pairs: Sequence[tuple[str, str]],
    base: int,
    within: float,
    database_port: int,
) -> tuple[Scaling, dict[tuple[str, str], tuple[str, int]]]:
    """Every pair from a new chat, all at once; the figures, and each pair's (first text, message count)."""
    deliveries = [fakes.delivery(p, chat_id(p, base, n), q) for n, (p, q) in enumerate(pairs)]
    keys = [(d.platform, d.chat) for d in deliveries]
    bot_cpu = sum(node.cpu_seconds() for node in nodes)
    load_cpu = time.process_time()
    database_cpu = postgres_cpu(database_port)
    machine = machine_cpu()
    started = time.monotonic()
    sending = asyncio.gather(*(balancer.deliver(d) for d in deliveries))
    first: dict[int, float] = {}
    while len(first) < len(deliveries) and time.monotonic() - started < within:
        messages = fakes.messages()
        for i, key in enumerate(keys):
            if i not in first and messages.get(key):
                first[i] = messages[key][0][1]
        await asyncio.sleep(0.05)
    await sending
    seconds = time.monotonic() - started
    busy, ticks = (now - before for now, before in zip(machine_cpu(), machine, strict=True))
    result = Scaling(
        processes,
        deliveries,
        first,
        started,
        sum(node.cpu_seconds() for node in nodes) - bot_cpu,
        time.process_time() - load_cpu,
        postgres_cpu(database_port) - database_cpu,
        busy / max(ticks, 1.0),
        seconds,
    )
    await asyncio.sleep(1.0)  # the later parts of long replies
    messages = fakes.messages()
    replies = {
        (d.platform, d.question): (messages[key][0][0], len(messages[key]))
        for d, key in zip(deliveries, keys, strict=True)
        if messages.get(key)
    }
    return result, replies


def plan_chats(
    rng: random.Random, replies: dict[tuple[str, str], tuple[str, int]], count: int, base: int
) -> list[tuple[str, str, str]]:
    """``count`` (platform, chat, question)s over many chats, some with several questions, interleaved.

    The questions of one chat have different replies, so each answer in the chat names its question.
    """
    by_reply: dict[str, dict[str, list[str]]] = {TELEGRAM: defaultdict(list), ZALO: defaultdict(list)}
    for (platform, question), (text, _) in sorted(replies.items()):
        by_reply[platform][text].append(question)
    chats: list[tuple[str, str, list[str]]] = []
    planned = 0
    while planned < count:
        platform = TELEGRAM if rng.random() < 0.5 else ZALO
        groups = sorted(by_reply[platform])
        size = min(rng.choice((1, 1, 1, 1, 1, 1, 2, 2, 3, 5)), len(groups), count - planned)
        questions = [rng.choice(by_reply[platform][text]) for text in rng.sample(groups, size)]
        chats.append((platform, chat_id(platform, base, len(chats)), questions))
        planned += size
    slots = [i for i, (_, _, questions) in enumerate(chats) for _ in questions]
    rng.shuffle(slots)
    asked: Counter[int] = Counter()
    plan = []
    for i in slots:
        platform, chat, questions = chats[i]
        plan.append((platform, chat, questions[asked[i]]))
        asked[i] += 1
    return plan


@dataclass(slots=True)
class Chaos:
    """What the chaos phase recorded."""

    deliveries: list[Delivery]
    kills: list[Kill]
    recipients: list[tuple[str, str]]
    started: float
    load_seconds: float = 0.0
    settled_seconds: float = 0.0
    directive_output: str = ""


async def chaos_phase(
    options: Options,
    rng: random.Random,
    balancer: Balancer,
    fakes: Fakes,
    nodes: Sequence[Node],
    plan: Sequence[tuple[str, str, str]],
    replies: dict[tuple[str, str], tuple[str, int]],
    recipients: list[tuple[str, str]],
    directive: Path,
    any_config: Path,
) -> Chaos:
    """Pace the plan, publish the directive, kill and restart at seeded moments, wait for the outcome."""
    deliveries = [fakes.delivery(p, c, q) for p, c, q in plan]
    duration = len(deliveries) / options.rate
    # One moment in each of ``kills`` equal slots of the load: random, yet not bunched together.
    slot = 0.9 * duration / max(options.kills, 1)
    moments = [0.05 * duration + (n + rng.random()) * slot for n in range(options.kills)]
    started = time.monotonic()
    chaos = Chaos(deliveries, [], recipients, started)
    publishing = asyncio.create_task(
        asyncio.to_thread(motcua, any_config, "directive", "create", "--file", str(directive))
    )
    sending: list[asyncio.Task[bool]] = []
    killing = asyncio.create_task(kill_at(moments, started, rng, balancer, nodes, chaos.kills))
    for i, delivery in enumerate(deliveries):
        due = started + i / options.rate
        if (ahead := due - time.monotonic()) > 0:
            await asyncio.sleep(ahead)  # pacing the offered load
        sending.append(asyncio.create_task(balancer.deliver(delivery)))
    await killing
    await asyncio.gather(*sending)
    chaos.directive_output = (await publishing).strip()
    print(f"  directive: {chaos.directive_output.splitlines()[-1] if chaos.directive_output else '?'}")
    chaos.load_seconds = time.monotonic() - started
    last_kill = max((k.at for k in chaos.kills), default=started)
    # By then the outbox rows and the inbox updates a killed process held are taken over (their leases ran
    # out): the inbox's claims are shared by both processes, so either may have held one.
    earliest = last_kill + max(options.lease, INBOX_LEASE_SECONDS) + 3.0
    deadline = max(time.monotonic(), earliest) + options.timeout
    while time.monotonic() < deadline:
        if time.monotonic() >= earliest and complete(fakes, deliveries, replies, recipients):
            break
        await asyncio.sleep(0.25)
    chaos.settled_seconds = time.monotonic() - started
    return chaos


async def kill_at(
    moments: Sequence[float],
    started: float,
    rng: random.Random,
    balancer: Balancer,
    nodes: Sequence[Node],
    kills: list[Kill],
) -> None:
    """At each moment SIGKILL one of the processes at random and start it again at once.

    One process is down at a time: while the last one killed is still starting, the kill waits for it.
    """
    for moment in moments:
        if (ahead := started + moment - time.monotonic()) > 0:
            await asyncio.sleep(ahead)
        # A successor that never becomes ready is a failure of its own, not something to wait out.
        await asyncio.wait_for(balancer.all_serving(), 300)
        index = rng.randrange(len(nodes))
        node, backend = nodes[index], balancer.backends[index]
        kill = Kill(time.monotonic(), node.incarnation, started + moment)
        node.kill()
        balancer.take_out(backend)
        kill.successor = backend.incarnation = node.start()
        kills.append(kill)


# --- counting --------------------------------------------------------------------------------------


def occurrences(
    delivery: Delivery,
    messages: dict[tuple[str, str], list[tuple[str, float]]],
    replies: dict[tuple[str, str], tuple[str, int]],
) -> list[float]:
    """When each copy of this update's reply reached its chat."""
    expected = replies[(delivery.platform, delivery.question)][0]
    return [at for text, at in messages.get((delivery.platform, delivery.chat), []) if text == expected]


def complete(
    fakes: Fakes,
    deliveries: Sequence[Delivery],
    replies: dict[tuple[str, str], tuple[str, int]],
    recipients: Sequence[tuple[str, str]],
) -> bool:
    """Every update answered and every recipient reached."""
    messages = fakes.messages()
    return all(occurrences(d, messages, replies) for d in deliveries) and all(
        messages.get(r) for r in recipients
    )


def in_flight_updates(
    chaos: Chaos,
    messages: dict[tuple[str, str], list[tuple[str, float]]],
    replies: dict[tuple[str, str], tuple[str, int]],
) -> list[tuple[int, int]]:
    """Per kill, updates not answered yet that the killed process had accepted, and was receiving."""
    counts = []
    for kill in chaos.kills:
        held = receiving = 0
        for delivery in chaos.deliveries:
            if any(at <= kill.at - RECENT_ANSWER for at in occurrences(delivery, messages, replies)):
                continue
            attempts = [a for a in delivery.attempts if a.incarnation == kill.victim]
            if any(a.accepted_by(kill.at) for a in attempts):
                held += 1
            elif any(a.open_at(kill.at) for a in attempts):
                receiving += 1
        counts.append((held, receiving))
    return counts


def in_flight_sends(chaos: Chaos, fakes: Fakes) -> list[int]:
    """Per kill: the killed process's directive sends open at the kill or answered just before it."""
    recipients = set(chaos.recipients)
    counts = []
    for kill in chaos.kills:
        count = 0
        for platform, fake in ((TELEGRAM, fakes.telegram), (ZALO, fakes.zalo)):
            for call in fake.calls:
                to = (platform, str(call.params.get("chat_id")))
                if call.via != kill.victim or to not in recipients or call.method.lower() != "sendmessage":
                    continue
                if call.status == 200 and call.at >= kill.at - RECENT_SEND:
                    count += 1
        counts.append(count)
    return counts


def goal(met: bool) -> str:
    """How a goal came out."""
    return "met" if met else "MISSED"


# --- reporting -------------------------------------------------------------------------------------


def times(faster: float, slower: float) -> float:
    """How many times ``slower`` ``faster`` is (0 when nothing was measured)."""
    return faster / slower if slower > 0 else 0.0


def report_scaling(one: Scaling, two: Scaling) -> dict[str, float]:
    """Rates with one and with two processes, per platform, and the ratio; the figures for the summary."""
    print(f"scaling, no kills: the same {len(one.deliveries)} updates, all at once, each from a new chat")
    for phase in (one, two):
        answered = len(phase.first_answer)
        missing = len(phase.deliveries) - answered
        print(
            f"  {phase.processes} process{'es' if phase.processes > 1 else '  '}: "
            f"Zalo {phase.rate(ZALO):6.1f}/s   Telegram {phase.rate(TELEGRAM):6.1f}/s   "
            f"all {phase.rate():6.1f}/s   CPU (of one core): bots {phase.bot_cpu / phase.seconds:4.0%}, "
            f"PostgreSQL {phase.postgres_cpu / phase.seconds:4.0%}, "
            f"bench {phase.load_cpu / phase.seconds:4.0%}; machine busy {phase.machine_busy:4.0%}"
            + (f"   NO REPLY: {missing}" if missing else "")
        )
    ratio = times(two.rate(ZALO), one.rate(ZALO))
    cores = os.cpu_count() or 1
    print(f"  (the machine has {cores} cores; near 100% busy, a second process has no spare core to use)")
    print(
        f"  ratio, Zalo (no send limiter in the way): {ratio:.2f}x, goal >= {GOAL_RATIO}x: "
        f"{goal(ratio >= GOAL_RATIO)}; Telegram {times(two.rate(TELEGRAM), one.rate(TELEGRAM)):.2f}x "
        "(each process has its own 30 messages/s limiter); all "
        f"{times(two.rate(), one.rate()):.2f}x"
    )
    return {"zalo_1": one.rate(ZALO), "zalo_2": two.rate(ZALO), "scaling_ratio": ratio}


def report_chaos(
    chaos: Chaos, fakes: Fakes, replies: dict[tuple[str, str], tuple[str, int]], backends: Sequence[Backend]
) -> dict[str, float]:
    """Kills, then answered, lost and duplicated updates and directive messages beside the goals."""
    messages = fakes.messages()
    held = in_flight_updates(chaos, messages, replies)
    sends = in_flight_sends(chaos, fakes)
    came_up = {name: at for backend in backends for name, at in backend.came_up.items()}
    for number, (kill, (accepted, receiving), outbox) in enumerate(
        zip(chaos.kills, held, sends, strict=True), 1
    ):
        up = came_up.get(kill.successor)
        ready = f"ready after {up - kill.at:.1f} s" if up is not None else "not ready before the end"
        print(
            f"  kill {number} at {kill.at - chaos.started:5.1f} s: {kill.victim} SIGKILLed; in flight: "
            f"{accepted + receiving} updates ({accepted} accepted, {receiving} being POSTed), "
            f"{outbox} directive sends; {kill.successor} {ready}"
            + (
                f" (drawn for {kill.planned - chaos.started:.1f} s; the last one killed was still starting)"
                if kill.at - kill.planned > 0.5
                else ""
            )
        )
    in_flight = sum(a + r for a, r in held)
    copies = [len(occurrences(d, messages, replies)) for d in chaos.deliveries]
    answered = sum(1 for c in copies if c)
    duplicates = sum(c - 1 for c in copies if c > 1)
    retried = sum(1 for d in chaos.deliveries if len(d.attempts) > 1)
    print(
        f"  incoming: {len(chaos.deliveries)} updates ({retried} POSTed more than once), "
        f"{answered} answered, "
        f"{len(chaos.deliveries) - answered} never answered (goal: all answered, "
        f"{goal(answered == len(chaos.deliveries))}); {duplicates} duplicate answers "
        f"(goal: <= {in_flight} in flight at the kills, {goal(duplicates <= in_flight)})"
    )
    received = [len(messages.get(r, [])) for r in chaos.recipients]
    lost = sum(1 for n in received if n == 0)
    doubled = sum(n - 1 for n in received if n > 1)
    print(
        f"  outbox: {len(chaos.recipients)} directive messages, {len(chaos.recipients) - lost} delivered, "
        f"{lost} lost (goal 0, {goal(lost == 0)}), {doubled} duplicated "
        f"(goal: <= {sum(sends)} in flight at the kills, {goal(doubled <= sum(sends))})"
    )
    print(
        f"  the load took {chaos.load_seconds:.1f} s; the phase ended after {chaos.settled_seconds:.1f} s "
        "(everything arrived, or the wait ran out)"
    )
    return {
        "updates": len(chaos.deliveries),
        "answered": answered,
        "duplicate_answers": duplicates,
        "updates_in_flight": in_flight,
        "directive_messages": len(chaos.recipients),
        "delivered": len(chaos.recipients) - lost,
        "duplicated": doubled,
        "sends_in_flight": sum(sends),
    }


# --- the run ---------------------------------------------------------------------------------------


def read_questions() -> list[str]:
    """The distinct questions of the search dev split, in file order."""
    from knowledge.evaluation import load_cases

    return list(dict.fromkeys(case.query for case in load_cases(QUESTIONS)))


def scaling_pairs(questions: Sequence[str], count: int) -> list[tuple[str, str]]:
    """``count`` (platform, question)s: each question on Telegram then on Zalo, in turn."""
    return [(TELEGRAM if i % 2 == 0 else ZALO, questions[(i // 2) % len(questions)]) for i in range(count)]


async def run(options: Options, database_url: str, workdir: Path) -> int:
    """Everything after PostgreSQL is up; the exit code."""
    from sqlalchemy import make_url

    from tests.fakes.telegram_api import FakeTelegram
    from tests.fakes.zalo_api import FakeZalo

    rng = random.Random(options.seed)
    questions = read_questions()
    async with FakeTelegram() as telegram, FakeZalo() as zalo:
        fakes = Fakes(telegram, zalo)
        platforms = Platforms(f"{telegram.base_url[:-4]}", telegram.token, zalo.base_url, zalo.token)
        config = workdir / "cli.toml"
        outbox = Outbox(options.lease, options.outbox_rate)
        config.write_text(render_config(database_url, 9, platforms, "cli", outbox))
        clock = time.monotonic()
        await asyncio.to_thread(motcua, config, "db", "upgrade")
        await asyncio.to_thread(motcua, config, "kb", "import", str(options.source))
        recipients = await link_recipients(database_url, options.recipients)
        for platform, chat in recipients:
            (telegram.add_chat(int(chat)) if platform == TELEGRAM else zalo.add_chat(chat))
        directive = workdir / "directive.toml"
        directive.write_text(DIRECTIVE)
        print(
            f"set-up {time.monotonic() - clock:.1f} s: schema, knowledge base from {options.source.name}, "
            f"{len(recipients)} linked recipients"
        )

        nodes = [Node(i, workdir, database_url, platforms, outbox) for i in range(2)]
        backends = [Backend(node.port) for node in nodes]
        try:
            # The platforms retry for hours; the bench gives up only when something is badly wrong.
            async with Balancer(backends, fakes.post, give_up_after=600.0) as balancer:
                port = make_url(database_url).port or 5432
                return await phases(
                    options, rng, balancer, fakes, nodes, questions, recipients, directive, config, port
                )
        finally:
            for node in nodes:
                node.stop()


async def phases(
    options: Options,
    rng: random.Random,
    balancer: Balancer,
    fakes: Fakes,
    nodes: Sequence[Node],
    questions: Sequence[str],
    recipients: list[tuple[str, str]],
    directive: Path,
    config: Path,
    database_port: int,
) -> int:
    """Scaling with one then two processes, then the chaos phase; print the figures."""
    pairs = scaling_pairs(questions, options.updates)
    backends = balancer.backends
    balancer.put_in(backends[0], nodes[0].start())
    print(f"{nodes[0].incarnation} ready in {await wait_ready(nodes[0]):.1f} s")
    await fakes.registered()
    port = database_port
    one, replies = await scaling_phase(1, balancer, fakes, nodes[:1], pairs, 1_000_000, options.timeout, port)
    balancer.put_in(backends[1], nodes[1].start())
    print(f"{nodes[1].incarnation} ready in {await wait_ready(nodes[1]):.1f} s")
    two, again = await scaling_phase(2, balancer, fakes, nodes, pairs, 2_000_000, options.timeout, port)
    figures = report_scaling(one, two)
    differing = {pair for pair, reply in again.items() if replies.get(pair, reply)[0] != reply[0]}
    stable = {pair: reply for pair, reply in replies.items() if pair not in differing}
    if differing:
        print(f"  ({len(differing)} questions whose reply differed between the two runs are left out below)")
    print()
    plan = plan_chats(rng, stable, options.updates, 3_000_000)
    chats = len({(p, c) for p, c, _ in plan})
    print(
        f"chaos: seed {options.seed}; {len(plan)} updates from {chats} chats "
        f"({sum(1 for p, _, _ in plan if p == TELEGRAM)} Telegram) at {options.rate:.0f}/s; "
        f"a directive to {len(recipients)} recipients (outbox: {options.outbox_rate:.1f} messages/s "
        f"per platform and process, lease {options.lease} s, batches of "
        f"{Outbox(options.lease, options.outbox_rate).batch_size}); {options.kills} SIGKILLs"
    )
    chaos = await chaos_phase(
        options, rng, balancer, fakes, nodes, plan, stable, recipients, directive, config
    )
    figures |= report_chaos(chaos, fakes, stable, balancer.backends)
    if balancer.gave_up:
        print(f"  the platforms gave up on {len(balancer.gave_up)} updates (no process answered 2xx)")
    print()
    print(
        "summary: "
        + " ".join(f"{k}={v:.2f}" if isinstance(v, float) else f"{k}={v}" for k, v in figures.items())
    )
    return 0


def parse(argv: Sequence[str] | None) -> Options:
    """The command line."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add = parser.add_argument
    add("--seed", type=int, default=None, help="seed of the plan and the kills (random by default)")
    add("--updates", type=int, default=None, help="incoming updates per phase (1000)")
    add("--recipients", type=int, default=None, help="recipients of the directive (300)")
    add("--kills", type=int, default=None, help="SIGKILLs during the chaos phase (5)")
    add("--rate", type=float, default=None, help="updates/s offered in the chaos phase (20)")
    add("--lease", type=int, default=None, help="outbox lease of the bot processes, seconds (15)")
    add(
        "--outbox-rate",
        type=float,
        default=None,
        help="directive messages/s per platform and process (default: the directive spans the load)",
    )
    add("--source", type=Path, default=None, help="knowledge to import (the real catalogue if present)")
    add("--keep", action="store_true", help="keep the config files and the processes' logs")
    add("--quick", action="store_true", help="small numbers and the demo knowledge base: a smoke run")
    args = parser.parse_args(argv)
    quick = args.quick

    def pick(value: Any, full: Any, small: Any) -> Any:
        return value if value is not None else (small if quick else full)

    updates, recipients, rate = (
        pick(args.updates, 1000, 40),
        pick(args.recipients, 300, 20),
        pick(args.rate, 20.0, 10.0),
    )
    # Two platforms, two processes: the directive's last message goes out at about 80% of the load.
    spread = recipients / (0.8 * (updates / rate) * 4)
    source = args.source or (DEFAULT_SOURCE if DEFAULT_SOURCE.is_dir() and not quick else DEMO_SOURCE)
    return Options(
        seed=args.seed if args.seed is not None else random.SystemRandom().randrange(1_000_000),
        updates=updates,
        recipients=recipients,
        kills=pick(args.kills, 5, 2),
        rate=rate,
        lease=pick(args.lease, 15, 3),
        outbox_rate=args.outbox_rate or max(spread, 0.5),
        source=source,
        timeout=5.0 if quick else 60.0,
        keep=args.keep,
    )


@contextlib.contextmanager
def workspace(keep: bool) -> Iterator[Path]:
    """A temporary folder for config files and logs (kept and named when asked or when the run fails)."""
    folder = Path(tempfile.mkdtemp(prefix="motcua-chaos-"))
    try:
        yield folder
    except BaseException:
        keep = True
        raise
    finally:
        if keep:
            print(f"config files and logs kept in {folder}", file=sys.stderr)
        else:
            shutil.rmtree(folder, ignore_errors=True)


def main(argv: Sequence[str] | None = None) -> int:
    """Start PostgreSQL, run the phases, print the figures."""
    from bot import eventloop
    from tests.postgres import find_pg_bin, postgres_server

    options = parse(argv)
    if find_pg_bin() is None:
        print(
            "PostgreSQL server binaries (initdb, pg_ctl) not found: install the postgresql package",
            file=sys.stderr,
        )
        return 2
    print(f"seed {options.seed} (--seed {options.seed} repeats the plan and the kill moments)")
    with workspace(options.keep) as workdir, postgres_server() as database_url:
        return eventloop.run(run(options, database_url, workdir))


if __name__ == "__main__":
    sys.exit(main())
