"""``motcua doctor`` against the fake platforms: what it finds, how it says so, and its exit code."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot import cli
from bot.config import DatabaseConfig
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.zalo_api import FakeZalo

TELEGRAM_HOOK = "https://bot.example.gov.vn/telegram/webhook"
ZALO_HOOK = "https://bot.example.gov.vn/zalo/webhook"


def write_config(
    tmp_path: Path,
    database: DatabaseConfig,
    fake: FakeTelegram,
    zalo: FakeZalo,
    *,
    telegram_token: str | None = None,
    mode: str = "webhook",
) -> Path:
    """A configuration with both platforms at the fakes, in webhook mode unless told otherwise."""
    path = tmp_path / "motcua.toml"
    path.write_text(
        f"""
[database]
url = "{database.url}"

[dossiers]
hash_key = "doctor-test-hash-key"

[telegram]
token = "{telegram_token or fake.token}"
base_url = "{fake.base_url}"
base_file_url = "{fake.base_file_url}"
mode = "{mode}"
webhook_url = "{TELEGRAM_HOOK}"
webhook_secret = "doctor-telegram-secret-0123"

[zalo]
token = "{zalo.token}"
base_url = "{zalo.base_url}"
mode = "{mode}"
webhook_url = "{ZALO_HOOK}"
webhook_secret = "doctor-zalo-secret-0123456"
""",
        encoding="utf-8",
    )
    return path


async def doctor(config: Path | str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    """Run ``motcua --config FILE doctor`` in a thread (it runs its own event loop): (exit code, stdout)."""
    code = await asyncio.to_thread(cli.main, ["--config", str(config), "doctor", "--timeout", "3"])
    return code, capsys.readouterr().out


async def test_all_good_exits_0_and_says_so(
    fake: FakeTelegram,
    zalo: FakeZalo,
    database: DatabaseConfig,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    fake.webhook_url, zalo.webhook_url = TELEGRAM_HOOK, ZALO_HOOK
    code, out = await doctor(write_config(tmp_path, database, fake, zalo), capsys)
    assert code == 0, out
    assert "[ổn]    Telegram: token hợp lệ, bot MotcuaTestBot" in out
    assert "[ổn]    Zalo: token hợp lệ, bot Bot Một Cửa" in out
    assert "Telegram: webhook trỏ đúng tới bot.example.gov.vn" in out
    assert "Lược đồ cơ sở dữ liệu: mới nhất" in out
    assert out.rstrip().endswith("Kết luận: mọi thứ đều ổn.")
    assert "[lỗi]" not in out
    for secret in (fake.token, zalo.token, "doctor-telegram-secret", "doctor-test-hash-key"):
        assert secret not in out
    assert [c.method for c in fake.calls] == ["getMe", "getWebhookInfo"]


async def test_a_refused_token_exits_1_with_a_clear_line_and_never_the_token(
    fake: FakeTelegram,
    zalo: FakeZalo,
    database: DatabaseConfig,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    fake.webhook_url, zalo.webhook_url = TELEGRAM_HOOK, ZALO_HOOK
    wrong = "654321:WRONG-secret-token"
    code, out = await doctor(write_config(tmp_path, database, fake, zalo, telegram_token=wrong), capsys)
    assert code == 1
    assert "[lỗi]   Telegram: token bị từ chối (401 Unauthorized)" in out
    assert "Cách sửa: kiểm tra [telegram] token hoặc MOTCUA_TELEGRAM_TOKEN" in out
    assert "Kết luận: có 1 lỗi cần sửa" in out
    assert "WRONG-secret-token" not in out and "654321" not in out
    # The other channel is still checked.
    assert "[ổn]    Zalo: token hợp lệ" in out


async def test_webhooks_missing_or_pointing_elsewhere_are_problems(
    fake: FakeTelegram,
    zalo: FakeZalo,
    database: DatabaseConfig,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    fake.webhook_url = "https://old-server.example.org/telegram/webhook"
    code, out = await doctor(write_config(tmp_path, database, fake, zalo), capsys)
    assert code == 1
    assert "Telegram: webhook đang trỏ tới old-server.example.org" in out
    assert 'Zalo: webhook chưa được đặt (mode = "webhook")' in out
    assert "Kết luận: có 2 lỗi cần sửa" in out


async def test_polling_with_a_webhook_set_is_a_note_on_telegram_and_a_problem_on_zalo(
    fake: FakeTelegram,
    zalo: FakeZalo,
    database: DatabaseConfig,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    fake.webhook_url, zalo.webhook_url = TELEGRAM_HOOK, ZALO_HOOK
    code, out = await doctor(write_config(tmp_path, database, fake, zalo, mode="polling"), capsys)
    assert code == 1
    # Telegram's polling deletes the webhook at start; Zalo's refuses to start rather than cut it off.
    assert '[lưu ý] Telegram: mode = "polling" nhưng đang có webhook trỏ tới bot.example.gov.vn' in out
    assert '[lỗi]   Zalo: mode = "polling" nhưng đang có webhook trỏ tới bot.example.gov.vn' in out
    assert "Kết luận: có 1 lỗi cần sửa" in out
    # Nothing was changed: the doctor only looks.
    assert fake.webhook_url == TELEGRAM_HOOK and zalo.webhook_url == ZALO_HOOK


async def test_a_missing_database_is_reported_not_created(
    fake: FakeTelegram, zalo: FakeZalo, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fake.webhook_url, zalo.webhook_url = TELEGRAM_HOOK, ZALO_HOOK
    missing = tmp_path / "nowhere" / "motcua.db"
    config = write_config(tmp_path, DatabaseConfig(url=f"sqlite+aiosqlite:///{missing}"), fake, zalo)
    code, out = await doctor(config, capsys)
    assert code == 1
    assert f"Cơ sở dữ liệu: chưa có tệp {missing}" in out
    assert f"chạy: motcua --config {config} db upgrade" in out
    assert not missing.exists() and not missing.parent.exists()


async def test_a_configuration_error_is_a_finding_too(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bad.toml"
    path.write_text('[http]\nport = "eighty"\n', encoding="utf-8")
    code, out = await doctor(path, capsys)
    assert code == 1
    assert "[lỗi]   Cấu hình: http.port: cần một số nguyên" in out
    assert "Kết luận: có 1 lỗi cần sửa" in out
