"""What residents and guides read in guide mode (/dongy, /huongdan); HTML markup like the other texts."""

from __future__ import annotations

import unicodedata

from bot.markup import bold, esc

# --- The resident: /dongy and its button ---

CONSENT_BUTTON = "🔐 Lấy mã đồng ý cho cán bộ hướng dẫn"
CONSENT_PRIVATE_ONLY = (
    "Mã đồng ý chỉ được cấp trong cuộc trò chuyện riêng với tôi. Bạn hãy nhắn riêng cho tôi: /dongy"
)
CONSENT_LIMIT = (
    "Bạn vừa lấy nhiều mã đồng ý liên tiếp. Bạn dùng mã mới nhất, hoặc chờ ít phút rồi gõ /dongy lại."
)
CONSENT_HELP = "• /dongy: lấy mã đồng ý để cán bộ Tổ công nghệ số gửi thông tin thủ tục vào đây cho bạn"


def consent_code(code: str, minutes: int, until: str) -> str:
    """The resident's consent code: what it allows, for how long, and not to share it with strangers."""
    return (
        f"🔐 Mã đồng ý của bạn: <code>{esc(code)}</code>\n"
        "\n"
        "Bạn đọc mã này cho cán bộ Tổ công nghệ số cộng đồng đang hướng dẫn bạn. Với mã này, cán bộ "
        "gửi được thông tin thủ tục vào cuộc trò chuyện này.\n"
        f"Mã dùng được một lần, trong {minutes} phút (đến {esc(until)}). "
        "Đừng đưa mã cho người bạn không quen."
    )


def card_from_guide(guide_name: str) -> str:
    """The line above a card a guide sent to the resident."""
    return (
        f"📨 Cán bộ Tổ công nghệ số cộng đồng {bold(guide_name)} gửi bạn thông tin thủ tục "
        "(theo mã đồng ý bạn đã đưa):"
    )


# --- The guide: /huongdan ---

GUIDE_REFUSED = (
    "Lệnh /huongdan chỉ dành cho thành viên Tổ công nghệ số cộng đồng.\n"
    "Bạn muốn tra cứu thủ tục thì cứ hỏi tôi; gõ /help để xem cách dùng. Nếu đang có cán bộ hướng dẫn "
    "bạn, gõ /dongy để lấy mã đồng ý đưa cho cán bộ."
)
GUIDE_PRIVATE_ONLY = (
    "Hãy dùng /huongdan trong cuộc trò chuyện riêng với tôi: mã đồng ý của người dân không gõ trong nhóm."
)
ASK_CODE = (
    "Hãy nhập <b>mã đồng ý 6 chữ số</b> của người dân. Người dân nhắn /dongy cho tôi "
    "(trên Telegram hoặc Zalo) để lấy mã."
)
CODE_FORMAT = "Mã đồng ý gồm đúng 6 chữ số, ví dụ <code>123456</code>. Bạn nhập lại, hoặc gõ /huy để thôi."
CODE_WRONG = "❌ Mã không đúng. Bạn đối chiếu lại từng chữ số với người dân rồi nhập lại."
CODE_USED = "❌ Mã này đã được dùng rồi; mỗi mã chỉ dùng một lần. Người dân gõ /dongy để lấy mã mới."
CODE_OWN = (
    "❌ Đây là mã đồng ý của chính bạn. Mã phải do người dân bạn đang hướng dẫn lấy bằng /dongy "
    "trong cuộc trò chuyện của họ."
)
CODE_ACCEPTED = "✅ Mã đúng."
ASK_PROCEDURE = (
    "✅ Mã đúng. Người dân cần thủ tục gì? Gõ tên hoặc mã thủ tục, ví dụ: <i>đăng ký khai sinh</i>."
)
ASK_QUERY_AGAIN = "Bạn gõ tên hoặc mã thủ tục cần gửi cho người dân."
NOT_FOUND = "Không tìm thấy thủ tục phù hợp. Bạn thử từ khóa khác, hoặc gõ mã thủ tục."
CHOOSE = "Chọn thủ tục để gửi cho người dân:"
SESSION_GONE = (
    "Phiên hướng dẫn này đã kết thúc hoặc hết hạn. Gõ /huongdan để bắt đầu lại với mã mới của người dân."
)
GUIDE_HELP = (
    "• /huongdan: tra thủ tục giúp người dân và gửi thẻ thủ tục vào cuộc trò chuyện của họ "
    "(cần mã đồng ý 6 số người dân lấy bằng /dongy)"
)


def code_expired(minutes: int) -> str:
    """A code past its time."""
    return f"⌛ Mã này đã hết hạn (mã chỉ dùng được trong {minutes} phút). Người dân gõ /dongy để lấy mã mới."


def code_locked(until: str) -> str:
    """Too many wrong codes: when the guide may try again."""
    return f"⛔ Bạn đã nhập sai mã quá nhiều lần. Bạn thử lại sau {esc(until)}."


def card_sent(name: str, code: str) -> str:
    """The guide's confirmation: the card is on its way to the resident."""
    # Many names start with "Thủ tục" already: do not say it twice.
    what = "thẻ" if unicodedata.normalize("NFC", name).casefold().startswith("thủ tục") else "thẻ thủ tục"
    return (
        f"📨 Đã gửi {what} {bold(name)} ({esc(code)}) vào cuộc trò chuyện của người dân. "
        "Mã đồng ý đã dùng xong. Dưới đây là thẻ để bạn cùng người dân xem:"
    )


# --- motcua guide log (plain text) ---

CLI_HEADING = "Hoạt động của Tổ công nghệ số cộng đồng, từ {start} đến {end}"
CLI_FROM_START = "đầu"
CLI_NONE = "Chưa có thẻ thủ tục nào được gửi trong thời gian này."
CLI_GUIDE = "{name}: giúp {residents} người dân, gửi {cards} thẻ thủ tục"
CLI_DATE_INVALID = "--from/--to: cần ngày dạng YYYY-MM-DD"
CLI_PERIOD_EMPTY = "--from/--to: ngày bắt đầu phải trước ngày kết thúc"
CLI_UNIT_UNKNOWN = "--unit: không có đơn vị {unit}"
