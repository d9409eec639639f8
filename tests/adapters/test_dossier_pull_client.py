"""The pull client alone against the loopback fake: every failure becomes a typed PullError, never a crash."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator

import pytest

from bot.adapters.dossier_pull import DossierPullClient, parse_page
from bot.services.dossiers.feed import PullError, PullPermanentError, PullProtocolError, PullTransientError
from tests.fakes.dossier_source import Failure, FakeDossierSource


@pytest.fixture
async def source() -> AsyncIterator[FakeDossierSource]:
    """The fake remote system, two events a page."""
    async with FakeDossierSource(page_size=2) as fake:
        fake.events.extend({"event_id": f"e-{n}"} for n in range(3))
        yield fake


async def test_pages_follow_the_cursor(source: FakeDossierSource) -> None:
    client = DossierPullClient(source.url, source.token)
    try:
        first = await client.fetch("")
        second = await client.fetch(first.cursor)
    finally:
        await client.close()
    assert ([e["event_id"] for e in first.events], first.cursor, first.has_more) == (
        ["e-0", "e-1"],
        "p2",
        True,
    )
    assert ([e["event_id"] for e in second.events], second.cursor, second.has_more) == (["e-2"], "p3", False)
    assert source.cursors_asked == [None, "p2"]


async def test_a_query_already_in_the_url_is_kept(source: FakeDossierSource) -> None:
    client = DossierPullClient(source.url + "?agency=H57&cursor=ignored", source.token)
    try:
        page = await client.fetch("p2")
    finally:
        await client.close()
    assert page.cursor == "p3"
    assert source.queries == [[("agency", "H57"), ("cursor", "p2")]]


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (500, PullTransientError),
        (502, PullTransientError),
        (503, PullTransientError),
        (429, PullTransientError),
        (408, PullTransientError),
        (400, PullPermanentError),
        (403, PullPermanentError),
        (404, PullPermanentError),
        (204, PullProtocolError),
    ],
)
async def test_statuses_are_split_into_transient_and_permanent(
    source: FakeDossierSource, status: int, kind: type[PullError]
) -> None:
    source.fail_next(Failure(status=status, body=b""))
    client = DossierPullClient(source.url, source.token)
    try:
        with pytest.raises(kind) as caught:
            await client.fetch("")
    finally:
        await client.close()
    assert str(status) in str(caught.value)
    assert source.token not in str(caught.value)


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"<html>gateway</html>", "not JSON"),
        (b"\xff\xfe", "not JSON"),
        (b"[]", "not a JSON object"),
        (b'{"events": {}, "cursor": "p1", "has_more": false}', "'events'"),
        (b'{"events": [], "has_more": false}', "'cursor'"),
        (b'{"events": [], "cursor": 7, "has_more": false}', "'cursor'"),
        (b'{"events": [], "cursor": "p1", "has_more": "no"}', "'has_more'"),
    ],
)
async def test_a_page_of_the_wrong_shape_is_a_protocol_error(
    source: FakeDossierSource, body: bytes, reason: str
) -> None:
    source.fail_next(Failure(status=200, body=body))
    client = DossierPullClient(source.url, source.token)
    try:
        with pytest.raises(PullProtocolError, match=reason):
            await client.fetch("")
    finally:
        await client.close()


async def test_an_oversized_page_is_refused(source: FakeDossierSource) -> None:
    source.events[:] = [{"event_id": "x" * 5000} for _ in range(2)]
    client = DossierPullClient(source.url, source.token, max_page_bytes=4096)
    try:
        with pytest.raises(PullProtocolError, match="larger than 4096"):
            await client.fetch("")
    finally:
        await client.close()


async def test_a_hanging_remote_is_a_transient_timeout(source: FakeDossierSource) -> None:
    source.fail_next(Failure(hang=True))
    client = DossierPullClient(source.url, source.token, timeout=0.2)
    try:
        with pytest.raises(PullTransientError, match="timed out"):
            await client.fetch("")
    finally:
        await client.close()


async def test_nobody_listening_is_a_transient_network_error() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = DossierPullClient(f"http://127.0.0.1:{port}/events", "secret-token")
    try:
        with pytest.raises(PullTransientError, match="network error") as caught:
            await client.fetch("p1")
    finally:
        await client.close()
    assert "secret-token" not in str(caught.value)


def test_has_more_defaults_to_false() -> None:
    page = parse_page(b'{"events": [{"a": 1}], "cursor": ""}')
    assert (list(page.events), page.cursor, page.has_more) == ([{"a": 1}], "", False)
