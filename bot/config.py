"""Configuration: a TOML file read into frozen dataclasses, with environment overrides for secrets."""

from __future__ import annotations

import ipaddress
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import time
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///var/motcua.db"


class ConfigError(ValueError):
    """A configuration value is missing or wrong; the message names the key."""


@dataclass(frozen=True, slots=True)
class DatabaseConfig:
    """Where durable state lives."""

    url: str = DEFAULT_DATABASE_URL
    echo: bool = False
    leader_retry_seconds: float = 10.0
    """PostgreSQL: how often a process tries to become the scheduler's leader (and the leader checks)."""


@dataclass(frozen=True, slots=True)
class CentreConfig:
    """The one-stop centre the bot speaks for (shown in "I don't know" answers)."""

    name: str = "Bộ phận Một cửa"
    phone: str = ""
    address: str = ""
    portal_url: str = "https://dichvucong.gov.vn"


@dataclass(frozen=True, slots=True)
class HttpConfig:
    """The bot's own aiohttp server (webhooks, health, and the web: public pages, web chat, console)."""

    host: str = "127.0.0.1"
    port: int = 8080
    public_url: str = ""
    """The address residents and staff reach the web at (https://...); links and QR codes use it."""
    web: bool = True
    """Serve the web pages; ``motcua run`` then serves even without a Telegram or Zalo token."""
    ops_networks: str = "127.0.0.0/8, ::1/128"
    """Networks (comma-separated) that may read ``/readyz`` and ``/metrics``; others and proxied ones: 404."""

    def networks(self) -> tuple[IPNetwork, ...]:
        """``ops_networks`` parsed; ValueError names the first entry that is not a network."""
        found: list[IPNetwork] = []
        for part in filter(None, (p.strip() for p in self.ops_networks.split(","))):
            try:
                found.append(ipaddress.ip_network(part, strict=False))
            except ValueError:
                raise ValueError(part) from None
        return tuple(found)


@dataclass(frozen=True, slots=True)
class WebPublicConfig:
    """The public procedure pages (``/p/CODE``)."""

    zalo_url: str = ""
    """The Zalo Official Account link the pages offer, e.g. ``https://zalo.me/<id>``; none if empty."""


@dataclass(frozen=True, slots=True)
class TelegramConfig:
    """Telegram Bot API settings; the channel is enabled when ``token`` is set."""

    token: str = ""
    mode: Literal["polling", "webhook"] = "polling"
    base_url: str = "https://api.telegram.org/bot"
    base_file_url: str = "https://api.telegram.org/file/bot"
    webhook_url: str = ""
    webhook_path: str = "/telegram/webhook"
    webhook_secret: str = ""
    rate_limiter_retries: int = 3

    @property
    def enabled(self) -> bool:
        """True when a token is configured."""
        return bool(self.token)


TELEGRAM_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")
ZALO_SECRET_MIN = 16
ZALO_SECRET_MAX = 256


@dataclass(frozen=True, slots=True)
class ZaloConfig:
    """Zalo Bot Platform settings; the channel is enabled when ``token`` is set."""

    token: str = ""
    mode: Literal["polling", "webhook"] = "polling"
    base_url: str = "https://bot-api.zaloplatforms.com"
    webhook_url: str = ""
    webhook_path: str = "/zalo/webhook"
    webhook_secret: str = ""
    poll_timeout: int = 10
    typing_delay: float = 1.0
    """Seconds an answer may take before the typing indicator is shown (0: before every answer)."""

    @property
    def enabled(self) -> bool:
        """True when a token is configured."""
        return bool(self.token)


@dataclass(frozen=True, slots=True)
class SearchConfig:
    """Procedure search tuning, and how often a running bot looks for a changed knowledge base."""

    max_choices: int = 5
    reload_seconds: float = 30.0
    """Seconds between checks for a re-import or changed aliases; the index is rebuilt when they changed."""


@dataclass(frozen=True, slots=True)
class DossierConfig:
    """Dossier status: the keyed hash of phone numbers, the push API, the pull source and abuse limits."""

    hash_key: str = ""
    """Secret key of the HMAC over applicants' phone numbers; set MOTCUA_DOSSIER_HASH_KEY in production."""
    api_token: str = ""
    """Bearer token of ``POST /api/v1/dossier-events``; the route is off while it is empty."""
    api_path: str = "/api/v1/dossier-events"
    pull_url: str = ""
    """An HTTP endpoint polled for changes; off while empty."""
    pull_token: str = ""
    pull_interval_seconds: int = 300
    lookups_per_minute: int = 10
    verify_max_failures: int = 5
    lockout_minutes: int = 15
    subscription_flow_minutes: int = 10


