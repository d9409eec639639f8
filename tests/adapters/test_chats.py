"""The per-chat serializer the Telegram and Zalo channels share."""

from __future__ import annotations

import asyncio

from bot.adapters.chats import ChatSerializer


async def test_one_chat_takes_turns_in_arrival_order_while_other_chats_go_on() -> None:
    chats = ChatSerializer()
    log: list[str] = []
    release = asyncio.Event()

    async def turn(key: str, name: str, wait: bool = False) -> None:
        async with chats.turn(key):
            log.append(f"{name} starts")
            if wait:
                await release.wait()
            log.append(f"{name} ends")

    first = asyncio.create_task(turn("telegram:1", "a1", wait=True))
    second = asyncio.create_task(turn("telegram:1", "a2"))
    other = asyncio.create_task(turn("zalo:1", "b1"))
    await other
    # The other chat answered while the first chat's turn was still running; its second one waits.
    assert log == ["a1 starts", "b1 starts", "b1 ends"]
    assert len(chats) == 1
    release.set()
    await asyncio.gather(first, second)
    assert log[3:] == ["a1 ends", "a2 starts", "a2 ends"]
    assert len(chats) == 0


async def test_a_failed_turn_lets_the_next_one_go() -> None:
    chats = ChatSerializer()
    try:
        async with chats.turn("zalo:9"):
            raise ValueError("the answer failed")
    except ValueError:
        pass
    async with chats.turn("zalo:9"):
        assert len(chats) == 1
    assert len(chats) == 0
