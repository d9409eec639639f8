"""python-telegram-bot's HTTP transport over aiohttp: one pooled session per request object."""

from __future__ import annotations

import json
import logging
from http import HTTPStatus
from typing import Any

import aiohttp
from telegram import Update
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput, UploadFileDict
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

from bot.adapters.json_body import MalformedJSONError, read_json

log = logging.getLogger(__name__)

Timeouts = tuple[float | None, float | None, float | None, float | None]


class AiohttpRequest(BaseRequest):
    """A :class:`telegram.request.BaseRequest` over one ``aiohttp.ClientSession``.

    Parameters and timeouts mean what they mean for PTB's own ``HTTPXRequest``. aiohttp has no write
    timeout of its own: the sum of the four timeouts bounds the whole exchange instead, so a stalled
    upload still ends in :class:`telegram.error.TimedOut`.
    """

    __slots__ = ("_defaults", "_media_write_timeout", "_pool_size", "_session", "_timeouts")

    def __init__(
        self,
        connection_pool_size: int = 256,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
        media_write_timeout: float | None = 20.0,
    ) -> None:
        if connection_pool_size < 1:
            raise ValueError("connection_pool_size must be at least 1")
        self._pool_size = connection_pool_size
        self._defaults: Timeouts = (read_timeout, write_timeout, connect_timeout, pool_timeout)
        self._media_write_timeout = media_write_timeout
        self._session: aiohttp.ClientSession | None = None
        self._timeouts: dict[Timeouts, aiohttp.ClientTimeout] = {}

    @property
    def read_timeout(self) -> float | None:
        """The default read timeout in seconds."""
        return self._defaults[0]

    async def initialize(self) -> None:
        """Open the session (again, after a shutdown)."""
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self._pool_size, limit_per_host=0)
            self._session = aiohttp.ClientSession(
                connector=connector,
                headers={"User-Agent": self.USER_AGENT},
                cookie_jar=aiohttp.DummyCookieJar(),
                timeout=self._client_timeout(self._defaults),
            )

    async def shutdown(self) -> None:
        """Close the session and its connections; closing twice is harmless."""
        session, self._session = self._session, None
        if session is not None and not session.closed:
            await session.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """Send one request; answer the HTTP status and the body."""
        session = self._session
        if session is None or session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        files = request_data.multipart_data if request_data is not None else None
        default_read, default_write, default_connect, default_pool = self._defaults
        if isinstance(write_timeout, DefaultValue):
            write_timeout = self._media_write_timeout if files else default_write
        timeouts: Timeouts = (
            default_read if isinstance(read_timeout, DefaultValue) else read_timeout,
            write_timeout,
            default_connect if isinstance(connect_timeout, DefaultValue) else connect_timeout,
            default_pool if isinstance(pool_timeout, DefaultValue) else pool_timeout,
        )
        body: aiohttp.FormData | bytes | None = None
        headers: dict[str, str] | None = None
        if files:
            body = _multipart(request_data.json_parameters if request_data is not None else {}, files)
        elif request_data is not None and (parameters := request_data.parameters):
            # A JSON body, which the Bot API takes for every method without files. Form fields, as
            # HTTPXRequest sends them, percent-escape every byte of every accented letter in Python,
            # a large share of the CPU of sending a Vietnamese reply.
            body = json.dumps(parameters, ensure_ascii=False, separators=(",", ":")).encode()
            headers = {"Content-Type": "application/json"}
        try:
            async with session.request(
                method, url, data=body, headers=headers, timeout=self._client_timeout(timeouts)
            ) as response:
                return response.status, await response.read()
        except TimeoutError as exc:
            raise TimedOut(f"aiohttp.{type(exc).__name__}: {exc}") from exc
        except aiohttp.ClientError as exc:
            raise NetworkError(f"aiohttp.{type(exc).__name__}: {exc}") from exc

    def _client_timeout(self, timeouts: Timeouts) -> aiohttp.ClientTimeout:
        timeout = self._timeouts.get(timeouts)
        if timeout is None:
            read, _, connect, pool = timeouts
            waiting = None if connect is None or pool is None else connect + pool
            whole = None if None in timeouts else sum(t for t in timeouts if t is not None)
            timeout = aiohttp.ClientTimeout(
                total=whole, connect=waiting, sock_connect=connect, sock_read=read
            )
            if len(self._timeouts) < 64:
                self._timeouts[timeouts] = timeout
        return timeout


def _multipart(fields: dict[str, str], files: UploadFileDict) -> aiohttp.FormData:
    form = aiohttp.FormData(quote_fields=False)
    for name, value in fields.items():
        form.add_field(name, value)
    for name, (filename, content, mimetype) in files.items():
        form.add_field(name, content, filename=filename, content_type=mimetype)
    return form


_NOTHING = object()


class TolerantUpdatesRequest(AiohttpRequest):
    """getUpdates transport that lets polling move past an update PTB cannot parse.

    PTB parses a whole getUpdates batch at once: one malformed update makes it drop the batch without
    confirming it, and the next poll asks again from the same offset. Only then, so a healthy batch
    costs nothing extra, the repeated batch is checked and each update PTB cannot parse is replaced
    by a bare one of the same id.
    """

    __slots__ = ("_unconfirmed",)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._unconfirmed: object = _NOTHING

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """Send the request; sanitise a getUpdates batch that PTB already failed to parse once."""
        code, payload = await super().do_request(
            url, method, request_data, read_timeout, write_timeout, connect_timeout, pool_timeout
        )
        if code != HTTPStatus.OK or not url.endswith("/getUpdates"):
            return code, payload
        offset = request_data.parameters.get("offset") if request_data is not None else None
        repeated = offset == self._unconfirmed
        # Any update carries this key; an empty batch does not, and needs no confirmation.
        self._unconfirmed = offset if b'"update_id"' in payload else _NOTHING
        return code, sanitised(payload) if repeated else payload


def sanitised(payload: bytes) -> bytes:
    """A getUpdates answer with each update PTB cannot parse replaced by its bare update_id."""
    try:
        body = read_json(payload)
    except MalformedJSONError:
        return payload
    result = body.get("result") if isinstance(body, dict) else None
    if not isinstance(result, list):
        return payload
    body["result"] = [
        _sane(raw) for raw in result if isinstance(raw, dict) and isinstance(raw.get("update_id"), int)
    ]
    return json.dumps(body).encode("utf-8")


def _sane(raw: dict[str, Any]) -> dict[str, Any]:
    try:
        Update.de_json(dict(raw), None)
    except Exception:
        # Whatever PTB raises here, it raised for the whole batch: polling must move on.
        log.warning("telegram update %s is malformed; ignored", raw["update_id"])
        return {"update_id": raw["update_id"]}
    return raw


class WithheldBatch(logging.Filter):
    """Drops the raw batch PTB logs when it cannot parse getUpdates: it quotes residents' messages."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Keep the record, without its arguments when it is PTB's parse-failure dump."""
        if record.msg.__class__ is str and record.msg.startswith("Error while parsing updates!"):
            record.msg, record.args = "Error while parsing updates! (received data withheld)", None
        return True


_WITHHELD = WithheldBatch()


def withhold_unparsed_batches() -> None:
    """Install the filter on the loggers PTB's Bot and ExtBot write that message to (once)."""
    for name in ("telegram.Bot", "telegram.ext.ExtBot"):
        logger = logging.getLogger(name)
        if _WITHHELD not in logger.filters:
            logger.addFilter(_WITHHELD)