@dataclass(frozen=True, slots=True)
class OutboxConfig:
    """Durable delivery: how fast each platform may be sent to, and how the worker leases and retries."""

    telegram_per_second: float = 30.0
    telegram_per_chat_per_second: float = 1.0
    telegram_group_per_minute: float = 20.0
    zalo_per_second: float = 20.0
    zalo_per_chat_per_second: float = 1.0
    lease_seconds: int = 60
    max_attempts: int = 8
    batch_size: int = 50
    idle_poll_seconds: float = 1.0


@dataclass(frozen=True, slots=True)
class DirectivesConfig:
    """Directives to staff: quiet hours, reminders to those who have not acknowledged, escalation."""

    quiet_start: str = "21:00"
    """Non-urgent directives falling between quiet_start and quiet_end (local time) wait for quiet_end."""
    quiet_end: str = "06:30"
    reminder_minutes: tuple[int, ...] = (60, 240)
    """Minutes after delivery at which those who have not acknowledged are reminded."""
    escalate_after: int = 2
    """After this many reminders the unit's leader is told who is missing (0: never)."""
    ack_deadline_hours: int = 24
    """Deadline of an acknowledgement when a directive file names none."""
    bot_username: str = ""
    """The Telegram bot's username (without @): invites then print a deep link."""


@dataclass(frozen=True, slots=True)
class GuideConfig:
    """Guide mode: how long a resident's consent code lives, and how many wrong codes a guide may try."""

    code_minutes: int = 10
    """A consent code works once, within this many minutes of being given."""
    session_minutes: int = 15
    """After entering a code, the guide has this long to send the card."""
    max_wrong_codes: int = 5
    """Wrong, expired or used codes a guide may enter before being locked out."""
    lockout_minutes: int = 15
    """How long the lockout lasts (and the window the wrong codes are counted in)."""


@dataclass(frozen=True, slots=True)
class FeedbackConfig:
    """Residents' feedback (/gopy): where general feedback goes, how long a unit has to answer."""

    default_unit: str = ""
    """The unit (by name) that gets feedback no unit is responsible for, and general feedback."""
    overdue_working_days: int = 3
    """Unanswered after this many working days (weekends and public holidays skipped): the leader is told."""
    max_length: int = 1000
    """Characters a resident's feedback or a staff answer may have."""
    flow_minutes: int = 15
    """How long /gopy waits for each answer in its short conversation."""
    per_user_per_day: int = 10
    """Items one resident may file in 24 hours (a flood would bury the unit's group)."""


@dataclass(frozen=True, slots=True)
class ReportConfig:
    """Figures for leaders: how often answers are rated, and when the weekly digest goes out."""

    answer_rating_share: float = 0.0
    """Share (0-1) of confident answers followed by the 👍/👎 question (0: never). Off unless set, so an
    old configuration answers exactly as before; 0.2 asks one resident in five."""
    digest_day: str = "mon"
    """Day of the weekly digest (mon ... sun; empty: no digest)."""
    digest_time: str = "07:00"
    media_url: str = ""
    """This bot's server as Zalo reaches it (https://...): charts for Zalo are served under /media/
    there, since Zalo's sendPhoto takes a URL. Empty: Zalo gets the digest's text without the chart."""


@dataclass(frozen=True, slots=True)
class WebChatConfig:
    """The web chat (``/chat``, its widget and kiosk): rate limits, message size, kiosk and delivery."""

    per_session_per_minute: int = 20
    """Messages one visitor (session cookie) may send in any minute."""
    per_address_per_minute: int = 120
    """Messages one network address may send in any minute (an office's visitors share one address)."""
    max_message_chars: int = 1000
    sockets_per_address: int = 32
    """Open chat sockets one address may hold: a family or an office behind one address, not a flood."""
    kiosk_idle_seconds: int = 120
    """A kiosk (``/chat?kiosk=1``) starts a new session after this long without a message."""
    keep_minutes: int = 60
    """How long a message the bot sends later (outbox) waits for a visitor who is not connected."""
    forwarded_for: bool = False
    """Behind a reverse proxy: the visitor's address is the last entry of X-Forwarded-For."""


WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True, slots=True)
class Config:
    """The whole configuration."""

    database: DatabaseConfig = field(default_factory=DatabaseConfig)
    centre: CentreConfig = field(default_factory=CentreConfig)
    http: HttpConfig = field(default_factory=HttpConfig)
    web_public: WebPublicConfig = field(default_factory=WebPublicConfig)
    telegram: TelegramConfig = field(default_factory=TelegramConfig)
    zalo: ZaloConfig = field(default_factory=ZaloConfig)
    search: SearchConfig = field(default_factory=SearchConfig)
    dossiers: DossierConfig = field(default_factory=DossierConfig)
    outbox: OutboxConfig = field(default_factory=OutboxConfig)
    directives: DirectivesConfig = field(default_factory=DirectivesConfig)
    guide: GuideConfig = field(default_factory=GuideConfig)
    feedback: FeedbackConfig = field(default_factory=FeedbackConfig)
    report: ReportConfig = field(default_factory=ReportConfig)
    web_chat: WebChatConfig = field(default_factory=WebChatConfig)
    timezone: str = "Asia/Ho_Chi_Minh"
    log_level: str = "INFO"

    @property
    def channels(self) -> list[str]:
        """Names of the chat platforms this configuration turns on (the terminal needs no setting)."""
        return [name for name, on in (("telegram", self.telegram.enabled), ("zalo", self.zalo.enabled)) if on]


ENV_OVERRIDES: dict[str, tuple[str, str]] = {
    "MOTCUA_DATABASE_URL": ("database", "url"),
    "MOTCUA_TELEGRAM_TOKEN": ("telegram", "token"),
    "MOTCUA_TELEGRAM_WEBHOOK_SECRET": ("telegram", "webhook_secret"),
    "MOTCUA_ZALO_TOKEN": ("zalo", "token"),
    "MOTCUA_ZALO_WEBHOOK_SECRET": ("zalo", "webhook_secret"),
    "MOTCUA_DOSSIER_HASH_KEY": ("dossiers", "hash_key"),
    "MOTCUA_DOSSIER_API_TOKEN": ("dossiers", "api_token"),
    "MOTCUA_DOSSIER_PULL_TOKEN": ("dossiers", "pull_token"),
}


def load(path: Path | str | None, env: Mapping[str, str] | None = None) -> Config:
    """Read ``path`` (or defaults when None) and apply environment overrides."""
    env = os.environ if env is None else env
    raw: dict[str, Any] = {}
    if path is not None:
        try:
            raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise ConfigError(f"không tìm thấy tệp cấu hình {path}") from exc
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: TOML không hợp lệ: {exc}") from exc
    for var, (section, key) in ENV_OVERRIDES.items():
        if env.get(var):
            raw.setdefault(section, {})
            if not isinstance(raw[section], dict):
                raise ConfigError(f"[{section}] phải là một bảng")
            raw[section][key] = env[var]
    return parse(raw)


_SECTIONS: dict[str, type[Any]] = {
    "database": DatabaseConfig,
    "centre": CentreConfig,
    "http": HttpConfig,
    "web_public": WebPublicConfig,
    "telegram": TelegramConfig,
    "zalo": ZaloConfig,
    "search": SearchConfig,
    "dossiers": DossierConfig,
    "outbox": OutboxConfig,
    "directives": DirectivesConfig,
    "guide": GuideConfig,
    "feedback": FeedbackConfig,
    "report": ReportConfig,
    "web_chat": WebChatConfig,
}
_TOP_LEVEL = {"timezone": str, "log_level": str}
RELOAD_SECONDS_MAX = 3600
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def parse(raw: Mapping[str, Any]) -> Config:
    """Build a :class:`Config` from parsed TOML, naming the key of any wrong value."""
    sections: dict[str, Any] = {}
    top: dict[str, Any] = {}
    for key, value in raw.items():
        if key in _SECTIONS:
            if not isinstance(value, dict):
                raise ConfigError(f"[{key}] phải là một bảng")
            sections[key] = _section(key, _SECTIONS[key], value)
        elif key in _TOP_LEVEL:
            if not isinstance(value, str):
                raise ConfigError(f"{key}: cần một chuỗi")
            top[key] = value
        else:
            raise ConfigError(f"{key}: khóa không được hỗ trợ")
    config = Config(**sections, **top)
    _validate(config)
    return config


def _section(name: str, cls: type[Any], values: Mapping[str, Any]) -> Any:
    defaults = cls()
    kwargs: dict[str, Any] = {}
    for key, value in values.items():
        if not hasattr(defaults, key) or key.startswith("_") or key == "enabled":
            raise ConfigError(f"{name}.{key}: khóa không được hỗ trợ")
        expected = type(getattr(defaults, key))
        if expected is int and (isinstance(value, bool) or not isinstance(value, int)):
            raise ConfigError(f"{name}.{key}: cần một số nguyên")
        if expected is tuple:
            if not isinstance(value, list) or any(
                isinstance(v, bool) or not isinstance(v, int) for v in value
            ):
                raise ConfigError(f"{name}.{key}: cần một danh sách số nguyên")
            kwargs[key] = tuple(value)
            continue
        if expected is float:
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ConfigError(f"{name}.{key}: cần một số")
            value = float(value)
        elif expected is not int and not isinstance(value, expected):
            raise ConfigError(f"{name}.{key}: cần kiểu {expected.__name__}")
        kwargs[key] = value
    return cls(**kwargs)


