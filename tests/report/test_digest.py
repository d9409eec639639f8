"""The weekly digest with an injected clock: once per period, across a restart and racing processes."""

from __future__ import annotations

import asyncio
import io
import threading
from datetime import datetime, timedelta

import aiohttp
from PIL import Image
from sqlalchemy import func, select

from bot.adapters.http_server import HttpServer
from bot.adapters.media import add_media_route, image_host
from bot.adapters.telegram.sender import TelegramSender
from bot.adapters.zalo.sender import ZaloSender
from bot.config import ReportConfig, TelegramConfig, ZaloConfig
from bot.messages import ChatRef, Platform
from bot.outbox import payload_to_reply
from bot.reporting.chart import HEIGHT_PX, WIDTH_PX
from bot.reporting.digest import digest_content
from bot.services.report.build import Report
from bot.services.report.digest import Digest, DigestContent
from bot.services.report.media import MediaStore
from bot.storage import ChatGroup, OutboxMessage, Person, ReportDigest, SessionFactory, Unit, session_factory
from bot.storage.migrate import upgrade_engine
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.zalo_api import FakeZalo
from tests.report.dataset import NOW, local, seed
from tests.storage.conftest import fresh_postgres_database

TZ = "Asia/Ho_Chi_Minh"
MONDAY_0700 = local(7, 7)
ZALO_GROUP = "0123456789abcdef0123"


