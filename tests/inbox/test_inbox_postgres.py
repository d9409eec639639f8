"""Two processes share one inbox on real PostgreSQL: this test process and a second OS process.

Each update is posted to one process's webhook and its duplicate to the other's; every chat's updates
are posted one after another. The fake Telegram records every reply, whichever process sent it.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from aiohttp import ClientSession
from sqlalchemy import func, select

from bot.inbox import DONE
from bot.messages import Incoming, Reply
from bot.storage import InboxUpdate, session_factory
from bot.storage.migrate import upgrade_engine
from tests.fakes.telegram_api import FakeTelegram
from tests.inbox.rig import TELEGRAM_PATH, post, telegram_rig, text_update
from tests.storage.conftest import fresh_postgres_database

ROOT = Path(__file__).resolve().parents[2]
CHATS = 12
PER_CHAT = 8
Answer = Callable[[Incoming], Awaitable[list[Reply]]]


@asynccontextmanager
async def second_process(
    db_url: str, fake: FakeTelegram, owner: str, lease: float, pause: float = 0.01
) -> AsyncIterator[tuple[str, asyncio.subprocess.Process]]:
    """Start ``tests.inbox.worker_process``; its base URL and the process, ended on exit."""
    address = {"token": fake.token, "base_url": fake.base_url, "base_file_url": fake.base_file_url}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.inbox.worker_process",
        db_url,
        json.dumps(address),
        owner,
        str(lease),
        str(pause),
        cwd=ROOT,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert process.stdout is not None and process.stdin is not None
    try:
        line = await asyncio.wait_for(process.stdout.readline(), 60)
        assert line.startswith(b"http://"), line
        yield line.decode().strip(), process
    finally:
        if process.returncode is None:
            process.stdin.close()
            try:
                await asyncio.wait_for(process.wait(), 20)
            except TimeoutError:
                process.kill()
                await process.wait()


def replies_by_chat(fake: FakeTelegram) -> dict[int, list[str]]:
    """The questions each chat got an answer to, in the order the answers arrived."""
    found: dict[int, list[str]] = {}
    for message in fake.sent:
        # The test router answers "Bạn hỏi: <question>".
        found.setdefault(int(message.chat_id), []).append(message.text.removeprefix("Bạn hỏi: "))
    return found


async def post_all(http: ClientSession, urls: list[str], fake: FakeTelegram, first_id: int) -> list[str]:
    """Every chat's updates in order, each to one process and its duplicate to the other; the questions."""
    duplicates: list[asyncio.Task[tuple[int, object]]] = []

    async def one_chat(chat: int) -> None:
        for n in range(PER_CHAT):
            update_id = first_id + chat * PER_CHAT + n
            body = text_update(fake, update_id, 5000 + chat, f"câu {chat}-{n}")
            target, other = urls[(chat + n) % 2], urls[(chat + n + 1) % 2]
            status, _ = await post(http, target + TELEGRAM_PATH, body)
            assert status == 200
            # The duplicate, concurrently with the chat's next update.
            duplicates.append(asyncio.create_task(post(http, other + TELEGRAM_PATH, body)))

    await asyncio.gather(*(one_chat(chat) for chat in range(CHATS)))
    # Whichever copy came second was refused by the database, and still answered 200.
    answers = await asyncio.gather(*duplicates)
    assert {status for status, _ in answers} == {200}
    assert all(isinstance(body, dict) and body.get("duplicate") for _, body in answers)
    return [f"câu {c}-{n}" for c in range(CHATS) for n in range(PER_CHAT)]


async def test_two_processes_handle_each_update_once_and_each_chat_in_order(
    postgres_url: str, fake: FakeTelegram, answer: Answer
) -> None:
    async with fresh_postgres_database(postgres_url, "inbox2") as engine:
        await upgrade_engine(engine)
        db_url = engine.url.render_as_string(hide_password=False)
        sessions = session_factory(engine)
        async with (
            second_process(db_url, fake, "second", 30.0) as (second_url, _),
            telegram_rig(fake, sessions, answer, owner="first") as rig,
            ClientSession() as http,
        ):
            questions = await post_all(http, [rig.url, second_url], fake, 10_000)
            await fake.wait_for(lambda: len(fake.sent) >= len(questions), 30)
            await asyncio.sleep(0.5)
        answered = replies_by_chat(fake)
        counts = Counter(q for replies in answered.values() for q in replies)
        assert set(counts) == set(questions) and max(counts.values()) == 1
        for chat in range(CHATS):
            assert answered[5000 + chat] == [f"câu {chat}-{n}" for n in range(PER_CHAT)]
        async with sessions() as session:
            grouped = await session.execute(
                select(InboxUpdate.owner, func.count()).group_by(InboxUpdate.owner)
            )
            owners = {owner: count for owner, count in grouped.all()}
            statuses = set((await session.execute(select(InboxUpdate.status))).scalars())
        # Both processes took part, and everything is done.
        assert set(owners) == {"first", "second"} and statuses == {DONE}
        assert sum(owners.values()) == len(questions)


async def test_a_killed_process_claims_are_taken_over_after_its_lease(
    postgres_url: str, fake: FakeTelegram, answer: Answer
) -> None:
    async with fresh_postgres_database(postgres_url, "inbox2") as engine:
        await upgrade_engine(engine)
        db_url = engine.url.render_as_string(hide_password=False)
        sessions = session_factory(engine)
        async with ClientSession() as http:
            async with second_process(db_url, fake, "doomed", 1.0, pause=0.2) as (doomed_url, process):
                bodies = [text_update(fake, 20_000 + n, 6000 + n % 10, f"câu {n}") for n in range(60)]
                for body in bodies:
                    assert (await post(http, doomed_url + TELEGRAM_PATH, body))[0] == 200
                # SIGKILL: no clean stop, claims left behind mid-answer.
                process.send_signal(signal.SIGKILL)
                await process.wait()
            async with sessions() as session:
                left = (
                    await session.execute(select(func.count()).where(InboxUpdate.status != DONE))
                ).scalar_one()
            assert left > 0
            async with telegram_rig(fake, sessions, answer, owner="survivor"):
                await fake.wait_for(
                    lambda: (
                        {m.text.removeprefix("Bạn hỏi: ") for m in fake.sent}
                        >= {f"câu {n}" for n in range(60)}
                    ),
                    20,
                )
        counts = Counter(m.text for m in fake.sent)
        # At most the updates in hand when the process died (its worker runs 8 at once) were answered twice.
        assert sum(counts.values()) - len(counts) <= 8
        async with sessions() as session:
            statuses = set((await session.execute(select(InboxUpdate.status))).scalars())
        assert statuses == {DONE}
