"""Same-origin checks read addresses as browsers write them; aiohttp's server errors never log a request."""

from __future__ import annotations

import logging
import sys

import pytest
from aiohttp.http_exceptions import LineTooLong
from aiohttp.test_utils import make_mocked_request

from bot.adapters.web.security import same_origin
from bot.config import Config, HttpConfig
from bot.logs import NoRequestText, quiet_libraries


@pytest.mark.parametrize(
    ("public_url", "host", "origin", "same"),
    [
        ("https://Bot.Example.gov.vn", "motcua", "https://bot.example.gov.vn", True),
        ("https://bot.example.gov.vn:443/", "motcua", "https://bot.example.gov.vn", True),
        ("", "bot.example.gov.vn", "https://bot.example.gov.vn", True),
        ("", "BOT.example.gov.vn:443", "https://bot.example.gov.vn", True),
        ("", "127.0.0.1:8080", "http://127.0.0.1:8080", True),
        ("https://bot.example.gov.vn", "motcua", "https://bot.example.gov.vn.evil.example", False),
        ("", "127.0.0.1:8080", "http://127.0.0.1:9090", False),
        ("", "127.0.0.1:8080", "null", False),
        ("", "127.0.0.1:8080", "", False),
        ("", "127.0.0.1:8080", "http://127.0.0.1:99999", False),
    ],
)
def test_an_origin_is_this_site_however_its_case_and_default_port_are_written(
    public_url: str, host: str, origin: str, same: bool
) -> None:
    config = Config(http=HttpConfig(public_url=public_url))
    headers = {"Host": host, **({"Origin": origin} if origin else {})}
    assert same_origin(make_mocked_request("POST", "/hoso", headers=headers), config) is same


def test_a_request_line_too_long_is_logged_by_its_error_type_only(caplog: pytest.LogCaptureFixture) -> None:
    quiet_libraries()
    server = logging.getLogger("aiohttp.server")
    assert any(isinstance(f, NoRequestText) for f in server.filters)
    try:
        raise LineTooLong(b"GET /tra-cuu?q=so-dien-thoai-0912345678 HTTP/1.1", "8190")
    except LineTooLong:
        with caplog.at_level(logging.ERROR, logger="aiohttp.server"):
            server.error("Error handling request", exc_info=sys.exc_info())
    [record] = [r for r in caplog.records if r.name == "aiohttp.server"]
    assert record.getMessage() == "Error handling request (LineTooLong)"
    assert "0912345678" not in caplog.text