class Clock:
    """A settable clock."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def digest(sessions: SessionFactory, clock: Clock) -> Digest:
    """The digest as the job builds it (Monday 07:00), on an injected clock."""
    return Digest(sessions, ReportConfig(), TZ, render=digest_content, clock=clock)


async def leaders_groups(sessions: SessionFactory) -> None:
    """A unit with a leader and two groups (Telegram, Zalo), and a unit without a leader and a group."""
    async with sessions.begin() as session:
        session.add(Person(id=50, name="Lãnh đạo", role="leader", tags=[], created_at=NOW))
        await session.flush()
        session.add_all(
            [
                Unit(id=1, name="Văn phòng", leader_id=50, tags=[], created_at=NOW),
                Unit(id=2, name="Tổ một cửa", leader_id=None, tags=[], created_at=NOW),
            ]
        )
        await session.flush()
        session.add_all(
            [
                ChatGroup(platform="telegram", chat_id="-100", unit_id=1, created_at=NOW),
                ChatGroup(platform="zalo", chat_id=ZALO_GROUP, unit_id=1, created_at=NOW),
                ChatGroup(platform="telegram", chat_id="-200", unit_id=2, created_at=NOW),
            ]
        )


async def outbox_rows(sessions: SessionFactory) -> list[OutboxMessage]:
    async with sessions() as session:
        return list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


async def test_the_digest_goes_once_per_week_even_across_a_restart(sessions: SessionFactory) -> None:
    await seed(sessions)
    await leaders_groups(sessions)
    clock = Clock(MONDAY_0700 - timedelta(minutes=1))

    assert (await digest(sessions, clock).run_once()).chats == 0  # not yet 07:00
    clock.now = MONDAY_0700 + timedelta(minutes=3)
    first = await digest(sessions, clock).run_once()
    assert first.claimed and first.chats == 2 and first.period is not None
    assert first.period.key == "week:2026-11-30"
    clock.now += timedelta(hours=5)
    again = await digest(sessions, clock).run_once()  # a new instance: as after a restart
    assert not again.claimed

    rows = await outbox_rows(sessions)
    assert sorted((r.chat_id, r.key.rsplit(":", 1)[1]) for r in rows) == [
        ("-100", "chart"),
        ("-100", "text"),
        (ZALO_GROUP, "chart"),
        (ZALO_GROUP, "text"),
    ]
    text = payload_to_reply(next(r.payload for r in rows if r.key.endswith(":text"))).text
    assert "BÁO CÁO TUẦN 30/11/2026 - 06/12/2026" in text and "Số câu hỏi: 10" in text

    clock.now = MONDAY_0700 + timedelta(days=7)
    following = await digest(sessions, clock).run_once()
    assert following.claimed and following.period is not None
    assert following.period.key == "week:2026-12-07"
    assert len(await outbox_rows(sessions)) == 8


async def test_the_chart_decodes_at_its_size_and_reaches_telegram_as_a_photo(
    sessions: SessionFactory,
) -> None:
    await seed(sessions)
    await leaders_groups(sessions)
    await digest(sessions, Clock(MONDAY_0700)).run_once()
    [row] = [r for r in await outbox_rows(sessions) if r.chat_id == "-100" and r.key.endswith(":chart")]
    reply = payload_to_reply(row.payload)
    assert reply.image is not None
    with Image.open(io.BytesIO(reply.image)) as image:
        assert image.format == "PNG" and image.size == (WIDTH_PX, HEIGHT_PX)

    async with FakeTelegram() as fake:
        fake.add_chat(-100, "supergroup")
        sender = TelegramSender.create(
            TelegramConfig(token=fake.token, base_url=fake.base_url, base_file_url=fake.base_file_url)
        )
        await sender.start()
        try:
            await sender.send(ChatRef(Platform.TELEGRAM, "-100", True), reply)
        finally:
            await sender.close()
        [sent] = fake.messages_to(-100)
    assert sent.photo and sent.text == "Biểu đồ tổng hợp tuần 30/11/2026 - 06/12/2026"
    with Image.open(io.BytesIO(sent.photo_data)) as image:
        assert image.size == (WIDTH_PX, HEIGHT_PX)


async def test_two_schedulers_racing_on_postgresql_queue_one_digest(postgres_url: str) -> None:
    async with fresh_postgres_database(postgres_url, "digest") as engine:
        await upgrade_engine(engine)
        sessions = session_factory(engine)
        await leaders_groups(sessions)
        clock = Clock(MONDAY_0700)
        results = await asyncio.gather(*(digest(sessions, clock).run_once() for _ in range(3)))
        assert sorted(r.claimed for r in results) == [False, False, True]
        async with sessions() as session:
            assert await session.scalar(select(func.count()).select_from(OutboxMessage)) == 4
            assert await session.scalar(select(func.count()).select_from(ReportDigest)) == 1


async def test_zalo_gets_the_chart_by_an_address_on_the_bots_own_server(sessions: SessionFactory) -> None:
    await seed(sessions)
    await leaders_groups(sessions)
    await digest(sessions, Clock(MONDAY_0700)).run_once()
    [row] = [r for r in await outbox_rows(sessions) if r.chat_id == ZALO_GROUP and r.key.endswith(":chart")]
    reply = payload_to_reply(row.payload)
    server = HttpServer("127.0.0.1", 0)
    add_media_route(server, MediaStore(sessions))
    await server.start()
    try:
        public = f"http://127.0.0.1:{server.port}"
        async with FakeZalo() as zalo:
            zalo.add_chat(ZALO_GROUP)
            sender = ZaloSender.create(
                ZaloConfig(token=zalo.token, base_url=zalo.base_url),
                image_host=image_host(MediaStore(sessions), public + "/"),
            )
            try:
                await sender.send(ChatRef(Platform.ZALO, ZALO_GROUP, True), reply)
            finally:
                await sender.close()
            [sent] = zalo.messages_to(ZALO_GROUP)
        assert sent.text == "Biểu đồ tổng hợp tuần 30/11/2026 - 06/12/2026"
        assert sent.photo is not None and sent.photo.startswith(public + "/media/")
        async with aiohttp.ClientSession() as client:
            async with client.get(sent.photo) as response:
                assert response.status == 200 and response.content_type == "image/png"
                assert await response.read() == reply.image
            async with client.get(f"{public}/media/{'0' * 64}.png") as missing:
                assert missing.status == 404
    finally:
        await server.stop()


async def test_the_chart_is_drawn_off_the_event_loop(sessions: SessionFactory) -> None:
    await leaders_groups(sessions)
    threads: list[bool] = []

    def render(report: Report) -> DigestContent:
        threads.append(threading.current_thread() is threading.main_thread())
        return digest_content(report)

    job = Digest(sessions, ReportConfig(), TZ, render=render, clock=Clock(MONDAY_0700))
    assert (await job.run_once()).claimed and threads == [False]
