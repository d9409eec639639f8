"""What the chat says about residents' feedback (/gopy), staff answers (/traloi) and their rating.

Constants are ready-made reply markup; functions escape what they insert, so callers pass raw text.
"""

from __future__ import annotations

from datetime import datetime

from bot.markup import bold, esc
from bot.texts import dossier_time

ABOUT_LABELS = ("Một thủ tục", "Một hồ sơ đã nộp", "Góp ý chung")
"""The buttons of "what is it about?" (Zalo lists them as numbered choices, in this order)."""
RATING_LABELS = tuple("⭐" * stars for stars in range(1, 6))
"""The buttons rating an answer from 1 to 5 stars; Zalo numbers them, so its lines read "3. ⭐⭐⭐"."""
GENERAL_WORDS = ("chung", "gop y chung", "khac")
"""Words (folded) a resident may type for "general feedback" when asked what it is about."""

NO_UNIT = "chưa có đơn vị phụ trách (quản trị viên xử lý)"
FEEDBACK_UNAVAILABLE = "Chức năng góp ý đang tạm ngừng. Bạn vui lòng thử lại sau."
FEEDBACK_IN_PRIVATE = (
    "Bạn hãy gửi góp ý trong tin nhắn riêng với tôi, để câu trả lời được gửi về đúng cho bạn."
)
FEEDBACK_ASK_ABOUT = (
    "<b>Bạn muốn góp ý, kiến nghị về điều gì?</b>\n"
    "Bạn bấm một lựa chọn (hoặc gõ số thứ tự), hoặc gõ ngay mã thủ tục, mã hồ sơ. Gõ /huy để dừng."
)
FEEDBACK_ASK_PROCEDURE = "Bạn gõ mã thủ tục (ví dụ: 1.001193) hoặc tên thủ tục cần góp ý."
FEEDBACK_ASK_DOSSIER = "Bạn gõ mã hồ sơ in trên giấy tiếp nhận (ví dụ: 000.00.24.H57-250722-0001)."
FEEDBACK_EMPTY = "Nội dung góp ý đang trống. Bạn viết nội dung góp ý trong một tin nhắn nhé."
FEEDBACK_PICK_PROCEDURE = "Bạn muốn góp ý về thủ tục nào? Bạn bấm chọn (hoặc gõ số thứ tự):"
SEND_KEPT = "Gửi góp ý này"
SEND_KEPT_GENERAL = "Gửi như góp ý chung"
FEEDBACK_KEPT_GONE = "Nội dung chờ gửi đã hết hạn hoặc đã được gửi. Gõ /gopy để góp ý lại."
FEEDBACK_USAGE_HINT = (
    "Bạn cũng có thể gõ một lần: /gopy <i>nội dung</i> (góp ý chung), "
    "/gopy <i>mã thủ tục</i> <i>nội dung</i>, hoặc /gopy <i>mã hồ sơ</i> <i>nội dung</i>."
)


def subject_line(kind: str, ref: str, name: str) -> str:
    """What an item is about, in words: a procedure (name and code), a dossier (its code), or in general."""
    if kind == "procedure":
        named = bold(name) if name else ""
        code = f"<code>{esc(ref)}</code>"
        return f"thủ tục {named} ({code})" if named else f"thủ tục {code}"
    if kind == "dossier":
        return f"hồ sơ <code>{esc(ref)}</code>"
    return "góp ý chung"


def feedback_ask_text(about: str, max_length: int) -> str:
    """Ask for the text, naming what it is about (``about`` is markup from :func:`subject_line`)."""
    return (
        f"Bạn góp ý về {about}.\n"
        f"Mời bạn viết nội dung góp ý, kiến nghị trong một tin nhắn (tối đa {max_length} ký tự). "
        "Gõ /huy để dừng."
    )


def feedback_confirm(about: str, start: str) -> str:
    """A long message taken as the feedback itself: what it will be filed about, and how to confirm."""
    return (
        f"Tôi hiểu «{esc(start)}» là nội dung góp ý của bạn, về {about}. "
        "Bạn bấm «Gửi góp ý này» (hoặc gõ số thứ tự) để gửi. "
        "Nếu muốn chọn thủ tục khác, bạn gõ mã hoặc tên thủ tục; gõ /huy để dừng."
    )


