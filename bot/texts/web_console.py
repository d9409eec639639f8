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
NAV_POSTERS = "Mã QR, áp phích"

HOME_LEAD = "Bạn có thể:"

AUDIT_TITLE = "Nhật ký thao tác"
AUDIT_WHEN = "Thời điểm"
AUDIT_WHO = "Người làm"
AUDIT_ACTION = "Thao tác"
AUDIT_OBJECT = "Đối tượng"
AUDIT_EMPTY = "Chưa có thao tác nào."

LOGIN_CONFIRM = "Bấm nút dưới đây để vào trang quản trị trên trình duyệt này."
LOGIN_BUTTON = "Đăng nhập"

DIRECTIVES_TITLE = "Chỉ đạo"
DIRECTIVES_NEW = "Soạn chỉ đạo mới"
DIRECTIVES_EMPTY = "Chưa có chỉ đạo nào."
DIRECTIVE_HEADERS = ("#", "Tiêu đề", "Mức độ", "Trạng thái", "Tạo lúc")
URGENCY = {"khan": "Khẩn", "thuong": "Thường"}
DIRECTIVE_STATUS = {
    "draft": "nháp",
    "scheduled": "đã hẹn giờ",
    "sending": "đang gửi",
    "sent": "đã gửi",
    "cancelled": "đã hủy",
}
COMPOSE_TITLE = "Soạn chỉ đạo"
FIELD_TITLE = "Tiêu đề"
FIELD_BODY = "Nội dung"
FIELD_URGENCY = "Mức độ"
AUDIENCE = "Người nhận"
AUDIENCE_UNITS = "Đơn vị (cả nhóm chat của đơn vị)"
AUDIENCE_GROUPS = "Nhóm chat"
AUDIENCE_PEOPLE = "Từng người"
AUDIENCE_TAGS = "Nhãn (cách nhau bởi dấu phẩy)"
FIELD_ACK = "Yêu cầu xác nhận “Đã nhận”"
SCHEDULE = "Thời điểm gửi"
SCHEDULE_NOW = "Gửi ngay"
SCHEDULE_AT = "Gửi vào lúc"
SCHEDULE_CRON = "Định kỳ (ví dụ: 0 8 * * 1-5)"
PREVIEW_BUTTON = "Đếm người nhận"
SEND_BUTTON = "Gửi chỉ đạo"
PREVIEW = (
    "Sẽ gửi tới {chats} cuộc trò chuyện: {people} người, {groups} nhóm; "
    "{unreachable} người chưa liên kết tài khoản."
)
PREVIEW_NOBODY = "Chưa chọn người nhận nào."
DIRECTIVE_INVALID = "{field}: {reason}"
DIRECTIVE_OUTSIDE = "Bạn chỉ được gửi chỉ đạo cho đơn vị mình phụ trách."
DIRECTIVE_STATE = "Chỉ đạo này không thể thực hiện thao tác đó nữa."
DIRECTIVE_FIELDS = {
    "title": "Tiêu đề",
    "body": "Nội dung",
    "urgency": "Mức độ",
    "audience": "Người nhận",
    "schedule_kind": "Thời điểm gửi",
    "schedule_at": "Gửi vào lúc",
    "cron": "Lịch định kỳ",
    "ack_deadline": "Hạn xác nhận",
}
REPORT_TITLE = "Chỉ đạo #{id}: {title}"
REPORT_UNITS = "Theo đơn vị"
REPORT_UNIT_HEADERS = ("Đơn vị", "Đã gửi", "Lỗi", "Đang chờ", "Chưa liên kết", "Đã nhận")
REPORT_CHATS = "Theo cuộc trò chuyện"
REPORT_CHAT_HEADERS = ("Người / nhóm", "Trạng thái", "Lý do", "Gửi lúc")
REPORT_ACKS = "Xác nhận"
REPORT_ACK_HEADERS = ("Người", "Đã nhận lúc", "Cách")
REPORT_NOT_YET = "chưa nhận"
REPORT_CSV = "Tải CSV"
REPORT_CANCEL = "Hủy chỉ đạo"
NO_UNIT = "(không thuộc đơn vị)"
STATUS = {"delivered": "đã gửi", "failed": "lỗi", "pending": "đang chờ", "unreachable": "chưa liên kết"}
ACK_HOW = {"button": "bấm nút", "keyword": "trả lời", "number": "gõ số"}