def _validate(config: Config) -> None:
    tg = config.telegram
    if tg.mode not in ("polling", "webhook"):
        raise ConfigError('telegram.mode: phải là "polling" hoặc "webhook"')
    if tg.enabled and tg.mode == "webhook":
        if not tg.webhook_url:
            raise ConfigError('telegram.webhook_url: bắt buộc khi mode = "webhook"')
        if len(tg.webhook_secret) < 16:
            raise ConfigError('telegram.webhook_secret: cần ít nhất 16 ký tự khi mode = "webhook"')
        if not TELEGRAM_SECRET.fullmatch(tg.webhook_secret):
            # Telegram's setWebhook takes 1-256 characters of A-Z a-z 0-9 _ - and refuses anything else.
            raise ConfigError("telegram.webhook_secret: chỉ gồm A-Z a-z 0-9 _ - và không quá 256 ký tự")
    _validate_zalo(config.zalo)
    if not 1 <= config.http.port <= 65535:
        raise ConfigError("http.port: phải trong khoảng 1-65535")
    if config.http.public_url and not config.http.public_url.startswith(("https://", "http://")):
        raise ConfigError("http.public_url: cần một địa chỉ http(s)://")
    if config.web_public.zalo_url and not config.web_public.zalo_url.startswith("https://"):
        raise ConfigError("web_public.zalo_url: cần một địa chỉ https://")
    if not 1 <= config.search.max_choices <= 10:
        raise ConfigError("search.max_choices: phải trong khoảng 1-10")
    if not 0 < config.search.reload_seconds <= RELOAD_SECONDS_MAX:
        raise ConfigError(f"search.reload_seconds: phải lớn hơn 0 và không quá {RELOAD_SECONDS_MAX} giây")
    if not config.database.url:
        raise ConfigError("database.url: không được để trống")
    if not 0 < config.database.leader_retry_seconds <= 30:
        raise ConfigError("database.leader_retry_seconds: phải lớn hơn 0 và không quá 30 giây")
    _validate_dossiers(config.dossiers)
    _validate_outbox(config.outbox)
    _validate_directives(config.directives)
    for key in ("code_minutes", "session_minutes", "max_wrong_codes", "lockout_minutes"):
        if getattr(config.guide, key) < 1:
            raise ConfigError(f"guide.{key}: phải lớn hơn 0")
    _validate_feedback(config.feedback)
    _validate_report(config.report)
    for key in (
        "per_session_per_minute",
        "per_address_per_minute",
        "max_message_chars",
        "keep_minutes",
        "sockets_per_address",
    ):
        if getattr(config.web_chat, key) < 1:
            raise ConfigError(f"web_chat.{key}: phải lớn hơn 0")
    if config.web_chat.kiosk_idle_seconds < 10:
        raise ConfigError("web_chat.kiosk_idle_seconds: phải từ 10 giây trở lên")
    try:
        config.http.networks()
    except ValueError as exc:
        raise ConfigError(f"http.ops_networks: {exc} không phải một địa chỉ mạng (vd. 10.0.0.0/8)") from None
    if config.log_level.upper() not in LOG_LEVELS:
        raise ConfigError(f"log_level: phải là một trong {', '.join(LOG_LEVELS)}")
    try:
        ZoneInfo(config.timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(f"timezone: múi giờ không hợp lệ: {config.timezone!r}") from exc


def _validate_zalo(zalo: ZaloConfig) -> None:
    if zalo.mode not in ("polling", "webhook"):
        raise ConfigError('zalo.mode: phải là "polling" hoặc "webhook"')
    if not zalo.base_url.startswith(("https://", "http://")):
        raise ConfigError("zalo.base_url: cần một địa chỉ http(s)://")
    if not 1 <= zalo.poll_timeout <= 60:
        raise ConfigError("zalo.poll_timeout: phải trong khoảng 1-60 giây")
    if not 0 <= zalo.typing_delay <= 60:
        raise ConfigError("zalo.typing_delay: phải trong khoảng 0-60 giây")
    if not zalo.webhook_path.startswith("/"):
        raise ConfigError('zalo.webhook_path: phải bắt đầu bằng "/"')
    if zalo.enabled and zalo.mode == "webhook":
        if not zalo.webhook_url:
            raise ConfigError('zalo.webhook_url: bắt buộc khi mode = "webhook"')
        # Zalo accepts 8-256 characters; we ask for 16 so the secret is not guessable.
        if not ZALO_SECRET_MIN <= len(zalo.webhook_secret) <= ZALO_SECRET_MAX:
            raise ConfigError(
                f'zalo.webhook_secret: cần {ZALO_SECRET_MIN}-{ZALO_SECRET_MAX} ký tự khi mode = "webhook"'
            )


def _validate_dossiers(dossiers: DossierConfig) -> None:
    if not dossiers.api_path.startswith("/"):
        raise ConfigError('dossiers.api_path: phải bắt đầu bằng "/"')
    if dossiers.api_token and len(dossiers.api_token) < 16:
        raise ConfigError("dossiers.api_token: cần ít nhất 16 ký tự")
    if dossiers.pull_url and not dossiers.pull_url.startswith(("https://", "http://")):
        raise ConfigError("dossiers.pull_url: cần một địa chỉ http(s)://")
    for key in (
        "pull_interval_seconds",
        "lookups_per_minute",
        "verify_max_failures",
        "lockout_minutes",
        "subscription_flow_minutes",
    ):
        if getattr(dossiers, key) < 1:
            raise ConfigError(f"dossiers.{key}: phải lớn hơn 0")


def _validate_outbox(outbox: OutboxConfig) -> None:
    for key in (
        "telegram_per_second",
        "telegram_per_chat_per_second",
        "telegram_group_per_minute",
        "zalo_per_second",
        "zalo_per_chat_per_second",
        "idle_poll_seconds",
    ):
        if getattr(outbox, key) <= 0:
            raise ConfigError(f"outbox.{key}: phải lớn hơn 0")
    for key in ("lease_seconds", "max_attempts", "batch_size"):
        if getattr(outbox, key) < 1:
            raise ConfigError(f"outbox.{key}: phải lớn hơn 0")


def clock_time(text: str) -> time | None:
    """``HH:MM`` as a time, or None when it is not one."""
    hours, sep, minutes = text.strip().partition(":")
    if not (sep and text.isascii() and hours.isdigit() and minutes.isdigit() and len(minutes) == 2):
        return None
    if not (0 <= int(hours) <= 23 and 0 <= int(minutes) <= 59):
        return None
    return time(int(hours), int(minutes))


def _validate_directives(directives: DirectivesConfig) -> None:
    for key in ("quiet_start", "quiet_end"):
        if clock_time(getattr(directives, key)) is None:
            raise ConfigError(f"directives.{key}: cần giờ dạng HH:MM, ví dụ 21:00")
    minutes = directives.reminder_minutes
    if any(m < 1 for m in minutes) or list(minutes) != sorted(set(minutes)):
        raise ConfigError("directives.reminder_minutes: cần các số phút dương, tăng dần, không trùng")
    if not 0 <= directives.escalate_after <= len(minutes):
        raise ConfigError("directives.escalate_after: từ 0 đến số lần nhắc trong reminder_minutes")
    if directives.ack_deadline_hours < 1:
        raise ConfigError("directives.ack_deadline_hours: phải lớn hơn 0")
    if directives.bot_username.startswith("@") or any(c.isspace() for c in directives.bot_username):
        raise ConfigError("directives.bot_username: tên bot không có @ và khoảng trắng")


def _validate_feedback(feedback: FeedbackConfig) -> None:
    if not 1 <= feedback.overdue_working_days <= 60:
        raise ConfigError("feedback.overdue_working_days: phải trong khoảng 1-60")
    if not 50 <= feedback.max_length <= 3000:
        raise ConfigError("feedback.max_length: phải trong khoảng 50-3000")
    if feedback.flow_minutes < 1:
        raise ConfigError("feedback.flow_minutes: phải lớn hơn 0")
    if feedback.per_user_per_day < 1:
        raise ConfigError("feedback.per_user_per_day: phải lớn hơn 0")


def _validate_report(report: ReportConfig) -> None:
    if not 0 <= report.answer_rating_share <= 1:
        raise ConfigError("report.answer_rating_share: phải trong khoảng 0-1")
    if report.digest_day and report.digest_day not in WEEKDAYS:
        raise ConfigError(f"report.digest_day: một trong {', '.join(WEEKDAYS)} (hoặc để trống)")
    if report.media_url and not report.media_url.startswith(("https://", "http://")):
        raise ConfigError("report.media_url: cần một địa chỉ http(s)://")
    if clock_time(report.digest_time) is None:
        raise ConfigError("report.digest_time: cần giờ dạng HH:MM, ví dụ 07:00")
