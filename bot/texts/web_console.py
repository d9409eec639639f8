"""What the staff console and its ``/web`` login link say (Vietnamese)."""

from __future__ import annotations

from html import escape

LINK_IN_PRIVATE = "Để bảo mật, bạn vui lòng nhắn riêng với tôi: /web"
LINK_NO_ADDRESS = "Trang quản trị chưa được bật: cần khai báo địa chỉ web (http.public_url)."
LINK_NOT_STAFF = "Trang quản trị chỉ dành cho cán bộ, lãnh đạo và quản trị viên đã đăng ký."


def login_link(url: str) -> str:
    """The chat message carrying the one-time link (HTML)."""
    return (
        f'Mở trang quản trị: <a href="{escape(url)}">đăng nhập</a>\n'
        "Liên kết chỉ dùng được một lần, trong 10 phút. Đừng chuyển cho người khác."
    )


TITLE = "Trang quản trị"
LOGIN_REFUSED_TITLE = "Liên kết không dùng được"
LOGIN_REFUSED = (
    "Liên kết đăng nhập đã hết hạn hoặc đã được dùng. "
    "Hãy nhắn /web cho bot trong tin nhắn riêng để nhận liên kết mới."
)
LOGIN_NEEDED_TITLE = "Cần đăng nhập"
LOGIN_NEEDED = "Nhắn /web cho bot trong tin nhắn riêng (Telegram hoặc Zalo) để nhận liên kết đăng nhập."
FORBIDDEN_TITLE = "Không có quyền"
FORBIDDEN = "Vai trò của bạn không được mở trang này."
CSRF_FAILED = "Biểu mẫu đã hết hạn. Hãy tải lại trang và thử lại."
LOGGED_OUT = "Bạn đã đăng xuất."
LOGOUT = "Đăng xuất"
HELLO = "Xin chào, {name}"

ROLES = {"admin": "quản trị viên", "leader": "lãnh đạo", "staff": "cán bộ"}

NAV_HOME = "Tổng quan"
NAV_FIGURES = "Số liệu"
NAV_DIRECTIVES = "Chỉ đạo"
NAV_UNANSWERED = "Câu hỏi chưa trả lời"
NAV_FEEDBACK = "Góp ý"
NAV_AUDIT = "Nhật ký"

HOME_LEAD = "Chọn một mục ở trên."

AUDIT_TITLE = "Nhật ký thao tác"
AUDIT_WHEN = "Thời điểm"
AUDIT_WHO = "Người làm"
AUDIT_ACTION = "Thao tác"
AUDIT_OBJECT = "Đối tượng"
AUDIT_EMPTY = "Chưa có thao tác nào."

LOGIN_CONFIRM = "Bấm nút dưới đây để vào trang quản trị trên trình duyệt này."
LOGIN_BUTTON = "Đăng nhập"
