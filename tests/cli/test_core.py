"""The composition root: schema check, index from the database, and choices that survive a restart."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.app import build_core
from bot.config import Config, DatabaseConfig
from bot.messages import Button, ChatRef, Incoming, Platform, Reply
from bot.routing import Router
from bot.services import Services
from bot.services.procedures import import_procedures
from bot.storage import create_engine, session_factory
from bot.storage.migrate import SchemaNotCurrent, upgrade_engine
from knowledge.model import Procedure

CHAT = ChatRef(Platform.TELEGRAM, "42")


def _config(tmp_path: Path) -> Config:
    return Config(database=DatabaseConfig(url=f"sqlite+aiosqlite:///{tmp_path / 'motcua.db'}"))


def _tiny_router() -> Router[Services]:
    router: Router[Services] = Router()

    @router.text()
    async def offer(msg: Incoming, svc: Services) -> list[Reply]:
        return [Reply(text="chọn", buttons=(Button("một", "p:one"), Button("hai", "p:two")))]

    @router.payload("p")
    async def chosen(msg: Incoming, svc: Services) -> list[Reply]:
        return [Reply(text=f"đã chọn {msg.payload} trong {svc.procedures.count} thủ tục")]

    return router


def _nothing(msg: Incoming, command: object = None) -> list[Reply]:
    return [Reply(text="?")]


async def _migrate(config: Config, procedures: list[Procedure]) -> None:
    engine = create_engine(config.database.url)
    await upgrade_engine(engine)
    await import_procedures(session_factory(engine), procedures)
    await engine.dispose()


async def test_an_unmigrated_database_is_refused(tmp_path: Path) -> None:
    with pytest.raises(SchemaNotCurrent):
        async with build_core(_config(tmp_path), router=_tiny_router(), fallback=_nothing):
            pass


async def test_a_choice_made_after_a_restart_still_resolves(tmp_path: Path) -> None:
    config = _config(tmp_path)
    await _migrate(config, [Procedure(code="1", name="Đăng ký khai sinh")])
    async with build_core(config, router=_tiny_router(), fallback=_nothing) as core:
        [reply] = await core.dispatcher.dispatch(Incoming(chat=CHAT, user_id="u", text="khai sinh"))
        assert len(reply.buttons) == 2
    async with build_core(config, router=_tiny_router(), fallback=_nothing) as restarted:
        [answer] = await restarted.dispatcher.dispatch(Incoming(chat=CHAT, user_id="u", text="2"))
    assert answer.text == "đã chọn p:two trong 1 thủ tục"


async def test_the_real_handlers_answer_from_the_index_loaded_at_start(tmp_path: Path) -> None:
    config = _config(tmp_path)
    await _migrate(config, [Procedure(code="1.001193", name="Đăng ký khai sinh", field="Hộ tịch")])
    async with build_core(config) as core:
        assert core.services.procedures.count == 1
        assert core.services.config is config
        replies = await core.dispatcher.dispatch(Incoming(chat=CHAT, user_id="u", text="/thutuc 1.001193"))
    assert "Đăng ký khai sinh" in replies[0].text
