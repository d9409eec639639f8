"""``motcua run`` at log level DEBUG through a real conversation: no personal data, no message bodies."""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from aiohttp import ClientSession
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from bot import runner
from bot.config import Config, DatabaseConfig
from bot.logs import quiet_libraries
from bot.services.dossiers.events import hash_phone
from bot.storage import create_engine
from tests.adapters import test_dossier_runner
from tests.adapters.test_dossier_runner import CHAT, CODE, TOKEN, config_for, listening
from tests.adapters.test_telegram_runner import serving
from tests.fakes.zalo_api import FakeZalo

# The migrated SQLite database with a few procedures, shared with the runner tests.
database = test_dossier_runner.database

PHONE = "0987654329"
RECEIPT_NOTE = "Hồ sơ của bà Trần Thị Bích Ngọc, thôn Đồng Xoài"
READY_NOTE = "Nhận tại quầy số 7 cùng giấy ủy quyền của ông Lê Văn Tám"
PROCEDURE = "Đăng ký khai sinh cho cháu Lê Minh Khôi"
QUESTION = "cho tôi hỏi thủ tục cấp lại căn cước cho mẹ tôi"


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    """Everything logged, as ``motcua run`` formats it; the root logger is put back afterwards."""
    root = logging.getLogger()
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter(runner.LOG_FORMAT))
    saved = root.level, [(h, h.formatter, list(h.filters)) for h in root.handlers]
    levels = {name: logging.getLogger(name).level for name in logging.root.manager.loggerDict}
    root.addHandler(handler)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(saved[0])
        for existing, formatter, filters in saved[1]:
            existing.setFormatter(formatter)
            existing.filters[:] = filters
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)


async def test_a_debug_run_logs_no_personal_data_and_no_message_bodies(
    zalo: FakeZalo, database: DatabaseConfig, captured: io.StringIO
) -> None:
    config: Config = replace(config_for(zalo, database), log_level="DEBUG")
    runner.configure_logging(config)
    zalo.add_chat(CHAT)
    receipt = {
        "event_id": "evt-1",
        "code": CODE,
        "status": "received",
        "occurred_at": "2026-11-02T08:00:00+07:00",
        "due_at": "2026-11-05T17:00:00+07:00",
        "procedure_name": PROCEDURE,
        "note": RECEIPT_NOTE,
        "phone": PHONE,
    }
    ready = {
        "event_id": "evt-2",
        "code": CODE,
        "status": "ready",
        "occurred_at": "2026-11-04T09:00:00+07:00",
        "note": READY_NOTE,
    }
    url = f"http://127.0.0.1:{config.http.port}{config.dossiers.api_path}"
    headers = {"Authorization": f"Bearer {TOKEN}"}
    async with serving(config), ClientSession() as http:
        await listening(http, config.http.port)
        async with http.post(url, json=receipt, headers=headers) as response:
            assert response.status == 200
        zalo.push_text(CHAT, f"/hoso {CODE}")
        [card] = await zalo.wait_messages(CHAT, 1, within=10)
        assert PROCEDURE in card.text
        zalo.push_text(CHAT, f"/theodoi {CODE}")
        zalo.push_text(CHAT, "4320")  # wrong digits: a failure is counted
        zalo.push_text(CHAT, PHONE[-4:])
        zalo.push_text(CHAT, QUESTION)
        answers = await zalo.wait_messages(CHAT, 5, within=10)
        assert "Đã đăng ký theo dõi" in answers[3].text
        async with http.post(url, json=ready, headers=headers) as response:
            assert response.status == 200
        notice = (await zalo.wait_messages(CHAT, 6, within=10))[5]
        assert READY_NOTE in notice.text
    logged = captured.getvalue()
    assert "DEBUG" in logged and "dossier push API" in logged  # the capture did see the run
    secrets = [PHONE, PHONE[1:], hash_phone("test-hash-key", PHONE), PROCEDURE, RECEIPT_NOTE, READY_NOTE]
    secrets += [QUESTION, card.text[:40], notice.text[:40], answers[3].text[:30], "Trần Thị", "Lê Văn Tám"]
    for secret in secrets:
        assert secret not in logged, secret
    for digits in (PHONE[-4:], "4320"):
        assert not re.search(rf"(?<![0-9]){digits}(?![0-9])", logged), digits


def test_a_library_lowered_to_debug_after_protection_still_logs_nothing_below_its_floor(
    captured: io.StringIO,
) -> None:
    logging.getLogger().setLevel(logging.DEBUG)
    quiet_libraries()
    logging.getLogger("aiosqlite").setLevel(logging.DEBUG)
    logging.getLogger("sqlalchemy.engine.Engine").setLevel(logging.INFO)
    logging.getLogger("aiosqlite").debug("executing %s", READY_NOTE)
    logging.getLogger("sqlalchemy.engine.Engine").info("[generated] (%r,)", PHONE)
    logging.getLogger("aiosqlite").warning("closing failed")
    logged = captured.getvalue()
    assert READY_NOTE not in logged and PHONE not in logged
    assert "closing failed" in logged


async def test_database_errors_never_quote_their_parameters(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}")
    try:
        async with engine.begin() as connection:
            await connection.execute(text("CREATE TABLE t (phone TEXT UNIQUE)"))
            await connection.execute(text("INSERT INTO t VALUES (:p)"), {"p": PHONE})
            with pytest.raises(IntegrityError) as caught:
                await connection.execute(text("INSERT INTO t VALUES (:p)"), {"p": PHONE})
    finally:
        await engine.dispose()
    assert PHONE not in str(caught.value)
