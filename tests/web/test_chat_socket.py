"""The web chat over a plain WebSocket (aiohttp client) against the real bot serving its web."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import aiohttp
import pytest

from bot.adapters.web.chat.render import markup_tree
from bot.adapters.web.chat.sessions import COOKIE, chat_id
from bot.adapters.web.security import CSP
from bot.config import Config
from bot.messages import Button, ChatRef, Platform, Reply
from bot.outbox import SENT, deliveries, enqueue
from bot.texts import web_chat as say
from tests.web.conftest import Site

Frame = dict[str, Any]
TIMEOUT = 10.0


@pytest.fixture
def web_config(web_config: Config) -> Config:
    """Small limits, so the rate-limit test reaches them in a few messages."""
    return replace(
        web_config,
        web_chat=replace(web_config.web_chat, per_session_per_minute=8, per_address_per_minute=12),
    )


class Visitor:
    """One browser: its own cookie jar and socket."""

    def __init__(self, http: aiohttp.ClientSession, socket: aiohttp.ClientWebSocketResponse) -> None:
        self.http = http
        self.socket = socket

    async def ask(self, frame: Frame | str) -> list[Frame]:
        """Send a frame (a str: sent raw) and collect what comes back until ``done``."""
        await self.socket.send_str(frame if isinstance(frame, str) else json.dumps(frame))
        return await self.until_done()

    async def until_done(self) -> list[Frame]:
        frames: list[Frame] = []
        while True:
            frame = await self.socket.receive_json(timeout=TIMEOUT)
            if frame["type"] == "done":
                return frames
            frames.append(frame)

    @property
    def chat_id(self) -> str:
        [cookie] = [c for c in self.http.cookie_jar if c.key == COOKIE]
        return chat_id(cookie.value)


@pytest.fixture
async def visit(site: Site) -> AsyncIterator[Any]:
    """Open visitors (each a new browser) against the site; all closed after the test."""
    opened: list[aiohttp.ClientSession] = []

    async def open_visitor(http: aiohttp.ClientSession | None = None) -> Visitor:
        if http is None:
            http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
            opened.append(http)
            async with http.get(f"{site.url}/chat") as page:
                assert page.status == 200
        return Visitor(http, await http.ws_connect(f"{site.url}/chat/ws"))

    yield open_visitor
    for http in opened:
        await http.close()


def text_of(nodes: list[Any]) -> str:
    """The visible text of a reply tree."""
    return "".join(n if isinstance(n, str) else text_of(n["c"]) for n in nodes)


def tags_of(nodes: list[Any]) -> set[str]:
    return {t for n in nodes if isinstance(n, dict) for t in {n["t"], *tags_of(n["c"])}}


async def test_a_conversation_keeps_its_state_and_two_sessions_never_see_each_other(visit: Any) -> None:
    anna, binh = await visit(), await visit()
    assert anna.chat_id != binh.chat_id
    [choices] = await anna.ask({"type": "text", "text": "đăng ký kết hôn"})
    labels = [b["label"] for b in choices["buttons"]]
    assert sorted(labels) == ["Đăng ký kết hôn (Cấp xã)", "Đăng ký lại kết hôn (Cấp xã)"]
    again = str(labels.index("Đăng ký lại kết hôn (Cấp xã)") + 1)
    [card] = await binh.ask({"type": "text", "text": "lam khai sinh cho be"})
    assert "1.001193" in text_of(card["text"])
    # A typed number picks from this session's own list (state kept across messages) ...
    [picked] = await anna.ask({"type": "text", "text": again})
    assert "1.004746" in text_of(picked["text"])
    # ... and a pressed button sends its payload.
    first = next(b for b in choices["buttons"] if b["label"] == "Đăng ký kết hôn (Cấp xã)")
    [pressed] = await anna.ask({"type": "button", "payload": first["payload"]})
    assert "1.000894" in text_of(pressed["text"])
    [section] = await binh.ask({"type": "button", "payload": card["buttons"][1]["payload"]})
    assert section["type"] == "reply" and text_of(section["text"]) != text_of(card["text"])
    # Nothing of Anna's reached Binh's socket: his next frame is the answer to his own question.
    [own] = await binh.ask({"type": "text", "text": "đăng ký kết hôn"})
    assert own["type"] == "reply" and [b["label"] for b in own["buttons"]] == labels


async def test_rate_limits_per_session_then_per_address(visit: Any) -> None:
    first = await visit()
    for _ in range(8):
        assert (await first.ask({"type": "text", "text": "xin chào"}))[0]["type"] == "reply"
    assert await first.ask({"type": "text", "text": "xin chào"}) == [
        {"type": "error", "text": say.TOO_FAST_SESSION}
    ]
    second = await visit()
    for _ in range(4):
        assert (await second.ask({"type": "text", "text": "xin chào"}))[0]["type"] == "reply"
    assert await second.ask({"type": "text", "text": "xin chào"}) == [
        {"type": "error", "text": say.TOO_FAST_ADDRESS}
    ]


async def test_bad_frames_get_an_error_frame_and_nothing_else_breaks(site: Site, visit: Any) -> None:
    visitor = await visit()
    bad = [say.BAD_FRAME]
    for raw in ("không phải json", "[1, 2]", '{"type": "gì đó"}', '{"type": "text", "text": 5}'):
        assert [f["text"] for f in await visitor.ask(raw)] == bad
    await visitor.socket.send_bytes(b"\x00\x01")
    assert [f["text"] for f in await visitor.until_done()] == bad
    long = {"type": "text", "text": "a" * 1001}
    assert [f["text"] for f in await visitor.ask(long)] == [say.TOO_LONG.format(limit=1000)]
    forged = {"type": "button", "payload": "p:1.000894"}
    assert [f["text"] for f in await visitor.ask(forged)] == [say.EXPIRED_CHOICE]
    [answer] = await visitor.ask({"type": "text", "text": "lam khai sinh cho be"})
    assert answer["type"] == "reply"
    # A frame beyond the hard cap closes only that socket; the session and the server go on.
    await visitor.socket.send_str("x" * 70_000)
    closing = await visitor.socket.receive(timeout=TIMEOUT)
    assert closing.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.CLOSING)
    again = await visit(visitor.http)
    [answer] = await again.ask({"type": "text", "text": "lam khai sinh cho be"})
    assert answer["type"] == "reply"
    # A browser on another site cannot open a socket with the visitor's cookie.
    async with aiohttp.ClientSession() as http:
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await http.ws_connect(f"{site.url}/chat/ws", headers={"Origin": "https://evil.example"})
    assert refused.value.status == 403


async def test_user_text_comes_back_as_text_never_as_markup(visit: Any) -> None:
    visitor = await visit()
    typed = "<script>alert(1)</script> <b>x</b>"
    frames = await visitor.ask({"type": "text", "text": typed})
    assert frames and all(tags_of(f["text"]) <= {"b", "i", "code", "pre", "a"} for f in frames)
    assert any(typed in text_of(f["text"]) for f in frames)
    tree = markup_tree(
        '<b>a &lt;i&gt;</b><a href="javascript:alert(1)">b</a><a href="https://x.vn">c</a><u>d</u>'
    )
    assert tree == [{"t": "b", "c": ["a <i>"]}, "b", {"t": "a", "href": "https://x.vn", "c": ["c"]}, "d"]


async def test_the_outbox_reaches_the_open_socket_or_waits_for_the_next(site: Site, visit: Any) -> None:
    visitor = await visit()
    chat = ChatRef(Platform.WEB, visitor.chat_id)
    notice = Reply("Hồ sơ <b>đã có kết quả</b>", buttons=(Button("Xem", "p:1.001193"),))
    async with site.core.sessions() as session, session.begin():
        await enqueue(session, key="web-1", chat=chat, reply=notice, kind="test")
    frame = await visitor.socket.receive_json(timeout=TIMEOUT)
    assert frame["text"] == ["Hồ sơ ", {"t": "b", "c": ["đã có kết quả"]}]
    assert frame["buttons"] == [{"label": "Xem", "payload": "p:1.001193"}]
    [card] = await visitor.ask({"type": "button", "payload": "p:1.001193"})
    assert "1.001193" in text_of(card["text"])
    await visitor.socket.close()
    async with site.core.sessions() as session, session.begin():
        await enqueue(session, key="web-2", chat=chat, reply=Reply("Lần sau"), kind="test")
    await _until_sent(site, "web-2")
    later = await visit(visitor.http)
    frame = await later.socket.receive_json(timeout=TIMEOUT)
    assert frame["text"] == ["Lần sau"]


async def _until_sent(site: Site, key: str) -> None:
    """Wait (polling the outbox, at most TIMEOUT) until the worker delivered ``key``."""
    for _ in range(int(TIMEOUT / 0.02)):
        async with site.core.sessions() as session:
            found = await deliveries(session, [key])
        if key in found and found[key].status == SENT:
            return
        await asyncio.sleep(0.02)
    pytest.fail(f"outbox message {key} was not sent")


async def test_only_the_embeddable_page_may_be_framed_and_the_cookie_is_private(site: Site) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{site.url}/chat") as page:
            assert page.headers["Content-Security-Policy"] == CSP
            cookie = page.cookies[COOKIE]
            assert cookie["httponly"] and cookie["samesite"] == "Lax" and cookie["path"] == "/chat"
            assert not cookie["secure"]
            assert say.GREETING in await page.text()
        async with http.get(f"{site.url}/chat?kiosk=1") as kiosk:
            assert kiosk.headers["Content-Security-Policy"] == CSP
            assert 'class="chat kiosk"' in await kiosk.text()
        # The kiosk's fresh start: a new session cookie, only for this site's own pages.
        async with http.post(f"{site.url}/chat/session") as fresh:
            assert fresh.status == 204 and fresh.cookies[COOKIE].value != cookie.value
        async with http.post(f"{site.url}/chat/session", headers={"Origin": "https://evil.example"}) as cross:
            assert cross.status == 403
        async with http.get(f"{site.url}/chat?embed=1") as embed:
            policy = embed.headers["Content-Security-Policy"]
            assert "frame-ancestors *" in policy and "'none'" not in policy.split("frame-ancestors")[1]
            assert policy.replace("frame-ancestors *", "frame-ancestors 'none'") == CSP
        async with http.get(f"{site.url}/widget.js") as widget:
            script = await widget.text()
            assert widget.headers["Content-Type"].startswith("text/javascript")
            assert "frame-ancestors *" not in widget.headers["Content-Security-Policy"]
        async with http.get(f"{site.url}/") as home:
            assert home.headers["Content-Security-Policy"] == CSP
    assert "__WIDGET_TEXTS__" not in script and "/chat?embed=1" in script
    assert json.dumps(say.WIDGET_OPEN) in script


async def test_a_deeply_nested_frame_gets_an_error_frame(site: Site, visit: Any) -> None:
    visitor = await visit()
    assert [f["text"] for f in await visitor.ask("[" * 5_000 + "]" * 5_000)] == [say.BAD_FRAME]
    [answer] = await visitor.ask({"type": "text", "text": "lam khai sinh cho be"})
    assert answer["type"] == "reply"


async def test_one_address_may_hold_only_so_many_sockets(site: Site, web_config: Config) -> None:
    cap = web_config.web_chat.sockets_per_address
    # No cookies kept: every socket is a new anonymous session, as a flood would open them.
    async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as http:
        opened = [await http.ws_connect(f"{site.url}/chat/ws") for _ in range(cap)]
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await http.ws_connect(f"{site.url}/chat/ws")
        assert refused.value.status == 429
        await opened.pop().close()
        for _ in range(100):  # the server counts the closed socket out when its handler ends
            try:
                opened.append(await http.ws_connect(f"{site.url}/chat/ws"))
                break
            except aiohttp.WSServerHandshakeError:
                await asyncio.sleep(0.02)
        else:
            pytest.fail("a closed socket's place was never given back")
        for socket in opened:
            await socket.close()


async def test_no_spelling_of_an_invite_links_a_web_session_and_the_invite_stays_unspent(
    site: Site, visit: Any
) -> None:
    from bot import texts
    from bot.services.people import Actor, Role

    people = site.core.services.people
    assert people is not None
    admin = await people.create_person(Actor.system(), "Quản Trị", Role.ADMIN)
    code = (await people.invite(Actor.system(), admin.id)).code
    for typed in (f"/dangky {code}", f"/đăng ký {code}", f"/dangký {code}", f"/start {code}"):
        visitor = await visit()
        [answer] = await visitor.ask({"type": "text", "text": typed})
        assert text_of(answer["text"]) == texts.REGISTER_NOT_HERE, typed
        assert (await people.actor(Platform.WEB, visitor.chat_id)).role is Role.RESIDENT
        [link] = await visitor.ask({"type": "text", "text": "/web"})
        assert "/console/login/" not in text_of(link["text"])
    linked = await people.redeem(code, Platform.TELEGRAM, "77", "77")
    assert linked.person is not None and linked.person.id == admin.id
