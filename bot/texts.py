"""Every string residents read, in Vietnamese, in one place a non-developer can review.

The bot calls itself "tôi" and the resident "bạn". Constants are ready-made reply markup
(see :mod:`bot.markup`); functions insert values and escape them, so callers pass raw text.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from bot.config import CentreConfig
from bot.markup import bold, esc, link

# ---------------------------------------------------------------------------
# Start and help
# ---------------------------------------------------------------------------

EXAMPLES = ("làm giấy khai sinh cho con", "đăng ký thường trú", "cấp lại thẻ căn cước")
"""Questions residents can copy to try the bot (shown in /start)."""


def welcome(centre_name: str) -> str:
    """The /start greeting: who I am, what I can do, examples to try."""
    examples = "\n".join(f"• <i>{esc(example)}</i>" for example in EXAMPLES)
    return (
        f"<b>Xin chào! Tôi là trợ lý tra cứu thủ tục hành chính của {esc(centre_name)}.</b>\n"
        "\n"
        "Bạn cứ hỏi tôi bằng lời bình thường. Tôi sẽ tìm thủ tục phù hợp và cho bạn biết "
        "cần chuẩn bị giấy tờ gì, nộp ở đâu, mất bao lâu và lệ phí bao nhiêu.\n"
        "\n"
        f"Bạn có thể thử hỏi:\n{examples}\n"
        "\n"
        "Gõ /help để xem các lệnh."
    )


HELP = (
    "<b>Tôi có thể giúp bạn tra cứu thủ tục hành chính.</b>\n"
    "\n"
    "• Hỏi bằng lời bình thường, ví dụ: <i>đăng ký kết hôn</i>\n"
    "• /tim <i>từ khóa</i>: tìm thủ tục theo từ khóa\n"
    "• /thutuc <i>mã</i>: xem thủ tục theo mã, ví dụ: /thutuc 1.000110\n"
    "• /hoso <i>mã hồ sơ</i>: xem tình trạng hồ sơ đã nộp (mã in trên giấy tiếp nhận)\n"
    "• /theodoi <i>mã hồ sơ</i>: nhận thông báo khi hồ sơ có thay đổi\n"
    "• /theodoi: xem các hồ sơ đang theo dõi\n"
    "• /huy <i>mã hồ sơ</i>: thôi theo dõi hồ sơ; /huy: dừng thao tác đang làm\n"
    "• /help: xem lại hướng dẫn này\n"
    "\n"
    "Khi tôi đưa ra nhiều lựa chọn, bạn bấm vào lựa chọn hoặc gõ số thứ tự (1, 2, 3…)."
)


def contact(centre: CentreConfig) -> str:
    """Where to get help from a person: the centre's name, phone, address and portal, when set."""
    details = [f"liên hệ {bold(centre.name)}" if centre.name else "liên hệ bộ phận một cửa nơi bạn sống"]
    if centre.phone:
        details.append(f"điện thoại {esc(centre.phone)}")
    if centre.address:
        details.append(f"địa chỉ {esc(centre.address)}")
    line = "Cần hỗ trợ trực tiếp, bạn " + ", ".join(details) + "."
    if centre.portal_url:
        line += f"\nBạn cũng có thể tra cứu trên {link(centre.portal_url, 'Cổng Dịch vụ công')}."
    return line


# ---------------------------------------------------------------------------
# Search answers
# ---------------------------------------------------------------------------

ASK_WHAT_TO_SEARCH = (
    "Bạn muốn tìm thủ tục gì? Bạn gõ tên thủ tục hoặc vài từ chính, "
    "ví dụ: <i>đăng ký khai sinh</i> hoặc /tim đăng ký khai sinh"
)

CHOICES_PROMPT = (
    "Tôi thấy có vài thủ tục gần với câu hỏi của bạn. "
    "Bạn chọn thủ tục phù hợp (bấm vào lựa chọn hoặc gõ số thứ tự):"
)

