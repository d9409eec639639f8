"""The checks ``motcua doctor`` runs: configuration, database and schema, each token and its webhook.

Each check gives :class:`Finding` lines (ok, a note worth a look, or a problem with how to fix it), in
Vietnamese from :mod:`bot.texts.doctor`. Nothing printed holds a token, a secret or a password.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal, TextIO
from urllib.parse import urlsplit

from alembic.script import ScriptDirectory
from sqlalchemy.engine import make_url

from bot.adapters.probes import TokenCheck, check_telegram, check_zalo
from bot.config import Config, TelegramConfig, ZaloConfig
from bot.storage.engine import create_engine, sqlite_path
from bot.storage.migrate import alembic_config, current_revision, head_revision
from bot.texts import doctor as say

Level = Literal["ok", "warn", "fail"]
DEFAULT_TIMEOUT = 5.0


@dataclass(frozen=True, slots=True)
class Finding:
    """One line of the report, and for a problem or a note, how to fix it."""

    level: Level
    text: str
    fix: str = ""


def ok(text: str) -> Finding:
    """A check that passed."""
    return Finding("ok", text)


def note(text: str, fix: str = "") -> Finding:
    """Something worth a look that does not stop the bot."""
    return Finding("warn", text, fix)


def problem(text: str, fix: str) -> Finding:
    """Something the operator must fix."""
    return Finding("fail", text, fix)


async def diagnose(
    config: Config, *, config_path: str | None, seconds: float = DEFAULT_TIMEOUT
) -> list[Finding]:
    """Every check, in the order an operator fixes things: configuration, database, channels."""
    findings = [ok(say.CONFIG_OK.format(source=config_path or say.CONFIG_DEFAULTS))]
    if not config.channels and not config.http.web:
        findings.append(problem(say.NO_CHANNEL, say.NO_CHANNEL_FIX))
    if not config.dossiers.hash_key:
        findings.append(note(say.HASH_KEY_EMPTY, say.HASH_KEY_FIX))
    findings += await check_database(config.database.url, config_path=config_path, seconds=seconds)
    checks = []
    if config.telegram.enabled:
        checks.append(_telegram(config.telegram, seconds))
    if config.zalo.enabled:
        checks.append(_zalo(config.zalo, seconds))
    for found in await asyncio.gather(*checks):
        findings += found
    return findings


def config_failed(error: str) -> list[Finding]:
    """The report when the configuration cannot be loaded."""
    return [problem(say.CONFIG_BAD.format(error=error), say.CONFIG_BAD_FIX)]


async def check_database(url: str, *, config_path: str | None, seconds: float) -> list[Finding]:
    """Reachable, and at this code's schema; never creates a database that is not there."""
    shown = make_url(url).render_as_string(hide_password=True)
    path = sqlite_path(url)
    upgrade = say.SCHEMA_FIX.format(config=f" --config {config_path}" if config_path else "")
    if path is not None and not path.exists():
        return [problem(say.SQLITE_MISSING.format(path=path), upgrade)]
    engine = create_engine(url)
    try:
        current = await asyncio.wait_for(current_revision(engine), seconds)
    except TimeoutError:
        error = say.DB_TIMEOUT.format(seconds=seconds)
        return [problem(say.DB_UNREACHABLE.format(url=shown, error=error), say.DB_UNREACHABLE_FIX)]
    except Exception as exc:  # whatever the driver raises, the database is not usable
        cause = getattr(exc, "orig", None) or exc
        error = f"{type(cause).__name__}: {cause}".replace(make_url(url).password or "\0", "***")
        return [problem(say.DB_UNREACHABLE.format(url=shown, error=error), say.DB_UNREACHABLE_FIX)]
    finally:
        await engine.dispose()
    findings = [ok(say.DB_OK.format(url=shown))]
    head = head_revision()
    if current == head:
        findings.append(ok(say.SCHEMA_OK.format(head=head)))
    elif current is not None and not known_revision(current):
        findings.append(problem(say.SCHEMA_AHEAD.format(current=current, head=head), say.SCHEMA_AHEAD_FIX))
    else:
        shown_current = current or say.SCHEMA_EMPTY
        findings.append(problem(say.SCHEMA_BEHIND.format(current=shown_current, head=head), upgrade))
    return findings


