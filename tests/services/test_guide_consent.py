"""Consent codes: given, taken once, refused when wrong, expired or used, and locked against guessing."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.config import GuideConfig
from bot.messages import ChatRef, Platform, Reply
from bot.services.guide import CARD_KIND, CodeLimitError, ConsentOutcome, ConsentService, guide_activity
from bot.services.people import Actor, PeopleService, Role
from bot.storage import GuideConsent, OutboxMessage, ServerKey, SessionFactory, session_factory
from bot.storage.migrate import upgrade_engine
from tests.storage.conftest import fresh_postgres_database

T0 = datetime(2030, 11, 20, 2, 0, tzinfo=UTC)
RESIDENT = ChatRef(Platform.ZALO, "a1b2c3d4e5")


class Clock:
    """A settable clock."""

    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


async def _guides(sessions: SessionFactory, *names: str) -> list[Actor]:
    people = PeopleService(sessions)
    system = Actor.system()
    unit = await people.create_unit(system, "Tổ công nghệ số xã")
    found = []
    for i, name in enumerate(names):
        person = await people.create_person(system, name, Role.GUIDE, unit_id=unit.id)
        found.append(Actor(person.id, Role.GUIDE, f"telegram:{900 + i}"))
    return found


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


async def test_a_code_works_once_and_wrong_expired_and_used_codes_differ(sessions: SessionFactory) -> None:
    clock = Clock()
    consents = ConsentService(sessions, clock=clock)
    [guide, other] = await _guides(sessions, "Trần Hướng Dẫn", "Lê Thị Giúp")
    issued = await consents.issue(RESIDENT, "a1b2c3d4e5")
    assert len(issued.code) == 6 and issued.code.isdigit()
    assert issued.expires_at == T0 + timedelta(minutes=10)
    async with sessions() as session:
        [row] = (await session.execute(select(GuideConsent))).scalars()
    async with sessions() as session:
        [key] = (await session.execute(select(ServerKey))).scalars()
    # Only an HMAC keyed with the deployment's own key is kept, so the row is found by its digest.
    assert (
        row.code_hash == hmac.new(bytes.fromhex(key.value), issued.code.encode(), hashlib.sha256).hexdigest()
    )

    assert (await consents.redeem(guide, _wrong(issued.code))).outcome is ConsentOutcome.WRONG
    assert (await consents.redeem(guide, "12345")).outcome is ConsentOutcome.WRONG
    spaced = f"{issued.code[:3]} {issued.code[3:]}"
    taken = await consents.redeem(guide, spaced)
    assert taken.outcome is ConsentOutcome.ACCEPTED and taken.consent_id is not None
    assert (await consents.redeem(other, issued.code)).outcome is ConsentOutcome.USED

    # Only the guide who took the consent sends with it, and one card only.
    card = Reply(text="<b>Đăng ký khai sinh</b>")
    assert not await consents.send_card(other, taken.consent_id, "1.001193", card)
    assert await consents.send_card(guide, taken.consent_id, "1.001193", card)
    assert not await consents.send_card(guide, taken.consent_id, "1.001193", card)
    async with sessions() as session:
        [queued] = (await session.execute(select(OutboxMessage))).scalars()
    assert (queued.platform, queued.chat_id, queued.kind) == ("zalo", RESIDENT.chat_id, CARD_KIND)

    late = await consents.issue(RESIDENT, "a1b2c3d4e5")
    clock.now += timedelta(minutes=10)
    assert (await consents.redeem(guide, late.code)).outcome is ConsentOutcome.EXPIRED
    # A newer code replaces the resident's older one, which then reads as expired.
    first = await consents.issue(RESIDENT, "a1b2c3d4e5")
    second = await consents.issue(RESIDENT, "a1b2c3d4e5")
    if first.code != second.code:
        assert (await consents.redeem(other, first.code)).outcome is ConsentOutcome.EXPIRED
    assert (await consents.redeem(other, second.code)).outcome is ConsentOutcome.ACCEPTED


async def test_a_guide_is_locked_out_after_too_many_wrong_codes(sessions: SessionFactory) -> None:
    clock = Clock()
    consents = ConsentService(sessions, GuideConfig(max_wrong_codes=3, lockout_minutes=15), clock=clock)
    [guide, other] = await _guides(sessions, "Trần Hướng Dẫn", "Lê Thị Giúp")
    issued = await consents.issue(RESIDENT, "a1b2c3d4e5")
    wrong = _wrong(issued.code)
    outcomes = [(await consents.redeem(guide, wrong)).outcome for _ in range(3)]
    assert outcomes == [ConsentOutcome.WRONG, ConsentOutcome.WRONG, ConsentOutcome.LOCKED]
    # Locked, even the right code is refused, and the refusal does not make the lockout longer.
    locked = await consents.redeem(guide, issued.code)
    assert locked.outcome is ConsentOutcome.LOCKED and locked.locked_until == T0 + timedelta(minutes=15)
    # Another guide is not locked out by this one's tries.
    clock.now += timedelta(minutes=9)
    fresh = await consents.issue(RESIDENT, "a1b2c3d4e5")
    assert (await consents.redeem(other, fresh.code)).outcome is ConsentOutcome.ACCEPTED
    clock.now += timedelta(minutes=6)
    again = await consents.issue(RESIDENT, "a1b2c3d4e5")
    assert (await consents.redeem(guide, again.code)).outcome is ConsentOutcome.ACCEPTED


async def test_guide_activity_counts_residents_and_procedures_in_the_period(sessions: SessionFactory) -> None:
    clock = Clock()
    consents = ConsentService(sessions, clock=clock)
    [guide, other] = await _guides(sessions, "Trần Hướng Dẫn", "Lê Thị Giúp")
    sends = [
        (guide, "r1", "1.001193"),
        (guide, "r1", "1.000894"),
        (guide, "r2", "1.001193"),
        (other, "r3", "1.001193"),
    ]
    for actor, resident, code in sends:
        issued = await consents.issue(ChatRef(Platform.TELEGRAM, resident), resident)
        taken = await consents.redeem(actor, issued.code)
        assert taken.consent_id is not None
        assert await consents.send_card(actor, taken.consent_id, code, Reply(text="thẻ"))
        clock.now += timedelta(hours=1)
    async with sessions() as session:
        everything = await guide_activity(session, T0, T0 + timedelta(days=1))
        first_two_hours = await guide_activity(session, T0, T0 + timedelta(hours=2))
        other_unit = await guide_activity(session, T0, T0 + timedelta(days=1), unit_id=999)
    assert [(a.guide_name, a.residents, a.by_procedure) for a in everything] == [
        ("Lê Thị Giúp", 1, {"1.001193": 1}),
        ("Trần Hướng Dẫn", 2, {"1.001193": 2, "1.000894": 1}),
    ]
    [only] = first_two_hours
    assert only.residents == 1 and only.by_procedure == {"1.000894": 1, "1.001193": 1}
    assert other_unit == []


async def test_on_postgresql_a_code_is_taken_once_and_sends_one_card(postgres_url: str) -> None:
    async with fresh_postgres_database(postgres_url, "guide") as engine:
        await upgrade_engine(engine)
        sessions = session_factory(engine)
        consents = ConsentService(sessions, clock=Clock())
        guides = await _guides(sessions, "Trần Hướng Dẫn", "Lê Thị Giúp", "Phạm Văn Ba")
        issued = await consents.issue(RESIDENT, "a1b2c3d4e5")
        results = await asyncio.gather(*(consents.redeem(guide, issued.code) for guide in guides))
        [taken] = [r for r in results if r.outcome is ConsentOutcome.ACCEPTED]
        assert sorted(r.outcome for r in results).count(ConsentOutcome.USED) == 2
        winner = guides[results.index(taken)]
        assert taken.consent_id is not None
        sent = await asyncio.gather(
            *(consents.send_card(winner, taken.consent_id, "1.001193", Reply(text="thẻ")) for _ in range(3))
        )
        assert sorted(sent) == [False, False, True]
        async with sessions() as session:
            assert len(await guide_activity(session, T0, T0 + timedelta(hours=1))) == 1


async def test_a_resident_asking_too_often_is_refused_and_a_guides_own_code_is_not_accepted(
    sessions: SessionFactory,
) -> None:
    clock = Clock()
    consents = ConsentService(sessions, clock=clock)
    [guide, other] = await _guides(sessions, "Trần Hướng Dẫn", "Lê Thị Giúp")
    for _ in range(5):
        await consents.issue(RESIDENT, "a1b2c3d4e5")
    with pytest.raises(CodeLimitError):
        await consents.issue(RESIDENT, "a1b2c3d4e5")
    clock.now += timedelta(minutes=10)
    await consents.issue(RESIDENT, "a1b2c3d4e5")
    # The guide's own account (linked by invite) asks for a code and enters it: refused.
    people = PeopleService(sessions)
    invite = await people.invite(Actor.system(), guide.person_id or 0)
    linked = await people.redeem(invite.code, Platform.TELEGRAM, "555", "555")
    assert linked.person is not None and linked.person.id == guide.person_id
    mine = await consents.issue(ChatRef(Platform.TELEGRAM, "555"), "555")
    assert (await consents.redeem(guide, mine.code)).outcome is ConsentOutcome.OWN
    assert (await consents.redeem(other, mine.code)).outcome is ConsentOutcome.ACCEPTED