CHITCHAT = (
    "Rất vui được trò chuyện với bạn! Tôi chuyên giúp tra cứu thủ tục hành chính: "
    "giấy tờ cần chuẩn bị, nơi nộp, thời hạn và lệ phí.\n"
    "\n"
    "Bạn cần làm thủ tục gì, cứ hỏi tôi nhé, ví dụ: <i>đăng ký tạm trú</i>."
)

TRY_AGAIN_HINT = (
    "Bạn thử hỏi lại bằng tên thủ tục hoặc vài từ chính, ví dụ: <i>đăng ký khai sinh</i>, "
    "<i>cấp đổi giấy phép lái xe</i>. Nếu biết mã thủ tục, bạn gõ /thutuc kèm mã."
)


def no_match(query: str, centre: CentreConfig) -> str:
    """The honest "I don't know": what was asked, how to ask better, where to get help."""
    return (
        f"Tôi chưa tìm thấy thủ tục nào phù hợp với «{esc(query)}».\n\n{TRY_AGAIN_HINT}\n\n{contact(centre)}"
    )


def too_long(limit: int) -> str:
    """The reply to a message too long to search."""
    count = f"{limit:,}".replace(",", ".")  # Vietnamese groups thousands with dots.
    return (
        "Tin nhắn của bạn dài quá, tôi chưa tìm được thủ tục phù hợp. "
        f"Bạn vui lòng hỏi ngắn gọn trong một câu (dưới {count} ký tự), "
        "ví dụ: <i>đăng ký tạm trú</i>."
    )


def unknown_code(code: str) -> str:
    """The reply to /thutuc with a code that is not in the catalogue."""
    return (
        f"Tôi không tìm thấy thủ tục có mã {bold(code)}. "
        "Bạn kiểm tra lại mã (ví dụ: 1.000110) hoặc hỏi tôi bằng tên thủ tục."
    )


ASK_FOR_CODE = "Bạn gõ /thutuc kèm mã thủ tục, ví dụ: /thutuc 1.000110"

CHOICE_EXPIRED = "Lựa chọn này đã hết hạn. Bạn vui lòng hỏi lại để tôi tìm giúp."

# ---------------------------------------------------------------------------
# Errors and things the bot does not understand
# ---------------------------------------------------------------------------

ERROR = "Xin lỗi, tôi đang gặp sự cố. Bạn vui lòng thử lại sau ít phút."
"""For adapters: what to send when a handler fails unexpectedly."""

TEXT_ONLY = "Hiện tôi chỉ đọc được tin nhắn chữ. Bạn vui lòng gõ câu hỏi nhé."


def unknown_command(name: str) -> str:
    """The reply to a command no feature serves."""
    return (
        f"Tôi chưa hiểu lệnh /{esc(name)}. Bạn gõ /help để xem các lệnh tôi hỗ trợ, "
        "hoặc cứ hỏi tôi bằng lời bình thường."
    )


# ---------------------------------------------------------------------------
# The procedure card
# ---------------------------------------------------------------------------

DEMO_NOTICE = "⚠️ <b>DỮ LIỆU MẪU</b>: thông tin dưới đây chỉ để dùng thử, không dùng để làm thủ tục thật."

CARD_CODE = "Mã thủ tục"
CARD_LEVEL = "Cấp thực hiện"
CARD_AGENCY = "Cơ quan thực hiện"
CARD_FIELD = "Lĩnh vực"
CARD_AUDIENCE = "Dành cho"
CARD_DOCUMENTS = "Hồ sơ cần nộp"
CARD_MUST_SHOW = "Giấy tờ phải xuất trình"
CARD_CHANNELS = "Cách nộp, thời hạn và lệ phí"
CARD_TIME_LIMIT = "thời hạn"
CARD_FEE = "phí, lệ phí"
CARD_FEE_ALL = "Phí, lệ phí (mọi cách nộp)"
CARD_NO_TIME_LIMIT = "Thời hạn giải quyết: Cổng Dịch vụ công chưa ghi rõ, bạn hỏi thêm bộ phận một cửa."
CARD_STEPS = "Các bước thực hiện"
CARD_CONDITIONS = "Điều kiện"
CARD_RESULT = "Kết quả"
CARD_ORIGINALS = "bản chính"
CARD_COPIES = "bản sao"
CARD_TEMPLATE = "mẫu"
CARD_RAW_NOTE = "(trích nguyên văn từ danh mục)"
CARD_PORTAL_LINK = "Xem đầy đủ trên Cổng Dịch vụ công"
CARD_SEE_PORTAL = "Nội dung đã rút gọn, bạn xem đầy đủ theo đường dẫn cuối tin nhắn."


