"""The bot's own aiohttp server: health, readiness, metrics, the routes channels add (webhooks, push API)."""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from aiohttp import web

from bot.adapters.json_body import MalformedJSONError, read_json
from bot.config import IPNetwork

log = logging.getLogger(__name__)

WebhookHandler = Callable[[dict[str, Any]], Awaitable[None]]
DedupKey = Callable[[dict[str, Any]], str | None]
ReadyProbe = Callable[[], Awaitable[tuple[bool, dict[str, Any]]]]
"""Answers (ready?, what each check found) for ``/readyz``."""
MetricsPage = Callable[[], Awaitable[bytes]]
"""Renders the Prometheus text for ``/metrics``."""
WebhookStore = Callable[[dict[str, Any]], Awaitable[bool | None]]
"""Store a webhook body durably: True when new, False for a duplicate, None when it is not an event."""

MAX_BODY_BYTES = 1024 * 1024
LOOPBACK: tuple[IPNetwork, ...] = (ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("::1/128"))
PROXY_HEADERS = ("X-Forwarded-For", "X-Real-IP", "Forwarded")
"""A request carrying one of these came through a reverse proxy, i.e. from outside."""


class RecentKeys:
    """A bounded set of recently seen keys (oldest forgotten first)."""

    def __init__(self, capacity: int = 10_000) -> None:
        self._keys: OrderedDict[str, None] = OrderedDict()
        self._capacity = capacity

    def add(self, key: str) -> bool:
        """Remember ``key``; False if it was already there."""
        if key in self._keys:
            self._keys.move_to_end(key)
            return False
        self._keys[key] = None
        if len(self._keys) > self._capacity:
            self._keys.popitem(last=False)
        return True

    def __len__(self) -> int:
        return len(self._keys)


class HttpServer:
    """Health check plus webhook routes; add every route before :meth:`start`.

    ``on_duplicate`` is told the webhook's name each time an event is refused as already seen.
    """

    def __init__(self, host: str, port: int, *, on_duplicate: Callable[[str], None] | None = None) -> None:
        self.host = host
        self._on_duplicate = on_duplicate
        self._requested_port = port
        self.port = port
        self.app = web.Application(client_max_size=MAX_BODY_BYTES)
        self.app.router.add_get("/healthz", self._healthz)
        self._runner: web.AppRunner | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    def add_webhook(
        self,
        path: str,
        *,
        secret_header: str,
        secret: str,
        handle: WebhookHandler,
        dedup_key: DedupKey,
        name: str,
        dedup_capacity: int = 10_000,
        store: WebhookStore | None = None,
    ) -> None:
        """Serve a platform webhook: check the secret, parse, de-duplicate, answer 200, process in background.

        ``dedup_key`` returns the event's unique id, or None when the body is not an event of that platform.
        With ``store`` (the durable inbox) the body is stored before the answer and handled from there
        (``handle`` is not called); a duplicate still gets 200, and a body that could not be stored 503,
        so the platform sends it again.
        """
        seen = RecentKeys(dedup_capacity)
        expected = secret.encode("utf-8")

        async def webhook(request: web.Request) -> web.Response:
            given = request.headers.get(secret_header, "").encode("utf-8")
            # Checked before the body is read, in constant time; an empty secret never matches.
            if not expected or not hmac.compare_digest(given, expected):
                log.warning("%s webhook: wrong or missing secret from %s", name, request.remote)
                return web.json_response({"ok": False, "error": "unauthorized"}, status=401)
            try:
                body = read_json(await request.read())
            except MalformedJSONError:
                return web.json_response({"ok": False, "error": "malformed JSON"}, status=400)
            key = dedup_key(body) if isinstance(body, dict) else None
            if key is None:
                return web.json_response({"ok": False, "error": "not an event"}, status=400)
            if store is not None:
                return await self._store(name, key, store, body)
            if not seen.add(key):
                log.info("%s webhook: duplicate event %s ignored", name, key)
                if self._on_duplicate is not None:
                    self._on_duplicate(name)
                return web.json_response({"ok": True, "duplicate": True})
            self._spawn(self._process(name, key, handle, body))
            return web.json_response({"ok": True})

        self.app.router.add_post(path, webhook)

    def add_probes(
        self,
        *,
        ready: ReadyProbe,
        metrics: MetricsPage,
        content_type: str,
        networks: Sequence[IPNetwork] = LOOPBACK,
    ) -> None:
        """Serve ``/readyz`` (200 when ready, else 503, with what each check found) and ``/metrics``.

        Only to a peer in ``networks`` that is not a reverse proxy passing a request on: the web shares
        this listener, so without the check a site proxied as a whole would publish its inner figures.
        """

        def private(request: web.Request) -> bool:
            if any(header in request.headers for header in PROXY_HEADERS):
                return False
            try:
                peer = ipaddress.ip_address((request.remote or "").split("%", 1)[0])
            except ValueError:
                return False
            return any(peer in network for network in networks)

        async def readyz(request: web.Request) -> web.Response:
            if not private(request):
                raise web.HTTPNotFound()
            ok, checks = await ready()
            return web.json_response(checks, status=200 if ok else 503)

        async def metrics_page(request: web.Request) -> web.Response:
            if not private(request):
                raise web.HTTPNotFound()
            return web.Response(body=await metrics(), headers={"Content-Type": content_type})

        self.app.router.add_get("/readyz", readyz)
        self.app.router.add_get("/metrics", metrics_page)

    async def _store(self, name: str, key: str, store: WebhookStore, body: dict[str, Any]) -> web.Response:
        try:
            fresh = await store(body)
        except Exception as exc:
            log.error("%s webhook: event %s not stored (%s); answered 503", name, key, type(exc).__name__)
            return web.json_response({"ok": False, "error": "try again"}, status=503)
        if fresh is None:
            return web.json_response({"ok": False, "error": "not an event"}, status=400)
        if not fresh:
            log.info("%s webhook: duplicate event %s ignored", name, key)
            if self._on_duplicate is not None:
                self._on_duplicate(name)
            return web.json_response({"ok": True, "duplicate": True})
        return web.json_response({"ok": True})

    async def start(self) -> None:
        """Bind and serve (port 0 picks a free port, see :attr:`port`)."""
        self._runner = web.AppRunner(self.app, access_log=None, shutdown_timeout=5.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self._requested_port)
        await site.start()
        for address in self._runner.addresses:
            if isinstance(address, tuple):
                self.port = int(address[1])
                break
        log.info("http server listening on %s:%s", self.host, self.port)

    async def stop(self) -> None:
        """Stop accepting requests, let accepted events finish, close."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _healthz(self, request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    def _spawn(self, coro: Awaitable[None]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _process(self, name: str, key: str, handle: WebhookHandler, body: dict[str, Any]) -> None:
        try:
            await handle(body)
        except Exception as exc:  # the event is already acknowledged; one bad event must not kill the server
            log.error("%s webhook: event %s failed with %s", name, key, type(exc).__name__)
