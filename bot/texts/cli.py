"""What the ``motcua`` command prints, in one place with the chat texts (plain text, no markup).

Grouped by command; placeholders in braces are filled with ``str.format``.
"""

from __future__ import annotations

from collections.abc import Sequence

LIMIT_INVALID = "--limit: cần một số từ 1 đến {limit}"
AT_LEAST_ONE = "cần một số từ 1 trở lên"
REFUSED = "bị từ chối ({reason})"

# --- motcua run / motcua chat ---
NO_CHANNEL = (
    "Không có gì để phục vụ: bật [http] web = true, hoặc đặt [telegram] token hoặc [zalo] token "
    "trong tệp cấu hình, "
    "hoặc biến môi trường MOTCUA_TELEGRAM_TOKEN / MOTCUA_ZALO_TOKEN."
)
DATABASE_IN_USE = (
    "Tệp cơ sở dữ liệu {database} đang được một tiến trình khác dùng (pid {pid}): mỗi tệp SQLite chỉ "
    "chạy được một bot (motcua run hoặc motcua chat). Hãy dừng tiến trình đó trước; muốn chạy nhiều "
    "tiến trình thì dùng PostgreSQL."
)
CHAT_PROMPT = "Bạn: "
CHAT_GREETING = (
    "Trợ lý tra cứu thủ tục hành chính. Hãy gõ câu hỏi, ví dụ: {example}\n"
    "Khi có danh sách lựa chọn, gõ số thứ tự (1, 2, …). Gõ /thoat hoặc Ctrl-D để thoát."
)

# --- The command itself: configuration, database, knowledge base (import, search, show, stats) ---
CONFIG_ERROR = "lỗi cấu hình: {error}"
SCHEMA = (
    "cơ sở dữ liệu chưa ở phiên bản mới nhất (hiện tại: {current}, cần: {head}).\n"
    "Hãy chạy: motcua{config} db upgrade"
)
SCHEMA_EMPTY = "trống"
DATABASE_ERROR = "không dùng được cơ sở dữ liệu {url}: {error}"
UP_TO_DATE = "Cơ sở dữ liệu đã ở phiên bản mới nhất ({head})."
UPGRADED = "Đã nâng cấp cơ sở dữ liệu: {before} -> {head}."
CURRENT_HEAD = "{current} (head)"
CURRENT_BEHIND = "{current} (chưa mới nhất: cần {head}; chạy motcua db upgrade)"
IMPORT_ERROR = "lỗi nhập dữ liệu: {error}\nKhông có gì được ghi vào cơ sở dữ liệu."
READING = "Đang đọc {paths}…"
WRITING = "Đang ghi {count} thủ tục vào cơ sở dữ liệu…"
PROGRESS = "  {percent:3d}% ({done}/{total} tệp)"
SUMMARY = (
    "Tệp đã đọc: {files}\n"
    "Thủ tục đọc được: {read}\n"
    "Thêm mới: {imported} | Cập nhật: {updated} | Không đổi: {unchanged}"
)
UNPARSED = "Trường chưa phân tích được (số thủ tục giữ nguyên văn): {counts}"
KEPT_REAL = "Giữ nguyên bản thật: bỏ qua {count} bản ghi MẪU (demo) trùng mã với thủ tục thật"
UNPARSED_NONE = "Mọi trường đều đã được phân tích."
PROBLEMS = "Ghi chú khi đọc ({count}):"
UNKNOWN_CODE = "không có thủ tục mã {code} trong cơ sở tri thức"
EMPTY_KB = "Cơ sở tri thức đang trống: hãy chạy motcua kb import ĐƯỜNG_DẪN trước."
CHANNEL_FAILED = "kênh không khởi động được (trò chuyện trong cửa sổ này vẫn dùng được): %s"
SEARCH_ANSWER = {
    "confident": "Chắc chắn",
    "choices": "Có vài lựa chọn gần nhau",
    "none": "Không tìm thấy",
}
STATS_TOTAL = "Tổng số thủ tục: {total} ({kind})"
STATS_REAL = "dữ liệu thật"
STATS_DEMO = "dữ liệu MẪU (demo), không dùng để làm thủ tục thật"
STATS_MIXED = "{real} thật, {demo} MẪU (demo)"
STATS_BY_SOURCE = "Theo nguồn"
STATS_BY_LEVEL = "Theo cấp thực hiện (một thủ tục có thể ở nhiều cấp)"
STATS_BY_FIELD = "Theo lĩnh vực"
STATS_TOP = " ({shown} nhiều nhất trong {total})"
STATS_DETAILS = "Có thông tin chi tiết:"
STATS_DOCUMENTS = "thành phần hồ sơ"
STATS_CHANNELS = "cách nộp và thời hạn"
STATS_FEES = "phí, lệ phí"
UNKNOWN_VALUE = "(không rõ)"


