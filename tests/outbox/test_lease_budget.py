"""A batch's rows wait for their send slots within a quarter of the lease counted from the claim.

At a low send rate the last rows of a big batch used to queue for slots one short wait at a time, and were
sent after their lease ran out, when another worker may already have claimed and sent them too. Real
clock: the fake one lets every waiting row start its wait at a different time, which no event loop does.
"""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from bot.messages import ChatRef, Platform, Reply
from bot.outbox import PENDING, SENT, Sender, enqueue
from bot.outbox.worker import OutboxWorker
from bot.storage import OutboxMessage, SessionFactory
from tests.fakes.zalo_api import FakeZalo
from tests.outbox.support import with_outbox

pytest_plugins = ["tests.outbox.fixtures"]

CHATS = [f"lease{n:02d}" for n in range(20)]
# Five messages a second; a lease of 4 s lets a row wait 1 s for its slot: about six of twenty fit.
CONFIG = with_outbox(zalo_per_second=5.0, lease_seconds=4, batch_size=len(CHATS))


async def _rows(sessions: SessionFactory) -> list[tuple[str, int]]:
    async with sessions() as session:
        found = await session.execute(select(OutboxMessage.status, OutboxMessage.attempts))
        return [(status, attempts) for status, attempts in found]


async def test_rows_that_would_outwait_their_lease_are_given_back_uncounted(
    sessions: SessionFactory, senders: dict[Platform, Sender], zalo: FakeZalo
) -> None:
    for n, chat in enumerate(CHATS):
        zalo.add_chat(chat)
        async with sessions() as session, session.begin():
            await enqueue(
                session, key=f"lease{n}", chat=ChatRef(Platform.ZALO, chat), reply=Reply(f"tin {n}"), kind="t"
            )
    worker = OutboxWorker(sessions, senders, CONFIG)

    assert await worker.run_once() == len(CHATS)
    first = await _rows(sessions)
    sent = [row for row in first if row[0] == SENT]
    # Within one second at five a second: the first slot and about five more (fewer on a slow machine).
    assert 1 <= len(sent) <= 8, first
    assert sorted(row for row in first if row[0] != SENT) == [(PENDING, 0)] * (len(CHATS) - len(sent))

    # The rows given back fall due when their slots come: within a few seconds, each sent once.
    for _ in range(300):
        await worker.drain()
        if all(status == SENT for status, _ in await _rows(sessions)):
            break
        await asyncio.sleep(0.1)
    assert sorted(await _rows(sessions)) == [(SENT, 1)] * len(CHATS)
    assert sorted(m.chat_id for m in zalo.sent) == CHATS
