"""What ``motcua doctor`` prints: each check's finding and how to fix it (plain text, no markup).

Placeholders in braces are filled with ``str.format``; no line ever holds a token or a password.
"""

from __future__ import annotations

TITLE = "Kiểm tra cấu hình, cơ sở dữ liệu và kết nối của motcua"
LEVELS = {"ok": "[ổn]   ", "warn": "[lưu ý]", "fail": "[lỗi]  "}
FIX = "        → Cách sửa: {fix}"
ALL_GOOD = "Kết luận: mọi thứ đều ổn."
ALL_GOOD_WITH_NOTES = "Kết luận: không có lỗi; có {count} điều nên xem lại (dòng [lưu ý])."
PROBLEMS = "Kết luận: có {count} lỗi cần sửa (dòng [lỗi])."

# --- configuration ---
CONFIG_OK = "Cấu hình: đọc được {source}"
CONFIG_DEFAULTS = "giá trị mặc định (không có --config hay MOTCUA_CONFIG)"
CONFIG_BAD = "Cấu hình: {error}"
CONFIG_BAD_FIX = (
    "sửa lỗi được nêu (tệp chỉ định bằng --config hoặc MOTCUA_CONFIG; config.example.toml liệt kê "
    "mọi khóa kèm giải thích), rồi chạy lại motcua doctor"
)
NO_CHANNEL = "Kênh: chưa bật kênh nào (Telegram, Zalo) và đã tắt web, motcua run sẽ không khởi động"
NO_CHANNEL_FIX = (
    "bật [http] web = true, hoặc đặt [telegram] token hoặc [zalo] token trong tệp cấu hình, "
    "hoặc biến môi trường MOTCUA_TELEGRAM_TOKEN / MOTCUA_ZALO_TOKEN"
)
HASH_KEY_EMPTY = "Hồ sơ: dossiers.hash_key đang trống, số điện thoại băm không có khóa rất dễ bị dò ngược"
HASH_KEY_FIX = "đặt dossiers.hash_key (hoặc MOTCUA_DOSSIER_HASH_KEY) trước khi nhập dữ liệu thật"

# --- database ---
DB_OK = "Cơ sở dữ liệu: kết nối được {url}"
DB_UNREACHABLE = "Cơ sở dữ liệu: không kết nối được {url} ({error})"
DB_UNREACHABLE_FIX = (
    "kiểm tra database.url (hoặc MOTCUA_DATABASE_URL); với PostgreSQL, kiểm tra máy chủ đang chạy, "
    "tên đăng nhập và mật khẩu"
)
DB_TIMEOUT = "quá {seconds:g} giây không trả lời"
SQLITE_MISSING = "Cơ sở dữ liệu: chưa có tệp {path}"
SCHEMA_OK = "Lược đồ cơ sở dữ liệu: mới nhất ({head})"
SCHEMA_BEHIND = "Lược đồ cơ sở dữ liệu: đang ở {current}, phiên bản motcua này cần {head}"
SCHEMA_EMPTY = "trống"
SCHEMA_FIX = "chạy: motcua{config} db upgrade"
SCHEMA_AHEAD = "Lược đồ cơ sở dữ liệu: {current} mới hơn phiên bản motcua này (phiên bản này cần {head})"
SCHEMA_AHEAD_FIX = (
    "cài phiên bản motcua đã nâng cấp cơ sở dữ liệu này, rồi khởi động lại; "
    "phiên bản cũ không chạy trên lược đồ mới hơn"
)

# --- tokens and webhooks ---
PLATFORMS = {"telegram": "Telegram", "zalo": "Zalo"}
BOT_OK = "{platform}: token hợp lệ, bot {name}"
REFUSED = "{platform}: token bị từ chối ({status} {error})"
REFUSED_FIX = {
    "telegram": (
        "kiểm tra [telegram] token hoặc MOTCUA_TELEGRAM_TOKEN; lấy token đúng từ @BotFather (lệnh /token)"
    ),
    "zalo": "kiểm tra [zalo] token hoặc MOTCUA_ZALO_TOKEN; lấy token đúng trên trang quản lý Zalo Bot",
}
API_UNREACHABLE = "{platform}: không gọi được {host} ({error})"
API_UNREACHABLE_FIX = "kiểm tra kết nối mạng, tường lửa, proxy và {key}.base_url"
TIMEOUT = "quá {seconds:g} giây không trả lời"

WEBHOOK_OK = "{platform}: webhook trỏ đúng tới {host}"
WEBHOOK_PENDING = "{platform}: {count} cập nhật đang chờ bot nhận"
WEBHOOK_NOT_SET = '{platform}: webhook chưa được đặt (mode = "webhook")'
WEBHOOK_NOT_SET_FIX = "khởi động bot (motcua run): bot tự đặt webhook mỗi lần khởi động"
WEBHOOK_ELSEWHERE = "{platform}: webhook đang trỏ tới {host}, không phải {key}.webhook_url ({expected})"
WEBHOOK_ELSEWHERE_FIX = (
    "nếu {key}.webhook_url đúng, khởi động lại bot để đặt lại webhook; "
    "nếu không, kiểm tra xem có máy khác đang chạy bot với cùng token"
)
WEBHOOK_LAST_ERROR = "{platform}: lần gần nhất gọi webhook bị lỗi: {error}"
WEBHOOK_LAST_ERROR_FIX = (
    "kiểm tra máy chủ web đứng trước (ví dụ nginx) chuyển {path} tới cổng [http] của bot, "
    "chứng chỉ HTTPS còn hạn, và bot đang chạy"
)
POLLING_OK = "{platform}: chế độ polling, không có webhook"
POLLING_WITH_WEBHOOK = '{platform}: mode = "polling" nhưng đang có webhook trỏ tới {host}'
POLLING_WITH_WEBHOOK_FIX = {
    "telegram": (
        'motcua run sẽ xóa webhook này; nếu một máy khác đang nhận qua webhook đó, đặt mode = "webhook"'
    ),
    "zalo": (
        'motcua run sẽ từ chối khởi động; đặt mode = "webhook", hoặc xóa webhook nếu thật sự muốn polling'
    ),
}