def card_more_documents(count: int) -> str:
    """The line closing a document list that was cut short."""
    return f"… và {count} giấy tờ khác"


def card_more_channels(count: int) -> str:
    """The line closing a list of ways to submit that was cut short."""
    return f"… và {count} cách nộp khác"


def card_more_steps(count: int) -> str:
    """The line closing a step list that was cut short."""
    return f"… và {count} bước nữa"


# ---------------------------------------------------------------------------
# Dossiers (hồ sơ): status, following, notices and ratings
# ---------------------------------------------------------------------------

DOSSIER_CODE_EXAMPLE = "000.00.24.H57-250722-0001"
"""What a receipt code looks like (Circular 01/2018/TT-VPCP), shown when a code is mistyped."""

DOSSIER_STATUS = {
    "received": "Đã tiếp nhận",
    "in_progress": "Đang giải quyết",
    "supplement_requested": "Cần bổ sung hồ sơ",
    "ready": "Đã có kết quả, chờ trả",
    "returned": "Đã trả kết quả",
    "rejected": "Không đủ điều kiện giải quyết",
    "withdrawn": "Đã rút hồ sơ",
}
"""Each dossier status in words, by its stored value."""

DOSSIER_TIMELINESS = {
    "early": "Giải quyết trước hạn",
    "on_time": "Giải quyết đúng hạn",
    "late": "Quá hạn",
    "pending": "Đang trong hạn",
}
"""Each timeliness value in words."""

DOSSIER_TITLE = "Hồ sơ"
DOSSIER_STATUS_LABEL = "Tình trạng"
DOSSIER_PROCEDURE = "Thủ tục"
DOSSIER_AGENCY = "Cơ quan tiếp nhận"
DOSSIER_RECEIVED = "Ngày tiếp nhận"
DOSSIER_DUE = "Hẹn trả kết quả"
DOSSIER_TIMELINESS_LABEL = "Tiến độ"
DOSSIER_UPDATED = "Cập nhật lần cuối"
DOSSIER_DELIVERY = "Cách nhận kết quả"
DOSSIER_NOTE = "Ghi chú"
DOSSIER_HISTORY = "Quá trình xử lý"
DOSSIER_NO_DUE = "chưa có"


def dossier_time(at: datetime, timezone: str = "Asia/Ho_Chi_Minh") -> str:
    """A moment as residents read it: ``dd/mm/yyyy HH:MM`` in the centre's time zone."""
    aware = at if at.tzinfo is not None else at.replace(tzinfo=UTC)
    return aware.astimezone(ZoneInfo(timezone)).strftime("%d/%m/%Y %H:%M")


def dossier_status_word(status: str) -> str:
    """A status in words, unescaped (an unknown value is shown as it is)."""
    return DOSSIER_STATUS.get(status, status)


def dossier_follow_hint(code: str) -> str:
    """The line under a status card: how to be told about changes."""
    return f"Để nhận thông báo khi hồ sơ có thay đổi, bạn gõ /theodoi {esc(code)}"


DOSSIER_USAGE = (
    "Bạn gõ /hoso kèm mã hồ sơ in trên giấy tiếp nhận và hẹn trả kết quả, "
    f"ví dụ: /hoso {DOSSIER_CODE_EXAMPLE}\n"
    "Bạn cũng có thể dán nguyên mã hồ sơ vào tin nhắn, tôi sẽ tự nhận ra."
)