def feedback_procedure_not_found(typed: str) -> str:
    """No procedure matches what was typed."""
    return (
        f"Tôi chưa tìm thấy thủ tục «{esc(typed)}». Bạn gõ lại mã hoặc tên thủ tục, "
        "hoặc gõ <i>chung</i> để góp ý chung."
    )


def feedback_dossier_not_found(code: str) -> str:
    """No dossier has this receipt code (existence only: /hoso says as much)."""
    return (
        f"Tôi không tìm thấy hồ sơ <code>{esc(code)}</code>. Bạn kiểm tra lại mã trên giấy tiếp nhận, "
        "hoặc gõ <i>chung</i> để góp ý chung."
    )


def feedback_dossier_invalid(typed: str) -> str:
    """What was typed is not a receipt code."""
    return (
        f"«{esc(typed)}» chưa đúng dạng mã hồ sơ (ví dụ: 000.00.24.H57-250722-0001). "
        "Bạn gõ lại, hoặc gõ <i>chung</i> để góp ý chung."
    )


def feedback_too_long(length: int, max_length: int) -> str:
    """The text is over the limit; nothing was stored, the resident may send a shorter one."""
    return (
        f"Nội dung dài {length} ký tự, quá giới hạn {max_length} ký tự. "
        "Bạn rút gọn rồi gửi lại giúp tôi; tôi chưa lưu nội dung này."
    )


def feedback_limit(per_day: int) -> str:
    """The resident filed their daily allowance already."""
    return (
        f"Bạn đã gửi {per_day} góp ý trong 24 giờ qua, là mức tối đa. "
        "Bạn vui lòng gửi tiếp sau, hoặc liên hệ trực tiếp bộ phận một cửa."
    )


def feedback_filed(number: str, unit_name: str, working_days: int, *, routed: bool = True) -> str:
    """The item is stored: its tracking number, where it went (if anywhere yet), and by when."""
    if not routed:
        where = (
            "Hiện chưa có đơn vị phụ trách nội dung này; cán bộ quản trị sẽ đọc góp ý "
            "và chuyển đến đơn vị phù hợp."
        )
    else:
        where = f"Góp ý đã được chuyển đến {bold(unit_name) if unit_name else 'đơn vị phụ trách'}."
    return (
        f"Cảm ơn bạn! Góp ý của bạn đã được ghi nhận với số <b>{esc(number)}</b>. {where}\n"
        f"Câu trả lời sẽ được gửi về tin nhắn này, thường trong {working_days} ngày làm việc. "
        "Bạn giữ số này để tiện hỏi lại."
    )


# --- staff: /traloi ---

TRALOI_USAGE = (
    "Bạn gõ /traloi <i>số góp ý</i> <i>nội dung trả lời</i>, ví dụ:\n"
    "/traloi GY-000123 Cảm ơn anh/chị đã góp ý. Bộ phận một cửa đã bổ sung ghế chờ."
)
TRALOI_NOT_STAFF = "Chỉ cán bộ của đơn vị được giao mới trả lời được góp ý."


def traloi_unknown(typed: str) -> str:
    """No item has this number."""
    return f"Không có góp ý số <b>{esc(typed)}</b>. Bạn kiểm tra lại số (dạng GY-000123)."


def traloi_closed(number: str, by: str, at: datetime | None, timezone: str) -> str:
    """The item was already answered (and closed)."""
    when = f" lúc {dossier_time(at, timezone)}" if at is not None else ""
    who = f" bởi {esc(by)}" if by else ""
    return f"Góp ý <b>{esc(number)}</b> đã được trả lời{who}{when} và đã đóng."


def traloi_not_yours(number: str, unit_name: str) -> str:
    """The item belongs to another unit (or none)."""
    owner = f"đơn vị {bold(unit_name)}" if unit_name else "quản trị viên"
    return f"Góp ý <b>{esc(number)}</b> do {owner} trả lời, không thuộc đơn vị của bạn."


def traloi_too_long(length: int, max_length: int) -> str:
    """The answer is over the limit; nothing was sent."""
    return f"Câu trả lời dài {length} ký tự, quá giới hạn {max_length} ký tự. Bạn rút gọn rồi gửi lại."


def traloi_done(number: str) -> str:
    """The answer is on its way to the resident; the item is closed."""
    return f"Đã gửi câu trả lời góp ý <b>{esc(number)}</b> cho người dân. Góp ý đã đóng."


# --- what the outbox carries ---


