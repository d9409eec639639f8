"""The router and dispatcher: commands, payloads, numbered answers, and choice memory."""

from __future__ import annotations

from bot.messages import Button, ChatRef, Incoming, Platform, Reply
from bot.routing import Dispatcher, Router, parse_command

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
    async def find(msg: Incoming, svc: str) -> list[Reply]:
        return [Reply(f"tim:{msg.text}", buttons=(Button("A", "p:a"), Button("B", "p:b")))]

    @router.payload("p")
    async def pick(msg: Incoming, svc: str) -> list[Reply]:
        return [Reply(f"picked:{msg.payload}:{svc}")]

    @router.text()
    async def text(msg: Incoming, svc: str) -> list[Reply]:
        return [] if not msg.addressed else [Reply(f"text:{msg.text}")]

    memory = Memory()
    return Dispatcher(router, "svc", memory, lambda m: [Reply("fallback")]), memory


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