# --- motcua kb alias and kb unanswered ---
KB_BAD_PHRASE = "cách gọi khác phải có chữ hoặc số và dài không quá {max} ký tự"
KB_ALIAS_ADDED = (
    "Đã thêm cách gọi khác #{id} cho thủ tục {code}: “{phrase}”.\n"
    "Bot đang chạy sẽ dùng nó trong vòng {seconds} giây, không cần khởi động lại."
)
KB_ALIAS_EXISTS = "Thủ tục {code} đã có cách gọi này (#{id}: “{phrase}”); không thay đổi gì."
KB_ALIAS_REMOVED = "Đã xóa cách gọi khác #{id} của thủ tục {code}: “{phrase}”."
KB_NO_ALIAS = "không có cách gọi khác #{id}"
KB_NO_ALIASES = "Chưa có cách gọi khác nào."
KB_NO_UNANSWERED = "Chưa có câu hỏi nào bot không trả lời được."
SINCE_INVALID = "--since: cần ngày dạng YYYY-MM-DD"
KB_VARIANTS = " (+{count} cách viết gần giống)"
KB_SHOWN = (
    '{shown}/{total} nhóm câu hỏi; cách viết đã bỏ dấu. Thêm cách gọi khác: motcua kb alias add MÃ "câu hỏi"'
)
KB_ALIAS_HEADERS = ("#", "Mã thủ tục", "Cách gọi khác", "Thêm lúc", "Người thêm")
KB_UNANSWERED_HEADERS = ("Số lần", "Không thấy", "Không chọn", "Lần cuối", "Câu hỏi")


# --- motcua dossier ---


def dossier_import_epilog(required: Sequence[str], optional: Sequence[str]) -> str:
    """The help after ``motcua dossier import --help``: the columns and what they hold."""
    return (
        "Cột (dòng tiêu đề CSV, hoặc khóa JSON Lines; thứ tự tùy ý, cột lạ bị bỏ qua, ô trống = không có):\n"
        "  bắt buộc: " + ", ".join(required) + "\n"
        "  tùy chọn: " + ", ".join(optional) + "\n"
        "  status: received, in_progress, supplement_requested, ready, returned, rejected, withdrawn\n"
        "  thời điểm: ISO 8601 (2025-07-22T08:30:00+07:00; không có múi giờ = giờ Việt Nam);\n"
        "    due_at/new_due_at chỉ có ngày = cuối ngày đó\n"
        "  online: true/false (CSV nhận cả 1/0, có/không); phone: chỉ lưu mã băm có khóa và 4 số cuối\n"
        "  event_id: mã duy nhất của thay đổi; để trống thì tự tạo từ nội dung dòng (nhập lại không trùng)\n"
        "Mã thoát: 0 mọi dòng tốt; 1 có dòng lỗi (các dòng tốt vẫn được ghi); 2 tệp hỏng hoặc lỗi cấu hình."
    )


