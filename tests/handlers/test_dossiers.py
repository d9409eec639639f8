"""Dossier status in the chat through the real Dispatcher, router and services on a SQLite file."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot import texts
from bot.app.core import build_directives
from bot.config import Config, DossierConfig
from bot.markup import to_plain
from bot.messages import ChatRef, Incoming, Platform, Reply
from bot.outbox import payload_to_reply
from bot.routing import Dispatcher
from bot.services import Services
from bot.services.conversations import ConversationMemory
from bot.services.dossiers.events import DossierEventIn, Status
from bot.services.dossiers.service import DossierService
from bot.services.dossiers.subscriptions import SubscriptionService
from bot.services.guide import ConsentService
from bot.services.procedures import ProcedureService
from bot.services.unanswered import UnansweredService
from bot.storage import DossierRating, DossierSubscription, OutboxMessage, create_engine, session_factory
from bot.storage.migrate import upgrade_engine
from handlers import build_router, fallback
from handlers.dossier_notices import notice_renderer
from knowledge.index import ProcedureIndex
from knowledge.model import Procedure
from tests.handlers.support import CENTRE, markup_problem

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
CODE = "000.00.24.H57-250722-0001"
UNKNOWN = "000.00.00.H00-990101-9999"
PHONE = "0912345678"
T0 = datetime(2025, 7, 22, 8, 5, tzinfo=HCM)
DUE = datetime(2025, 7, 25, 16, 30, tzinfo=HCM)
SETTINGS = DossierConfig(
    hash_key="test-key",
    lookups_per_minute=4,
    verify_max_failures=3,
    lockout_minutes=15,
    subscription_flow_minutes=10,
)
PROCEDURES = [Procedure(code="1.001193", name="Đăng ký khai sinh", level="Cấp xã", field="Hộ tịch")]


class Clock:
    """A settable clock shared by every service."""

    def __init__(self) -> None:
        self.now = T0 + timedelta(hours=2)

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Chat:
    """The real dispatcher over the real router and services, plus the database behind them."""

    engine: AsyncEngine
    svc: Services
    dispatcher: Dispatcher[Services]
    memory: ConversationMemory
    clock: Clock
    statements: list[str]

    async def say(
        self,
        text: str = "",
        *,
        payload: str | None = None,
        chat: str = "42",
        user: str = "7",
        group: bool = False,
    ) -> list[Reply]:
        """Send one message; return the replies."""
        ref = ChatRef(Platform.TELEGRAM, chat, is_group=group)
        return await self.dispatcher.dispatch(Incoming(chat=ref, user_id=user, text=text, payload=payload))

    async def one(self, text: str = "", **kwargs: Any) -> str:
        """Send one message; return the single reply as plain text (and check its markup)."""
        [reply] = await self.say(text, **kwargs)
        assert markup_problem(reply.text) is None, reply.text
        return to_plain(reply.text)

    async def apply(self, *events: DossierEventIn) -> None:
        """Feed events through the real dossier service."""
        await self.svc.dossiers.apply(events, source="test")

    def touched(self, *tables: str) -> list[str]:
        """Statements run so far that mention any of ``tables``."""
        return [s for s in self.statements if any(t in s for t in tables)]

    async def scalar(self, statement: Any) -> Any:
        """Run one query on the test database."""
        async with session_factory(self.engine)() as session:
            return await session.scalar(statement)


def received(code: str = CODE, **extra: Any) -> DossierEventIn:
    """The event creating a dossier."""
    fields: dict[str, Any] = {
        "procedure_code": "1.001193",
        "procedure_name": "Đăng ký khai sinh",
        "agency": "UBND xã Tân Phú",
        "due_at": DUE,
        "received_at": T0,
        "result_delivery": "Nhận trực tiếp tại Bộ phận Một cửa",
        "phone": PHONE,
    }
    fields.update(extra)
    return DossierEventIn(event_id=f"{code}-r", code=code, status=Status.RECEIVED, occurred_at=T0, **fields)


def later(event_id: str, status: Status, hours: float, note: str = "", code: str = CODE) -> DossierEventIn:
    """A status change ``hours`` after receipt."""
    return DossierEventIn(
        event_id=event_id, code=code, status=status, occurred_at=T0 + timedelta(hours=hours), note=note
    )


@pytest.fixture
async def chat(tmp_path: Path) -> AsyncIterator[Chat]:
    """A migrated SQLite file and the real services on it, with one clock."""
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'motcua.db'}")
    await upgrade_engine(engine)
    statements: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement.lower())

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    sessions = session_factory(engine)
    clock = Clock()
    config = Config(centre=CENTRE, dossiers=SETTINGS)
    dossiers = DossierService(
        sessions, hash_key=SETTINGS.hash_key, render_notice=notice_renderer(CENTRE), clock=clock
    )
    memory = ConversationMemory(sessions, clock=clock)
    people, directives = build_directives(config, sessions)
    svc = Services(
        config=config,
        procedures=ProcedureService(ProcedureIndex(PROCEDURES)),
        conversations=memory,
        dossiers=dossiers,
        subscriptions=SubscriptionService(sessions, dossiers, SETTINGS, clock=clock),
        people=people,
        directives=directives,
        unanswered=UnansweredService(sessions),
        guide=ConsentService(sessions, clock=clock),
    )
    dispatcher = Dispatcher(build_router(flows=True), svc, memory, fallback, flows=memory)
    try:
        yield Chat(engine, svc, dispatcher, memory, clock, statements)
    finally:
        await engine.dispose()


async def subscriptions_of(chat: Chat, code: str = CODE) -> list[tuple[str, bool]]:
    """(chat id, active) of every subscription row of ``code``."""
    async with session_factory(chat.engine)() as session:
        rows = await session.execute(
            select(DossierSubscription.chat_id, DossierSubscription.active).where(
                DossierSubscription.dossier_code == code
            )
        )
        return [(r.chat_id, r.active) for r in rows]


# --- status ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text", ["/hoso 000.00.24.H57-250722", "/hoso abc'; drop table dossiers", "/hoso 12345"]
)
async def test_an_invalid_code_explains_the_shape_and_queries_nothing(chat: Chat, text: str) -> None:
    answer = await chat.one(text)
    assert texts.DOSSIER_CODE_EXAMPLE in answer and "chưa đúng dạng" in answer
    assert chat.touched("dossier", "throttles") == []


ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


@pytest.mark.parametrize("digits", [ARABIC_INDIC, FULL_WIDTH], ids=["arabic-indic", "full-width"])
async def test_a_code_in_other_digits_than_ascii_is_invalid_and_uses_no_lookup(
    chat: Chat, digits: dict[int, str]
) -> None:
    await chat.apply(received())
    chat.statements.clear()
    foreign = CODE.translate(digits)
    for text in (f"/hoso {foreign}", f"/theodoi {foreign}", f"Hồ sơ {foreign} của tôi"):
        answer = await chat.one(text)
        assert "Tình trạng" not in answer and "không tìm thấy" not in answer.lower()
        if text.startswith("/"):
            assert "chưa đúng dạng" in answer and texts.DOSSIER_CODE_EXAMPLE in answer
    assert chat.touched("dossier", "throttles") == []
    # The whole budget is still there.
    for _ in range(SETTINGS.lookups_per_minute):
        assert "Đã tiếp nhận" in await chat.one(f"/hoso {CODE}")


async def test_hoso_alone_explains_how_to_ask(chat: Chat) -> None:
    answer = await chat.one("/hoso")
    assert "/hoso " + texts.DOSSIER_CODE_EXAMPLE in answer
    assert chat.touched("dossier", "throttles") == []


async def test_an_unknown_code_says_not_found_and_where_to_ask(chat: Chat) -> None:
    answer = await chat.one(f"/hoso {UNKNOWN}")
    assert "không tìm thấy" in answer.lower() and UNKNOWN in answer
    assert CENTRE.name in answer and CENTRE.phone in answer


async def test_a_known_code_shows_status_dates_and_history_but_no_personal_data(chat: Chat) -> None:
    await chat.apply(received(), later("e2", Status.IN_PROGRESS, 3, note="Chuyển phòng Tư pháp <xã>"))
    [reply] = await chat.say(f"/hoso {CODE.lower()}")
    assert markup_problem(reply.text) is None
    answer = to_plain(reply.text)
    assert CODE in answer
    assert "Tình trạng: Đang giải quyết" in answer
    assert "Đăng ký khai sinh" in answer and "1.001193" in answer and "UBND xã Tân Phú" in answer
    assert "Ngày tiếp nhận: 22/07/2025 08:05" in answer
    assert "Hẹn trả kết quả: 25/07/2025 16:30" in answer
    assert "Tiến độ: Đang trong hạn" in answer
    assert "Cập nhật lần cuối: 22/07/2025 11:05" in answer
    assert "• 22/07/2025 08:05: Đã tiếp nhận" in answer
    assert "• 22/07/2025 11:05: Đang giải quyết (Chuyển phòng Tư pháp <xã>)" in answer
    assert f"/theodoi {CODE}" in answer
    # No personal data: not the number, not its last digits, not its hash.
    assert svc_hash(chat) not in reply.text
    for secret in (PHONE, PHONE[-4:], PHONE[-6:]):
        assert secret not in reply.text


def svc_hash(chat: Chat) -> str:
    """The stored hash of the test phone."""
    return chat.svc.dossiers.hash_phone(PHONE)


async def test_a_code_pasted_in_any_message_is_recognised_before_procedure_search(chat: Chat) -> None:
    await chat.apply(received())
    answer = await chat.one(f"Cho tôi hỏi hồ sơ đăng ký khai sinh mã {CODE}, bao giờ xong ạ?")
    assert f"Hồ sơ {CODE}" in answer and "Đã tiếp nhận" in answer
    # Without a code, the same words are still a procedure question.
    answer = await chat.one("đăng ký khai sinh")
    assert "1.001193" in answer and "Tình trạng" not in answer
    # Not addressed (a group chatting among itself): silence, no lookup.
    before = len(chat.touched("from dossiers"))
    ref = ChatRef(Platform.TELEGRAM, "-100", is_group=True)
    assert await chat.dispatcher.dispatch(Incoming(chat=ref, user_id="7", text=CODE, addressed=False)) == []
    assert len(chat.touched("from dossiers")) == before


async def test_lookups_over_the_limit_get_a_clear_message_and_no_query(chat: Chat) -> None:
    await chat.apply(received())
    for _ in range(SETTINGS.lookups_per_minute):
        assert "Đã tiếp nhận" in await chat.one(f"/hoso {CODE}")
    queries = len(chat.touched("from dossiers"))
    assert await chat.one(f"/hoso {CODE}") == to_plain(texts.DOSSIER_RATE_LIMITED)
    assert await chat.one(CODE) == to_plain(texts.DOSSIER_RATE_LIMITED)
    assert len(chat.touched("from dossiers")) == queries
    # Per user: someone else is not affected; the same user in another chat is.
    assert "Đã tiếp nhận" in await chat.one(f"/hoso {CODE}", chat="43", user="8")
    assert await chat.one(f"/hoso {CODE}", chat="-100", group=True) == to_plain(texts.DOSSIER_RATE_LIMITED)
    chat.clock.now += timedelta(minutes=1)
    assert "Đã tiếp nhận" in await chat.one(f"/hoso {CODE}")


# --- following ------------------------------------------------------------------------------------


async def test_right_digits_subscribe_once_and_resubscribing_is_harmless(chat: Chat) -> None:
    await chat.apply(received())
    asked = await chat.one(f"/theodoi {CODE}")
    assert "4 chữ số cuối" in asked and "10 phút" in asked
    done = await chat.one(PHONE[-4:])
    assert "Đã đăng ký theo dõi" in done and "có kết quả" in done and f"/huy {CODE}" in done
    assert await subscriptions_of(chat) == [("42", True)]
    assert "đã theo dõi hồ sơ" in await chat.one(f"/theodoi {CODE}")
    # Unsubscribe, then follow again with the whole number: the same row comes back to life.
    assert "Đã thôi theo dõi" in await chat.one(f"/huy {CODE}")
    assert "không theo dõi" in await chat.one(f"/huy {CODE}")
    assert await subscriptions_of(chat) == [("42", False)]
    await chat.one(f"/theodoi {CODE}")
    assert "Đã đăng ký theo dõi" in await chat.one("0912 345 678")
    assert await subscriptions_of(chat) == [("42", True)]


async def test_wrong_digits_count_down_then_lock_the_user_out_until_the_lockout_ends(chat: Chat) -> None:
    await chat.apply(received())
    await chat.one(f"/theodoi {CODE}")
    assert "còn 2 lần" in await chat.one("1111")
    assert "còn 1 lần" in await chat.one("2222")
    locked = await chat.one("3333")
    unlock = (chat.clock.now + timedelta(minutes=15)).astimezone(HCM).strftime("%d/%m/%Y %H:%M")
    assert "nhập sai nhiều lần" in locked and unlock in locked
    # The flow is over: the right digits now are just text, and asking again is refused at once.
    assert "Đã đăng ký" not in await chat.one(PHONE[-4:])
    assert "nhập sai nhiều lần" in await chat.one(f"/theodoi {CODE}")
    # The lockout is the user's, not the chat's: another chat of the same user is locked too.
    assert "nhập sai nhiều lần" in await chat.one(f"/theodoi {CODE}", chat="99")
    assert await subscriptions_of(chat) == []
    chat.clock.now += timedelta(minutes=15)
    await chat.one(f"/theodoi {CODE}")
    assert "Đã đăng ký theo dõi" in await chat.one(PHONE[-4:])


async def test_the_digits_question_expires(chat: Chat) -> None:
    await chat.apply(received())
    await chat.one(f"/theodoi {CODE}")
    chat.clock.now += timedelta(minutes=SETTINGS.subscription_flow_minutes, seconds=1)
    assert "Đã đăng ký" not in await chat.one(PHONE[-4:])
    assert await subscriptions_of(chat) == []


async def test_something_other_than_digits_asks_again_without_counting(chat: Chat) -> None:
    await chat.apply(received())
    await chat.one(f"/theodoi {CODE}")
    assert await chat.one("số gì cơ?") == to_plain(texts.ASK_DIGITS_AGAIN)
    assert "còn 2 lần" in await chat.one("0000")


async def test_huy_alone_ends_the_question(chat: Chat) -> None:
    await chat.apply(received())
    await chat.one(f"/theodoi {CODE}")
    assert await chat.one("/huy") == to_plain(texts.CANCELLED)
    assert "Đã đăng ký" not in await chat.one(PHONE[-4:])
    assert await subscriptions_of(chat) == []


async def test_theodoi_alone_lists_the_chats_subscriptions_with_status(chat: Chat) -> None:
    other = "000.00.24.H57-250722-0002"
    assert "chưa theo dõi hồ sơ nào" in await chat.one("/theodoi")
    await chat.apply(received(), received(other), later("e2", Status.READY, 5, code=other))
    for code in (CODE, other):
        await chat.one(f"/theodoi {code}")
        await chat.one(PHONE[-4:])
    listing = await chat.one("/theodoi")
    assert f"{CODE}: Đã tiếp nhận" in listing and f"{other}: Đã có kết quả, chờ trả" in listing
    assert "chưa theo dõi hồ sơ nào" in await chat.one("/theodoi", chat="43", user="8")


async def test_unknown_and_invalid_codes_are_refused_by_theodoi_and_huy(chat: Chat) -> None:
    assert "không tìm thấy" in (await chat.one(f"/theodoi {UNKNOWN}")).lower()
    assert "chưa đúng dạng" in await chat.one("/theodoi 0001")
    assert "chưa đúng dạng" in await chat.one("/huy 0001")


async def test_a_group_is_never_asked_for_digits_but_a_verified_member_can_add_it(chat: Chat) -> None:
    await chat.apply(received())
    refused = await chat.one(f"/theodoi {CODE}", chat="-100", group=True)
    assert "không hỏi số điện thoại trong nhóm" in refused and "nhắn riêng" in refused
    # No question is pending in the group: digits typed there are not checked.
    assert "Đã đăng ký" not in await chat.one(PHONE[-4:], chat="-100", group=True)
    await chat.one(f"/theodoi {CODE}", chat="7")
    await chat.one(PHONE[-4:], chat="7")
    added = await chat.one(f"/theodoi {CODE}", chat="-100", group=True)
    assert "Nhóm này đã được đăng ký" in added
    # Another member who never verified cannot add a second group.
    assert "nhắn riêng" in await chat.one(f"/theodoi {CODE}", chat="-200", user="8", group=True)
    assert sorted(await subscriptions_of(chat)) == [("-100", True), ("7", True)]


# --- notices and ratings --------------------------------------------------------------------------


async def follow(chat: Chat, chat_id: str = "42", user: str = "7") -> None:
    """Subscribe ``chat_id`` through the real conversation."""
    await chat.one(f"/theodoi {CODE}", chat=chat_id, user=user)
    assert "Đã đăng ký" in await chat.one(PHONE[-4:], chat=chat_id, user=user)


async def returned_notice(chat: Chat, chat_id: str = "42") -> Reply:
    """Return the dossier and read the notice the outbox holds for ``chat_id``."""
    await chat.apply(later("ready", Status.READY, 30), later("returned", Status.RETURNED, 50))
    async with session_factory(chat.engine)() as session:
        payload = await session.scalar(
            select(OutboxMessage.payload).where(
                OutboxMessage.chat_id == chat_id, OutboxMessage.kind == "dossier.returned"
            )
        )
    assert payload is not None
    return payload_to_reply(payload)


async def ratings(chat: Chat) -> list[tuple[str, int, str]]:
    """(user, score, comment) of every rating."""
    async with session_factory(chat.engine)() as session:
        rows = await session.execute(
            select(DossierRating.user_id, DossierRating.score, DossierRating.comment)
        )
        return [(r.user_id, r.score, r.comment) for r in rows]


async def test_rating_by_button_then_a_comment_is_stored_and_a_second_rating_updates(chat: Chat) -> None:
    await chat.apply(received())
    await follow(chat)
    notice = await returned_notice(chat)
    assert [b.payload for b in notice.buttons] == [f"rate:{CODE}:{n}" for n in range(1, 6)]
    thanks = await chat.one(payload=notice.buttons[3].payload)
    assert "4/5" in thanks and "/boqua" in thanks
    assert "Cảm ơn góp ý" in await chat.one("Cán bộ hướng dẫn tận tình & nhanh.")
    assert await ratings(chat) == [("7", 4, "Cán bộ hướng dẫn tận tình & nhanh.")]
    assert "cập nhật" in await chat.one(payload=notice.buttons[4].payload)
    assert await chat.one("/boqua") == texts.COMMENT_SKIPPED
    assert await ratings(chat) == [("7", 5, "Cán bộ hướng dẫn tận tình & nhanh.")]
    # After /boqua the next text is a question again, not a comment.
    assert "1.001193" in await chat.one("đăng ký khai sinh")


async def test_rating_by_typing_the_number_of_the_choice(chat: Chat) -> None:
    await chat.apply(received())
    await follow(chat)
    notice = await returned_notice(chat)
    # What the outbox worker does on Zalo: the notice's buttons become the chat's numbered choices.
    await chat.memory.remember("telegram:42", [b.payload for b in notice.buttons])
    assert "2/5" in await chat.one("2")
    assert await ratings(chat) == [("7", 2, "")]


@pytest.mark.parametrize(
    "payload",
    [
        f"rate:{CODE}:0",
        f"rate:{CODE}:6",
        f"rate:{CODE}:4:1",
        "rate:000.00.24.H57:4",
        f"rate:{CODE}:x",
        "rate:",
        "rate",
    ],
)
async def test_forged_rating_payloads_store_nothing(chat: Chat, payload: str) -> None:
    await chat.apply(received())
    await follow(chat)
    await returned_notice(chat)
    assert await chat.one(payload=payload) == texts.RATING_INVALID
    assert await ratings(chat) == []


async def test_only_subscribed_chats_may_rate_and_only_after_the_result_was_returned(chat: Chat) -> None:
    await chat.apply(received())
    await follow(chat)
    assert await chat.one(payload=f"rate:{CODE}:5") == texts.RATING_NOT_YET
    await returned_notice(chat)
    assert "theo dõi" in await chat.one(payload=f"rate:{CODE}:1", chat="43", user="8")
    assert await chat.one(payload=f"rate:{UNKNOWN}:5") == texts.RATING_INVALID
    assert await ratings(chat) == []


async def test_help_mentions_the_dossier_commands(chat: Chat) -> None:
    answer = await chat.one("/help")
    for command in ("/hoso", "/theodoi", "/huy"):
        assert command in answer


async def test_a_dossier_without_a_phone_cannot_be_verified_and_counts_as_a_failure(chat: Chat) -> None:
    await chat.apply(received(phone=""))
    await chat.one(f"/theodoi {CODE}")
    assert "còn 2 lần" in await chat.one("0000")
    count = await chat.scalar(select(func.count()).select_from(DossierSubscription))
    assert count == 0
