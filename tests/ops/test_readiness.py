"""/readyz on the bot's own server: 503 until every channel started, and while the schema is not ours."""

from __future__ import annotations

from sqlalchemy import text

from bot.config import DatabaseConfig
from bot.ops.readiness import Readiness
from bot.storage import create_engine
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.zalo_api import FakeZalo
from tests.fakes.zalo_api import Fault as ZaloFault
from tests.ops.probes import fetch, readyz, serving, until, wait_ready, webhooks


async def test_not_ready_until_each_channel_started_then_ready(
    fake: FakeTelegram, zalo: FakeZalo, database: DatabaseConfig
) -> None:
    config = webhooks(fake, zalo, database)
    # Zalo's setWebhook is held back, so the server is up, Telegram started and Zalo not yet.
    zalo.inject("setWebhook", ZaloFault.slow(3.0))
    async with serving(config):

        async def telegram_only() -> dict[str, object] | None:
            status, body = await readyz(config)
            return body if status == 503 and body["checks"]["channel:telegram"] == "ok" else None

        body = await until(telegram_only, within=10)
        assert body["status"] == "not ready"
        assert body["checks"] == {
            "database": "ok",
            "schema": "ok",
            "channel:telegram": "ok",
            "channel:zalo": "not started",
        }
        assert fake.webhook_url == config.telegram.webhook_url and not zalo.webhook_url

        body = await wait_ready(config)
        assert body["status"] == "ready"
        assert set(body["checks"].values()) == {"ok"}
        assert zalo.webhook_url == config.zalo.webhook_url
        # /healthz only says the process answers; it stays 200 throughout.
        assert (await fetch(f"http://127.0.0.1:{config.http.port}/healthz"))[0] == 200


async def test_a_schema_this_process_does_not_know_makes_it_not_ready(
    fake: FakeTelegram, zalo: FakeZalo, database: DatabaseConfig
) -> None:
    config = webhooks(fake, zalo, database)
    async with serving(config):
        await wait_ready(config)
        # What a newer release's `motcua db upgrade` does under a running process.
        engine = create_engine(database.url)
        try:
            async with engine.begin() as conn:
                before = (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalar_one()
                await conn.execute(text("UPDATE alembic_version SET version_num = '9999_newer'"))
            status, body = await readyz(config)
            assert status == 503
            assert body["checks"]["database"] == "ok"
            schema = body["checks"]["schema"]
            assert "9999_newer" in schema and "motcua db upgrade" in schema
            async with engine.begin() as conn:
                await conn.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": before})
            assert (await readyz(config))[0] == 200
        finally:
            await engine.dispose()


async def test_an_unreachable_database_is_named_without_its_password() -> None:
    # Port 9 (discard) refuses connections on the loopback: the driver fails at once.
    engine = create_engine("postgresql+asyncpg://motcua:hunter2-secret@127.0.0.1:9/motcua")
    readiness = Readiness(engine, timeout=5.0)
    readiness.expect("telegram")
    try:
        report = await readiness.check()
    finally:
        await engine.dispose()
    assert not report.ready
    assert report.checks["database"].startswith("unreachable: ")
    assert report.checks["schema"] == "unknown"
    assert report.checks["channel:telegram"] == "not started"
    assert "hunter2" not in str(report.as_json())


async def test_channels_count_from_started_until_stopped() -> None:
    readiness = Readiness(None)
    readiness.expect("telegram")
    readiness.expect("zalo")
    readiness.started("telegram")
    assert not (await readiness.check()).ready
    readiness.started("zalo")
    assert (await readiness.check()).ready
    readiness.stopped("zalo")
    assert (await readiness.check()).checks == {"channel:telegram": "ok", "channel:zalo": "not started"}
