"""One-off checks of a platform token and its webhook, for ``motcua doctor`` (never used while serving).

Each check asks ``getMe`` and ``getWebhookInfo`` with a short timeout and returns what it learned in a
:class:`TokenCheck`; errors are kept to a status code and a short reason, never the token or the URL.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from aiohttp import ClientError, ClientSession, ClientTimeout

from bot.adapters.zalo.client import ZaloClient, ZaloError, ZaloPermanentError, ZaloTimeoutError


@dataclass(frozen=True, slots=True)
class WebhookState:
    """What the platform says about the webhook: where it points and how it fares."""

    url: str
    pending_updates: int | None = None
    last_error: str = ""


@dataclass(frozen=True, slots=True)
class TokenCheck:
    """The answer to ``getMe`` (and, when it was asked, ``getWebhookInfo``)."""

    ok: bool
    bot_name: str = ""
    status: int = 0
    """The platform's error code when it refused (401: the token is wrong); 0 when it was not reached."""
    error: str = ""
    """A short reason: the platform's description, ``timeout``, or the kind of network error."""
    webhook: WebhookState | None = None


class _RefusedError(Exception):
    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.description = description


async def check_telegram(token: str, base_url: str, *, seconds: float) -> TokenCheck:
    """Ask Telegram's ``getMe`` and ``getWebhookInfo`` at ``base_url`` (as PTB takes it: ``.../bot``)."""
    try:
        async with ClientSession(timeout=ClientTimeout(total=seconds)) as http:
            me = await _telegram_call(http, f"{base_url}{token}/getMe")
            info = await _telegram_call(http, f"{base_url}{token}/getWebhookInfo")
    except _RefusedError as exc:
        return TokenCheck(False, status=exc.status, error=_redact(exc.description, token))
    except TimeoutError:
        return TokenCheck(False, error="timeout")
    except ClientError as exc:
        # aiohttp's messages may quote the URL, which holds the token: keep only the type.
        return TokenCheck(False, error=f"network error ({type(exc).__name__})")
    name = str(me.get("username") or me.get("first_name") or "") if isinstance(me, dict) else ""
    return TokenCheck(True, bot_name=name, webhook=_telegram_webhook(info, token))


async def _telegram_call(http: ClientSession, url: str) -> Any:
    async with http.post(url, json={}) as response:
        raw = await response.read()
        status = response.status
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        body = None
    if not isinstance(body, dict):
        raise _RefusedError(status, f"unreadable answer (HTTP {status})")
    if body.get("ok") is not True:
        code = body.get("error_code")
        raise _RefusedError(code if isinstance(code, int) else status, str(body.get("description") or ""))
    return body.get("result")


def _telegram_webhook(info: Any, token: str) -> WebhookState:
    if not isinstance(info, dict):
        return WebhookState(url="")
    pending = info.get("pending_update_count")
    return WebhookState(
        url=str(info.get("url") or ""),
        pending_updates=pending if isinstance(pending, int) else None,
        last_error=_redact(str(info.get("last_error_message") or ""), token),
    )


async def check_zalo(token: str, base_url: str, *, seconds: float) -> TokenCheck:
    """Ask Zalo's ``getMe`` and ``getWebhookInfo`` through our Zalo client."""
    client = ZaloClient(token, base_url, request_timeout=seconds)
    try:
        me = await client.get_me()
        try:
            info = await client.call("getWebhookInfo")
        except ZaloPermanentError as exc:
            # Zalo answers 404 when no webhook is set.
            if exc.code != 404:
                raise
            info = {}
    except ZaloTimeoutError:
        return TokenCheck(False, error="timeout")
    except ZaloError as exc:
        return TokenCheck(False, status=exc.code, error=exc.description)
    finally:
        await client.close()
    url = info.get("url") if isinstance(info, dict) else None
    return TokenCheck(
        True,
        bot_name=me.display_name or me.account_name or me.id,
        webhook=WebhookState(url=url if isinstance(url, str) else ""),
    )


def _redact(text: str, token: str) -> str:
    return text.replace(token, "<token>") if token else text
