"""The dossier push API over real HTTP on loopback, with the real service on a real SQLite file."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiohttp import ClientResponse, ClientSession
from sqlalchemy import func, select

from bot.adapters.dossier_api import GroupCommit, add_dossier_api
from bot.adapters.http_server import HttpServer
from bot.messages import Reply
from bot.services.dossiers.events import (
    DossierEventIn,
    DossierNotice,
    EventIdConflictError,
    Status,
    parse_event,
)
from bot.services.dossiers.service import DossierService
from bot.services.dossiers.views import ApplyResult
from bot.storage import Dossier, DossierEvent, SessionFactory, create_engine, session_factory
from tests.databases import db_url, sessions

# Fixtures, imported by name so pytest finds them here.
__all__ = ["db_url", "sessions"]

TOKEN = "push-token-for-tests-0123456789"
PATH = "/api/v1/dossier-events"
CODE = "000.00.24.H57-250722-0001"
PHONE = "0912345678"


def render(notice: DossierNotice) -> Reply:
    """A neutral notice renderer."""
    return Reply(f"{notice.kind.value} {notice.code}")


def event(
    event_id: str, status: str = "received", at: str = "2025-07-22T08:15:00+07:00", **extra: Any
) -> dict[str, Any]:
    """One event as the one-stop system sends it."""
    body: dict[str, Any] = {"event_id": event_id, "code": CODE, "status": status, "occurred_at": at}
    body.update(extra)
    return body


def receipt(event_id: str = "e-1", code: str = CODE) -> dict[str, Any]:
    """The receipt event, with every descriptive field and a phone number."""
    return event(
        event_id,
        code=code,
        procedure_code="1.001612",
        procedure_name="Đăng ký khai sinh",
        agency="UBND xã Hòa Bình",
        received_at="2025-07-22T08:15:00+07:00",
        due_at="2025-07-25T17:00:00+07:00",
        result_delivery="Tại Bộ phận Một cửa",
        online=True,
        phone=PHONE,
    )


@dataclass
class Api:
    """A running server with the push API, a client, and the service behind it."""

    url: str
    server: HttpServer
    client: ClientSession
    service: DossierService
    sessions: SessionFactory

    async def post(self, body: Any, token: str | None = TOKEN, **kwargs: Any) -> ClientResponse:
        """POST a JSON body (or raw bytes via ``data=``) with a bearer token."""
        headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
        headers.update(kwargs.pop("headers", {}))
        if "data" in kwargs:
            return await self.client.post(self.url, headers=headers, **kwargs)
        return await self.client.post(self.url, json=body, headers=headers, **kwargs)

    async def counts(self) -> tuple[int, int]:
        """(dossiers, events) stored."""
        async with self.sessions() as session:
            dossiers = await session.scalar(select(func.count()).select_from(Dossier))
            events = await session.scalar(select(func.count()).select_from(DossierEvent))
        return int(dossiers or 0), int(events or 0)


async def serve(
    sessions: SessionFactory,
    token: str = TOKEN,
    apply: Callable[[list[DossierEventIn]], Awaitable[ApplyResult]] | None = None,
) -> tuple[HttpServer, DossierService, bool]:
    """Start an HttpServer with the push API mounted (or not, when the token is empty)."""
    service = DossierService(sessions, hash_key="k", render_notice=render)

    async def push(events: list[DossierEventIn]) -> ApplyResult:
        return await service.apply(events, source="push")

    server = HttpServer("127.0.0.1", 0)
    mounted = add_dossier_api(server, path=PATH, token=token, apply=apply or push)
    await server.start()
    return server, service, mounted


@pytest.fixture
async def api(sessions: SessionFactory) -> AsyncIterator[Api]:
    """The push API served on a loopback port."""
    server, service, mounted = await serve(sessions)
    assert mounted
    try:
        async with ClientSession() as client:
            yield Api(f"http://127.0.0.1:{server.port}{PATH}", server, client, service, sessions)
    finally:
        await server.stop()


async def raw_request(port: int, head: str) -> bytes:
    """Send request headers only (no body) and return the status line the server answers with."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(head.encode("latin-1"))
        await writer.drain()
        # A guard, not a timing assertion: a server waiting for the body would never answer.
        return await asyncio.wait_for(reader.readline(), 5)
    finally:
        writer.close()


