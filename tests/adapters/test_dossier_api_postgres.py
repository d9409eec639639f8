"""The push API once on real PostgreSQL: applied, retried, out of order, invalid."""

from __future__ import annotations

from aiohttp import ClientSession
from sqlalchemy import func, select

from bot.adapters.dossier_api import add_dossier_api
from bot.adapters.http_server import HttpServer
from bot.services.dossiers.events import DossierEventIn, Status
from bot.services.dossiers.service import DossierService
from bot.services.dossiers.views import ApplyResult
from bot.storage import DossierEvent, session_factory
from bot.storage.migrate import upgrade_engine
from tests.adapters.test_dossier_api import CODE, PATH, TOKEN, event, receipt, render
from tests.storage.conftest import fresh_postgres_database


async def test_push_api_on_postgres(postgres_url: str) -> None:
    async with fresh_postgres_database(postgres_url, prefix="dossier_api") as engine:
        await upgrade_engine(engine)
        sessions = session_factory(engine)
        service = DossierService(sessions, hash_key="k", render_notice=render)

        async def push(events: list[DossierEventIn]) -> ApplyResult:
            return await service.apply(events, source="push")

        server = HttpServer("127.0.0.1", 0)
        add_dossier_api(server, path=PATH, token=TOKEN, apply=push)
        await server.start()
        try:
            async with ClientSession(headers={"Authorization": f"Bearer {TOKEN}"}) as client:
                url = f"http://127.0.0.1:{server.port}{PATH}"
                batch = {"events": [receipt("e-1"), event("e-3", "ready", "2025-07-24T15:30:00+07:00")]}
                first = await client.post(url, json=batch)
                assert await first.json() == {"applied": 2, "duplicates": 0, "stale": 0}
                again = await client.post(url, json=batch)
                assert await again.json() == {"applied": 0, "duplicates": 2, "stale": 0}
                older = await client.post(url, json=event("e-2", "in_progress", "2025-07-23T09:00:00+07:00"))
                assert await older.json() == {"applied": 1, "duplicates": 0, "stale": 1}
                invalid = await client.post(url, json={"events": [event("e-4", "done")]})
                assert invalid.status == 422
        finally:
            await server.stop()
        view = await service.lookup(CODE)
        assert view is not None and view.status == Status.READY
        async with sessions() as session:
            assert await session.scalar(select(func.count()).select_from(DossierEvent)) == 3


async def test_reused_ids_future_dates_and_stale_receipts_on_postgres(postgres_url: str) -> None:
    async with fresh_postgres_database(postgres_url, prefix="dossier_api_i14") as engine:
        await upgrade_engine(engine)
        sessions = session_factory(engine)
        service = DossierService(sessions, hash_key="k", render_notice=render)
        server = HttpServer("127.0.0.1", 0)
        add_dossier_api(server, path=PATH, token=TOKEN, apply=service.applier("push"), concurrent_applies=4)
        await server.start()
        try:
            async with ClientSession(headers={"Authorization": f"Bearer {TOKEN}"}) as client:
                url = f"http://127.0.0.1:{server.port}{PATH}"
                assert (await client.post(url, json=receipt("e-1"))).status == 200
                reused = event("e-1", "rejected", "2025-07-23T08:00:00+07:00")
                conflict = await client.post(url, json={"events": [event("e-2", "in_progress"), reused]})
                assert conflict.status == 409 and (await conflict.json())["event_ids"] == ["e-1"]
                future = await client.post(url, json=event("e-9", "rejected", "2199-01-01T00:00:00+07:00"))
                assert future.status == 422
                stale = event("e-0", "received", "2025-07-01T08:00:00+07:00", received_at="2025-07-01")
                assert (await (await client.post(url, json=stale)).json())["stale"] == 1
        finally:
            await server.stop()
        view = await service.lookup(CODE)
        assert view is not None and view.status == Status.RECEIVED
        assert view.received_at.isoformat() == "2025-07-22T01:15:00+00:00"
        assert [h.status for h in view.history] == [Status.RECEIVED]
        async with sessions() as session:
            assert await session.scalar(select(func.count()).select_from(DossierEvent)) == 2
