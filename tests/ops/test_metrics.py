"""/metrics: Prometheus text that parses, and counters that move with real updates and sends."""

from __future__ import annotations

import asyncio
import math
from datetime import timedelta

from aiohttp import ClientSession
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample

from bot.config import DatabaseConfig
from bot.messages import ChatRef, Platform, Reply
from bot.ops.metrics import ANSWER_KINDS, Metrics, QueueBacklog
from bot.outbox import enqueue
from bot.storage.columns import utcnow
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.telegram_api import Fault as TelegramFault
from tests.fakes.zalo_api import TEXT_EVENT, FakeZalo
from tests.ops.probes import address, serving, until, wait_ready, webhooks

ZALO_CHAT = "e4ea2cd5189df1c3a88c"


def samples(text: str) -> list[Sample]:
    """Every sample of a Prometheus text page, through the client library's own parser."""
    return [sample for family in text_string_to_metric_families(text) for sample in family.samples]


def value(found: list[Sample], name: str, **labels: str) -> float:
    """The value of the one sample called ``name`` with ``labels``."""
    [match] = [s for s in found if s.name == name and s.labels == labels]
    return float(match.value)


async def scrape(url: str) -> list[Sample]:
    """GET /metrics and parse it, checking the content type Prometheus expects."""
    async with ClientSession() as http, http.get(url) as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        return samples(await response.text())


async def test_counters_move_with_updates_answers_duplicates_and_sends(
    fake: FakeTelegram, zalo: FakeZalo, database: DatabaseConfig
) -> None:
    config = webhooks(fake, zalo, database)
    url = address(config, "/metrics")
    async with serving(config) as core:
        await wait_ready(config)
        before = await scrape(url)
        assert value(before, "motcua_updates_received_total", platform="telegram") == 0

        async def leading() -> bool:
            # Ready once the channels started; the scheduler starts right after them.
            return value(await scrape(url), "motcua_scheduler_leader") == 1

        await until(leading)

        fake.push_text(111, "đăng ký khai sinh")
        await fake.wait_messages(111, 1)
        # The same update delivered twice (Telegram retries when our 200 is late): answered once.
        message = {"message_id": 77, "from": fake.user(112), "chat": fake.add_chat(112), "date": 1}
        for _ in range(2):
            fake.push_raw({"update_id": 7000, "message": {**message, "text": "đăng ký kết hôn"}})
        await fake.wait_for(lambda: len(fake.webhook_deliveries) == 3)
        await fake.wait_messages(112, 1)
        zalo.push_text(ZALO_CHAT, "cấp giấy phép xây dựng nhà ở riêng lẻ")
        await zalo.wait_messages(ZALO_CHAT, 1)
        event = zalo.push_event(TEXT_EVENT, zalo.message(ZALO_CHAT, text="cấp lại căn cước"))
        await zalo.wait_messages(ZALO_CHAT, 2)
        zalo.redeliver(event)
        await zalo.wait_for(lambda: len(zalo.webhook_deliveries) == 3)

        # An outbox message refused once with 429, then sent; one more for a platform nobody sends to.
        fake.inject("sendMessage", TelegramFault.too_many_requests(1))
        async with core.sessions() as session, session.begin():
            await enqueue(
                session,
                key="ops-notice",
                chat=ChatRef(Platform.TELEGRAM, "111"),
                reply=Reply("Hồ sơ của bạn đã có kết quả."),
                kind="dossier.ready",
            )
            await enqueue(
                session,
                key="ops-stuck",
                chat=ChatRef(Platform.CONSOLE, "nobody"),
                reply=Reply("Không ai gửi tin này."),
                kind="test",
                due_at=utcnow() - timedelta(minutes=2),
            )
        await fake.wait_messages(111, 2, within=5)

        async def scraped_sent() -> list[Sample] | None:
            found = await scrape(url)
            # Counted when the send returns; the row is marked sent just after, so the depth follows.
            sent = value(found, "motcua_outbox_sends_total", platform="telegram", result="sent")
            return found if sent and value(found, "motcua_outbox_depth") == 1 else None

        after = await until(scraped_sent)

    for platform in ("telegram", "zalo"):
        assert value(after, "motcua_updates_received_total", platform=platform) == 2
        assert value(after, "motcua_updates_handled_total", platform=platform) == 2
        assert value(after, "motcua_updates_failed_total", platform=platform) == 0
        assert value(after, "motcua_updates_duplicated_total", platform=platform) == 1
        assert value(after, "motcua_update_handling_seconds_count", platform=platform) == 2
        assert value(after, "motcua_update_handling_seconds_sum", platform=platform) > 0
    kinds = {kind: value(after, "motcua_answers_total", kind=kind) for kind in ANSWER_KINDS}
    assert sum(kinds.values()) == 4 and kinds["choices"] >= 1, kinds
    assert value(after, "motcua_outbox_sends_total", platform="telegram", result="rate_limited") == 1
    assert value(after, "motcua_outbox_sends_total", platform="telegram", result="sent") == 1
    assert value(after, "motcua_outbox_depth") == 1
    assert value(after, "motcua_outbox_oldest_due_age_seconds") >= 120
    assert value(after, "motcua_scheduler_leader") == 1


async def test_the_inbox_backlog_comes_from_the_registered_source_and_nan_when_it_fails() -> None:
    metrics = Metrics(["zalo"])
    page = samples((await metrics.render()).decode())
    assert value(page, "motcua_inbox_depth") == 0
    assert value(page, "motcua_outbox_sends_total", platform="zalo", result="sent") == 0

    async def inbox() -> QueueBacklog:
        return QueueBacklog(depth=3, oldest_age_seconds=4.5)

    metrics.watch_inbox(inbox)
    page = samples((await metrics.render()).decode())
    assert value(page, "motcua_inbox_depth") == 3
    assert value(page, "motcua_inbox_oldest_age_seconds") == 4.5

    async def broken() -> QueueBacklog:
        await asyncio.sleep(0)
        raise ConnectionError("database gone")

    metrics.watch_inbox(broken)
    page = samples((await metrics.render()).decode())
    assert math.isnan(value(page, "motcua_inbox_depth"))


async def test_two_apps_in_one_process_keep_their_own_counts() -> None:
    first, second = Metrics(), Metrics()
    first.duplicated("telegram")
    first.set_scheduler_leader(True)
    page = samples((await second.render()).decode())
    assert not [s for s in page if s.name == "motcua_updates_duplicated_total"]
    assert value(page, "motcua_scheduler_leader") == 0
    assert value(samples((await first.render()).decode()), "motcua_scheduler_leader") == 1