async def test_no_token_or_a_wrong_one_is_401_with_bearer_challenge_and_nothing_applied(api: Api) -> None:
    for token in (None, "wrong", TOKEN + "x", ""):
        response = await api.post(receipt(), token=token)
        assert response.status == 401
        assert response.headers["WWW-Authenticate"] == "Bearer"
    basic = await api.post(receipt(), token=None, headers={"Authorization": f"Basic {TOKEN}"})
    assert basic.status == 401
    assert await api.counts() == (0, 0)


async def test_wrong_token_is_refused_before_the_body_is_read(api: Api) -> None:
    head = (
        f"POST {PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer wrong\r\n"
        "Content-Type: application/json\r\nContent-Length: 100000000\r\n\r\n"
    )
    status_line = await raw_request(api.server.port, head)
    assert status_line.startswith(b"HTTP/1.1 401")


async def test_declared_oversize_body_is_413_before_it_is_read(api: Api) -> None:
    head = (
        f"POST {PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {TOKEN}\r\n"
        "Content-Type: application/json\r\nContent-Length: 100000000\r\n\r\n"
    )
    assert (await raw_request(api.server.port, head)).startswith(b"HTTP/1.1 413")


async def test_chunked_oversize_body_is_413(api: Api) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"events": ['
        for _ in range(40):
            yield b'"' + b"x" * 32 * 1024 + b'",'
        yield b"1]}"

    response = await api.post(None, data=chunks(), headers={"Content-Type": "application/json"})
    assert response.status == 413
    assert await api.counts() == (0, 0)


async def test_malformed_json_or_wrong_content_type_is_400(api: Api) -> None:
    bad_json = await api.post(None, data=b'{"event_id": ', headers={"Content-Type": "application/json"})
    assert bad_json.status == 400
    not_utf8 = await api.post(None, data=b'{"a": "\xff"}', headers={"Content-Type": "application/json"})
    assert not_utf8.status == 400
    text = await api.post(None, data=json.dumps(receipt()).encode(), headers={"Content-Type": "text/plain"})
    assert text.status == 400
    assert await api.counts() == (0, 0)


async def test_any_invalid_event_is_422_naming_every_field_and_nothing_is_applied(api: Api) -> None:
    body = {
        "events": [
            receipt("ok-1"),
            event("bad-1", code="000.00.24.H57-250722"),
            {"event_id": "bad-2", "code": CODE, "occurred_at": "hôm qua", "online": "yes"},
            "not an event",
        ]
    }
    response = await api.post(body)
    assert response.status == 422
    errors = (await response.json())["errors"]
    assert {(e["index"], e["field"]) for e in errors} == {
        (1, "code"),
        (2, "status"),
        (2, "occurred_at"),
        (2, "online"),
        (3, ""),
    }
    assert all(e["reason"] for e in errors)
    assert await api.counts() == (0, 0)


@pytest.mark.parametrize("digits", ["٠١٢٣٤٥٦٧٨٩", "０１２３４５６７８９", "०१२३४५६७८९"])
async def test_a_code_in_digits_other_than_ascii_is_422_and_stores_nothing(api: Api, digits: str) -> None:
    foreign = CODE.translate(str.maketrans("0123456789", digits))
    response = await api.post(receipt(code=foreign))
    assert response.status == 422
    assert [(e["index"], e["field"]) for e in (await response.json())["errors"]] == [(0, "code")]
    assert await api.counts() == (0, 0)


@pytest.mark.parametrize("events", [[], list(range(501)), "e-1", None])
async def test_a_batch_must_hold_1_to_500_events(api: Api, events: Any) -> None:
    response = await api.post({"events": events})
    assert response.status == 422
    [error] = (await response.json())["errors"]
    assert error["field"] == "events"
    assert error["index"] is None


async def test_a_json_array_or_an_envelope_with_extra_keys_is_422(api: Api) -> None:
    assert (await api.post([receipt()])).status == 422
    assert (await api.post({"events": [receipt()], "sender": "igate"})).status == 422
    assert await api.counts() == (0, 0)


async def test_one_event_is_applied_and_committed_before_the_answer(api: Api) -> None:
    response = await api.post(receipt())
    assert response.status == 200
    assert await response.json() == {"applied": 1, "duplicates": 0, "stale": 0}
    assert await api.counts() == (1, 1)
    view = await api.service.lookup(CODE)
    assert view is not None
    assert (view.status, view.agency) == (Status.RECEIVED, "UBND xã Hòa Bình")


async def test_a_retried_request_counts_duplicates_and_changes_nothing(api: Api) -> None:
    body = {"events": [receipt("e-1"), event("e-2", "in_progress", "2025-07-23T09:00:00+07:00")]}
    first = await api.post(body)
    assert await first.json() == {"applied": 2, "duplicates": 0, "stale": 0}
    again = await api.post(body)
    assert again.status == 200
    assert await again.json() == {"applied": 0, "duplicates": 2, "stale": 0}
    same_id_twice = await api.post({"events": [event("e-3", "ready", "2025-07-24T10:00:00+07:00")] * 2})
    assert await same_id_twice.json() == {"applied": 1, "duplicates": 1, "stale": 0}
    assert await api.counts() == (1, 3)


async def test_out_of_order_events_leave_the_newest_status(api: Api) -> None:
    newest = await api.post({"events": [receipt("e-1"), event("e-3", "ready", "2025-07-24T15:30:00+07:00")]})
    assert await newest.json() == {"applied": 2, "duplicates": 0, "stale": 0}
    late = await api.post(event("e-2", "in_progress", "2025-07-23T09:00:00+07:00"))
    assert await late.json() == {"applied": 1, "duplicates": 0, "stale": 1}
    view = await api.service.lookup(CODE)
    assert view is not None
    assert view.status == Status.READY
    assert [entry.status for entry in view.history] == [Status.READY, Status.IN_PROGRESS, Status.RECEIVED]


async def test_a_database_failure_is_503_with_a_generic_body(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'never-migrated.db'}")
    server, _, _ = await serve(session_factory(engine))
    try:
        async with ClientSession() as client:
            response = await client.post(
                f"http://127.0.0.1:{server.port}{PATH}",
                json=receipt(),
                headers={"Authorization": f"Bearer {TOKEN}"},
            )
            assert response.status == 503
            assert response.headers["Retry-After"]
            assert await response.json() == {"error": "temporarily unavailable, retry later"}
    finally:
        await server.stop()
        await engine.dispose()
    ours = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("bot."))
    assert "not applied: OperationalError" in ours
    assert PHONE not in ours
    assert "no such table" not in ours  # the SQL error's text (statement, values) is not logged


