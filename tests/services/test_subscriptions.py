"""Subscriptions, ratings and the durable throttles, on SQLite and on real PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot.config import DossierConfig
from bot.messages import ChatRef, Platform, Reply
from bot.services.dossiers.events import DossierEventIn, DossierNotice, Status
from bot.services.dossiers.service import DossierService
from bot.services.dossiers.subscriptions import Rating, SubscriptionService, Throttles, Verification, user_key
from bot.storage import DossierRating, DossierSubscription, SessionFactory, Throttle, session_factory
from bot.storage.migrate import upgrade_engine
from tests.storage.conftest import fresh_postgres_database

CODE = "000.00.24.H57-250722-0001"
PHONE = "0912345678"
T0 = datetime(2025, 7, 22, 1, 0, tzinfo=UTC)
SETTINGS = DossierConfig(lookups_per_minute=3, verify_max_failures=3, lockout_minutes=15)
PRIVATE = ChatRef(Platform.ZALO, "a1b2c3")
GROUP = ChatRef(Platform.ZALO, "g9", is_group=True)


class Clock:
    """A settable clock."""

    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


def render(notice: DossierNotice) -> Reply:
    """A neutral renderer: services have no words."""
    return Reply(text=notice.kind.value)


@pytest.fixture(params=["sqlite", "postgresql"])
async def db(request: pytest.FixtureRequest, sessions: SessionFactory) -> AsyncIterator[SessionFactory]:
    """The same tests on a SQLite file and on a fresh PostgreSQL database."""
    if request.param == "sqlite":
        yield sessions
        return
    postgres_url = request.getfixturevalue("postgres_url")
    async with fresh_postgres_database(postgres_url, prefix="subscriptions") as engine:
        await upgrade_engine(engine)
        yield session_factory(engine)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def service(db: SessionFactory, clock: Clock) -> SubscriptionService:
    """Subscriptions over a real dossier service holding one dossier with a phone."""
    dossiers = DossierService(db, hash_key="k", render_notice=render, clock=clock)
    await dossiers.apply(
        [DossierEventIn(event_id="r", code=CODE, status=Status.RECEIVED, occurred_at=T0, phone=PHONE)],
        source="test",
    )
    return SubscriptionService(db, dossiers, SETTINGS, clock=clock)


async def test_lookups_are_limited_per_user_per_minute(service: SubscriptionService, clock: Clock) -> None:
    user = user_key(PRIVATE, "u1")
    assert [await service.allow_lookup(user) for _ in range(4)] == [True, True, True, False]
    assert await service.allow_lookup(user_key(PRIVATE, "u2"))
    clock.now += timedelta(seconds=59)
    assert not await service.allow_lookup(user)
    clock.now += timedelta(seconds=1)
    assert await service.allow_lookup(user)


async def test_wrong_digits_lock_the_user_out_and_the_lockout_ends(
    service: SubscriptionService, clock: Clock
) -> None:
    first = await service.verify(CODE, PRIVATE, "u1", "0000")
    second = await service.verify(CODE, PRIVATE, "u1", "1111")
    assert (first.outcome, first.tries_left, second.tries_left) == (Verification.WRONG, 2, 1)
    third = await service.verify(CODE, PRIVATE, "u1", "2222")
    assert third.outcome is Verification.LOCKED and third.locked_until == T0 + timedelta(minutes=15)
    # While locked even the right digits are not checked.
    assert (await service.verify(CODE, PRIVATE, "u1", PHONE[-4:])).outcome is Verification.LOCKED
    assert await service.locked_until(user_key(PRIVATE, "u1")) == T0 + timedelta(minutes=15)
    clock.now += timedelta(minutes=15)
    assert await service.locked_until(user_key(PRIVATE, "u1")) is None
    assert (await service.verify(CODE, PRIVATE, "u1", "3333")).tries_left == 2
    assert (await service.verify(CODE, PRIVATE, "u1", PHONE)).outcome is Verification.SUBSCRIBED


async def test_failures_outside_the_window_start_the_count_again(
    service: SubscriptionService, clock: Clock
) -> None:
    await service.verify(CODE, PRIVATE, "u1", "0000")
    await service.verify(CODE, PRIVATE, "u1", "0001")
    clock.now += timedelta(minutes=15)
    assert (await service.verify(CODE, PRIVATE, "u1", "0002")).tries_left == 2


async def test_a_right_answer_does_not_reset_the_failure_count(service: SubscriptionService) -> None:
    await service.verify(CODE, PRIVATE, "u1", "0000")
    await service.verify(CODE, PRIVATE, "u1", "0001")
    assert (await service.verify(CODE, PRIVATE, "u1", PHONE[-4:])).outcome is Verification.SUBSCRIBED
    assert (await service.verify(CODE, PRIVATE, "u1", "0002")).outcome is Verification.LOCKED


async def test_a_right_last_try_neither_locks_nor_counts(service: SubscriptionService) -> None:
    await service.verify(CODE, PRIVATE, "u1", "0000")
    await service.verify(CODE, PRIVATE, "u1", "0001")
    assert (await service.verify(CODE, PRIVATE, "u1", PHONE[-4:])).outcome is Verification.SUBSCRIBED
    assert await service.locked_until(user_key(PRIVATE, "u1")) is None


async def test_racing_tries_past_the_limit_do_not_lengthen_the_lockout(
    db: SessionFactory, clock: Clock
) -> None:
    throttles = Throttles(db, clock)
    window = timedelta(minutes=15)
    for _ in range(3):
        first = await throttles.hit("verify:x", window=window, lock_at=3, lockout=window)
    assert first.locked_until == T0 + window
    clock.now += timedelta(minutes=5)
    late = await throttles.hit("verify:x", window=window, lock_at=3, lockout=window)
    assert (late.count, late.locked_until) == (4, T0 + window)


async def test_one_row_per_chat_and_dossier_and_reactivation(
    service: SubscriptionService, db: SessionFactory
) -> None:
    assert await service.subscribe(CODE, PRIVATE, "u1")
    assert not await service.subscribe(CODE, PRIVATE, "u1")
    assert await service.unsubscribe(CODE, PRIVATE)
    assert not await service.unsubscribe(CODE, PRIVATE)
    assert not await service.is_subscribed(CODE, PRIVATE)
    assert await service.subscribe(CODE, PRIVATE, "u1")
    assert [s.code for s in await service.of_chat(PRIVATE)] == [CODE]
    async with db() as session:
        assert await session.scalar(select(func.count()).select_from(DossierSubscription)) == 1


async def test_a_group_counts_as_verified_only_through_a_private_subscription(
    service: SubscriptionService,
) -> None:
    await service.subscribe(CODE, GROUP, "u1")
    assert not await service.verified_by(CODE, GROUP, "u1")
    await service.subscribe(CODE, PRIVATE, "u1")
    assert await service.verified_by(CODE, GROUP, "u1")
    assert not await service.verified_by(CODE, GROUP, "u2")


async def test_ratings_one_per_user_from_subscribed_chats_with_a_comment(
    service: SubscriptionService, db: SessionFactory
) -> None:
    assert await service.rate(CODE, PRIVATE, "u1", 4) is Rating.NOT_SUBSCRIBED
    await service.subscribe(CODE, PRIVATE, "u1")
    assert await service.rate(CODE, PRIVATE, "u1", 4) is Rating.STORED
    assert await service.rate(CODE, PRIVATE, "u1", 2) is Rating.UPDATED
    assert await service.comment(CODE, PRIVATE, "u1", "  " + "x" * 1200)
    assert not await service.comment(CODE, PRIVATE, "u2", "không đánh giá mà góp ý")
    with pytest.raises(ValueError, match="out of range"):
        await service.rate(CODE, PRIVATE, "u1", 6)
    async with db() as session:
        [(score, comment)] = (await session.execute(select(DossierRating.score, DossierRating.comment))).all()
    assert score == 2 and comment == "x" * 1000


async def test_concurrent_hits_are_all_counted(db: SessionFactory, clock: Clock) -> None:
    # Several processes share the counter: every hit lands, none is lost to a read-modify-write race.
    throttles = [Throttles(db, clock) for _ in range(4)]
    counts = await asyncio.gather(
        *(t.hit("lookup:zalo:u1", window=timedelta(minutes=1)) for t in throttles for _ in range(5))
    )
    assert sorted(c.count for c in counts) == list(range(1, 21))
    async with db() as session:
        assert await session.scalar(select(Throttle.count).where(Throttle.key == "lookup:zalo:u1")) == 20
