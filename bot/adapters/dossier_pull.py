"""The pull source's HTTP side: fetch pages of dossier events from the remote system with aiohttp.

Our documented contract for the remote:

- ``GET {pull_url}?cursor=<opaque>`` with ``Authorization: Bearer <pull_token>``; the first request sends no
  cursor (or an empty one) and means "from the beginning".
- The answer is ``200`` with ``{"events": [...], "cursor": "<next>", "has_more": true|false}``. Events have
  the push API's event shape (``bot/adapters/openapi/dossier-events.json``). ``cursor`` is opaque to us
  and is sent back as is; ``has_more`` says another page is ready now.
- 5xx, 408, 429, timeouts and network failures are retried at the next run; other 4xx are configuration
  errors. Nothing here logs or raises with the token or the events' content.
"""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import ClientError, ClientSession, ClientTimeout
from yarl import URL

from bot.adapters.json_body import MalformedJSONError, read_json
from bot.services.dossiers.feed import (
    PullError,
    PullPage,
    PullPermanentError,
    PullProtocolError,
    PullTransientError,
)

log = logging.getLogger(__name__)

MAX_PAGE_BYTES = 16 * 1024 * 1024
_TRANSIENT_STATUSES = frozenset({408, 425, 429})


class DossierPullClient:
    """One ClientSession for every page; call :meth:`close` when done. :meth:`fetch` is the puller's Fetch."""

    def __init__(
        self,
        url: str,
        token: str,
        *,
        timeout: float = 30.0,
        max_page_bytes: int = MAX_PAGE_BYTES,
        session: ClientSession | None = None,
    ) -> None:
        self._url = URL(url)
        self._headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"} if token else {}
        self._timeout = ClientTimeout(total=timeout, connect=min(timeout, 10.0))
        self._max_bytes = max_page_bytes
        self._session = session
        self._own_session = session is None

    def _http(self) -> ClientSession:
        if self._session is None or self._session.closed:
            self._session = ClientSession(timeout=self._timeout)
            self._own_session = True
        return self._session

    async def close(self) -> None:
        """Close the session if this client opened it."""
        if self._own_session and self._session is not None and not self._session.closed:
            await self._session.close()

    async def fetch(self, cursor: str) -> PullPage:
        """Fetch the page after ``cursor``; raises a PullError subclass, never anything else."""
        url = self._url.update_query(cursor=cursor) if cursor else self._url
        try:
            async with self._http().get(url, headers=self._headers, timeout=self._timeout) as response:
                status = response.status
                if status != 200:
                    await response.release()
                    raise _status_error(status)
                if response.content_length is not None and response.content_length > self._max_bytes:
                    raise PullProtocolError(f"page larger than {self._max_bytes} bytes")
                raw = await response.content.read(self._max_bytes + 1)
                while len(raw) <= self._max_bytes:
                    chunk = await response.content.read(self._max_bytes + 1 - len(raw))
                    if not chunk:
                        break
                    raw += chunk
                if len(raw) > self._max_bytes:
                    raise PullProtocolError(f"page larger than {self._max_bytes} bytes")
        except TimeoutError as exc:
            raise PullTransientError("timed out") from exc
        except ClientError as exc:
            raise PullTransientError(f"network error: {type(exc).__name__}") from exc
        return parse_page(raw)


def _status_error(status: int) -> PullError:
    if status >= 500 or status in _TRANSIENT_STATUSES:
        return PullTransientError(f"HTTP {status}")
    if status >= 400:
        return PullPermanentError(f"HTTP {status}")
    return PullProtocolError(f"HTTP {status} instead of 200")


def parse_page(raw: bytes) -> PullPage:
    """Read a page body; PullProtocolError when it is not the documented shape."""
    try:
        body: Any = read_json(raw)
    except MalformedJSONError as exc:
        raise PullProtocolError("the page is not JSON") from exc
    if not isinstance(body, dict):
        raise PullProtocolError("the page is not a JSON object")
    events, cursor, has_more = body.get("events"), body.get("cursor"), body.get("has_more", False)
    if not isinstance(events, list):
        raise PullProtocolError("'events' must be a list")
    if not isinstance(cursor, str) or len(cursor) > 4096:
        raise PullProtocolError("'cursor' must be a string of at most 4096 characters")
    if not isinstance(has_more, bool):
        raise PullProtocolError("'has_more' must be true or false")
    return PullPage(events=events, cursor=cursor, has_more=has_more)
