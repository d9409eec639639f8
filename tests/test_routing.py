"""The router and dispatcher: commands, payloads, numbered answers, choice memory, and flows."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import cast

import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.messages import Button, ChatRef, Incoming, Platform, Reply
from bot.routing import Command, Dispatcher, Router, StrayNumber, parse_command
from bot.services.conversations import ConversationMemory, Flow
from bot.storage import create_engine, session_factory
from bot.storage.migrate import upgrade_engine

CHAT = ChatRef(Platform.CONSOLE, "c1")
OTHER = ChatRef(Platform.TELEGRAM, "c2")


class Memory:
    """An in-memory ChoiceMemory (the protocol's simplest implementation)."""

    def __init__(self) -> None:
        self.data: dict[str, list[str]] = {}

    async def remember(self, chat_key: str, payloads: list[str]) -> None:
        self.data[chat_key] = payloads

    async def recall(self, chat_key: str) -> list[str]:
        return self.data.get(chat_key, [])


def build() -> tuple[Dispatcher[str], Memory]:
    router: Router[str] = Router()

    @router.command("tim")
    async def find(msg: Incoming, svc: str, command: Command) -> list[Reply]:
        return [Reply(f"tim:{msg.text}", buttons=(Button("A", "p:a"), Button("B", "p:b")))]

    @router.payload("p")
    async def pick(msg: Incoming, svc: str) -> list[Reply]:
        return [Reply(f"picked:{msg.payload}:{svc}")]

    @router.text()
    async def text(msg: Incoming, svc: str) -> list[Reply]:
        return [] if not msg.addressed else [Reply(f"text:{msg.text}")]

    memory = Memory()
    return Dispatcher(router, "svc", memory, lambda m, c: [Reply("fallback")]), memory


def test_parse_command_handles_bot_suffix_and_arguments() -> None:
    assert parse_command("/tim@MotcuaBot  khai sinh ") == parse_command("/TIM khai sinh")
    command = parse_command("/tim khai sinh")
    assert command is not None and (command.name, command.args) == ("tim", "khai sinh")
    assert parse_command("tim khai sinh") is None
    assert parse_command("/") is None


async def test_number_picks_the_choice_last_shown_in_that_chat_only() -> None:
    dispatcher, _ = build()
    await dispatcher.dispatch(Incoming(CHAT, "u", text="/tim x"))
    [reply] = await dispatcher.dispatch(Incoming(CHAT, "u", text=" 2 "))
    assert reply.text == "picked:p:b:svc"
    [other] = await dispatcher.dispatch(Incoming(OTHER, "u", text="2"))
    assert other.text == "text:2"


async def test_a_number_out_of_range_is_plain_text() -> None:
    dispatcher, _ = build()
    await dispatcher.dispatch(Incoming(CHAT, "u", text="/tim x"))
    [reply] = await dispatcher.dispatch(Incoming(CHAT, "u", text="7"))
    assert reply.text == "text:7"


def build_with_stray() -> tuple[Dispatcher[str], Memory]:
    router: Router[str] = Router()

    @router.command("tim")
    async def find(msg: Incoming, svc: str, command: Command) -> list[Reply]:
        return [Reply("tim", buttons=(Button("A", "p:a"), Button("B", "p:b")))]

    @router.payload("p")
    async def pick(msg: Incoming, svc: str) -> list[Reply]:
        return [Reply(f"picked:{msg.payload}")]

    @router.stray_number()
    async def stray(msg: Incoming, svc: str, number: StrayNumber) -> list[Reply]:
        return [Reply(f"stray:{number.text}:{number.choices}")]

    @router.text()
    async def text(msg: Incoming, svc: str) -> list[Reply]:
        return [Reply(f"text:{msg.text}")]

    memory = Memory()
    return Dispatcher(router, "svc", memory, lambda m, c: [Reply("fallback")]), memory


async def test_a_number_that_picks_nothing_goes_to_the_stray_number_handler_and_keeps_the_list() -> None:
    dispatcher, memory = build_with_stray()
    assert [r.text for r in await dispatcher.dispatch(Incoming(CHAT, "u", text="7"))] == ["stray:7:0"]
    await dispatcher.dispatch(Incoming(CHAT, "u", text="/tim x"))
    for typed in ("3", "-1", "100", "0", "−2"):
        [reply] = await dispatcher.dispatch(Incoming(CHAT, "u", text=typed))
        assert reply.text == f"stray:{typed}:2"
        assert memory.data[CHAT.key] == ["p:a", "p:b"]
    [picked] = await dispatcher.dispatch(Incoming(CHAT, "u", text="số 2"))
    assert picked.text == "picked:p:b"
    # Words with digits are questions, not numbers.
    [words] = await dispatcher.dispatch(Incoming(CHAT, "u", text="2 con"))
    assert words.text == "text:2 con"


def test_a_stray_number_handler_registered_twice_is_refused() -> None:
    first: Router[str] = Router()
    second: Router[str] = Router()

    async def stray(msg: Incoming, svc: str, number: StrayNumber) -> list[Reply]:
        return []

    first.stray_number()(stray)
    second.stray_number()(stray)
    with pytest.raises(ValueError, match="stray-number"):
        first.include(second)


async def test_a_new_answer_without_buttons_forgets_old_choices() -> None:
    dispatcher, memory = build()
    await dispatcher.dispatch(Incoming(CHAT, "u", text="/tim x"))
    await dispatcher.dispatch(Incoming(CHAT, "u", text="hello"))
    assert memory.data[CHAT.key] == []


async def test_silence_keeps_the_pending_choices() -> None:
    dispatcher, memory = build()
    await dispatcher.dispatch(Incoming(CHAT, "u", text="/tim x"))
    replies = await dispatcher.dispatch(Incoming(CHAT, "u2", text="chatter", addressed=False))
    assert replies == []
    assert memory.data[CHAT.key] == ["p:a", "p:b"]


async def test_pressing_a_button_keeps_the_list_for_another_pick() -> None:
    dispatcher, memory = build()
    await dispatcher.dispatch(Incoming(CHAT, "u", text="/tim x"))
    await dispatcher.dispatch(Incoming(CHAT, "u", payload="p:a"))
    assert memory.data[CHAT.key] == ["p:a", "p:b"]


async def test_unknown_command_and_payload_reach_the_fallback() -> None:
    dispatcher, _ = build()
    assert [r.text for r in await dispatcher.dispatch(Incoming(CHAT, "u", text="/nope"))] == ["fallback"]
    assert [r.text for r in await dispatcher.dispatch(Incoming(CHAT, "u", payload="zz:1"))] == ["fallback"]


def test_a_command_registered_twice_is_refused_not_silently_replaced() -> None:
    first: Router[str] = Router()
    second: Router[str] = Router()

    async def handler(msg: Incoming, svc: str, command: Command) -> list[Reply]:
        return []

    first.command("help")(handler)
    second.command("help")(handler)
    with pytest.raises(ValueError, match="help"):
        first.include(second)
    with pytest.raises(ValueError, match="help"):
        first.command("help")(handler)


async def test_passive_matchers_are_tried_by_priority_not_by_registration() -> None:
    low: Router[str] = Router()
    high: Router[str] = Router()

    @low.text()
    async def anything(msg: Incoming, svc: str) -> list[Reply]:
        return [Reply("text")]

    @low.passive(re.compile(r"\d{3}"), priority=20)
    async def digits(msg: Incoming, svc: str) -> list[Reply]:
        return [Reply("digits")]

    @high.passive(lambda text: text == "ok", priority=10, unaddressed=True)
    async def ok(msg: Incoming, svc: str) -> list[Reply]:
        return [Reply(f"ok:{msg.addressed}")]

    low.include(high)
    assert [p.priority for p in low.passives] == [10, 20, 1000]
    dispatcher = Dispatcher(low, "svc", Memory(), lambda m, c: [Reply("fallback")])

    async def say(text: str, addressed: bool = True) -> list[str]:
        return [
            r.text for r in await dispatcher.dispatch(Incoming(CHAT, "u", text=text, addressed=addressed))
        ]

    assert (
        await say("ok") == ["ok:True"] and await say("a 123 b") == ["digits"] and await say("x") == ["text"]
    )
    # Not addressed: only what is registered for it answers; the rest is silence.
    assert await say("ok", addressed=False) == ["ok:False"]
    assert await say("a 123 b", addressed=False) == []
    same: Router[str] = Router()
    same.passive(re.compile("x"), priority=20)(digits)
    with pytest.raises(ValueError, match="priority 20"):
        low.include(same)


async def test_an_unaddressed_number_picks_only_what_may_be_answered_without_a_mention() -> None:
    router: Router[str] = Router()

    @router.payload("ack", unaddressed=True)
    async def ack(msg: Incoming, svc: str) -> list[Reply]:
        return [Reply(f"ack:{msg.payload}:{msg.text}")]

    @router.payload("p")
    async def pick(msg: Incoming, svc: str) -> list[Reply]:
        return [Reply(f"picked:{msg.payload}")]

    memory = Memory()
    dispatcher = Dispatcher(router, "svc", memory, lambda m, c: [Reply("fallback")])
    memory.data[CHAT.key] = ["p:a", "ack:7"]
    assert await dispatcher.dispatch(Incoming(CHAT, "u", text="1", addressed=False)) == []
    [reply] = await dispatcher.dispatch(Incoming(CHAT, "u", text="2", addressed=False))
    assert reply.text == "ack:ack:7:2"
    # Answering a member who did not address the bot leaves the list for the others.
    assert memory.data[CHAT.key] == ["p:a", "ack:7"]
    [reply] = await dispatcher.dispatch(Incoming(CHAT, "u", text="1"))
    assert reply.text == "picked:p:a"


async def test_a_command_is_parsed_once_and_handed_to_its_handler() -> None:
    router: Router[str] = Router()
    seen: list[Command] = []

    @router.command("tim", "timkiem", "thutuc")
    async def find(msg: Incoming, svc: str, command: Command) -> list[Reply]:
        seen.append(command)
        return [Reply(command.name)]

    dispatcher = Dispatcher(router, "svc", Memory(), lambda m, c: [Reply(f"unknown:{c.name if c else ''}")])
    for text in ("/tìm kiếm khai sinh", "/Thủ tục 1.001193", "/tim@MotcuaBot kiem", "/xin chào"):
        await dispatcher.dispatch(Incoming(CHAT, "u", text=text))
    assert seen == [Command("timkiem", "khai sinh"), Command("thutuc", "1.001193"), Command("timkiem", "")]
    assert [r.text for r in await dispatcher.dispatch(Incoming(CHAT, "u", text="/xin chào"))] == [
        "unknown:xin"
    ]


# Flows, through the real Dispatcher and the real store on a SQLite file.


@dataclass
class DemoServices:
    """What the demonstration handlers use: the store, and what was confirmed (the side effect)."""

    conversations: ConversationMemory
    saved: list[int] = field(default_factory=list)


def demo_router(on_flow_read: Callable[[], Awaitable[None]] | None = None) -> Router[DemoServices]:
    """'/so' asks for a number, then asks to confirm it with two buttons; '/tim' and text as usual."""
    router: Router[DemoServices] = Router()

    @router.command("so")
    async def ask(msg: Incoming, svc: DemoServices, command: Command) -> list[Reply]:
        await svc.conversations.start_flow(msg.chat.key, "so", "ask")
        return [Reply("Nhập một số")]

    @router.flow("so")
    async def answer(msg: Incoming, svc: DemoServices, flow: Flow) -> list[Reply]:
        if on_flow_read is not None:
            await on_flow_read()
        if flow.step == "ask":
            if not msg.text.strip().isdigit():
                return [Reply("Cần một số")]
            number = int(msg.text)
            await svc.conversations.advance(flow, "confirm", {"n": number})
            return [Reply(f"Xác nhận {number}?", buttons=(Button("Có", "so:yes"), Button("Không", "so:no")))]
        return [
            Reply("Chọn 1 (Có) hoặc 2 (Không)", buttons=(Button("Có", "so:yes"), Button("Không", "so:no")))
        ]

    @router.payload("so")
    async def confirm(msg: Incoming, svc: DemoServices) -> list[Reply]:
        flow = await svc.conversations.flow(msg.chat.key)
        if on_flow_read is not None:
            await on_flow_read()
        if flow is None or flow.step != "confirm":
            return [Reply("Hết hạn")]
        # End first: a second press racing this one then gets StaleFlow and saves nothing.
        await svc.conversations.end_flow(flow)
        number = flow.data["n"]
        assert isinstance(number, int)
        if msg.payload == "so:yes":
            svc.saved.append(number)
            return [Reply(f"Đã lưu {number}")]
        return [Reply("Đã huỷ")]

    @router.command("tim")
    async def find(msg: Incoming, svc: DemoServices, command: Command) -> list[Reply]:
        return [Reply(f"tim:{msg.text}")]

    @router.text()
    async def text(msg: Incoming, svc: DemoServices) -> list[Reply]:
        return [] if not msg.addressed else [Reply(f"text:{msg.text}")]

    return router


class Demo:
    """A dispatcher over the demonstration router and a ConversationMemory on one SQLite file."""

    def __init__(self, engine: AsyncEngine, router: Router[DemoServices], clock: Clock) -> None:
        self.memory = ConversationMemory(session_factory(engine), clock=clock)
        self.services = DemoServices(self.memory)
        self.dispatcher = Dispatcher(
            router, self.services, self.memory, lambda m, c: [Reply("fallback")], flows=self.memory
        )

    async def say(self, text: str = "", payload: str | None = None, addressed: bool = True) -> list[str]:
        """Send one message from CHAT; return the reply texts."""
        replies = await self.dispatcher.dispatch(
            Incoming(CHAT, "u", text=text, payload=payload, addressed=addressed)
        )
        return [r.text for r in replies]


class Clock:
    """A settable clock."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    """A migrated SQLite file."""
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'motcua.db'}")
    await upgrade_engine(engine)
    try:
        yield engine
    finally:
        await engine.dispose()


async def test_a_flow_asks_a_number_then_confirms_it_by_number_or_button(engine: AsyncEngine) -> None:
    demo = Demo(engine, demo_router(), Clock())
    assert await demo.say("/so") == ["Nhập một số"]
    assert await demo.say("bảy") == ["Cần một số"]
    assert await demo.say("7") == ["Xác nhận 7?"]
    assert await demo.say("1") == ["Đã lưu 7"]
    assert demo.services.saved == [7]
    assert await demo.memory.flow(CHAT.key) is None
    assert await demo.say("8") == ["text:8"]
    await demo.say("/so")
    await demo.say("9")
    assert await demo.say(payload="so:no") == ["Đã huỷ"]
    assert demo.services.saved == [7]


async def test_a_flow_resumes_at_its_step_after_a_restart(engine: AsyncEngine, tmp_path: Path) -> None:
    clock = Clock()
    await Demo(engine, demo_router(), clock).say("/so")
    for answer, expected in (("12", "Xác nhận 12?"), ("1", "Đã lưu 12")):
        restarted = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'motcua.db'}")
        try:
            demo = Demo(restarted, demo_router(), clock)
            assert await demo.say(answer) == [expected]
        finally:
            await restarted.dispose()
    assert demo.services.saved == [12]


async def test_a_command_ends_the_active_flow_and_is_answered_normally(engine: AsyncEngine) -> None:
    demo = Demo(engine, demo_router(), Clock())
    await demo.say("/so")
    assert await demo.say("/tim khai sinh") == ["tim:/tim khai sinh"]
    assert await demo.memory.flow(CHAT.key) is None
    assert await demo.say("5") == ["text:5"]
    await demo.say("/so")
    assert await demo.say("/huy") == ["fallback"]
    assert await demo.say("5") == ["text:5"]


async def test_an_expired_flow_falls_back_to_normal_routing(engine: AsyncEngine) -> None:
    clock = Clock()
    demo = Demo(engine, demo_router(), clock)
    await demo.say("/so")
    clock.now += timedelta(minutes=29)
    assert await demo.say("x") == ["Cần một số"]
    clock.now += timedelta(minutes=30)
    assert await demo.say("5") == ["text:5"]


async def test_chatter_not_addressed_to_the_bot_does_not_answer_a_flow(engine: AsyncEngine) -> None:
    demo = Demo(engine, demo_router(), Clock())
    await demo.say("/so")
    assert await demo.say("5", addressed=False) == []
    flow = await demo.memory.flow(CHAT.key)
    assert flow is not None and flow.step == "ask"


async def test_a_flow_without_a_handler_here_is_routed_normally(engine: AsyncEngine) -> None:
    demo = Demo(engine, demo_router(), Clock())
    await demo.memory.start_flow(CHAT.key, "chidao", "title")
    assert await demo.say("Họp giao ban") == ["text:Họp giao ban"]


class HoldFirstReads:
    """Makes the first ``n`` handler calls wait for each other after reading the flow: a forced race."""

    def __init__(self, n: int = 2) -> None:
        self.barrier = asyncio.Barrier(n)
        self.n = n
        self.reads = 0
        self.armed = True

    async def __call__(self) -> None:
        if not self.armed:
            return
        self.reads += 1
        if self.reads <= self.n:
            await self.barrier.wait()


async def test_two_racing_answers_to_one_step_are_answered_one_after_the_other(engine: AsyncEngine) -> None:
    hold = HoldFirstReads()
    demo = Demo(engine, demo_router(hold), Clock())
    await demo.say("/so")
    started = await demo.memory.flow(CHAT.key)
    assert started is not None
    first, second = await asyncio.gather(demo.say("5"), demo.say("6"))
    assert hold.reads == 3, "the loser was answered again"
    flow = await demo.memory.flow(CHAT.key)
    assert flow is not None and flow.step == "confirm" and flow.version == started.version + 1
    winner = [f"Xác nhận {flow.data['n']}?"]
    assert sorted([first, second]) == sorted([winner, ["Chọn 1 (Có) hoặc 2 (Không)"]])


async def test_two_racing_confirmations_save_once(engine: AsyncEngine) -> None:
    hold = HoldFirstReads()
    hold.armed = False
    demo = Demo(engine, demo_router(hold), Clock())
    await demo.say("/so")
    await demo.say("4")
    hold.armed = True
    answers = await asyncio.gather(demo.say(payload="so:yes"), demo.say("1"))
    assert hold.reads == 3, "the loser was answered again"
    assert sorted(answers) == [["Hết hạn"], ["Đã lưu 4"]]
    assert demo.services.saved == [4]


def test_a_router_with_flows_needs_a_flow_store() -> None:
    with pytest.raises(ValueError, match="flow store"):
        Dispatcher(demo_router(), DemoServices(cast(ConversationMemory, None)), Memory(), lambda m, c: [])


async def test_a_plain_answer_costs_one_read_and_no_write(engine: AsyncEngine) -> None:
    demo = Demo(engine, demo_router(), Clock())
    statements: list[str] = []

    def record(conn: object, cursor: object, statement: str, *args: object) -> None:
        statements.append(statement.split()[0].upper())

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    assert await demo.say("khai sinh") == ["text:khai sinh"]
    assert await demo.say("/tim khai sinh") == ["tim:/tim khai sinh"]
    assert await demo.say("3") == ["text:3"]
    assert statements == ["SELECT"] * 3
    await demo.say("/so")
    statements.clear()
    assert await demo.say("8") == ["Xác nhận 8?"]
    assert statements == ["SELECT", "UPDATE", "INSERT"], "one read, the step, the choices shown"
    assert await demo.say("2") == ["Đã huỷ"]
