"""The typing indicator on Zalo: shown only when an answer is slow, never for a quick one."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from bot.adapters.zalo.channel import ZaloChannel
from bot.messages import Incoming, Reply
from tests.adapters.conftest import make_zalo_channel
from tests.fakes.zalo_api import FakeZalo

CHAT = "0a1b2c3d4e5f60718293"


class GatedAnswer:
    """An answer that waits until the test opens the gate (a stand-in for a slow search)."""

    def __init__(self) -> None:
        self.gate = asyncio.Event()
        self.gate.set()

    async def __call__(self, msg: Incoming) -> list[Reply]:
        await self.gate.wait()
        return [Reply(f"Trả lời: {msg.text}")]


@pytest.fixture
def gated() -> GatedAnswer:
    """An answer that is quick until the test closes its gate."""
    return GatedAnswer()


@pytest.fixture
async def channel(zalo: FakeZalo, gated: GatedAnswer) -> AsyncIterator[ZaloChannel]:
    """A polling channel whose typing indicator waits 50 ms for the answer."""
    channel = make_zalo_channel(zalo, gated, poll_timeout=1, typing_delay=0.05)
    await channel.start()
    try:
        yield channel
    finally:
        await channel.stop()


async def test_a_quick_answer_goes_out_without_a_typing_indicator(
    zalo: FakeZalo, gated: GatedAnswer, channel: ZaloChannel
) -> None:
    for n in range(3):
        zalo.push_text(CHAT, f"câu hỏi {n}")
        await zalo.wait_messages(CHAT, n + 1)
    assert [m.text for m in zalo.messages_to(CHAT)] == [f"Trả lời: câu hỏi {n}" for n in range(3)]
    assert zalo.calls_of("sendChatAction") == []


async def test_a_slow_answer_shows_typing_first_then_the_answer(
    zalo: FakeZalo, gated: GatedAnswer, channel: ZaloChannel
) -> None:
    gated.gate.clear()
    zalo.push_text(CHAT, "câu hỏi chậm")
    # The answer is held back, so the indicator must appear on its own.
    await zalo.wait_for(lambda: zalo.calls_of("sendChatAction"))
    assert zalo.messages_to(CHAT) == []
    [typing] = zalo.calls_of("sendChatAction")
    assert typing.params == {"chat_id": CHAT, "action": "typing"}
    gated.gate.set()
    [answer] = await zalo.wait_messages(CHAT, 1)
    assert answer.text == "Trả lời: câu hỏi chậm"
