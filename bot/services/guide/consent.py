"""Residents' consent codes: a guide may send a card to a resident's chat only with their 6-digit code.

A code is given in the resident's own chat, lives ``code_minutes`` and works once; a resident asking
again replaces their older code, and may ask ``CODES_PER_WINDOW`` times per ``CODE_WINDOW``. Only an
HMAC-SHA256 of the code is stored, keyed with a random per-deployment server key (made on first use,
never logged), so a code is found through an index and the digests compared in constant time. Wrong,
expired, used and a guide's own codes each have their own outcome, and every one of them counts against
the guide in the ``throttles`` table, so a guide (or someone holding a guide's phone) cannot try the
million codes: after ``max_wrong_codes`` within ``lockout_minutes`` the guide is locked out for that
long, even for a right code.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import GuideConfig
from bot.messages import ChatRef, Platform, Reply
from bot.outbox import enqueue
from bot.services.dossiers.subscriptions import Throttles
from bot.services.people import Actor
from bot.storage import GuideConsent, GuideHelp, Person, PlatformAccount, ServerKey, SessionFactory
from bot.storage.columns import utcnow
from bot.storage.engine import begin_write

CODE_DIGITS = 6
KEEP = timedelta(days=1)
"""How long a code's row is kept after it expired: an old code then reads "expired", not "wrong"."""
CARD_KIND = "guide.card"
"""The outbox kind of a card a guide sent."""
KEY_NAME = "guide-consent"
CODES_PER_WINDOW = 5
CODE_WINDOW = timedelta(minutes=10)


class CodeLimitError(Exception):
    """The resident asked for ``CODES_PER_WINDOW`` codes within ``CODE_WINDOW`` already."""


class ConsentOutcome(StrEnum):
    """What entering a consent code did; each case gets its own answer."""

    ACCEPTED = "accepted"
    WRONG = "wrong"
    EXPIRED = "expired"
    USED = "used"
    OWN = "own"
    """The guide's own code: a guide does not help themself."""
    LOCKED = "locked"


@dataclass(frozen=True, slots=True)
class IssuedCode:
    """A fresh consent code, shown once to the resident."""

    code: str
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class ConsentResult:
    """The outcome; ``consent_id`` when accepted, ``locked_until`` when locked."""

    outcome: ConsentOutcome
    consent_id: int | None = None
    locked_until: datetime | None = None


def normalize_consent_code(text: str) -> str | None:
    """The six digits of a code as typed ("123 456", "123-456"), or None if it is not one."""
    digits = "".join(ch for ch in text if not ch.isspace() and ch not in "-.")
    return digits if len(digits) == CODE_DIGITS and digits.isascii() and digits.isdigit() else None


def _digest(key: bytes, code: str) -> str:
    return hmac.new(key, code.encode(), hashlib.sha256).hexdigest()