def dossier_code_invalid(text: str) -> str:
    """The reply to something that is not a receipt code: what a code looks like."""
    shown = f" «{esc(text)}»" if text else ""
    return (
        f"Mã hồ sơ{shown} chưa đúng dạng. Mã hồ sơ gồm 3 phần nối bằng dấu gạch ngang, "
        f"ví dụ: <code>{DOSSIER_CODE_EXAMPLE}</code> (in trên giấy tiếp nhận và hẹn trả kết quả). "
        "Bạn kiểm tra lại và gõ đủ cả dấu chấm, dấu gạch ngang nhé."
    )


def dossier_not_found(code: str, centre: CentreConfig) -> str:
    """The reply to a well-formed code no dossier has: say so and where to ask."""
    return (
        f"Tôi không tìm thấy hồ sơ có mã {bold(code)}. Có thể hồ sơ mới nộp nên chưa cập nhật, "
        "hoặc mã bị gõ nhầm; bạn đối chiếu lại với giấy tiếp nhận và hẹn trả kết quả.\n\n"
        f"{contact(centre)}"
    )


DOSSIERS_UNAVAILABLE = (
    "Hiện tôi chưa tra cứu được hồ sơ. Bạn vui lòng thử lại sau hoặc liên hệ bộ phận một cửa."
)

DOSSIER_RATE_LIMITED = (
    "Bạn tra cứu hồ sơ hơi nhiều trong một phút vừa qua. Bạn vui lòng đợi khoảng một phút rồi thử lại nhé."
)

FOLLOW_USAGE = (
    "Bạn gõ /theodoi kèm mã hồ sơ để nhận thông báo khi hồ sơ có thay đổi, "
    f"ví dụ: /theodoi {DOSSIER_CODE_EXAMPLE}"
)

NO_SUBSCRIPTIONS = "Cuộc trò chuyện này chưa theo dõi hồ sơ nào.\n\n" + FOLLOW_USAGE


def subscriptions_list(lines: list[tuple[str, str]]) -> str:
    """The chat's followed dossiers: (code, status in words) each."""
    items = "\n".join(f"• <code>{esc(code)}</code>: {esc(status)}" for code, status in lines)
    return (
        f"<b>Các hồ sơ bạn đang theo dõi:</b>\n{items}\n\n"
        "Gõ /hoso kèm mã để xem chi tiết, /huy kèm mã để thôi theo dõi."
    )


def ask_phone_digits(code: str, minutes: int) -> str:
    """The second factor of /theodoi: ask for the last 4 digits of the applicant's phone."""
    return (
        f"Để theo dõi hồ sơ {bold(code)}, bạn gõ <b>4 chữ số cuối</b> của số điện thoại "
        f"người nộp hồ sơ (số đã khai khi nộp). Tôi chờ trong {minutes} phút.\n"
        "Gõ /huy nếu bạn không muốn tiếp tục."
    )


ASK_DIGITS_AGAIN = (
    "Bạn gõ đúng 4 chữ số cuối của số điện thoại người nộp hồ sơ, ví dụ: <code>6789</code>. "
    "Gõ /huy nếu bạn không muốn tiếp tục."
)


def subscribed(code: str) -> str:
    """Confirmation of a subscription, and what will be sent."""
    return (
        f"✅ Đã đăng ký theo dõi hồ sơ {bold(code)}. Tôi sẽ nhắn bạn khi:\n"
        "• hồ sơ có kết quả (nhận ở đâu, nhận thế nào);\n"
        "• hồ sơ cần bổ sung giấy tờ;\n"
        "• hồ sơ bị chậm so với ngày hẹn (kèm ngày hẹn mới);\n"
        "• hồ sơ đã trả kết quả (mời bạn đánh giá mức độ hài lòng).\n"
        f"Gõ /huy {esc(code)} nếu bạn muốn thôi theo dõi."
    )