async def test_an_empty_token_mounts_nothing(sessions: SessionFactory) -> None:
    server, _, mounted = await serve(sessions, token="")
    assert not mounted
    try:
        async with ClientSession() as client:
            base = f"http://127.0.0.1:{server.port}{PATH}"
            assert (
                await client.post(base, json=receipt(), headers={"Authorization": "Bearer "})
            ).status == 404
            assert (await client.get(base + "/openapi.json")).status == 404
    finally:
        await server.stop()


async def test_neither_bodies_nor_phone_numbers_are_logged(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="bot")
    await api.post(receipt())
    await api.post({"events": [receipt("e-9"), event("e-10", phone="12")]})
    await api.post(receipt(), token="wrong")
    ours = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("bot."))
    assert "dossier push API" in ours
    for secret in (PHONE, "Đăng ký khai sinh", TOKEN, CODE):
        assert secret not in ours


async def test_concurrent_requests_on_sqlite_are_all_applied(api: Api) -> None:
    batches = [
        {
            "events": [
                event(
                    f"c-{b}-{n}",
                    "in_progress",
                    f"2025-07-23T09:{n:02d}:00+07:00",
                    code=f"000.00.24.H57-250722-{b:04d}",
                )
                for n in range(40)
            ]
        }
        for b in range(1, 9)
    ]
    responses = await asyncio.gather(*(api.post(body) for body in batches))
    assert [r.status for r in responses] == [200] * 8
    assert [(await r.json())["applied"] for r in responses] == [40] * 8
    assert await api.counts() == (8, 320)


