"""What the public pages (procedure card, search, dossier status) and the QR posters say (Vietnamese)."""

from __future__ import annotations

from bot.config import CentreConfig
from bot.markup import esc
from bot.texts import contact

CARD_SECTIONS = "Xem thêm"
CONTINUE_HEADING = "Hỏi tiếp trong ứng dụng chat"
CONTINUE_TELEGRAM = "Mở trong Telegram"
CONTINUE_ZALO = "Nhắn qua Zalo"
SEARCH_AGAIN = "Tìm thủ tục khác"
DOSSIER_LINK = "Tra cứu tình trạng hồ sơ"

NOT_FOUND_TITLE = "Không tìm thấy thủ tục"
NOT_FOUND_LEAD = "Không có thủ tục nào mang mã này. Mã có thể đã gõ sai hoặc thủ tục đã thôi áp dụng."
NOT_FOUND_HINT = "Bạn có thể tìm thủ tục theo tên:"

SEARCH_TITLE = "Kết quả tìm kiếm"
SEARCH_CHOICES = "Có thể bạn cần một trong các thủ tục sau:"
SEARCH_CODE = "Mã"

DOSSIER_TITLE = "Tra cứu tình trạng hồ sơ"
DOSSIER_LEAD = (
    "Nhập mã số biên nhận trên giấy hẹn trả kết quả (ví dụ 000.00.00.H00-250101-0001). "
    "Trang chỉ hiện tình trạng hồ sơ, không hiện thông tin cá nhân."
)
DOSSIER_LABEL = "Mã số biên nhận"
DOSSIER_BUTTON = "Tra cứu"
DOSSIER_FORBIDDEN = "Yêu cầu không đến từ trang của chúng tôi. Bạn mở lại trang tra cứu rồi thử lại nhé."
SEARCH_TOO_FAST = "Có quá nhiều lượt tra cứu từ cùng mạng của bạn. Vui lòng chờ khoảng một phút rồi thử lại."

POSTER_SCAN = "Quét để xem hồ sơ cần chuẩn bị"
POSTER_CODE = "Mã thủ tục"
POSTER_BRING = "Cần mang"
POSTER_TELEGRAM = "Hoặc mở trong Telegram"
POSTER_MORE = "… và các giấy tờ khác: quét mã để xem đủ."

CLI_NO_PUBLIC_URL = (
    'Chưa đặt địa chỉ công khai: thêm public_url = "https://..." vào bảng [http] của tệp cấu hình '
    "(địa chỉ người dân mở được), rồi chạy lại."
)
CLI_UNKNOWN_CODES = "Không có thủ tục mang mã: {codes}. Không tạo tệp nào."
CLI_NO_CODES = "Cần ít nhất một mã thủ tục."
CLI_WROTE = "Đã tạo {path}"

WHERE_TITLE = "Nộp hồ sơ ở đâu"
WHERE_PHONE = "Điện thoại hỏi thêm"
TRY_AGAIN_WEB = (
    "Bạn thử hỏi lại bằng tên thủ tục hoặc vài từ chính, ví dụ: <i>đăng ký khai sinh</i>, "
    "<i>cấp đổi giấy phép lái xe</i>."
)


def no_match(query: str, centre: CentreConfig) -> str:
    """The web's honest "I don't know": what was asked, how to ask better (no chat commands), where to ask."""
    return (
        f"Tôi chưa tìm thấy thủ tục nào phù hợp với «{esc(query)}».\n\n{TRY_AGAIN_WEB}\n\n{contact(centre)}"
    )