class ConsentService:
    """Give residents consent codes, check the codes guides enter, and send the card through the outbox."""

    def __init__(
        self,
        sessions: SessionFactory,
        settings: GuideConfig | None = None,
        *,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._sessions = sessions
        self._settings = settings or GuideConfig()
        self._clock = clock
        self._throttles = Throttles(sessions, clock)
        self._key: bytes | None = None

    async def _server_key(self) -> bytes:
        """The deployment's HMAC key, made by whichever process needs it first."""
        if self._key is None:
            async with self._sessions() as session:
                value = await session.scalar(select(ServerKey.value).where(ServerKey.name == KEY_NAME))
            if value is None:
                try:
                    async with self._sessions.begin() as session:
                        session.add(ServerKey(name=KEY_NAME, value=secrets.token_hex(32)))
                except IntegrityError:
                    pass  # Another process made it first: read theirs.
                async with self._sessions() as session:
                    value = await session.scalar(select(ServerKey.value).where(ServerKey.name == KEY_NAME))
            assert value is not None
            self._key = bytes.fromhex(value)
        return self._key

    @property
    def settings(self) -> GuideConfig:
        """The guide settings in use."""
        return self._settings

    async def issue(self, chat: ChatRef, user_id: str) -> IssuedCode:
        """A new code for the resident ``user_id`` in their private ``chat``; their older codes expire.

        CodeLimitError when the resident asked too often.
        """
        counted = await self._throttles.hit(f"dongy:{chat.platform.value}:{user_id}", window=CODE_WINDOW)
        if counted.count > CODES_PER_WINDOW:
            raise CodeLimitError("limit")
        key = await self._server_key()
        now = self._clock()
        expires = now + timedelta(minutes=self._settings.code_minutes)
        async with self._sessions.begin() as session:
            await begin_write(session)
            await session.execute(delete(GuideConsent).where(GuideConsent.expires_at < now - KEEP))
            await session.execute(
                update(GuideConsent)
                .where(
                    GuideConsent.platform == chat.platform.value,
                    GuideConsent.user_id == user_id,
                    GuideConsent.used_at.is_(None),
                    GuideConsent.expires_at > now,
                )
                .values(expires_at=now)
            )
            # No two live codes alike, so a code names one resident.
            code = _new_code()
            while await _live(session, _digest(key, code), now):
                code = _new_code()
            session.add(
                GuideConsent(
                    code_hash=_digest(key, code),
                    platform=chat.platform.value,
                    user_id=user_id,
                    chat_id=chat.chat_id,
                    created_at=now,
                    expires_at=expires,
                )
            )
        return IssuedCode(code, expires)

    async def redeem(self, guide: Actor, code: str) -> ConsentResult:
        """Check a code a guide entered; a right one is taken by the guide (it works once)."""
        key = _throttle_key(guide)
        locked = await self._throttles.locked_until(key)
        if locked is not None:
            return ConsentResult(ConsentOutcome.LOCKED, locked_until=locked)
        outcome, consent_id = await self._take(guide, normalize_consent_code(code))
        if outcome is ConsentOutcome.ACCEPTED:
            return ConsentResult(outcome, consent_id)
        lockout = timedelta(minutes=self._settings.lockout_minutes)
        count = await self._throttles.hit(
            key, window=lockout, lock_at=self._settings.max_wrong_codes, lockout=lockout
        )
        if count.locked_until is not None and count.locked_until > self._clock():
            return ConsentResult(ConsentOutcome.LOCKED, locked_until=count.locked_until)
        return ConsentResult(outcome)

    async def _take(self, guide: Actor, code: str | None) -> tuple[ConsentOutcome, int | None]:
        if code is None:
            return ConsentOutcome.WRONG, None
        digest = _digest(await self._server_key(), code)
        now = self._clock()
        async with self._sessions.begin() as session:
            await begin_write(session)
            rows = (
                await session.execute(
                    select(GuideConsent).where(
                        GuideConsent.code_hash == digest, GuideConsent.expires_at > now - KEEP
                    )
                )
            ).scalars()
            matches = [row for row in rows if hmac.compare_digest(row.code_hash, digest)]
            live = [row for row in matches if row.used_at is None and row.expires_at > now]
            if len(live) == 1:
                [row] = live
                if await _own(session, guide, row):
                    return ConsentOutcome.OWN, None
                taken = await session.execute(
                    update(GuideConsent)
                    .where(GuideConsent.id == row.id, GuideConsent.used_at.is_(None))
                    .values(used_at=now, used_by=guide.person_id)
                    .execution_options(synchronize_session=False)
                )
                if _rowcount(taken) == 1:
                    return ConsentOutcome.ACCEPTED, row.id
                return ConsentOutcome.USED, None
            if any(row.used_at is not None for row in matches):
                return ConsentOutcome.USED, None
            if matches and not live:
                return ConsentOutcome.EXPIRED, None
        return ConsentOutcome.WRONG, None

    async def send_card(self, guide: Actor, consent_id: int, procedure_code: str, card: Reply) -> bool:
        """Queue ``card`` to the resident's own chat and log it; False if the consent is gone or spent.

        The consent's ``sent_at`` is set with a compare-and-set, so one consent sends one card.
        """
        now = self._clock()
        window = timedelta(minutes=self._settings.session_minutes)
        async with self._sessions.begin() as session:
            await begin_write(session)
            row = await session.get(GuideConsent, consent_id)
            if (
                row is None
                or guide.person_id is None
                or row.used_by != guide.person_id
                or row.used_at is None
                or row.used_at + window <= now
            ):
                return False
            claimed = await session.execute(
                update(GuideConsent)
                .where(GuideConsent.id == consent_id, GuideConsent.sent_at.is_(None))
                .values(sent_at=now)
                .execution_options(synchronize_session=False)
            )
            if _rowcount(claimed) != 1:
                return False
            unit_id = await _unit_of(session, guide.person_id)
            session.add(
                GuideHelp(
                    guide_id=guide.person_id,
                    unit_id=unit_id,
                    platform=row.platform,
                    resident_id=row.user_id,
                    procedure_code=procedure_code,
                    at=now,
                )
            )
            chat = ChatRef(Platform(row.platform), row.chat_id)
            await enqueue(
                session, key=f"guide:{consent_id}", chat=chat, reply=card, kind=CARD_KIND, ref=procedure_code
            )
        return True


async def _live(session: AsyncSession, digest: str, now: datetime) -> bool:
    """Whether a live (unused, unexpired) code has this digest."""
    found = await session.scalar(
        select(GuideConsent.id)
        .where(
            GuideConsent.code_hash == digest, GuideConsent.used_at.is_(None), GuideConsent.expires_at > now
        )
        .limit(1)
    )
    return found is not None


async def _own(session: AsyncSession, guide: Actor, row: GuideConsent) -> bool:
    """Whether the code was given to one of the guide's own accounts."""
    if guide.person_id is None:
        return False
    found = await session.scalar(
        select(PlatformAccount.id).where(
            PlatformAccount.person_id == guide.person_id,
            PlatformAccount.platform == row.platform,
            PlatformAccount.user_id == row.user_id,
        )
    )
    return found is not None


async def _unit_of(session: AsyncSession, person_id: int) -> int | None:
    return await session.scalar(select(Person.unit_id).where(Person.id == person_id))


def _throttle_key(guide: Actor) -> str:
    return f"guide:{guide.person_id}" if guide.person_id is not None else f"guide:{guide.label}"


def _new_code() -> str:
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def _rowcount(result: object) -> int:
    return int(getattr(result, "rowcount", 0) or 0)
