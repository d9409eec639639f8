"""Configuration: the example file stays complete and loadable; wrong values are named by key."""

from __future__ import annotations

import dataclasses
import tomllib
from pathlib import Path

import pytest

from bot.config import Config, ConfigError, load

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "config.example.toml"
TELEGRAM_WEBHOOK = "[telegram]\ntoken = 't'\nmode = 'webhook'\nwebhook_url = 'https://x'\n"
ZALO_WEBHOOK = "[zalo]\ntoken = 't'\nmode = 'webhook'\nwebhook_url = 'https://x'\n"


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_example_file_loads() -> None:
    config = load(EXAMPLE, env={})
    assert config.database.url == "sqlite+aiosqlite:///var/motcua.db"
    assert config.telegram.enabled is False


def test_the_example_file_lists_every_option_and_nothing_else() -> None:
    raw = tomllib.loads(EXAMPLE.read_text(encoding="utf-8"))
    expected: dict[str, object] = {}
    for field in dataclasses.fields(Config):
        default = getattr(Config(), field.name)
        if dataclasses.is_dataclass(default):
            expected[field.name] = {f.name for f in dataclasses.fields(default)}
        else:
            expected[field.name] = None
    found = {key: set(value) if isinstance(value, dict) else None for key, value in raw.items()}
    assert found == expected


def test_the_example_values_are_the_defaults_except_the_centre_name() -> None:
    loaded = load(EXAMPLE, env={})
    assert dataclasses.replace(loaded, centre=Config().centre) == Config()


def test_no_file_means_defaults() -> None:
    assert load(None, env={}) == Config()


def test_log_level_is_case_insensitive(tmp_path: Path) -> None:
    assert load(_write(tmp_path, "log_level = 'debug'\n"), env={}).log_level == "debug"


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("[telegram]\ntokn = 'x'\n", "telegram.tokn"),
        ("[telegram]\nenabled = true\n", "telegram.enabled"),
        ("[http]\nport = '8080'\n", "http.port"),
        ("[http]\nport = true\n", "http.port"),
        ("[http]\nport = 70000\n", "http.port"),
        ("[database]\necho = 'yes'\n", "database.echo"),
        ("[database]\nurl = ''\n", "database.url"),
        ("[search]\nmax_choices = 0\n", "search.max_choices"),
        ("[search]\nreload_seconds = 0\n", "search.reload_seconds"),
        ("[search]\nreload_seconds = 3601\n", "search.reload_seconds"),
        ("[search]\nreload_seconds = '30'\n", "search.reload_seconds"),
        ("[telegram]\nmode = 'push'\n", "telegram.mode"),
        ("[telegram]\ntoken = 't'\nmode = 'webhook'\n", "telegram.webhook_url"),
        (
            "[telegram]\ntoken = 't'\nmode = 'webhook'\nwebhook_url = 'https://x'\nwebhook_secret = 'abc'\n",
            "telegram.webhook_secret",
        ),
        *(
            (
                f"{TELEGRAM_WEBHOOK}webhook_secret = '{secret}'\n",
                "telegram.webhook_secret",
            )
            # Characters Telegram's setWebhook refuses, and a secret longer than it takes.
            for secret in ("s3cret.webhook+token", "secret webhook token", "bí-mật-webhook-0123", "s" * 257)
        ),
        ("timezon = 'UTC'\n", "timezon"),
        ("log_level = 10\n", "log_level"),
        ("log_level = 'LOUD'\n", "log_level"),
        ("timezone = 'Mars/Olympus_Mons'\n", "timezone"),
        ("timezone = ''\n", "timezone"),
        ("database = 'x'\n", "[database]"),
        ("[zalo]\nmode = 'push'\n", "zalo.mode"),
        ("[zalo]\npoll_timeout = 0\n", "zalo.poll_timeout"),
        ("[zalo]\npoll_timeout = '30'\n", "zalo.poll_timeout"),
        ("[zalo]\nbase_url = 'bot-api.zaloplatforms.com'\n", "zalo.base_url"),
        ("[zalo]\nwebhook_path = 'zalo'\n", "zalo.webhook_path"),
        ("[zalo]\nenabled = true\n", "zalo.enabled"),
        ("[zalo]\ntoken = 't'\nmode = 'webhook'\n", "zalo.webhook_url"),
        (
            f"{ZALO_WEBHOOK}webhook_secret = 'short-secret'\n",
            "zalo.webhook_secret",
        ),
        (
            f"{ZALO_WEBHOOK}webhook_secret = '{'s' * 257}'\n",
            "zalo.webhook_secret",
        ),
    ],
)
def test_a_wrong_value_is_named_by_its_key(tmp_path: Path, text: str, key: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load(_write(tmp_path, text), env={})
    assert str(caught.value).startswith(key)


def test_a_missing_or_broken_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="không tìm thấy"):
        load(tmp_path / "nope.toml", env={})
    with pytest.raises(ConfigError, match="TOML"):
        load(_write(tmp_path, "[database\n"), env={})


def test_environment_overrides_the_file(tmp_path: Path) -> None:
    path = _write(tmp_path, "[database]\nurl = 'sqlite+aiosqlite:///a.db'\n[telegram]\ntoken = ''\n")
    env = {
        "MOTCUA_DATABASE_URL": "postgresql+asyncpg://u@h/db",
        "MOTCUA_TELEGRAM_TOKEN": "123:abc",
        "MOTCUA_TELEGRAM_WEBHOOK_SECRET": "s" * 16,
    }
    config = load(path, env=env)
    assert config.database.url == "postgresql+asyncpg://u@h/db"
    assert config.telegram.token == "123:abc"
    assert config.telegram.enabled
    assert config.telegram.webhook_secret == "s" * 16


def test_zalo_secrets_come_from_the_environment_too(tmp_path: Path) -> None:
    path = _write(tmp_path, "[zalo]\nmode = 'webhook'\nwebhook_url = 'https://bot.example/zalo/webhook'\n")
    assert not load(path, env={}).zalo.enabled
    with pytest.raises(ConfigError, match=r"^zalo\.webhook_secret"):
        load(path, env={"MOTCUA_ZALO_TOKEN": "1459232241454765289:abc"})
    env = {"MOTCUA_ZALO_TOKEN": "1459232241454765289:abc", "MOTCUA_ZALO_WEBHOOK_SECRET": "z" * 16}
    config = load(path, env=env)
    assert config.zalo.enabled and config.zalo.token == env["MOTCUA_ZALO_TOKEN"]
    assert config.zalo.webhook_secret == "z" * 16
    assert config.zalo.webhook_path == "/zalo/webhook"


def test_an_empty_environment_variable_does_not_override(tmp_path: Path) -> None:
    path = _write(tmp_path, "[database]\nurl = 'sqlite+aiosqlite:///a.db'\n")
    assert load(path, env={"MOTCUA_DATABASE_URL": ""}).database.url == "sqlite+aiosqlite:///a.db"


def test_values_from_the_environment_are_validated_too(tmp_path: Path) -> None:
    path = _write(tmp_path, "[telegram]\nmode = 'webhook'\n")
    assert not load(path, env={}).telegram.enabled
    with pytest.raises(ConfigError, match=r"^telegram\.webhook_url"):
        load(path, env={"MOTCUA_TELEGRAM_TOKEN": "123:abc"})


def test_the_reload_interval_takes_fractions_of_a_second(tmp_path: Path) -> None:
    assert load(_write(tmp_path, "[search]\nreload_seconds = 0.25\n"), env={}).search.reload_seconds == 0.25
    assert Config().search.reload_seconds == 30.0