async def test_an_event_dated_far_in_the_future_is_422_and_cannot_freeze_the_status(api: Api) -> None:
    assert (await api.post(receipt())).status == 200
    response = await api.post(event("e-2199", "rejected", "2199-01-01T00:00:00+07:00"))
    assert response.status == 422
    [error] = (await response.json())["errors"]
    assert (error["field"], error["reason"]) == ("occurred_at", "must not be more than a day in the future")
    assert await api.counts() == (1, 1)
    response = await api.post(event("e-2", "ready", "2025-07-24T10:00:00+07:00"))
    assert response.status == 200
    view = await api.service.lookup(CODE)
    assert view is not None and view.status.value == "ready"


async def test_an_event_id_reused_with_other_content_is_409_naming_it_and_applies_nothing(api: Api) -> None:
    assert (await api.post(receipt())).status == 200
    reused = event("e-1", "rejected", "2025-07-23T08:00:00+07:00")
    response = await api.post({"events": [event("e-2", "in_progress", "2025-07-22T10:00:00+07:00"), reused]})
    assert response.status == 409
    body = await response.json()
    assert body["event_ids"] == ["e-1"] and "e-1" in body["error"]
    assert await api.counts() == (1, 1)
    # The same id with the same content is still an idempotent duplicate.
    response = await api.post(receipt())
    assert response.status == 200 and (await response.json())["duplicates"] == 1


async def test_a_reused_id_fails_only_its_own_request_when_requests_are_applied_together(
    sessions: SessionFactory,
) -> None:
    service = DossierService(sessions, hash_key="k", render_notice=render)
    await service.apply([parse_event(receipt())], source="push")
    commits = GroupCommit(service.applier("push"))
    first = [parse_event(event("a", "in_progress", "2025-07-22T09:00:00+07:00"))]
    reusing = [parse_event(event("e-1", "ready", "2025-07-22T10:00:00+07:00"))]
    innocent = [parse_event(event("c", "supplement_requested", "2025-07-22T11:00:00+07:00"))]
    # The first takes the only slot; the other two wait and are merged into one group.
    results = await asyncio.gather(
        commits.submit(first), commits.submit(reusing), commits.submit(innocent), return_exceptions=True
    )
    assert isinstance(results[1], EventIdConflictError) and results[1].event_ids == ("e-1",)
    assert [r.applied for r in (results[0], results[2]) if isinstance(r, ApplyResult)] == [1, 1]
    view = await service.lookup(CODE)
    assert view is not None and view.status.value == "supplement_requested"


async def test_two_merged_requests_giving_one_new_id_two_contents_keep_the_first_sent(
    sessions: SessionFactory,
) -> None:
    service = DossierService(sessions, hash_key="k", render_notice=render)
    commits = GroupCommit(service.applier("push"))
    first = [parse_event(receipt())]
    earlier = [parse_event(event("x", "in_progress", "2025-07-22T09:00:00+07:00"))]
    later = [parse_event(event("x", "ready", "2025-07-22T10:00:00+07:00"))]
    results = await asyncio.gather(
        commits.submit(first), commits.submit(earlier), commits.submit(later), return_exceptions=True
    )
    assert isinstance(results[2], EventIdConflictError) and results[2].event_ids == ("x",)
    assert [r.applied for r in results[:2] if isinstance(r, ApplyResult)] == [1, 1]
    view = await service.lookup(CODE)
    assert view is not None and view.status.value == "in_progress"
