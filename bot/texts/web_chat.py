"""What the web chat, its widget and its kiosk say (Vietnamese)."""

from __future__ import annotations

CHAT_TITLE = "Hỏi đáp thủ tục hành chính"
GREETING = (
    "Xin chào! Bạn cần làm thủ tục gì? Hãy gõ câu hỏi, ví dụ: “làm giấy khai sinh cho con”. "
    "Tôi sẽ cho biết cần mang giấy tờ gì, nộp ở đâu, mất bao lâu và bao nhiêu tiền."
)
INPUT_LABEL = "Tin nhắn của bạn"
INPUT_PLACEHOLDER = "Nhập câu hỏi…"
SEND_BUTTON = "Gửi"
LOG_LABEL = "Cuộc trò chuyện"
CONNECTING = "Đang kết nối…"
OFFLINE = "Mất kết nối. Đang thử kết nối lại…"
NOSCRIPT = "Trang hỏi đáp cần bật JavaScript. Bạn vẫn có thể tra cứu thủ tục ở trang chủ."
HOME_LINK = "Về trang chủ"

TOO_FAST_SESSION = "Bạn gửi tin nhắn nhanh quá. Vui lòng chờ khoảng một phút rồi hỏi tiếp."
TOO_FAST_ADDRESS = "Có quá nhiều tin nhắn từ cùng mạng của bạn. Vui lòng chờ khoảng một phút rồi thử lại."
TOO_LONG = "Tin nhắn quá dài (tối đa {limit} ký tự). Bạn hãy hỏi ngắn gọn hơn."
BAD_FRAME = "Không đọc được tin nhắn vừa gửi. Bạn vui lòng gửi lại."
EMPTY = "Bạn hãy nhập câu hỏi trước khi gửi."
EXPIRED_CHOICE = "Lựa chọn này không còn dùng được. Bạn vui lòng hỏi lại."

WIDGET_OPEN = "Hỏi đáp thủ tục"
WIDGET_CLOSE = "Đóng"
KIOSK_RESET = "Phiên trước đã kết thúc để bảo vệ thông tin của bạn. Mời bạn bắt đầu câu hỏi mới."
KIOSK_NEW = "Bắt đầu lại"
TOO_MANY_TABS = "Bạn đang mở quá nhiều cửa sổ hỏi đáp. Hãy đóng bớt rồi tải lại trang."
TOO_MANY_SOCKETS = "Có quá nhiều cửa sổ hỏi đáp đang mở từ cùng một địa chỉ mạng. Bạn thử lại sau ít phút."