FIGURES_PERIOD = "Kỳ"
FIGURES_WEEK = "Tuần trước"
FIGURES_MONTH = "Tháng trước"
FIGURES_FROM = "Từ ngày"
FIGURES_TO = "Đến ngày"
FIGURES_AGENCY = "Cơ quan"
FIGURES_ALL = "Tất cả cơ quan"
FIGURES_SHOW = "Xem"
FIGURES_REVERSED = "Ngày kết thúc đứng trước ngày bắt đầu: đang hiển thị kỳ mặc định."

QUESTIONS_TITLE = "Câu hỏi chưa trả lời được"
QUESTIONS_LEAD = (
    "Những câu người dân hỏi mà bot chưa trả lời được, hỏi nhiều nhất ở trên. "
    "Gắn một câu vào đúng thủ tục để lần sau bot trả lời được (có hiệu lực sau ít phút)."
)
QUESTIONS_HEADERS = ("Câu hỏi", "Tình huống", "Số lần", "Lần cuối")
QUESTION_KINDS = {"none": "không tìm thấy", "choices": "không chọn", "unhelpful": "trả lời chưa giúp được"}
QUESTIONS_EMPTY = "Chưa có câu hỏi nào."
ALIAS_HEADER = "Gắn vào thủ tục"
ALIAS_CODE = "Mã thủ tục"
ALIAS_BUTTON = "Gắn làm cách gọi khác"
ALIAS_NO_CODE = "Hãy nhập mã thủ tục."
ALIAS_UNKNOWN = "Không có thủ tục mã {code} trong cơ sở tri thức."
ALIAS_BAD = "Cách gọi khác phải có chữ hoặc số và dài không quá {max} ký tự."
ALIAS_ADDED = "Đã gắn “{phrase}” làm cách gọi khác của thủ tục {code}."
ALIAS_EXISTS = "Thủ tục {code} đã có cách gọi “{phrase}”."

FEEDBACK_TITLE = "Góp ý của người dân"
FEEDBACK_FILTERS = {"open": "Chưa trả lời", "overdue": "Quá hạn", "answered": "Đã trả lời", "": "Tất cả"}
FEEDBACK_STATUS = {"open": "chưa trả lời", "answered": "đã trả lời"}
FEEDBACK_LATE = "quá hạn"
FEEDBACK_ANSWER = "Trả lời"
FEEDBACK_SEND = "Gửi trả lời"
FEEDBACK_EMPTY_LIST = "Không có góp ý nào."
FEEDBACK_EMPTY = "Câu trả lời trống hoặc quá dài."
FEEDBACK_SENT = "Đã gửi trả lời góp ý {number} tới người dân."
FEEDBACK_REFUSED = {
    "unknown": "Không tìm thấy góp ý này.",
    "closed": "Góp ý này đã được trả lời.",
    "not_yours": "Góp ý này thuộc đơn vị khác.",
    "not_staff": "Bạn không được trả lời góp ý.",
}

NAV_HINTS = {
    "/console/figures": "hồ sơ, mức độ hài lòng, câu hỏi và xác nhận chỉ đạo theo kỳ và cơ quan",
    "/console/directives": "soạn, hẹn giờ, theo dõi ai đã nhận, xuất CSV, hủy",
    "/console/questions": "câu người dân hỏi mà bot chưa trả lời được",
    "/console/feedback": "góp ý của người dân gửi đơn vị, trả lời ngay tại đây",
    "/console/audit": "ai đã làm gì, khi nào",
    "/console/posters": "tải mã QR và áp phích A4 của thủ tục để dán tại bộ phận một cửa",
}

POSTERS_TITLE = "Mã QR và áp phích"
POSTERS_LEAD = (
    "Nhập mã thủ tục (mỗi mã cách nhau bởi dấu cách hoặc dấu phẩy, tối đa {most} mã). Áp phích PDF có một "
    "trang A4 cho mỗi thủ tục; mã QR (PNG) mở trang thủ tục của một mã."
)
POSTERS_CODES = "Mã thủ tục"
POSTERS_PDF = "Tải áp phích (PDF)"
POSTERS_PNG = "Tải mã QR (PNG)"
POSTERS_NO_URL = (
    "Chưa đặt địa chỉ web công khai: quản trị viên cần đặt [http] public_url trong tệp cấu hình để mã QR "
    "dẫn đúng tới trang thủ tục."
)
POSTERS_NO_CODES = "Hãy nhập ít nhất một mã thủ tục (tối đa {most} mã)."
POSTERS_UNKNOWN = "Không có thủ tục mã {codes} trong danh mục."
POSTERS_ONE_FOR_PNG = "Mã QR (PNG) làm cho một mã thủ tục mỗi lần; nhiều mã thì tải áp phích PDF."
