"""Guide mode through the real dispatcher: /moi gives the role, /dongy the code, /huongdan sends the card."""

from __future__ import annotations

import re

from bot.messages import Platform
from bot.outbox import payload_to_reply
from bot.services.guide import CARD_KIND
from bot.texts import guide as say
from handlers.guide import CONSENT_PAYLOAD
from tests.handlers.office import ADMIN, RESIDENT, STAFF_1, Office, later, office

__all__ = ["office"]

GUIDE = "777"
CODE = re.compile(r"Mã đồng ý của bạn: (\d{6})")


async def invite_guide(office: Office) -> None:
    """The admin invites a guide by /moi and the guide links their account by /dangky."""
    invited = await office.one("/moi Trần Hướng Dẫn; tổ công nghệ số; Bộ phận một cửa", user=ADMIN)
    [code] = re.findall(r"/dangky (\w+)", invited)
    assert "tổ công nghệ số" in invited
    assert "Trần Hướng Dẫn" in await office.one(f"/dangky {code}", user=GUIDE)


async def consent_code(office: Office, **kwargs: object) -> str:
    """The code a resident gets from /dongy (or its button)."""
    match = CODE.search(await office.one("/dongy", **kwargs))  # type: ignore[arg-type]
    assert match is not None
    return match.group(1)


async def test_a_guide_sends_a_card_only_with_the_residents_code(office: Office) -> None:
    await invite_guide(office)
    # The resident's code, from the command or the button under /start (Telegram only).
    [welcome] = await office.say("/start")
    assert [b.payload for b in welcome.buttons] == [CONSENT_PAYLOAD]
    [on_zalo] = await office.say("/start", platform=Platform.ZALO)
    assert not on_zalo.buttons
    assert "trò chuyện riêng" in await office.one("/dongy", group=True, chat="-5")
    pressed = CODE.search(await office.one(payload=CONSENT_PAYLOAD))
    assert pressed is not None

    # Others are refused, whatever they type.
    for user in (RESIDENT, STAFF_1):
        assert "chỉ dành cho thành viên Tổ công nghệ số" in await office.one(
            f"/huongdan {pressed.group(1)} đăng ký khai sinh", user=user
        )
    assert await office.outbox(CARD_KIND) == []

    # /huongdan alone asks for the code; junk is not counted, a wrong code is refused and asked again.
    assert "mã đồng ý 6 chữ số" in await office.one("/huongdan", user=GUIDE)
    assert "gồm đúng 6 chữ số" in await office.one("đăng ký khai sinh", user=GUIDE)
    wrong = f"{(int(pressed.group(1)) + 1) % 1_000_000:06d}"
    assert "Mã không đúng" in await office.one(wrong, user=GUIDE)
    assert "Người dân cần thủ tục gì" in await office.one(pressed.group(1), user=GUIDE)
    assert await office.outbox(CARD_KIND) == []
    sent = await office.all("đăng ký khai sinh", user=GUIDE)
    assert "Đã gửi thẻ thủ tục Đăng ký khai sinh (1.001193)" in sent
    assert "Đã gửi thẻ <b>Thủ tục cấp phép</b> (1.2)" in say.card_sent("Thủ tục cấp phép", "1.2")
    [row] = await office.outbox(CARD_KIND)
    assert (row.platform, row.chat_id, row.ref) == ("telegram", RESIDENT, "1.001193")
    card = payload_to_reply(row.payload)
    assert "Trần Hướng Dẫn" in card.text and "Đăng ký khai sinh" in card.text

    # The same code again is used up; an old one has expired; each says so.
    used = await office.one(f"/huongdan {pressed.group(1)} đăng ký khai sinh", user=GUIDE)
    assert "đã được dùng" in used
    stale = await consent_code(office, platform=Platform.ZALO, user="zz1")
    later(office, minutes=11)
    assert "đã hết hạn" in await office.one(f"/huongdan {stale}", user=GUIDE)
    assert len(await office.outbox(CARD_KIND)) == 1

    # Help shows each their part.
    assert "/dongy" in await office.one("/help")
    assert "/huongdan" not in await office.one("/help")
    assert "/huongdan" in await office.one("/help", user=GUIDE)


async def test_a_guide_cannot_use_their_own_code_and_dongy_is_rate_limited(office: Office) -> None:
    await invite_guide(office)
    own = await consent_code(office, user=GUIDE)
    assert "mã đồng ý của chính bạn" in await office.one(f"/huongdan {own}", user=GUIDE)
    assert await office.outbox(CARD_KIND) == []
    for _ in range(5):
        await consent_code(office)
    assert "nhiều mã đồng ý liên tiếp" in await office.one("/dongy")
