"""/readyz and /metrics answer only peers in ``[http] ops_networks``, never a request a proxy passes on."""

from __future__ import annotations

import ipaddress
from collections.abc import AsyncIterator, Sequence
from typing import Any

import pytest
from aiohttp import ClientSession

from bot.adapters.http_server import LOOPBACK, HttpServer
from bot.config import ConfigError, HttpConfig, IPNetwork, parse


async def ready() -> tuple[bool, dict[str, Any]]:
    """Always ready, with one check to see in the body."""
    return True, {"database": "ok"}


async def metrics() -> bytes:
    """A one-line Prometheus page."""
    return b"motcua_up 1\n"


@pytest.fixture
async def serve() -> AsyncIterator[Any]:
    """Start an HttpServer with the probes for the given networks; stopped after the test."""
    servers: list[HttpServer] = []

    async def start(networks: Sequence[IPNetwork]) -> str:
        server = HttpServer("127.0.0.1", 0)
        server.add_probes(ready=ready, metrics=metrics, content_type="text/plain", networks=networks)
        await server.start()
        servers.append(server)
        return f"http://127.0.0.1:{server.port}"

    yield start
    for server in servers:
        await server.stop()


async def status(url: str, headers: dict[str, str] | None = None) -> int:
    """The status a GET answers with."""
    async with ClientSession() as http, http.get(url, headers=headers or {}) as response:
        return response.status


async def test_the_loopback_reads_both_and_healthz_stays_open(serve: Any) -> None:
    base = await serve(LOOPBACK)
    assert [await status(f"{base}{path}") for path in ("/readyz", "/metrics", "/healthz")] == [200, 200, 200]


@pytest.mark.parametrize(
    "header", [{"X-Forwarded-For": "203.0.113.9"}, {"X-Real-IP": "203.0.113.9"}, {"Forwarded": "for=1.2.3.4"}]
)
async def test_a_request_a_proxy_passes_on_gets_404(serve: Any, header: dict[str, str]) -> None:
    base = await serve(LOOPBACK)
    assert await status(f"{base}/metrics", header) == 404
    assert await status(f"{base}/readyz", header) == 404
    assert await status(f"{base}/healthz", header) == 200


async def test_a_peer_outside_the_networks_gets_404(serve: Any) -> None:
    base = await serve((ipaddress.ip_network("10.0.0.0/8"),))
    assert await status(f"{base}/metrics") == 404
    assert await status(f"{base}/readyz") == 404


def test_the_networks_are_read_from_the_configuration() -> None:
    assert HttpConfig().networks() == LOOPBACK
    assert HttpConfig(ops_networks="10.1.0.0/16, 192.168.1.5").networks() == (
        ipaddress.ip_network("10.1.0.0/16"),
        ipaddress.ip_network("192.168.1.5/32"),
    )
    with pytest.raises(ConfigError, match="không phải một địa chỉ mạng"):
        parse({"http": {"ops_networks": "127.0.0.1, intranet"}})