def known_revision(revision: str) -> bool:
    """True when this code's migrations know ``revision`` (else the database is newer than the code)."""
    try:
        return ScriptDirectory.from_config(alembic_config()).get_revision(revision) is not None
    except Exception:  # alembic raises its own error for a revision it cannot locate
        return False


async def _telegram(settings: TelegramConfig, seconds: float) -> list[Finding]:
    checked = await check_telegram(settings.token, settings.base_url, seconds=seconds)
    return _channel("telegram", settings, checked, seconds)


async def _zalo(settings: ZaloConfig, seconds: float) -> list[Finding]:
    checked = await check_zalo(settings.token, settings.base_url, seconds=seconds)
    return _channel("zalo", settings, checked, seconds)


def _channel(
    key: str, settings: TelegramConfig | ZaloConfig, checked: TokenCheck, seconds: float
) -> list[Finding]:
    """The token's finding, then the webhook's."""
    platform = say.PLATFORMS[key]
    if not checked.ok:
        if checked.status:
            text = say.REFUSED.format(platform=platform, status=checked.status, error=checked.error)
            return [problem(text, say.REFUSED_FIX[key])]
        error = say.TIMEOUT.format(seconds=seconds) if checked.error == "timeout" else checked.error
        text = say.API_UNREACHABLE.format(platform=platform, host=_host(settings.base_url), error=error)
        return [problem(text, say.API_UNREACHABLE_FIX.format(key=key))]
    findings = [ok(say.BOT_OK.format(platform=platform, name=checked.bot_name or "?"))]
    webhook = checked.webhook
    url = webhook.url if webhook is not None else ""
    if settings.mode == "polling":
        if not url:
            return [*findings, ok(say.POLLING_OK.format(platform=platform))]
        text = say.POLLING_WITH_WEBHOOK.format(platform=platform, host=_host(url))
        fix = say.POLLING_WITH_WEBHOOK_FIX[key]
        return [*findings, problem(text, fix) if key == "zalo" else note(text, fix)]
    if not url:
        findings.append(problem(say.WEBHOOK_NOT_SET.format(platform=platform), say.WEBHOOK_NOT_SET_FIX))
    elif url != settings.webhook_url:
        text = say.WEBHOOK_ELSEWHERE.format(
            platform=platform, host=_host(url), key=key, expected=_host(settings.webhook_url)
        )
        findings.append(problem(text, say.WEBHOOK_ELSEWHERE_FIX.format(key=key)))
    else:
        findings.append(ok(say.WEBHOOK_OK.format(platform=platform, host=_host(url))))
    if webhook is not None and webhook.pending_updates:
        findings.append(note(say.WEBHOOK_PENDING.format(platform=platform, count=webhook.pending_updates)))
    if webhook is not None and webhook.last_error:
        text = say.WEBHOOK_LAST_ERROR.format(platform=platform, error=webhook.last_error)
        findings.append(note(text, say.WEBHOOK_LAST_ERROR_FIX.format(path=settings.webhook_path)))
    return findings


def _host(url: str) -> str:
    """Only the host of an address: its path may be private, and the token sits in the API's."""
    return urlsplit(url).netloc or "?"


def report(findings: Iterable[Finding], out: TextIO) -> int:
    """Print the findings and the verdict; return 0 when nothing must be fixed, else 1."""
    findings = list(findings)
    print(say.TITLE, file=out)
    for finding in findings:
        print(f"{say.LEVELS[finding.level]} {finding.text}", file=out)
        if finding.fix:
            print(say.FIX.format(fix=finding.fix), file=out)
    failures = sum(1 for f in findings if f.level == "fail")
    notes = sum(1 for f in findings if f.level == "warn")
    if failures:
        print(say.PROBLEMS.format(count=failures), file=out)
        return 1
    print(say.ALL_GOOD_WITH_NOTES.format(count=notes) if notes else say.ALL_GOOD, file=out)
    return 0