DOSSIER_NO_HASH_KEY = (
    "lỗi cấu hình: chưa đặt [dossiers] hash_key (hoặc MOTCUA_DOSSIER_HASH_KEY), "
    "cần để lưu số điện thoại dưới dạng mã băm"
)
DOSSIER_FILE_ERROR = "tệp không nhập được: {error}\nKhông có gì được ghi vào cơ sở dữ liệu."
DOSSIER_IMPORT_SUMMARY = (
    "Dòng dữ liệu: {rows}\n"
    "Đã áp dụng: {applied} (hồ sơ mới: {created}; sự kiện cũ hơn trạng thái hiện tại: {stale})\n"
    "Đã có từ trước (bỏ qua): {duplicates}\n"
    "Thông báo đưa vào hàng đợi gửi: {notices}\n"
    "Dòng lỗi: {errors}"
)
DOSSIER_ROW_ERROR = "  dòng {line}: {reasons}"
DOSSIER_MORE_ERRORS = "  … (+{count} dòng lỗi nữa)"
DOSSIER_PROGRESS = "  đã đọc {rows} dòng, áp dụng {applied}"
DOSSIER_BAD_DATE = "ngày không hợp lệ (cần YYYY-MM-DD): {value!r}"
DOSSIER_STATS_PERIOD = "Hồ sơ tiếp nhận {period}{agency}"
DOSSIER_PERIOD_ALL = "từ trước tới nay"
DOSSIER_PERIOD_FROM_TO = "từ {start} đến {end}"
DOSSIER_PERIOD_FROM = "từ {start}"
DOSSIER_PERIOD_TO = "đến {end}"
DOSSIER_AGENCY_FILTER = " (cơ quan có tên chứa “{agency}”)"
DOSSIER_STATS_EMPTY = "Không có hồ sơ nào trong khoảng này."
DOSSIER_TOTAL_LABEL = "Tổng cộng"
DOSSIER_NO_AGENCY = "(không rõ)"
DOSSIER_TABLE_HEADERS = (
    "Cơ quan",
    "Tiếp nhận",
    "Trước hạn",
    "Đúng hạn",
    "Trễ hạn",
    "Đang giải quyết",
    "Quá hạn chưa xong",
    "Trực tuyến",
    "Hài lòng (TB)",
    "Lượt đánh giá",
)


# --- motcua people, unit and group ---
PEOPLE_INACTIVE = " (ngừng)"
PEOPLE_UNIT_NAME_EMPTY = "NAME: không được để trống"
PEOPLE_LEADER_SUFFIX = ", lãnh đạo #{leader}"
PEOPLE_INVITED = "Đã tạo mã mời cho {name} (#{person_id}, {role}{unit}), hết hạn {expires}:\n  {code}"
PEOPLE_DEEP_LINK = "Gửi cho người được mời đường dẫn: https://t.me/{bot}?start={code}"
PEOPLE_REGISTER = "Người được mời gửi cho bot: /dangky {code}"
PEOPLE_NO_UNIT = "không có đơn vị {unit!r} (tạo bằng: motcua unit create TÊN)"
PEOPLE_UNIT_NEEDED = "--unit: vai trò {role} cần một đơn vị"
PEOPLE_BAD_HOURS = "--hours: từ 1 đến {limit}"
PEOPLE_EMPTY_NAME = "--name: không được để trống"
PEOPLE_NO_PEOPLE = "Chưa có ai."
PEOPLE_UNIT_EXISTS = "đã có đơn vị {name!r} (#{unit_id})"
PEOPLE_NO_PERSON = "--leader: không có người #{person}"
PEOPLE_UNIT_CREATED = "Đã tạo đơn vị {name} (#{unit_id}){leader}"
PEOPLE_NO_UNITS = "Chưa có đơn vị nào."
PEOPLE_NO_UNIT_NAMED = "không có đơn vị {unit!r} (xem: motcua unit list)"
PEOPLE_NO_PERSON_ID = "không có người #{person} (xem: motcua people list)"
PEOPLE_LEADER_SET = "Đã đặt {name} (#{person_id}) làm lãnh đạo {unit} (#{unit_id})."
PEOPLE_PROMOTED = "Vai trò của {name} chuyển từ {old} sang lãnh đạo: từ nay soạn được chỉ đạo cho đơn vị."
PEOPLE_NO_GROUPS = (
    "Chưa có nhóm nào. Lãnh đạo hoặc quản trị viên gõ /nhom TÊN ĐƠN VỊ trong nhóm chat để đăng ký."
)
PEOPLE_GROUP_INACTIVE = "ngừng"
PEOPLE_GROUP_ACTIVE = "hoạt động"
PEOPLE_PEOPLE_HEADERS = ("#", "Họ tên", "Vai trò", "Đơn vị", "Đã liên kết")
PEOPLE_UNIT_HEADERS = ("#", "Đơn vị", "Lãnh đạo")
PEOPLE_GROUP_HEADERS = ("#", "Nhóm", "Đơn vị", "Nền tảng", "Mã nhóm", "Trạng thái")


