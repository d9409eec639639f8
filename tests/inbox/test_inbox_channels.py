"""Updates go through the inbox: the real PTB Application and our Zalo client against the fakes."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable, Sequence

from aiohttp import ClientSession
from sqlalchemy import select, text

from bot.adapters.telegram.channel import TelegramChannel, telegram_envelope
from bot.adapters.zalo.channel import ZALO_AUTH_HEADER
from bot.inbox import DONE, Envelope, InboxStore
from bot.inbox.worker import InboxWorker
from bot.messages import Incoming, Platform, Reply
from bot.storage import InboxUpdate, SessionFactory
from tests.adapters.conftest import Services, telegram_config
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.zalo_api import FakeZalo
from tests.inbox.rig import TELEGRAM_PATH, ZALO_PATH, post, telegram_rig, text_update, zalo_rig

Answer = Callable[[Incoming], Awaitable[list[Reply]]]


async def rows(sessions: SessionFactory) -> dict[str, tuple[str, dict[str, object]]]:
    """Update id -> (status, stored body)."""
    async with sessions() as session:
        found = (
            await session.execute(select(InboxUpdate.update_id, InboxUpdate.status, InboxUpdate.body))
        ).all()
    return {r.update_id: (r.status, r.body) for r in found}


async def test_a_webhook_update_is_stored_before_the_200_and_handled_from_there(
    fake: FakeTelegram, sqlite_sessions: SessionFactory, answer: Answer, services: Services
) -> None:
    async with (
        telegram_rig(fake, sqlite_sessions, answer, start_worker=False) as rig,
        ClientSession() as http,
    ):
        body = text_update(fake, 501, 77, "làm căn cước")
        assert await post(http, rig.url + TELEGRAM_PATH, body) == (200, {"ok": True})
        # Answered 200 with no worker running: the update is in the table, raw, waiting.
        assert await rows(sqlite_sessions) == {"501": ("pending", body)}
        assert services.asked == []
    # A new process on the same file handles it at once.
    async with telegram_rig(fake, sqlite_sessions, answer):
        [sent] = await fake.wait_messages(77, 1)
        assert "làm căn cước" in sent.text
    assert (await rows(sqlite_sessions))["501"][0] == DONE


async def test_a_duplicate_gets_200_and_is_handled_once_also_after_a_restart(
    fake: FakeTelegram, sqlite_sessions: SessionFactory, answer: Answer, services: Services
) -> None:
    body = text_update(fake, 601, 78, "hỏi một lần")
    async with ClientSession() as http:
        async with telegram_rig(fake, sqlite_sessions, answer) as rig:
            first = await asyncio.gather(*(post(http, rig.url + TELEGRAM_PATH, body) for _ in range(5)))
            assert sorted(status for status, _ in first) == [200] * 5
            assert sum(1 for _, answered in first if answered.get("duplicate")) == 4
            await fake.wait_messages(78, 1)
        async with telegram_rig(fake, sqlite_sessions, answer) as rig:
            assert await post(http, rig.url + TELEGRAM_PATH, body) == (200, {"ok": True, "duplicate": True})
            await asyncio.sleep(0.3)
    assert [m.event_id for m in services.asked] == ["601"]
    assert len(fake.messages_to(78)) == 1


async def test_what_a_killed_process_stored_and_claimed_is_handled_at_the_next_start(
    fake: FakeTelegram, sqlite_sessions: SessionFactory, answer: Answer, services: Services
) -> None:
    # The dead process stored 30 updates of 6 chats and was handling 6 of them when it was killed.
    dead = InboxStore(sqlite_sessions, owner="killed", lease_seconds=3600)
    bodies = [text_update(fake, 1000 + n, 300 + n % 6, f"câu {n}") for n in range(30)]
    envelopes = [telegram_envelope(body) for body in bodies]
    await dead.keep([e for e in envelopes if e is not None])
    assert len(await dead.claim(10, [Platform.TELEGRAM])) == 6
    async with telegram_rig(fake, sqlite_sessions, answer):
        for chat in range(300, 306):
            await fake.wait_messages(chat, 5, within=10)
    assert sorted(int(m.event_id) for m in services.asked) == list(range(1000, 1030))
    assert {status for status, _ in (await rows(sqlite_sessions)).values()} == {DONE}


async def test_each_chat_keeps_its_order_while_chats_run_concurrently(
    fake: FakeTelegram, sqlite_sessions: SessionFactory, services: Services, answer: Answer
) -> None:
    running: set[str] = set()
    overlapped = False

    async def slow(msg: Incoming) -> list[Reply]:
        nonlocal overlapped
        running.add(msg.chat.chat_id)
        overlapped = overlapped or len(running) > 1
        # Random handling times: without the inbox's per-chat turn, later updates would overtake.
        await asyncio.sleep(random.uniform(0, 0.02))
        try:
            return await answer(msg)
        finally:
            running.discard(msg.chat.chat_id)

    chats = range(400, 405)
    async with telegram_rig(fake, sqlite_sessions, slow) as rig, ClientSession() as http:
        bodies = [text_update(fake, 2000 + n, chats[n % 5], f"câu {n}") for n in range(50)]
        for body in bodies:
            assert (await post(http, rig.url + TELEGRAM_PATH, body))[0] == 200
        for chat in chats:
            await fake.wait_messages(chat, 10, within=10)
    for chat in chats:
        handled = [int(m.event_id) for m in services.asked if m.chat.chat_id == str(chat)]
        assert handled == sorted(handled) and len(handled) == 10
    assert overlapped


async def test_polling_stores_a_batch_before_the_offset_moves_past_it(
    fake: FakeTelegram, sqlite_sessions: SessionFactory, answer: Answer, services: Services
) -> None:
    fake.push_text(91, "trước khi khởi động")
    async with telegram_rig(fake, sqlite_sessions, answer, mode="polling"):
        fake.push_text(92, "trong khi chạy")
        await fake.wait_messages(91, 1)
        await fake.wait_messages(92, 1)
    stored = await rows(sqlite_sessions)
    assert len(stored) == 2 and {s for s, _ in stored.values()} == {DONE}


async def test_polling_asks_again_while_the_inbox_cannot_store(
    fake: FakeTelegram, sqlite_sessions: SessionFactory, answer: Answer, services: Services
) -> None:
    store = InboxStore(sqlite_sessions)
    failures = 3
    real_keep = store.keep

    async def flaky(envelopes: Sequence[Envelope]) -> list[bool]:
        nonlocal failures
        if failures:
            failures -= 1
            raise OSError("database unavailable")
        return await real_keep(envelopes)

    store.keep = flaky  # type: ignore[method-assign]
    update_id = fake.push_text(93, "đừng làm mất")
    channel = TelegramChannel(
        telegram_config(fake), answer, keep=store.keep, poll_timeout=1, retry_delay=0.05
    )
    worker = InboxWorker(InboxStore(sqlite_sessions), {Platform.TELEGRAM: channel.handle_stored})
    stop = asyncio.Event()
    await channel.start()
    task = asyncio.create_task(worker.run(stop))
    try:
        await fake.wait_messages(93, 1, within=15)
    finally:
        stop.set()
        await task
        await channel.stop()
    assert failures == 0
    assert [m.event_id for m in services.asked] == [str(update_id)]


async def test_a_malformed_update_is_refused_or_stored_and_never_crashes(
    fake: FakeTelegram, sqlite_sessions: SessionFactory, answer: Answer, services: Services
) -> None:
    async with telegram_rig(fake, sqlite_sessions, answer) as rig, ClientSession() as http:
        url = rig.url + TELEGRAM_PATH
        assert (await post(http, url, b"not json"))[0] == 400
        assert (await post(http, url, b"[1, 2]"))[0] == 400
        assert (await post(http, url, {"update_id": "7"}))[0] == 400
        assert (await post(http, url, {"update_id": 10**80}))[0] == 400
        assert (await post(http, url, b"{" + b'"a":' * 10 + b"1" + b"}" * 10))[0] == 400
        # An update id with nonsense inside: stored, read, dropped; the next one is answered.
        assert (await post(http, url, {"update_id": 700, "message": "x"}))[0] == 200
        assert (await post(http, url, {"update_id": 701, "message": {"chat": {"id": True}}}))[0] == 200
        assert (await post(http, url, text_update(fake, 702, 79, "vẫn chạy")))[0] == 200
        await fake.wait_messages(79, 1)
    stored = await rows(sqlite_sessions)
    assert set(stored) == {"700", "701", "702"} and {s for s, _ in stored.values()} == {DONE}


async def test_zalo_webhook_duplicates_are_refused_by_the_table(
    zalo: FakeZalo, sqlite_sessions: SessionFactory, answer: Answer, services: Services
) -> None:
    async with zalo_rig(zalo, sqlite_sessions, answer):
        event = zalo.push_event("message.text.received", zalo.message("c0ffee", text="hỏi thủ tục"))
        zalo.redeliver(event)
        zalo.redeliver(event)
        await zalo.wait_for(lambda: len(zalo.webhook_deliveries) == 3, 5)
        await zalo.wait_messages("c0ffee", 1)
        await asyncio.sleep(0.2)
    assert [status for _, status in zalo.webhook_deliveries] == [200, 200, 200]
    assert len(services.asked) == 1 and len(zalo.messages_to("c0ffee")) == 1
    message_id = event["message"]["message_id"]
    assert (await rows(sqlite_sessions))[message_id][0] == DONE


async def test_zalo_polling_stores_each_event_before_asking_for_the_next(
    zalo: FakeZalo, sqlite_sessions: SessionFactory, answer: Answer, services: Services
) -> None:
    async with zalo_rig(zalo, sqlite_sessions, answer, mode="polling"):
        ids = [zalo.push_text("beef01", f"câu {n}") for n in range(3)]
        await zalo.wait_messages("beef01", 3, within=10)
    assert [m.event_id for m in services.asked] == ids
    assert set(await rows(sqlite_sessions)) == set(ids)


async def test_a_webhook_body_that_cannot_be_stored_gets_503_so_the_platform_sends_it_again(
    zalo: FakeZalo, sqlite_sessions: SessionFactory, answer: Answer
) -> None:
    async with zalo_rig(zalo, sqlite_sessions, answer) as rig, ClientSession() as http:
        async with sqlite_sessions() as session, session.begin():
            await session.execute(text("DROP TABLE inbox"))
        event = {"event_name": "message.text.received", "message": zalo.message("ab", text="x")}
        status, _ = await post(
            http, rig.url + ZALO_PATH, {"ok": True, "result": event}, header=ZALO_AUTH_HEADER
        )
        assert status == 503
