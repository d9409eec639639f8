"""The core every command and channel shares: the database, the outbox, the services and the dispatcher."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import time
from functools import partial

from sqlalchemy.ext.asyncio import AsyncEngine

import handlers
from bot.config import Config, clock_time
from bot.outbox import Outbox
from bot.routing import Dispatcher, Fallback, Router
from bot.services import Services, people
from bot.services.console import build_console
from bot.services.conversations import ConversationMemory
from bot.services.directives import DirectiveService
from bot.services.dossiers import subscriptions
from bot.services.dossiers.service import DossierService
from bot.services.dossiers.subscriptions import SubscriptionService
from bot.services.feedback import FeedbackService
from bot.services.guide import ConsentService
from bot.services.people import PeopleService
from bot.services.procedures import ProcedureService
from bot.services.report.questions import QuestionLog
from bot.services.unanswered import UnansweredService
from bot.storage import SessionFactory, create_engine, session_factory
from bot.storage.migrate import check_schema
from bot.storage.sqlite_direct import SqliteDirect
from bot.workdays import WorkingDays
from handlers.directive_render import directive_renderer, escalation_renderer, reminder_renderer
from handlers.dossier_notices import notice_renderer
from handlers.feedback_render import feedback_renderers
from jobs.schedules import next_fire

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Core:
    """What every channel shares: configuration, services, the dispatcher and the database."""

    config: Config
    services: Services
    dispatcher: Dispatcher[Services]
    engine: AsyncEngine
    sessions: SessionFactory
    outbox: Outbox


def build_outbox(sessions: SessionFactory) -> Outbox:
    """The outbox, with the recipient hooks of the features that keep chats: subscriptions and people."""
    outbox = Outbox(sessions)
    outbox.on_recipient_change(subscriptions.recipient_changed)
    outbox.on_recipient_change(people.recipient_changed)
    return outbox


def build_dossiers(config: Config, sessions: SessionFactory) -> tuple[DossierService, SubscriptionService]:
    """The dossier service (speaking through the handlers' notice renderer) and the subscriptions on it."""
    dossiers = DossierService(
        sessions,
        hash_key=config.dossiers.hash_key,
        render_notice=notice_renderer(config.centre, config.timezone),
    )
    return dossiers, SubscriptionService(sessions, dossiers, config.dossiers)


def build_directives(config: Config, sessions: SessionFactory) -> tuple[PeopleService, DirectiveService]:
    """The people service and the directive service (speaking through the handlers' renderer)."""
    settings = config.directives
    directives = DirectiveService(
        sessions,
        render=directive_renderer(config.timezone),
        timezone=config.timezone,
        quiet_start=clock_time(settings.quiet_start) or time(21, 0),
        quiet_end=clock_time(settings.quiet_end) or time(6, 30),
        next_fire=next_fire,
        reminder_minutes=settings.reminder_minutes,
        escalate_after=settings.escalate_after,
        render_reminder=reminder_renderer(config.timezone),
        render_escalation=escalation_renderer,
        ack_deadline_hours=settings.ack_deadline_hours,
    )
    return PeopleService(sessions), directives


def build_feedback(
    config: Config, sessions: SessionFactory, procedures: ProcedureService | None
) -> FeedbackService:
    """The feedback service: deadlines in Vietnamese working days, messages in the handlers' words.

    Without ``procedures`` (the command line, which files nothing) routing knows procedures by code only.
    """
    return FeedbackService(
        sessions,
        config.feedback,
        deadline=WorkingDays(config.timezone),
        render=feedback_renderers(config.timezone),
        procedure_of=procedures.get if procedures is not None else lambda code: None,
    )


@asynccontextmanager
async def build_core(
    config: Config,
    *,
    router: Router[Services] | None = None,
    fallback: Fallback | None = None,
) -> AsyncIterator[Core]:
    """Open the database (which must be at the latest migration), load the index, wire the dispatcher.

    ``router`` and ``fallback`` default to the handlers' own; tests may pass small ones.
    Raises :class:`bot.storage.migrate.SchemaNotCurrent` when ``motcua db upgrade`` is needed.
    """
    router = router or handlers.build_router(flows=True)
    fallback = fallback or handlers.fallback
    engine = create_engine(config.database.url, echo=config.database.echo)
    direct = SqliteDirect.for_url(config.database.url)
    try:
        await check_schema(engine)
        sessions = session_factory(engine)
        memory = ConversationMemory(sessions, direct=direct)
        purged = await memory.purge_expired()
        procedures = await ProcedureService.load(sessions)
        log.info("knowledge base: %d procedures; %d expired conversations purged", procedures.count, purged)
        if not config.dossiers.hash_key:
            # Fine for development; in production phone hashes made without a key are easy to reverse.
            log.warning("dossiers.hash_key is empty: set it (or MOTCUA_DOSSIER_HASH_KEY) before real data")
        dossiers, subscriptions = build_dossiers(config, sessions)
        people, directives = build_directives(config, sessions)
        unanswered = UnansweredService(sessions)
        services = Services(
            config=config,
            procedures=procedures,
            conversations=memory,
            dossiers=dossiers,
            subscriptions=subscriptions,
            people=people,
            directives=directives,
            unanswered=unanswered,
            guide=ConsentService(sessions, config.guide),
            feedback=build_feedback(config, sessions, procedures),
            questions=QuestionLog(sessions, rating_share=config.report.answer_rating_share),
            console=build_console(sessions, people, config.timezone),
        )
        dispatcher = Dispatcher(
            router,
            services,
            memory,
            fallback,
            flows=memory,
            unpicked=partial(unanswered.record, kind="choices"),
        )
        yield Core(
            config=config,
            services=services,
            dispatcher=dispatcher,
            engine=engine,
            sessions=sessions,
            outbox=build_outbox(sessions),
        )
    finally:
        if direct is not None:
            await direct.aclose()
        await engine.dispose()
