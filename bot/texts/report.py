"""What the answer rating says in chat, and the words of the leaders' report (text, CSV and chart)."""

from __future__ import annotations

from datetime import date

# ---------------------------------------------------------------------------
# The 👍/👎 rating of an answer
# ---------------------------------------------------------------------------

RATE_QUESTION = "Câu trả lời có giúp được bạn không?"
RATE_YES = "👍 Có"
RATE_NO = "👎 Không"
RATE_THANKS_YES = "Cảm ơn bạn! Rất vui vì câu trả lời có ích."
RATE_THANKS_NO = (
    "Cảm ơn bạn đã cho biết. Cán bộ sẽ xem lại thông tin này. "
    "Bạn có thể hỏi lại bằng cách khác, hoặc gõ /tim kèm vài từ khác."
)
RATE_ALREADY = "Bạn đã đánh giá câu trả lời này rồi. Cảm ơn bạn!"
RATE_UNKNOWN = "Không còn tìm thấy câu trả lời này để đánh giá."

# ---------------------------------------------------------------------------
# The report
# ---------------------------------------------------------------------------

TITLE_WEEK = "BÁO CÁO TUẦN"
TITLE_MONTH = "BÁO CÁO THÁNG"
TITLE_RANGE = "BÁO CÁO"
AGENCY = "Cơ quan"
ALL_AGENCIES = "tất cả cơ quan"

QUESTIONS = "Câu hỏi về thủ tục"
ASKED = "Số câu hỏi"
CONFIDENT = "Trả lời chắc chắn"
CHOICES = "Đưa ra lựa chọn"
UNANSWERED = "Chưa trả lời được"

TOP_PROCEDURES = "Thủ tục được hỏi nhiều nhất"
NO_PROCEDURES = "(chưa có)"

DOSSIERS = "Hồ sơ"
RECEIVED = "Tiếp nhận"
EARLY = "Giải quyết trước hạn"
ON_TIME = "Đúng hạn"
LATE = "Trễ hạn"

SATISFACTION = "Mức độ hài lòng"
DOSSIER_RATING = "Đánh giá hồ sơ (1-5)"
ANSWER_RATING = "Câu trả lời có ích"
FEEDBACK_RATING = "Đánh giá trả lời góp ý (1-5)"
RATINGS = "lượt"

DIRECTIVES = "Chỉ đạo"
EXPECTED_ACKS = "Lượt cần xác nhận"
ACKNOWLEDGED = "Đã xác nhận"
MEDIAN_ACK = "Thời gian xác nhận (trung vị)"

FEEDBACK = "Góp ý, kiến nghị"
FEEDBACK_RECEIVED = "Tiếp nhận"
FEEDBACK_ANSWERED = "Đã trả lời"
FEEDBACK_OVERDUE = "Quá hạn trả lời"

GUIDES = "Hoạt động Tổ công nghệ số cộng đồng"
GUIDES_ACTIVE = "Thành viên có hỗ trợ"
GUIDE_CARDS = "Thẻ thủ tục đã gửi"
OTHER_PROCEDURES = "Thủ tục khác"
COUNTED = {"residents": "người dân", "cards": "thẻ"}
"""The noun after a count, by the line's format: "7 người dân", "12 thẻ"."""

ALL_UNITS = "mọi đơn vị"
"""Marks what an agency filter does not narrow (feedback, guides and directives belong to units)."""

TITLES = {
    "questions": QUESTIONS,
    "top_procedures": TOP_PROCEDURES,
    "dossiers": DOSSIERS,
    "satisfaction": SATISFACTION,
    "directives": DIRECTIVES,
    "feedback": FEEDBACK,
    "guides": GUIDES,
}
"""Section titles by section key (a section without one shows its key)."""
LABELS = {
    "asked": ASKED,
    "confident": CONFIDENT,
    "choices": CHOICES,
    "unanswered": UNANSWERED,
    "received": RECEIVED,
    "early": EARLY,
    "on_time": ON_TIME,
    "late": LATE,
    "dossier_rating": DOSSIER_RATING,
    "answer_helpful": ANSWER_RATING,
    "feedback_rating": FEEDBACK_RATING,
    "feedback_received": FEEDBACK_RECEIVED,
    "feedback_answered": FEEDBACK_ANSWERED,
    "feedback_overdue": FEEDBACK_OVERDUE,
    "guides_active": GUIDES_ACTIVE,
    "guide_cards": GUIDE_CARDS,
    "other": OTHER_PROCEDURES,
    "expected": EXPECTED_ACKS,
    "acknowledged": ACKNOWLEDGED,
    "median_ack_minutes": MEDIAN_ACK,
}
"""Line labels by line key (a line may carry its own, e.g. a procedure's code and name)."""

NOT_AVAILABLE = "—"
CHART_TITLE = "Tổng hợp {period}"
CHART_QUESTIONS = "Câu hỏi"
CHART_DOSSIERS = "Hồ sơ đã giải quyết"
CHART_FEEDBACK = "Góp ý, kiến nghị"
CHART_GUIDES = "Người dân được Tổ công nghệ số hỗ trợ"
NO_GUIDES = "(chưa có hoạt động)"
DIGEST_CAPTION = "Biểu đồ tổng hợp {period}"


def period_label(kind: str, first: date, last: date) -> str:
    """How leaders read a period: "tuần 30/11/2026 - 06/12/2026", "tháng 11/2026", or the two days."""
    span = f"{first:%d/%m/%Y} - {last:%d/%m/%Y}"
    if kind == "week":
        return f"tuần {span}"
    if kind == "month":
        return f"tháng {first:%m/%Y}"
    return span


def report_title(kind: str, first: date, last: date) -> str:
    """E.g. "BÁO CÁO TUẦN 30/11/2026 - 06/12/2026"."""
    span = f"{first:%d/%m/%Y} - {last:%d/%m/%Y}"
    if kind == "week":
        return f"{TITLE_WEEK} {span}"
    if kind == "month":
        return f"{TITLE_MONTH} {first:%m/%Y}"
    return f"{TITLE_RANGE} {span}"


def percent(part: int, whole: int) -> str:
    """``part`` of ``whole`` with one decimal and a Vietnamese comma ("60,0%"), or a dash."""
    return f"{100 * part / whole:.1f}%".replace(".", ",") if whole else NOT_AVAILABLE


def minutes(value: float) -> str:
    """A duration in minutes, as leaders read it: "45 phút", "3 giờ 20 phút"."""
    total = round(value)
    hours, rest = divmod(total, 60)
    if hours == 0:
        return f"{rest} phút"
    return f"{hours} giờ {rest} phút" if rest else f"{hours} giờ"


# ---------------------------------------------------------------------------
# `motcua report`
# ---------------------------------------------------------------------------

CLI_BAD_DATE = "ngày không hợp lệ (cần YYYY-MM-DD): {value!r}"
CLI_REVERSED = "--to phải không sớm hơn --from"
CLI_WROTE = "Đã ghi biểu đồ: {path}"
CLI_CANNOT_WRITE = "Không ghi được {path}: {error}"
