"""Aliases: audited, unknown codes refused, searched as keywords, kept across re-imports (also PostgreSQL)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace

import pytest

from bot.services.aliases import (
    AliasNotFoundError,
    AliasService,
    BadPhraseError,
    UnknownProcedureError,
)
from bot.services.people import Actor, PeopleService, PermissionDeniedError, Role
from bot.services.procedures import (
    ProcedureService,
    import_procedures,
    knowledge_fingerprint,
    load_index,
)
from bot.services.unanswered import UnansweredService
from bot.storage import SessionFactory, session_factory
from bot.storage.migrate import upgrade_engine
from knowledge.demo import DEMO_DIR
from knowledge.importers import load_paths
from knowledge.model import Procedure
from tests.storage.conftest import fresh_postgres_database

CLI = Actor.system("cli")
UNICORN = "thuần hóa kỳ lân"
"""Nonsense: nothing in the demo knowledge base answers it."""
DEATH = "1.000656"
"""Registering a death (đăng ký khai tử) in the demo knowledge base."""


@pytest.fixture(scope="module")
def demo() -> list[Procedure]:
    """The demo knowledge base."""
    return list(load_paths([DEMO_DIR]).procedures.values())


@pytest.fixture(params=["sqlite", "postgresql"])
async def kb(
    request: pytest.FixtureRequest, sessions: SessionFactory, demo: list[Procedure]
) -> AsyncIterator[SessionFactory]:
    """A migrated database holding the demo knowledge base, on SQLite or PostgreSQL."""
    if request.param == "sqlite":
        await import_procedures(sessions, demo)
        yield sessions
        return
    async with fresh_postgres_database(request.getfixturevalue("postgres_url"), prefix="aliases") as engine:
        await upgrade_engine(engine)
        pg = session_factory(engine)
        await import_procedures(pg, demo)
        yield pg


async def test_add_list_remove_each_audited(kb: SessionFactory) -> None:
    service = AliasService(kb)
    alias, created = await service.add(CLI, f" {DEATH} ", "  thuần\nhóa   kỳ lân ")
    assert created and (alias.code, alias.phrase, alias.created_by) == (DEATH, UNICORN, "cli")
    # The same phrase without accents is the same alias: nothing changes, nothing is audited.
    again, created = await service.add(CLI, DEATH, "THUAN HOA KY LAN")
    assert not created and again.id == alias.id
    other, _ = await service.add(CLI, "1.001193", "giấy chào đời")
    assert [a.id for a in await service.aliases()] == [alias.id, other.id]
    assert [a.phrase for a in await service.aliases(DEATH)] == [UNICORN]

    removed = await service.remove(CLI, alias.id)
    assert removed.phrase == UNICORN
    assert [a.id for a in await service.aliases()] == [other.id]
    with pytest.raises(AliasNotFoundError):
        await service.remove(CLI, alias.id)

    log = await PeopleService(kb).audit_log(CLI, action="alias.")
    assert [(line.action, line.object_id, line.who) for line in log] == [
        ("alias.remove", str(alias.id), "cli"),
        ("alias.add", str(other.id), "cli"),
        ("alias.add", str(alias.id), "cli"),
    ]
    assert log[0].details == {"code": DEATH, "phrase": UNICORN}


async def test_unknown_codes_bad_phrases_and_non_admins_are_refused(kb: SessionFactory) -> None:
    service = AliasService(kb)
    with pytest.raises(UnknownProcedureError) as caught:
        await service.add(CLI, "9.999999", UNICORN)
    assert caught.value.code == "9.999999"
    with pytest.raises(UnknownProcedureError):
        await service.aliases("9.999999")
    for phrase in ("", "  ?! ", "a" * 301):
        with pytest.raises(BadPhraseError):
            await service.add(CLI, DEATH, phrase)
    with pytest.raises(PermissionDeniedError):
        await service.add(Actor(None, Role.STAFF, "telegram:1"), DEATH, UNICORN)
    assert await service.aliases() == []
    assert await PeopleService(kb).audit_log(CLI, action="alias.") == []


async def test_aliases_are_searched_and_survive_a_re_import(
    kb: SessionFactory, demo: list[Procedure]
) -> None:
    assert (await load_index(kb)).search(UNICORN, 5).answer == "none"
    await AliasService(kb).add(CLI, DEATH, UNICORN)
    found = (await load_index(kb)).search(UNICORN, 5)
    # The ranking's promise: a question equal to a keyword (after folding) is answered confidently.
    assert (found.answer, [h.code for h in found.hits]) == ("confident", [DEATH])

    changed = [replace(p, name=p.name + " (sửa đổi)") if p.code == DEATH else p for p in demo]
    summary = await import_procedures(kb, changed)
    assert summary.updated == 1
    assert [a.phrase for a in await AliasService(kb).aliases(DEATH)] == [UNICORN]
    index = await load_index(kb)
    procedure = index.get(DEATH)
    assert procedure is not None and procedure.name.endswith("(sửa đổi)")
    assert UNICORN in procedure.keywords
    assert index.search(UNICORN, 5).hits[0].code == DEATH


async def test_the_fingerprint_follows_imports_and_aliases_and_refresh_swaps_the_index(
    kb: SessionFactory, demo: list[Procedure]
) -> None:
    service = await ProcedureService.load(kb)
    assert not await service.refresh(kb)
    before = await knowledge_fingerprint(kb)
    assert before.procedures == len(demo) and before.aliases == 0

    aliases = AliasService(kb)
    alias, _ = await aliases.add(CLI, DEATH, UNICORN)
    assert (await knowledge_fingerprint(kb)) != before
    assert UNICORN not in _keywords(service, DEATH)
    assert await service.refresh(kb)
    assert UNICORN in _keywords(service, DEATH)
    assert not await service.refresh(kb)

    # Removing one alias and adding another keeps the count but still changes the fingerprint.
    counted = await knowledge_fingerprint(kb)
    await aliases.remove(CLI, alias.id)
    await aliases.add(CLI, DEATH, "giấy báo tử của mèo")
    assert (await knowledge_fingerprint(kb)) != counted
    assert await service.refresh(kb)
    assert UNICORN not in _keywords(service, DEATH)
    assert "giấy báo tử của mèo" in _keywords(service, DEATH)

    # A re-import that changes nothing leaves it alone; a new procedure is picked up.
    await import_procedures(kb, demo)
    assert not await service.refresh(kb)
    await import_procedures(kb, [Procedure(code="9.000001", name="Đăng ký nuôi rồng", field="Thú cưng")])
    assert await service.refresh(kb)
    assert service.count == len(demo) + 1
    assert service.get("9.000001") is not None


def _keywords(service: ProcedureService, code: str) -> tuple[str, ...]:
    procedure = service.get(code)
    assert procedure is not None
    return procedure.keywords


async def test_a_question_made_an_alias_leaves_the_unanswered_list_until_the_alias_goes(
    kb: SessionFactory,
) -> None:
    unanswered = UnansweredService(kb)
    await unanswered.record("Thuần  hóa KỲ LÂN", "none")
    await unanswered.record("nuôi rồng", "none")
    both = {"thuan hoa ky lan", "nuoi rong"}
    assert {r.text for r in await unanswered.rows()} == both
    alias, _ = await AliasService(kb).add(CLI, DEATH, UNICORN)
    assert [r.text for r in await unanswered.rows()] == ["nuoi rong"]
    await AliasService(kb).remove(CLI, alias.id)
    assert {r.text for r in await unanswered.rows()} == both
