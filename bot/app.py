"""The composition root: build the engine, the index, the services and the dispatcher once."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine

import handlers
from bot.config import Config
from bot.messages import Incoming, Reply
from bot.routing import Dispatcher, Router
from bot.services import Services
from bot.services.conversations import ConversationMemory
from bot.services.procedures import ProcedureService, load_index
from bot.storage import SessionFactory, create_engine, session_factory
from bot.storage.migrate import check_schema

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Core:
    """What every channel shares: configuration, services, the dispatcher and the database."""

    config: Config
    services: Services
    dispatcher: Dispatcher[Services]
    engine: AsyncEngine
    sessions: SessionFactory


@asynccontextmanager
async def build_core(
    config: Config,
    *,
    router: Router[Services] | None = None,
    fallback: Callable[[Incoming], list[Reply]] | None = None,
) -> AsyncIterator[Core]:
    """Open the database (which must be at the latest migration), load the index, wire the dispatcher.

    ``router`` and ``fallback`` default to the handlers' own; tests may pass small ones.
    Raises :class:`bot.storage.migrate.SchemaNotCurrent` when ``motcua db upgrade`` is needed.
    """
    router = router or handlers.build_router()
    fallback = fallback or handlers.fallback
    engine = create_engine(config.database.url, echo=config.database.echo)
    try:
        await check_schema(engine)
        sessions = session_factory(engine)
        memory = ConversationMemory(sessions)
        purged = await memory.purge_expired()
        procedures = ProcedureService(await load_index(sessions))
        log.info("knowledge base: %d procedures; %d expired conversations purged", procedures.count, purged)
        services = Services(config=config, procedures=procedures, conversations=memory)
        dispatcher = Dispatcher(router, services, memory, fallback, flows=memory)
        yield Core(config=config, services=services, dispatcher=dispatcher, engine=engine, sessions=sessions)
    finally:
        await engine.dispose()