# --- motcua directive ---
DIRECTIVE_FILE_MISSING = "không tìm thấy {path}"
DIRECTIVE_URGENCY = {"khan": "khẩn", "thuong": "thường"}
DIRECTIVE_REPORT_HEAD = "Chỉ đạo #{id}: {title} ({status}; lần {occurrence})"
DIRECTIVE_REPORT_MESSAGES = "Tin: {sent} đã gửi, {failed} lỗi, {waiting} đang chờ; có thể trùng: {duplicates}"
DIRECTIVE_NO_UNIT = "(không đơn vị)"
DIRECTIVE_UNIT_HEADERS = ("Đơn vị", "Đã gửi", "Lỗi", "Đang chờ", "Chưa liên kết", "Đã nhận")
DIRECTIVE_CHAT_HEADERS = ("Người nhận", "Cuộc trò chuyện", "Trạng thái", "Lý do", "Gửi lúc")
DIRECTIVE_ACK_HEADERS = ("Người", "Xác nhận")
DIRECTIVE_POSSIBLE_DUPLICATE = " (có thể trùng)"
DIRECTIVE_ACKNOWLEDGED = "đã nhận {at} ({how})"
DIRECTIVE_NOT_ACKNOWLEDGED = "chưa nhận"
DIRECTIVE_ACK_HOW = {"button": "bấm nút", "keyword": "trả lời", "number": "gõ số"}
DIRECTIVE_CREATE_EPILOG = """\
Khóa của tệp TOML:
  title = "..."            bắt buộc, tối đa 255 ký tự
  body = "..."             bắt buộc, tối đa 3500 ký tự
  urgency = "thuong"       "thuong" (thường, chờ qua giờ yên lặng) hoặc "khan" (khẩn, gửi ngay)
  ack_required = true      cần xác nhận "Đã nhận"
  ack_deadline = 2026-12-01T17:00:00+07:00
                           hạn xác nhận; mặc định [directives] ack_deadline_hours sau khi gửi
  ack_within_minutes = 120 (chỉ đạo định kỳ) mỗi lần phải xác nhận trong chừng ấy phút
  reminder_minutes = [30, 120]  nhắc người chưa xác nhận sau chừng ấy phút (tối đa 6 lần, mỗi lần
                           không quá 7 ngày); mặc định [directives] reminder_minutes; [] = không nhắc
  escalate_after = 1       sau chừng ấy lần nhắc thì báo lãnh đạo đơn vị (0 = không báo);
                           mặc định [directives] escalate_after
  image_url = "https://..."  link_url = "https://..."
  at = 2026-12-01T07:30:00+07:00            gửi lúc này (không có múi giờ = giờ Việt Nam)
  cron = "30 7 * * 1"      định kỳ theo cú pháp crontab (0/7 = Chủ nhật), hoặc "thứ hai hằng tuần 07:30"
                           (không có at và cron: gửi ngay)
  [audience]               ít nhất một mục
  units = ["Bộ phận một cửa", 2]    đơn vị theo tên hoặc số (xem: motcua unit list); gửi tới từng
                           người của đơn vị và vào các nhóm chat đã đăng ký cho đơn vị bằng /nhom
  unit_groups = false      chỉ nhắn riêng từng người, không gửi vào nhóm của đơn vị
  groups = ["Nhóm Bộ phận một cửa", 3]  nhóm theo tên hoặc số (xem: motcua group list)
  tags = ["tiep dan"]      people = [5, 7]      người theo số (xem: motcua people list)
Mã thoát: 0 xong; 1 tệp hợp lệ nhưng bị từ chối (khóa sai, không có quyền, không tìm thấy); 2 tệp hỏng
hoặc lỗi cấu hình."""
DIRECTIVE_FILE = "tệp không đọc được: {error}"
DIRECTIVE_KEY = "{key}: {reason}"
DIRECTIVE_CREATED = "Đã tạo chỉ đạo #{id}: {title}"
DIRECTIVE_QUEUED = (
    "Đưa vào hàng đợi {queued} tin tới {chats} cuộc trò chuyện, gửi từ {due}; "
    "{unreachable} người chưa liên kết."
)
DIRECTIVE_ARMED = "Chỉ đạo định kỳ ({cron}), lần tới: {due}"
DIRECTIVE_NONE = "Chưa có chỉ đạo nào."
DIRECTIVE_CANCELLED = "Đã hủy chỉ đạo #{id}; {stopped} tin chưa gửi được dừng lại."
DIRECTIVE_NOT_FOUND = "không có chỉ đạo #{id}"
DIRECTIVE_CHANGED = "Đã sửa chỉ đạo #{id}: {fields}"
DIRECTIVE_UNCHANGED = "Chỉ đạo #{id} không có gì thay đổi."
DIRECTIVE_NOT_CHANGEABLE = "không sửa được chỉ đạo #{id}: đã gửi hoặc đã hủy"
DIRECTIVE_LIST_HEADERS = ("#", "Tiêu đề", "Mức độ", "Lịch", "Trạng thái", "Lần tới / tạo lúc")
DIRECTIVE_STATUS_TEXT = {
    "delivered": "đã gửi",
    "failed": "lỗi",
    "pending": "đang chờ",
    "unreachable": "chưa liên kết",
}


