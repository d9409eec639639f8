"""Every string residents read, in Vietnamese, in one place a non-developer can review.

The bot calls itself "tôi" and the resident "bạn". Constants are ready-made reply markup
(see :mod:`bot.markup`); functions insert values and escape them, so callers pass raw text.
"""

from __future__ import annotations

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
