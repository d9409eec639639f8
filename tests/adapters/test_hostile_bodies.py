"""Hostile JSON on every route that reads JSON: a clear 400 (or a protocol error), never a 500 or a crash."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from aiohttp import ClientSession
from sqlalchemy import func, select

from bot.adapters.dossier_api import add_dossier_api
from bot.adapters.dossier_pull import parse_page
from bot.adapters.http_server import HttpServer
from bot.adapters.json_body import MalformedJSONError, read_json
from bot.adapters.telegram.channel import TELEGRAM_AUTH_HEADER, telegram_update_id
from bot.adapters.telegram.request import sanitised
from bot.adapters.zalo.channel import ZALO_AUTH_HEADER, zalo_event_id
from bot.messages import Reply
from bot.services.dossiers.events import DossierNotice
from bot.services.dossiers.feed import PullProtocolError
from bot.services.dossiers.service import DossierService
from bot.storage import DossierEvent, SessionFactory
from tests.databases import db_url, sessions

# Fixtures, imported by name so pytest finds them here.
__all__ = ["db_url", "sessions"]

NESTED = b"[" * 100_000
"""Deep enough that the decoder gives up with RecursionError, which is not a ValueError."""
SECRET = "webhook-secret_0123456789"
TOKEN = "push-token-for-tests-0123456789"


def render(notice: DossierNotice) -> Reply:
    """A neutral notice renderer."""
    return Reply(f"{notice.kind.value} {notice.code}")


@pytest.mark.parametrize(
    ("name", "header", "dedup"),
    [("telegram", TELEGRAM_AUTH_HEADER, telegram_update_id), ("zalo", ZALO_AUTH_HEADER, zalo_event_id)],
)
async def test_deeply_nested_json_to_a_webhook_is_400_and_handles_nothing(
    name: str, header: str, dedup: Any, caplog: pytest.LogCaptureFixture
) -> None:
    handled: list[dict[str, Any]] = []

    async def handle(body: dict[str, Any]) -> None:
        handled.append(body)

    server = HttpServer("127.0.0.1", 0)
    server.add_webhook(
        "/hook", secret_header=header, secret=SECRET, handle=handle, dedup_key=dedup, name=name
    )
    await server.start()
    try:
        async with ClientSession() as http:
            url = f"http://127.0.0.1:{server.port}/hook"
            headers = {header: SECRET, "Content-Type": "application/json"}
            async with http.post(url, data=NESTED, headers=headers) as response:
                assert response.status == 400
                assert (await response.json())["error"] == "malformed JSON"
            # The server is still well: a real update right after is taken.
            good = b'{"update_id": 7, "result": {"event_name": "x", "message": {"message_id": "m7"}}}'
            async with http.post(url, data=good, headers=headers) as response:
                assert response.status == 200
    finally:
        await server.stop()
    assert len(handled) == 1
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_deeply_nested_json_to_the_push_api_is_400_and_applies_nothing(
    sessions: SessionFactory, caplog: pytest.LogCaptureFixture
) -> None:
    service = DossierService(sessions, hash_key="k", render_notice=render)
    server = HttpServer("127.0.0.1", 0)
    assert add_dossier_api(server, path="/api/events", token=TOKEN, apply=service.applier("push"))
    await server.start()
    try:
        async with ClientSession() as http:
            headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
            url = f"http://127.0.0.1:{server.port}/api/events"
            for body in (NESTED, b'{"events": ' + NESTED + b"}"):
                async with http.post(url, data=body, headers=headers) as response:
                    assert response.status == 400
                    assert await response.json() == {"error": "malformed JSON"}
    finally:
        await server.stop()
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(DossierEvent)) == 0
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_a_pulled_page_or_a_platform_answer_nested_too_deep_is_a_protocol_error() -> None:
    with pytest.raises(PullProtocolError, match="not JSON"):
        parse_page(b'{"events": ' + NESTED)
    # A getUpdates answer PTB cannot read is passed on as it is (PTB then reports it), not a crash here.
    assert sanitised(NESTED) == NESTED


@pytest.mark.parametrize("raw", [NESTED, b"{" * 5, b"\xff\xfe", "[" * 50_000 + "]" * 50_000, b""])
def test_read_json_turns_every_failure_into_one_error(raw: bytes | str) -> None:
    with pytest.raises(MalformedJSONError):
        read_json(raw)
