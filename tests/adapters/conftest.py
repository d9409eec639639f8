"""Adapter test fixtures: fake Bot APIs (Telegram, Zalo), a small real router, running channels."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace

import pytest

from bot.adapters.telegram.channel import TelegramChannel
from bot.adapters.zalo.channel import ZaloChannel
from bot.config import TelegramConfig, ZaloConfig
from bot.markup import esc
from bot.messages import Button, Incoming, Reply
from bot.routing import Command, Dispatcher, Router
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.zalo_api import FakeZalo

LONG_PARAGRAPH = "Giấy tờ cần nộp: bản sao giấy khai sinh, sổ hộ khẩu & ảnh 4x6. " * 12
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
LONG_TEXT = "\n\n".join(f"<b>Mục {i}</b>\n{esc(LONG_PARAGRAPH)}" for i in range(1, 16))


class MemoryChoices:
    """ChoiceMemory kept in a dict, as a test double for the database-backed one."""

    def __init__(self) -> None:
        self.shown: dict[str, list[str]] = {}

    async def remember(self, chat_key: str, payloads: list[str]) -> None:
        """Store the payloads shown."""
        self.shown[chat_key] = payloads

    async def recall(self, chat_key: str) -> list[str]:
        """Return the payloads last shown."""
        return self.shown.get(chat_key, [])


class Services:
    """What the test handlers may use: a list of what they were asked."""

    def __init__(self) -> None:
        self.asked: list[Incoming] = []


router: Router[Services] = Router()


@router.command("start")
async def start(msg: Incoming, svc: Services, command: Command) -> list[Reply]:
    """Greet."""
    svc.asked.append(msg)
    return [Reply("Xin chào! Hãy hỏi về một thủ tục.")]


@router.command("dai")
async def long_answer(msg: Incoming, svc: Services, command: Command) -> list[Reply]:
    """A card far longer than one Telegram message."""
    svc.asked.append(msg)
    return [Reply(LONG_TEXT, buttons=(Button("Nộp trực tuyến", "p:1.000110"),))]


@router.command("hong")
async def broken_markup(msg: Incoming, svc: Services, command: Command) -> list[Reply]:
    """A reply whose markup Telegram cannot parse (a bug the channel must survive)."""
    svc.asked.append(msg)
    return [Reply("<b>Thủ tục chưa đóng thẻ")]


@router.command("anh")
async def picture(msg: Incoming, svc: Services, command: Command) -> list[Reply]:
    """A QR image with a short caption and a button, then one with a text too long for a caption."""
    svc.asked.append(msg)
    return [
        Reply("<b>Mã QR</b> nộp hồ sơ", buttons=(Button("Mở", "p:1.000110"),), image=PNG),
        Reply(LONG_TEXT[:1500], image=PNG),
    ]


@router.command("loi")
async def failing(msg: Incoming, svc: Services, command: Command) -> list[Reply]:
    """A handler with a bug; its message quotes what the user wrote."""
    raise ValueError(f"bug while reading {msg.text!r}")


@router.payload("p")
async def card(msg: Incoming, svc: Services) -> list[Reply]:
    """The card of a procedure."""
    svc.asked.append(msg)
    return [Reply(f"<b>Thẻ thủ tục</b> {esc(msg.payload or '')}")]


@router.text()
async def search(msg: Incoming, svc: Services) -> list[Reply]:
    """Echo the question with two choices."""
    svc.asked.append(msg)
    choices = (Button("Cấp lại CCCD", "p:1.000110"), Button("Cấp đổi CCCD", "p:2.000111"))
    return [Reply(f"Bạn hỏi: <b>{esc(msg.text)}</b>", buttons=choices)]


def fallback(msg: Incoming, command: Command | None = None) -> list[Reply]:
    """Anything no handler serves."""
    return [Reply("Xin lỗi, tôi chưa hiểu.")]


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    """The fake Bot API, listening on a loopback port."""
    async with FakeTelegram() as tg:
        yield tg


@pytest.fixture
def services() -> Services:
    """Fresh services for each test."""
    return Services()


@pytest.fixture
def answer(services: Services) -> Callable[[Incoming], Awaitable[list[Reply]]]:
    """A real Dispatcher over the test router."""
    return Dispatcher(router, services, MemoryChoices(), fallback).dispatch


def telegram_config(fake: FakeTelegram, **overrides: object) -> TelegramConfig:
    """Settings pointing the real PTB Application at the fake."""
    config = TelegramConfig(
        token=fake.token, base_url=fake.base_url, base_file_url=fake.base_file_url, rate_limiter_retries=3
    )
    return replace(config, **overrides)  # type: ignore[arg-type]


def make_channel(
    fake: FakeTelegram, answer: Callable[[Incoming], Awaitable[list[Reply]]], **overrides: object
) -> TelegramChannel:
    """A channel with test-sized timings."""
    return TelegramChannel(telegram_config(fake, **overrides), answer, poll_timeout=5, retry_delay=0.05)


@pytest.fixture
async def channel(
    fake: FakeTelegram, answer: Callable[[Incoming], Awaitable[list[Reply]]]
) -> AsyncIterator[TelegramChannel]:
    """A polling channel, started and stopped around the test."""
    tg = make_channel(fake, answer)
    await tg.start()
    try:
        yield tg
    finally:
        await tg.stop()


@pytest.fixture
async def zalo() -> AsyncIterator[FakeZalo]:
    """The fake Zalo Bot API, listening on a loopback port."""
    async with FakeZalo() as fake_zalo:
        yield fake_zalo


def zalo_config(fake: FakeZalo, **overrides: object) -> ZaloConfig:
    """Settings pointing the Zalo channel at the fake, with a short long-poll."""
    return replace(ZaloConfig(token=fake.token, base_url=fake.base_url, poll_timeout=2), **overrides)  # type: ignore[arg-type]


def make_zalo_channel(
    fake: FakeZalo, answer: Callable[[Incoming], Awaitable[list[Reply]]], **overrides: object
) -> ZaloChannel:
    """A Zalo channel with test-sized timings."""
    return ZaloChannel(zalo_config(fake, **overrides), answer, retry_delay=0.02, max_backoff=0.2)


@pytest.fixture
async def zalo_channel(
    zalo: FakeZalo, answer: Callable[[Incoming], Awaitable[list[Reply]]]
) -> AsyncIterator[ZaloChannel]:
    """A polling Zalo channel, started and stopped around the test."""
    channel = make_zalo_channel(zalo, answer)
    await channel.start()
    try:
        yield channel
    finally:
        await channel.stop()
