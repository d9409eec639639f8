"""Outbox test helpers: a fake clock, a worker on it, subscriptions to watch."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from bot.app import build_outbox
from bot.config import OutboxConfig
from bot.messages import Platform
from bot.outbox import OutboxStore, Sender
from bot.outbox.ratelimit import RateLimiter
from bot.outbox.worker import OutboxWorker
from bot.storage import Dossier, DossierSubscription, SessionFactory


class FakeClock:
    """Wall time (UTC) and a monotonic clock that move only when told; ``sleep`` moves both."""

    def __init__(self, start: datetime) -> None:
        self.now = start
        self.mono = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> datetime:
        return self.now

    def monotonic(self) -> float:
        """The monotonic reading."""
        return self.mono

    def advance(self, seconds: float) -> None:
        """Move both clocks forward."""
        self.now += timedelta(seconds=seconds)
        self.mono += seconds

    async def sleep(self, seconds: float) -> None:
        """Record the wait and let the time pass at once."""
        self.slept.append(seconds)
        self.advance(seconds)


OUTBOX = OutboxConfig(lease_seconds=60, max_attempts=4, batch_size=10, idle_poll_seconds=0.05)


def make_worker(
    sessions: SessionFactory,
    senders: dict[Platform, Sender],
    clock: FakeClock,
    config: OutboxConfig = OUTBOX,
    **kwargs: object,
) -> OutboxWorker:
    """A worker on the fake clock: no jitter (backoff is exactly half its ceiling) and no real waiting.

    Its store runs the recipient hooks the composition root registers (subscriptions, people).
    """
    store = OutboxStore(
        sessions,
        lease_seconds=config.lease_seconds,
        max_attempts=config.max_attempts,
        backoff_base=4.0,
        clock=clock,
        jitter=lambda: 0.0,
        on_recipient=build_outbox(sessions).recipient_changed,
    )
    limiter = RateLimiter.from_config(config, clock=clock.monotonic, sleep=clock.sleep)
    return OutboxWorker(
        sessions,
        senders,
        config,
        clock=clock,
        limiter=limiter,
        store=store,
        **kwargs,  # type: ignore[arg-type]
    )


async def add_subscription(
    sessions: SessionFactory, platform: Platform, chat_id: str, code: str = "000.00.24.H57-250722-0001"
) -> None:
    """A dossier and one active subscription of ``chat_id`` to it."""
    now = datetime.now(UTC)
    async with sessions() as session, session.begin():
        if await session.get(Dossier, code) is None:
            session.add(Dossier(code=code, received_at=now, status="received", status_at=now, updated_at=now))
            await session.flush()
        session.add(
            DossierSubscription(
                dossier_code=code, platform=platform.value, chat_id=chat_id, user_id="1", created_at=now
            )
        )


def with_outbox(**changes: object) -> OutboxConfig:
    """The test outbox settings with some changed."""
    return replace(OUTBOX, **changes)  # type: ignore[arg-type]