def already_subscribed(code: str) -> str:
    """The reply to /theodoi for a dossier the chat already follows."""
    return (
        f"Cuộc trò chuyện này đã theo dõi hồ sơ {bold(code)} rồi, bạn không cần đăng ký lại. "
        f"Gõ /hoso {esc(code)} để xem tình trạng hiện tại."
    )


def wrong_digits(tries_left: int) -> str:
    """A wrong second factor, with how many tries are left."""
    return (
        "Số bạn gõ không khớp với số điện thoại người nộp hồ sơ. "
        f"Bạn còn {tries_left} lần thử; gõ lại 4 chữ số cuối, hoặc /huy để dừng."
    )


def verification_locked(until: str) -> str:
    """The reply while a user is locked out of verification (``until``: when they may try again)."""
    return (
        "Bạn đã nhập sai nhiều lần nên tạm thời chưa thể xác minh hồ sơ. "
        f"Bạn vui lòng thử lại sau {esc(until)}. Bạn vẫn có thể xem tình trạng hồ sơ bằng /hoso."
    )


def verify_in_private(code: str) -> str:
    """In a group: the digits are asked only in a private chat."""
    return (
        "Để bảo vệ thông tin cá nhân, tôi không hỏi số điện thoại trong nhóm. "
        f"Bạn nhắn riêng cho tôi /theodoi {esc(code)} để xác minh, "
        f"sau đó gõ lại /theodoi {esc(code)} trong nhóm này để cả nhóm cùng nhận thông báo."
    )


def group_subscribed(code: str) -> str:
    """Confirmation that a group follows a dossier a member verified in private."""
    return (
        f"✅ Nhóm này đã được đăng ký theo dõi hồ sơ {bold(code)}. Tôi sẽ báo vào nhóm khi hồ sơ có "
        f"thay đổi (không kèm thông tin cá nhân). Gõ /huy {esc(code)} để thôi theo dõi."
    )


def unsubscribed(code: str) -> str:
    """Confirmation of /huy CODE."""
    return f"Đã thôi theo dõi hồ sơ {bold(code)}. Bạn có thể gõ /theodoi {esc(code)} để theo dõi lại."


def not_subscribed(code: str) -> str:
    """The reply to /huy CODE for a dossier the chat does not follow."""
    return f"Cuộc trò chuyện này không theo dõi hồ sơ {bold(code)} nên không có gì để hủy."


CANCELLED = (
    "Đã dừng thao tác đang làm. Bạn cần gì cứ hỏi tôi nhé.\n"
    "Muốn thôi theo dõi một hồ sơ, bạn gõ /huy kèm mã hồ sơ."
)

# Notices the bot sends on its own when a followed dossier changes.

NOTICE_COLLECT_AT = "Nơi nhận kết quả"
NOTICE_HOW = "Cách nhận"


def notice_ready(code: str, procedure: str, agency: str, delivery: str, note: str) -> str:
    """The result is ready: where and how to collect it."""
    lines = [f"📬 <b>Hồ sơ {esc(code)} đã có kết quả.</b>"]
    if procedure:
        lines.append(f"{DOSSIER_PROCEDURE}: {esc(procedure)}")
    if agency:
        lines.append(f"{NOTICE_COLLECT_AT}: {esc(agency)}")
    if delivery:
        lines.append(f"{NOTICE_HOW}: {esc(delivery)}")
    if note:
        lines.append(f"{DOSSIER_NOTE}: {esc(note)}")
    lines.append("Khi đến nhận, bạn mang theo giấy tiếp nhận và hẹn trả kết quả cùng giấy tờ tùy thân.")
    return "\n".join(lines)


def notice_supplement(code: str, procedure: str, agency: str, note: str) -> str:
    """The dossier needs more papers: what is missing, when given."""
    lines = [f"📝 <b>Hồ sơ {esc(code)} cần bổ sung.</b>"]
    if procedure:
        lines.append(f"{DOSSIER_PROCEDURE}: {esc(procedure)}")
    lines.append(f"Cần bổ sung: {esc(note)}" if note else "Cơ quan chưa ghi rõ giấy tờ cần bổ sung.")
    where = esc(agency) if agency else "nơi bạn đã nộp hồ sơ"
    lines.append(f"Bạn vui lòng liên hệ {where} để bổ sung, mang theo giấy tiếp nhận và hẹn trả kết quả.")
    return "\n".join(lines)