def feedback_new(
    number: str, about: str, text: str, unit_name: str, due_at: datetime, timezone: str, dossier: bool
) -> str:
    """To the unit's group: a new item and how to answer it (``about`` is markup)."""
    lines = [
        f"<b>📮 GÓP Ý MỚI {esc(number)}</b>",
        f"Về: {about}",
        f"Đơn vị: {esc(unit_name) if unit_name else NO_UNIT}",
        "Nội dung:",
        f"<i>{esc(text)}</i>",
        f"Hạn trả lời: {dossier_time(due_at, timezone)}",
    ]
    if dossier:
        lines.append(
            "Người gửi chưa được xác minh là chủ hồ sơ: không gửi thông tin cá nhân trong câu trả lời."
        )
    lines.append(f"Trả lời: /traloi {esc(number)} <i>nội dung</i>")
    return "\n".join(lines)


def feedback_answer(number: str, about: str, answer: str, unit_name: str) -> str:
    """To the resident: the answer, and the rating question."""
    who = f"{bold(unit_name)} trả lời" if unit_name else "Trả lời"
    return (
        f"<b>Trả lời góp ý {esc(number)}</b> ({about})\n"
        f"{who}:\n"
        f"{esc(answer)}\n"
        "\n"
        "Câu trả lời có giúp được bạn không? Bạn chấm từ 1 đến 5 sao (bấm nút hoặc gõ số)."
    )


def late_line(unit_name: str, days: int) -> str:
    """Who has not answered for how long (an item with no unit yet says so)."""
    if not unit_name:
        return f"Góp ý chưa có đơn vị phụ trách, chưa được trả lời sau {days} ngày làm việc."
    return f"{bold(unit_name)} chưa trả lời sau {days} ngày làm việc."


def feedback_overdue(
    number: str, about: str, text: str, unit_name: str, days: int, created_at: datetime, timezone: str
) -> str:
    """To the unit's leader: an item unanswered after ``days`` working days."""
    return (
        f"<b>⏰ GÓP Ý QUÁ HẠN {esc(number)}</b>\n"
        f"{late_line(unit_name, days)}\n"
        f"Về: {about}\n"
        f"Gửi lúc: {dossier_time(created_at, timezone)}\n"
        f"Nội dung: <i>{esc(text)}</i>\n"
        f"Trả lời: /traloi {esc(number)} <i>nội dung</i>"
    )


# --- rating ---

FEEDBACK_RATE_INVALID = "Đánh giá này không còn hiệu lực."
FEEDBACK_RATE_NOT_YET = "Góp ý này chưa được trả lời nên chưa thể đánh giá."


def feedback_rated(score: int, updated: bool) -> str:
    """The rating of an answer was stored."""
    first = "Tôi đã cập nhật đánh giá của bạn" if updated else "Cảm ơn bạn đã đánh giá câu trả lời"
    return f"{first}: {score}/5."


# --- the `motcua feedback` command (plain text, no markup) ---

CLI_STATUS = {"open": "chưa trả lời", "answered": "đã trả lời", "overdue": "quá hạn"}
CLI_KIND = {"procedure": "thủ tục", "dossier": "hồ sơ", "general": "chung"}
CLI_EMPTY = "Không có góp ý nào."
CLI_NO_UNIT = "(chưa giao đơn vị)"
CLI_LIST_HEADERS = ("Số", "Trạng thái", "Gửi lúc", "Đơn vị", "Về", "Nội dung")
CLI_BAD_NUMBER = "Số góp ý không hợp lệ: {typed} (dạng GY-000123)."
CLI_UNKNOWN = "Không có góp ý số {number}."
CLI_ANSWERED = "Đã trả lời góp ý {number}; câu trả lời sẽ được gửi cho người dân qua hàng đợi gửi tin."
CLI_CLOSED = "Góp ý {number} đã được trả lời trước đó (bởi {by}), không gửi lại."
CLI_TOO_LONG = "Câu trả lời dài {length} ký tự, quá giới hạn {max_length} ký tự."
CLI_EMPTY_ANSWER = "Câu trả lời đang trống."
CLI_SHOW_LABELS = {
    "status": "Trạng thái",
    "about": "Về",
    "unit": "Đơn vị",
    "from": "Người gửi",
    "created": "Gửi lúc",
    "due": "Hạn trả lời",
    "escalated": "Đã báo lãnh đạo lúc",
    "text": "Nội dung",
    "answer": "Trả lời",
    "answered": "Trả lời lúc",
    "by": "Người trả lời",
    "rating": "Đánh giá",
}