# --- motcua audit ---
AUDIT_HEADERS = ("Thời gian", "Ai", "Hành động", "Đối tượng", "Chi tiết")
AUDIT_NONE = "Không có mục nào trong nhật ký."
AUDIT_OBJECT = "--object: cần dạng LOẠI:SỐ, ví dụ directive:12"


# --- motcua report, feedback list (input and file errors) ---
REPORT_OUT_OF_RANGE = "--from/--to: ngày nằm ngoài khoảng dùng được (từ năm 1900 đến năm 9998)"
REPORT_NO_AGENCY = "--agency: không có cơ quan nào có tên chứa «{agency}» trong hồ sơ hay câu hỏi đã ghi"
FILE_ERRORS = {
    "ENOENT": "thư mục không tồn tại",
    "EACCES": "không có quyền ghi",
    "EPERM": "không có quyền ghi",
    "EISDIR": "đó là một thư mục",
    "ENOTDIR": "một phần của đường dẫn không phải thư mục",
    "ENOSPC": "hết chỗ trống trên đĩa",
    "EROFS": "ổ đĩa chỉ cho đọc",
}
FILE_ERROR_OTHER = "lỗi hệ thống (mã {code})"
LIMIT_NOT_POSITIVE = "--limit: cần một số nguyên dương, không phải {value!r}"