def notice_late(centre_name: str, code: str, procedure: str, new_due: str, note: str) -> str:
    """The written apology for a late dossier, with the new date (Decree 61/2018/NĐ-CP)."""
    subject = f"hồ sơ {bold(code)}" + (f" ({esc(procedure)})" if procedure else "")
    promise = (
        f"hẹn trả kết quả vào {bold(new_due)}" if new_due else "sẽ sớm thông báo ngày hẹn trả kết quả mới"
    )
    lines = [
        f"🙏 <b>Thư xin lỗi</b>\n{esc(centre_name)} xin lỗi ông/bà vì {subject} chưa giải quyết đúng hạn; "
        f"{promise}."
    ]
    if note:
        lines.append(f"Lý do: {esc(note)}")
    lines.append("Mong ông/bà thông cảm. Chúng tôi sẽ nhắn ngay khi hồ sơ có kết quả.")
    return "\n".join(lines)


def notice_returned(centre_name: str, code: str, procedure: str) -> str:
    """The result was handed over: thanks, and the rating question."""
    subject = f"hồ sơ {bold(code)}" + (f" ({esc(procedure)})" if procedure else "")
    return (
        f"🎉 {subject[0].upper() + subject[1:]} đã được trả kết quả. "
        f"Cảm ơn bạn đã sử dụng dịch vụ của {esc(centre_name)}.\n\n"
        "<b>Bạn hài lòng với việc giải quyết hồ sơ ở mức nào?</b>\n"
        "1 = rất không hài lòng … 5 = rất hài lòng."
    )


def notice_status(code: str, status: str, procedure: str, note: str) -> str:
    """Any other change of a followed dossier."""
    lines = [f"ℹ️ Hồ sơ {bold(code)}: {esc(status)}."]
    if procedure:
        lines.append(f"{DOSSIER_PROCEDURE}: {esc(procedure)}")
    if note:
        lines.append(f"{DOSSIER_NOTE}: {esc(note)}")
    lines.append(f"Gõ /hoso {esc(code)} để xem chi tiết.")
    return "\n".join(lines)


RATING_LABELS = ("1 ⭐", "2 ⭐", "3 ⭐", "4 ⭐", "5 ⭐")
"""Button labels of the 1-5 rating (Zalo shows them as numbered choices, so "4" means 4)."""


def rating_thanks(score: int, updated: bool) -> str:
    """A rating was stored: thanks, and the optional comment."""
    first = "Tôi đã cập nhật đánh giá của bạn" if updated else "Cảm ơn bạn đã đánh giá"
    return (
        f"{first}: {score}/5.\n"
        "Bạn có muốn góp ý thêm không? Bạn gõ góp ý trong một tin nhắn, hoặc gõ /boqua để bỏ qua."
    )


RATING_INVALID = (
    "Lựa chọn đánh giá này không hợp lệ. Bạn chọn một mức từ 1 đến 5 trong tin nhắn mời đánh giá nhé."
)

RATING_NOT_ALLOWED = (
    "Chỉ người theo dõi hồ sơ này trong cuộc trò chuyện đã nhận thông báo mới đánh giá được. "
    "Nếu bạn là người nộp hồ sơ, bạn gõ /theodoi kèm mã hồ sơ để xác minh trước."
)

RATING_NOT_YET = "Hồ sơ này chưa trả kết quả nên chưa đánh giá được. Cảm ơn bạn đã quan tâm."

COMMENT_THANKS = "Cảm ơn góp ý của bạn! Tôi đã chuyển tới bộ phận một cửa để cải thiện chất lượng phục vụ."

COMMENT_SKIPPED = "Cảm ơn bạn! Bạn cần gì cứ hỏi tôi nhé."
