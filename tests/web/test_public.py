"""The public pages over HTTP: the card, 404s, search's three outcomes, dossier status, escaping."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import aiohttp
import pytest

from bot import texts
from bot.adapters.web.public.card import CardPages
from bot.adapters.web.public.markup import to_html
from bot.adapters.web.security import CSP
from bot.config import (
    CentreConfig,
    Config,
    DatabaseConfig,
    DirectivesConfig,
    DossierConfig,
    HttpConfig,
    WebPublicConfig,
)
from bot.messages import ChatRef, Incoming, Platform
from bot.services.dossiers.events import DossierEventIn, Status
from bot.services.public_links import plausible_code, start_payload, telegram_link
from bot.texts import web_public as say
from handlers.start import code_from_start_payload
from tests.adapters.test_telegram_runner import free_port
from tests.web.conftest import Site

CODE = "1.001193"
NAME = "Thủ tục đăng ký khai sinh"
BOT = "motcua_thu_bot"
ZALO = "https://zalo.me/0000000000"
RECEIPT = "000.00.01.H12-260101-0001"
LOOKUPS = 2
"""The found and the unknown code use the budget; a malformed code is refused before it counts."""


@pytest.fixture
async def web_config(web_database: str) -> Config:
    """The site with a Telegram bot name, a Zalo link and a small dossier lookup budget."""
    return Config(
        database=DatabaseConfig(url=web_database),
        http=HttpConfig(host="127.0.0.1", port=free_port()),
        directives=DirectivesConfig(bot_username=BOT),
        web_public=WebPublicConfig(zalo_url=ZALO),
        dossiers=DossierConfig(lookups_per_minute=LOOKUPS),
        centre=CentreConfig(name="Bộ phận Một cửa xã Tân Phú", phone="0270 3 888 999", address="12 Lê Lợi"),
        log_level="WARNING",
    )


async def _get(url: str, **kwargs: object) -> tuple[int, str, aiohttp.ClientResponse]:
    async with aiohttp.ClientSession() as http, http.get(url, allow_redirects=False, **kwargs) as response:  # type: ignore[arg-type]
        return response.status, await response.text(), response


async def test_the_card_page_shows_what_the_chat_shows(site: Site) -> None:
    status, body, response = await _get(f"{site.url}/p/{CODE}")
    assert status == 200
    assert response.headers["Content-Security-Policy"] == CSP
    assert f"<title>{NAME} · " in body
    assert f'<link rel="canonical" href="{site.url}/p/{CODE}">' in body
    assert f"<h1>{NAME}</h1>" in body
    assert "<strong>Cần mang</strong>" in body and "Giấy chứng sinh" in body
    # Every section of the card's buttons is on the page, readable without JavaScript.
    for key, title in (("giayto", "Giấy tờ trong trường hợp đặc biệt"), ("cacbuoc", "Các bước")):
        assert f'<details class="card-section" id="{key}">\n<summary>{title}</summary>' in body
    assert "<script" not in body
    assert f'href="https://t.me/{BOT}?start=p_1_001193"' in body and f'href="{ZALO}"' in body
    # Where to go, for a resident who scanned the poster: the office, its address and phone.
    where = body.partition('<section class="where">')[2]
    assert "Bộ phận Một cửa xã Tân Phú, 12 Lê Lợi" in where and "0270 3 888 999" in where
    _, again, response = await _get(f"{site.url}/p/{CODE}")
    assert again == body and response.headers["Content-Encoding"] == "gzip"
    # A client that takes no gzip gets the same page plain.
    _, plain, response = await _get(f"{site.url}/p/{CODE}", headers={"Accept-Encoding": "identity"})
    assert plain == body and "Content-Encoding" not in response.headers


async def test_the_telegram_deep_link_opens_the_card_in_chat(site: Site) -> None:
    link = telegram_link(BOT, CODE)
    payload = link.partition("?start=")[2]
    assert payload == start_payload(CODE) and code_from_start_payload(payload) == CODE
    chat = ChatRef(Platform.TELEGRAM, "4242")
    replies = await site.core.dispatcher.dispatch(
        Incoming(chat=chat, user_id="4242", text=f"/start {payload}")
    )
    assert f"<b>{NAME}</b>" in replies[0].text
    assert any(button.payload == f"s:giayto:{CODE}" for button in replies[0].buttons)


async def test_unknown_or_malformed_codes_get_a_404_page_in_vietnamese(site: Site) -> None:
    malformed = ("/p/%3Cscript%3Ealert(1)%3C%2Fscript%3E", "/p/" + "9" * 300, f"/p/{CODE}%0A")
    for path in ("/p/9.999999", *malformed):
        status, body, response = await _get(site.url + path)
        assert status == 404, path
        assert response.headers["Content-Security-Policy"] == CSP
        assert say.NOT_FOUND_TITLE in body and '<form action="/tra-cuu"' in body
        assert "<script>" not in body


def test_a_code_with_a_trailing_newline_is_not_a_code() -> None:
    assert plausible_code(CODE)
    assert not plausible_code(CODE + "\n") and not plausible_code("") and not plausible_code("1 2")


async def test_search_confident_choices_and_too_long(site: Site) -> None:
    status, _, response = await _get(f"{site.url}/tra-cuu", params={"q": "lam khai sinh cho be"})
    assert status == 303
    assert response.headers["Location"] == f"/p/{CODE}"
    status, body, _ = await _get(f"{site.url}/tra-cuu", params={"q": "giấy phép"})
    assert status == 200
    assert say.SEARCH_CHOICES in body
    links = re.findall(r'<li><a href="(/p/[^"]+)">', body)
    assert len(links) >= 2 and "/p/3.000347" in links
    # Same-named procedures of different levels are told apart by their level.
    assert "Cấp " in body
    status, body, _ = await _get(f"{site.url}/tra-cuu", params={"q": "a" * 5000})
    assert status == 200 and "1.000" in body and "a" * 1001 not in body


async def test_search_none_is_honest_and_escapes_what_was_typed(site: Site) -> None:
    typed = "<script>alert(1)</script> qqxzyk vbnmlp"
    status, body, _ = await _get(f"{site.url}/tra-cuu", params={"q": typed})
    assert status == 200
    assert "Tôi chưa tìm thấy thủ tục nào phù hợp" in body
    assert site.core.config.centre.name in body
    assert "/thutuc" not in body  # a chat command means nothing on a web page
    assert "<script>" not in body and "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    unanswered = await site.core.services.unanswered.rows()
    assert any("qqxzyk" in row.text for row in unanswered)


async def test_dossier_status_found_unknown_and_rate_limited(site: Site) -> None:
    received = datetime(2026, 1, 1, 8, tzinfo=UTC)
    await site.core.services.dossiers.apply(
        [
            DossierEventIn(
                "w1",
                RECEIPT,
                Status.RECEIVED,
                received,
                procedure_code=CODE,
                procedure_name=NAME,
                phone="0912345678",
            )
        ],
        source="test",
    )
    origin = {"Origin": site.url}
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{site.url}/hoso") as response:
            assert response.status == 200 and 'method="post"' in await response.text()
        async with http.post(f"{site.url}/hoso", data={"ma": RECEIPT}, headers=origin) as response:
            body = await response.text()
            assert response.status == 200
            assert RECEIPT in body and NAME in body and texts.dossier_status_word(Status.RECEIVED) in body
            assert "0912345678" not in body and "5678" not in body
            assert "/theodoi " + RECEIPT not in body  # following needs a chat app (see below)
        async with http.post(
            f"{site.url}/hoso", data={"ma": "000.00.01.H12-260101-9999"}, headers=origin
        ) as r:
            assert r.status == 200 and "000.00.01.H12-260101-9999" in await r.text()
        async with http.post(f"{site.url}/hoso", data={"ma": "<script>x</script>"}, headers=origin) as r:
            body = await r.text()
            assert "<script>x" not in body and "&lt;script&gt;x&lt;/script&gt;" in body
        async with http.post(f"{site.url}/hoso", data={"ma": RECEIPT}, headers=origin) as response:
            assert response.status == 429
            assert texts.DOSSIER_RATE_LIMITED in await response.text()
        # Behind the reverse proxy on this machine, each resident's address has a budget of its own.
        resident = {**origin, "X-Forwarded-For": "203.0.113.9"}
        async with http.post(f"{site.url}/hoso", data={"ma": RECEIPT}, headers=resident) as response:
            assert response.status == 200


async def test_a_dossier_lookup_from_another_site_is_refused(site: Site) -> None:
    async with aiohttp.ClientSession() as http:
        for headers in ({"Origin": "https://ke-gian.example"}, {}):
            async with http.post(f"{site.url}/hoso", data={"ma": RECEIPT}, headers=headers) as response:
                assert response.status == 403
                assert response.headers["Content-Security-Policy"] == CSP


def test_a_kept_page_lasts_while_the_index_holds_the_same_record() -> None:
    kept, record, rebuilt = CardPages(size=2), object(), object()
    kept.put(CODE, record, b"page")
    assert kept.get(CODE, record) == b"page"
    # A re-import or an alias change rebuilds the index: the code's record is another object.
    assert kept.get(CODE, rebuilt) is None
    kept.put("a", record, b"a")
    kept.put("b", record, b"b")
    assert kept.get(CODE, record) is None


def test_reply_markup_is_rebuilt_not_trusted() -> None:
    html = to_html(
        '<b>A &lt;script&gt;</b> <a href="javascript:alert(1)">x</a> <i>open\n• one <code>1</code>\n  ◦ sub'
    )
    assert "<strong>A &lt;script&gt;</strong>" in html
    assert "javascript" not in html and "x" in html
    assert "<em>open</em>" in html
    assert '<ul><li>one <code>1</code></li><li class="sub">sub</li></ul>' in html
    assert to_html('<a href="https://x.vn/?a=1&amp;b=2">y</a>') == (
        '<p><a href="https://x.vn/?a=1&amp;b=2" rel="noopener noreferrer">y</a></p>'
    )


async def test_following_a_dossier_stays_in_the_chat_apps(site: Site) -> None:
    """An anonymous web session is a new chat at will: phone digits could be guessed session by session."""
    await site.core.services.dossiers.apply(
        [
            DossierEventIn(
                "w2", RECEIPT, Status.RECEIVED, datetime(2026, 1, 1, 8, tzinfo=UTC), phone="0912345678"
            )
        ],
        source="test",
    )
    for session in ("a", "b"):
        chat = ChatRef(Platform.WEB, session)
        replies = await site.core.dispatcher.dispatch(
            Incoming(chat=chat, user_id=session, text=f"/theodoi {RECEIPT}")
        )
        assert [reply.text for reply in replies] == [texts.FOLLOW_IN_A_CHAT_APP]
        typed = await site.core.dispatcher.dispatch(Incoming(chat=chat, user_id=session, text="5678"))
        assert not any("Đã đăng ký theo dõi" in reply.text for reply in typed)
    assert not await site.core.services.subscriptions.of_chat(ChatRef(Platform.WEB, "a"))
