"""A small aiohttp client for the Zalo Bot Platform API (``{base_url}/bot{token}/{method}``).

Every answer is ``{ok, result, description, error_code}``: HTTP 200 alone is not success. Errors are
split into :class:`ZaloTransientError` (worth retrying) and :class:`ZaloPermanentError`; their messages
never contain the token.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiohttp import ClientError, ClientSession, ClientTimeout

from bot.adapters.json_body import MalformedJSONError, read_json

DEFAULT_BASE_URL = "https://bot-api.zaloplatforms.com"
DEFAULT_POLL_TIMEOUT = 10
IDLE_POLL = 408
RATE_LIMITED = 429
# How much longer than the long poll itself the HTTP request may take before it is given up.
POLL_SLACK = 10
# Codes Zalo (or a proxy in front of it) uses for "try again later".
_TRANSIENT_CODES = frozenset({IDLE_POLL, RATE_LIMITED, 500, 502, 503, 504})


class ZaloError(Exception):
    """An unsuccessful Zalo Bot API call."""

    def __init__(self, method: str, code: int, description: str, retry_after: float | None = None) -> None:
        super().__init__(f"{method}: {code} {description}".strip())
        self.method = method
        self.code = code
        self.description = description
        self.retry_after = retry_after


class ZaloTransientError(ZaloError):
    """Rate limit, server error, timeout or network failure: the same call may succeed later."""


class ZaloTimeoutError(ZaloTransientError):
    """No answer in time; the request may still have been carried out."""


class ZaloPermanentError(ZaloError):
    """Zalo refused the call (bad chat, blocked, bad request, bad token): retrying will not help."""


@dataclass(frozen=True, slots=True)
class BotInfo:
    """What getMe says about the bot."""

    id: str
    account_name: str = ""
    display_name: str = ""
    can_join_groups: bool = False


class ZaloClient:
    """One shared ClientSession for every call; call :meth:`close` when done."""

    def __init__(
        self,
        token: str,
        base_url: str = DEFAULT_BASE_URL,
        *,
        request_timeout: float = 15.0,
        session: ClientSession | None = None,
    ) -> None:
        self._token = token
        self._base = base_url.rstrip("/")
        self._timeout = request_timeout
        self._session = session
        self._own_session = session is None

    def _http(self) -> ClientSession:
        if self._session is None or self._session.closed:
            self._session = ClientSession()
            self._own_session = True
        return self._session

    async def close(self) -> None:
        """Close the session if this client opened it."""
        if self._own_session and self._session is not None and not self._session.closed:
            await self._session.close()

    async def call(self, method: str, params: dict[str, Any] | None = None, *, wait: float = 0) -> Any:
        """POST ``params`` as JSON to ``method``; return ``result`` or raise a :class:`ZaloError`."""
        url = f"{self._base}/bot{self._token}/{method}"
        try:
            async with self._http().post(
                url, json=params or {}, timeout=ClientTimeout(total=wait or self._timeout)
            ) as response:
                status = response.status
                raw = await response.read()
        except TimeoutError:
            raise ZaloTimeoutError(method, 0, "timed out") from None
        except ClientError as exc:
            # aiohttp's messages may quote the URL, which holds the token: keep only the type.
            raise ZaloTransientError(method, 0, f"network error ({type(exc).__name__})") from None
        try:
            body = read_json(raw)
        except MalformedJSONError:
            body = None
        if not isinstance(body, dict):
            error = ZaloTransientError if status >= 500 or status in _TRANSIENT_CODES else ZaloPermanentError
            raise error(method, status, f"unreadable answer (HTTP {status})")
        if body.get("ok") is True:
            return body.get("result")
        code = _code(body.get("error_code"), status)
        description = self.redact(str(body.get("description") or f"HTTP {status}"))
        retry_after = _retry_after(body)
        if code in _TRANSIENT_CODES or code >= 500 or status in _TRANSIENT_CODES or status >= 500:
            raise ZaloTransientError(method, code, description, retry_after)
        raise ZaloPermanentError(method, code, description)

    def redact(self, text: str) -> str:
        """``text`` with the token blanked out."""
        return text.replace(self._token, "<token>") if self._token else text

    async def get_me(self) -> BotInfo:
        """The bot's identity (checks the token)."""
        result = await self.call("getMe")
        if not isinstance(result, dict) or not result.get("id"):
            raise ZaloPermanentError("getMe", 0, "answer without a bot id")
        return BotInfo(
            id=str(result["id"]),
            account_name=str(result.get("account_name") or ""),
            display_name=str(result.get("display_name") or result.get("name") or ""),
            can_join_groups=bool(result.get("can_join_groups")),
        )

    async def get_updates(self, poll_seconds: int = DEFAULT_POLL_TIMEOUT) -> dict[str, Any] | None:
        """Long-poll for one update; None when the poll ended idle (HTTP 408 or an empty result)."""
        try:
            # Zalo documents the timeout as a string of seconds; the HTTP wait is a little longer.
            result = await self.call(
                "getUpdates", {"timeout": str(poll_seconds)}, wait=poll_seconds + POLL_SLACK
            )
        except ZaloTransientError as exc:
            if exc.code == IDLE_POLL:
                return None
            raise
        if not isinstance(result, dict) or not result:
            return None
        return result

    async def set_webhook(self, url: str, secret_token: str) -> Any:
        """Ask Zalo to POST events to ``url`` with ``secret_token`` in X-Bot-Api-Secret-Token."""
        return await self.call("setWebhook", {"url": url, "secret_token": secret_token})

    async def delete_webhook(self) -> Any:
        """Remove the webhook so getUpdates works again."""
        return await self.call("deleteWebhook")

    async def get_webhook_info(self) -> Any:
        """The webhook currently set (``{url, updated_at}``)."""
        return await self.call("getWebhookInfo")

    async def send_message(self, chat_id: str, text: str) -> Any:
        """Send 1-2000 characters of plain text."""
        return await self.call("sendMessage", {"chat_id": chat_id, "text": text})

    async def send_photo(self, chat_id: str, photo: str, caption: str = "") -> Any:
        """Send the image at URL ``photo``, with an optional caption."""
        params: dict[str, Any] = {"chat_id": chat_id, "photo": photo}
        if caption:
            params["caption"] = caption
        return await self.call("sendPhoto", params)

    async def send_chat_action(self, chat_id: str, action: str = "typing") -> Any:
        """Show "typing..." in the chat."""
        return await self.call("sendChatAction", {"chat_id": chat_id, "action": action})


def _code(value: object, status: int) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.isascii() and value.strip().lstrip("-").isdigit():
        return int(value)
    return status


def _retry_after(body: dict[str, Any]) -> float | None:
    parameters = body.get("parameters")
    value = parameters.get("retry_after") if isinstance(parameters, dict) else None
    if isinstance(value, int | float) and not isinstance(value, bool) and value >= 0:
        return float(value)
    return None


__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_POLL_TIMEOUT",
    "POLL_SLACK",
    "BotInfo",
    "ZaloClient",
    "ZaloError",
    "ZaloPermanentError",
    "ZaloTimeoutError",
    "ZaloTransientError",
]
