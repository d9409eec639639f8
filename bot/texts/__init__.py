"""Every string users read, in Vietnamese, in one place a non-developer can review.

This module holds what the chat says (residents and staff); :mod:`bot.texts.cli` what the ``motcua``
command prints. The bot calls itself "tôi" and the resident "bạn". Constants are ready-made reply markup
(see :mod:`bot.markup`); functions insert values and escape them, so callers pass raw text.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

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
    "• /giayto, /cacbuoc, /cancu, /tructuyen <i>mã</i>: xem giấy tờ trong trường hợp đặc biệt, "
    "các bước, căn cứ pháp lý, cách nộp trực tuyến của thủ tục\n"
    "• /hoso <i>mã hồ sơ</i>: xem tình trạng hồ sơ đã nộp (mã in trên giấy tiếp nhận)\n"
    "• /theodoi <i>mã hồ sơ</i>: nhận thông báo khi hồ sơ có thay đổi\n"
    "• /theodoi: xem các hồ sơ đang theo dõi\n"
    "• /huy <i>mã hồ sơ</i>: thôi theo dõi hồ sơ; /huy: dừng thao tác đang làm\n"
    "• /gopy: gửi góp ý, kiến nghị về một thủ tục, một hồ sơ hoặc góp ý chung\n"
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

NO_LIST_TO_PICK = (
    "Hiện không có danh sách nào để chọn theo số. Bạn hỏi tôi bằng lời, ví dụ: <i>đăng ký khai sinh</i>, "
    "hoặc gõ /thutuc kèm mã thủ tục."
)


def number_out_of_range(count: int) -> str:
    """The reply to a number outside the list last shown: which numbers are valid (the list is kept)."""
    valid = "số 1" if count == 1 else f"các số từ 1 đến {count}"
    return f"Danh sách vừa rồi chỉ có {valid}. Bạn gõ lại một số trong danh sách, hoặc hỏi tôi điều khác."


# ---------------------------------------------------------------------------
# Errors and things the bot does not understand
# ---------------------------------------------------------------------------

ERROR = "Xin lỗi, tôi đang gặp sự cố. Bạn vui lòng thử lại sau ít phút."
"""For adapters: what to send when a handler fails unexpectedly."""

TRY_AGAIN = (
    "Tôi nhận được nhiều tin nhắn của bạn cùng lúc nên chưa trả lời được tin này. "
    "Bạn vui lòng gửi lại sau giây lát."
)
"""When a message kept losing the race to the same chat's other messages (the dispatcher gave up)."""

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


# The short card (what a resident reads first) and the sections its buttons open.

SHORT_BRING = "Cần mang"
SHORT_IF_NOT_LOOKED_UP = "nếu cơ quan không tự tra cứu được"
"""After a paper the office first looks up in its databases: the resident brings it only when that fails."""
SHORT_BRING_NONE = "Giấy tờ tùy từng trường hợp: xem “Giấy tờ trong trường hợp đặc biệt”."
SHORT_BRING_RAW = (
    "Cổng Dịch vụ công ghi giấy tờ thành một khối chưa tách được: xem “Giấy tờ trong trường hợp đặc biệt”."
)
SHORT_SHOW = "Mang bản chính để xuất trình"
SHORT_FORM = "theo mẫu"
CARD_CERTIFIED_COPIES = "bản sao có chứng thực"


def short_form(code: str) -> str:
    """A form with a template, in words: "theo mẫu" or "theo mẫu CT01"."""
    return f"{SHORT_FORM} {code}" if code else SHORT_FORM


SHORT_WHERE = "Nộp tại"
SHORT_CHANNELS = "Cách nộp"
SHORT_ONLINE = "Nộp trực tuyến"
SHORT_ONLINE_LINK = "Cổng Dịch vụ công"
SHORT_NOT_ONLINE = "chưa nộp trực tuyến được"
SHORT_TIME_LIMIT = "Thời hạn"
SHORT_FEE = "Phí, lệ phí"
SHORT_FEE_UNKNOWN = "Cổng Dịch vụ công chưa ghi rõ"
FEE_DOUBTFUL = "(Cổng Dịch vụ công ghi đúng như vậy; bạn hỏi lại bộ phận một cửa)"
FEE_CONDITIONS = "(có điều kiện; xem đủ trong mục “Nộp trực tuyến”)"
FEE_MORE = "(xem đủ trong mục “Nộp trực tuyến”)"
FEE_CONDITIONS_ASK = "(có điều kiện; bạn hỏi bộ phận một cửa)"
FEE_MORE_ASK = "(còn tiếp; bạn hỏi bộ phận một cửa)"


OR = " hoặc "
FEE_BY_CASE = "tùy trường hợp"
"""Before the fees of a table whose rows are cases ("Trường hợp cấp đổi…", "Trường hợp gia hạn…")."""
CASES_ONLINE = "(mỗi trường hợp ghi trong mục “Nộp trực tuyến”)"
CASES_ASK = "(bạn hỏi bộ phận một cửa trường hợp của mình)"
FEE_FREE_WITH_CONDITIONS = "Cổng Dịch vụ công ghi “Miễn phí”, nhưng kèm điều kiện hoặc khoản phí khác"
"""A fee cell saying free whose description is too long to show: it may charge in some cases."""


def fee_free_for(who: str) -> str:
    """A fee free only for some ("Miễn lệ phí cho…"): who is exempt, and that others may pay."""
    return f"Miễn phí cho {who}; trường hợp khác có thể phải nộp phí, lệ phí"


def fee_disagrees(amount: str) -> str:
    """After a fee description whose amounts the portal's amount cell contradicts: what that cell says."""
    return f"(ô mức phí trên Cổng Dịch vụ công lại ghi “{amount}”; bạn hỏi lại bộ phận một cửa)"


SHORT_NO_TIME_LIMIT = "Cổng Dịch vụ công chưa ghi rõ, bạn hỏi thêm bộ phận một cửa"
SECTION_SEE_ABOVE = "ghi đầy đủ ở trên"
"""After a paper the documents section already gave in full under an earlier case."""
SHORT_NO_CASES = "Không có trường hợp đặc biệt nào cần thêm giấy tờ."
CHANNEL_LABELS = {"in_person": "nộp trực tiếp", "post": "qua bưu chính", "online": "nộp trực tuyến"}
"""How a paper that depends only on the channel says so."""
CHANNEL_KINDS = {"Trực tiếp": "trực tiếp", "Trực tuyến": "trực tuyến", "Dịch vụ bưu chính": "qua bưu chính"}

TIME_LIMIT_SOURCES = {
    "table": "theo Cổng Dịch vụ công",
    "table+steps": "theo Cổng Dịch vụ công, phần các bước thực hiện",
    "table+conditions": "theo Cổng Dịch vụ công, phần điều kiện",
    "table+legal": "theo Cổng Dịch vụ công, phần căn cứ pháp lý",
    "steps": "theo Cổng Dịch vụ công, phần các bước thực hiện",
    "conditions": "theo Cổng Dịch vụ công, phần điều kiện",
}
"""Where a shown time limit comes from, by :mod:`knowledge.time_limits` source."""

GARBLED = "[chữ bị lỗi trên Cổng Dịch vụ công]"
"""Written after a fragment the portal scrambled; the fragment itself is kept as it is."""

SECTION_DOCUMENTS = "Giấy tờ trong trường hợp đặc biệt"
SECTION_STEPS = "Các bước"
SECTION_LEGAL = "Căn cứ pháp lý"
SECTION_ONLINE = "Nộp trực tuyến"
SECTION_GENERAL_FULL = "Giấy tờ chung, ghi đầy đủ"
SECTION_NOTES = "Lưu ý"
SECTION_BY_OFFICE = "Cơ quan tự lập hoặc tự tra cứu (bạn không phải mang)"
SECTION_NONE = "Cổng Dịch vụ công không có mục này cho thủ tục này."
SECTION_PART = "phần"
SECTION_ONLINE_AT = "Nộp hồ sơ trực tuyến tại"
SECTION_ONLINE_NONE = "Cổng Dịch vụ công không ghi cách nộp trực tuyến cho thủ tục này."


FOLLOWUP_FEE = "Phí, lệ phí"
FOLLOWUP_TIME = "Thời hạn giải quyết"
FOLLOWUP_PLACE = "Nộp ở đâu"
FOLLOWUP_AGENCY = "Cơ quan giải quyết"
"""Headings of the answers to a question about the card just shown ("phí bao nhiêu", "nộp ở đâu")."""


def short_time_limit_bare(numbers: str) -> str:
    """The time limit line when the portal gives a number without its unit."""
    return (
        f"chưa rõ. Cổng Dịch vụ công chỉ ghi con số “{numbers}”, không nói là ngày, ngày làm việc hay tháng; "
        "bạn hỏi bộ phận một cửa"
    )


def short_cases(count: int) -> str:
    """The line saying how many special cases the documents section holds."""
    return f"Có {count} trường hợp đặc biệt cần giấy tờ khác: xem “{SECTION_DOCUMENTS}”."


def short_more_papers(count: int) -> str:
    """The line closing a short list of papers for everyone that did not fit."""
    return f"… và {count} giấy tờ khác: xem “{SECTION_DOCUMENTS}”."


def section_heading(title: str, procedure: str) -> str:
    """The first line of a section: what it is and for which procedure."""
    return f"{title} · {procedure}"


SECTION_BUTTON_UNKNOWN = (
    "Tôi không mở được mục này (nút có thể đã cũ). Bạn hỏi lại tên thủ tục để tôi gửi thông tin mới nhất."
)
SECTION_KEY_UNKNOWN = "Thủ tục này không có mục đó. Bạn chọn một mục dưới đây."


def section_procedure_gone(code: str) -> str:
    """The answer to a section button whose procedure is no longer in the catalogue."""
    return (
        f"Thủ tục có mã {bold(code)} không còn trong danh mục của tôi "
        "(Cổng Dịch vụ công có thể đã thay đổi). "
        "Bạn hỏi lại tên thủ tục để tôi tìm thông tin mới nhất."
    )


def ask_section_code(command: str) -> str:
    """The answer to a section command typed without a procedure code."""
    return f"Bạn gõ /{command} kèm mã thủ tục, ví dụ: /{command} 1.001193"


# ---------------------------------------------------------------------------
# Dossiers (hồ sơ): status, following, notices and ratings
# ---------------------------------------------------------------------------

DOSSIER_CODE_EXAMPLE = "000.00.24.H57-250722-0001"
"""What a receipt code looks like (Circular 01/2018/TT-VPCP), shown when a code is mistyped."""

DOSSIER_STATUS = {
    "received": "Đã tiếp nhận",
    "in_progress": "Đang giải quyết",
    "supplement_requested": "Cần bổ sung hồ sơ",
    "ready": "Đã có kết quả, chờ trả",
    "returned": "Đã trả kết quả",
    "rejected": "Không đủ điều kiện giải quyết",
    "withdrawn": "Đã rút hồ sơ",
}
"""Each dossier status in words, by its stored value."""

DOSSIER_TIMELINESS = {
    "early": "Giải quyết trước hạn",
    "on_time": "Giải quyết đúng hạn",
    "late": "Quá hạn",
    "pending": "Đang trong hạn",
}
"""Each timeliness value in words."""

DOSSIER_TITLE = "Hồ sơ"
DOSSIER_STATUS_LABEL = "Tình trạng"
DOSSIER_PROCEDURE = "Thủ tục"
DOSSIER_AGENCY = "Cơ quan tiếp nhận"
DOSSIER_RECEIVED = "Ngày tiếp nhận"
DOSSIER_DUE = "Hẹn trả kết quả"
DOSSIER_TIMELINESS_LABEL = "Tiến độ"
DOSSIER_UPDATED = "Cập nhật lần cuối"
DOSSIER_DELIVERY = "Cách nhận kết quả"
DOSSIER_NOTE = "Ghi chú"
DOSSIER_HISTORY = "Quá trình xử lý"
DOSSIER_NO_DUE = "chưa có"


def dossier_time(at: datetime, timezone: str = "Asia/Ho_Chi_Minh") -> str:
    """A moment as residents read it: ``dd/mm/yyyy HH:MM`` in the centre's time zone."""
    aware = at if at.tzinfo is not None else at.replace(tzinfo=UTC)
    return aware.astimezone(ZoneInfo(timezone)).strftime("%d/%m/%Y %H:%M")


def dossier_status_word(status: str) -> str:
    """A status in words, unescaped (an unknown value is shown as it is)."""
    return DOSSIER_STATUS.get(status, status)


FOLLOW_IN_A_CHAT_APP = (
    "Để nhận thông báo khi hồ sơ có thay đổi, bạn nhắn /theodoi kèm mã hồ sơ cho bot trên Telegram "
    "hoặc Zalo: việc theo dõi cần xác minh số điện thoại, nên không làm trên trang web."
)


def dossier_follow_hint(code: str) -> str:
    """The line under a status card: how to be told about changes."""
    return f"Để nhận thông báo khi hồ sơ có thay đổi, bạn gõ /theodoi {esc(code)}"


DOSSIER_USAGE = (
    "Bạn gõ /hoso kèm mã hồ sơ in trên giấy tiếp nhận và hẹn trả kết quả, "
    f"ví dụ: /hoso {DOSSIER_CODE_EXAMPLE}\n"
    "Bạn cũng có thể dán nguyên mã hồ sơ vào tin nhắn, tôi sẽ tự nhận ra."
)


def dossier_code_invalid(text: str) -> str:
    """The reply to something that is not a receipt code: what a code looks like."""
    shown = f" «{esc(text)}»" if text else ""
    return (
        f"Mã hồ sơ{shown} chưa đúng dạng. Mã hồ sơ gồm 3 phần nối bằng dấu gạch ngang, "
        f"ví dụ: <code>{DOSSIER_CODE_EXAMPLE}</code> (in trên giấy tiếp nhận và hẹn trả kết quả). "
        "Bạn kiểm tra lại và gõ đủ cả dấu chấm, dấu gạch ngang nhé."
    )


def dossier_not_found(code: str, centre: CentreConfig) -> str:
    """The reply to a well-formed code no dossier has: say so and where to ask."""
    return (
        f"Tôi không tìm thấy hồ sơ có mã {bold(code)}. Có thể hồ sơ mới nộp nên chưa cập nhật, "
        "hoặc mã bị gõ nhầm; bạn đối chiếu lại với giấy tiếp nhận và hẹn trả kết quả.\n\n"
        f"{contact(centre)}"
    )


DOSSIERS_UNAVAILABLE = (
    "Hiện tôi chưa tra cứu được hồ sơ. Bạn vui lòng thử lại sau hoặc liên hệ bộ phận một cửa."
)

DOSSIER_RATE_LIMITED = (
    "Bạn tra cứu hồ sơ hơi nhiều trong một phút vừa qua. Bạn vui lòng đợi khoảng một phút rồi thử lại nhé."
)

FOLLOW_USAGE = (
    "Bạn gõ /theodoi kèm mã hồ sơ để nhận thông báo khi hồ sơ có thay đổi, "
    f"ví dụ: /theodoi {DOSSIER_CODE_EXAMPLE}"
)

NO_SUBSCRIPTIONS = "Cuộc trò chuyện này chưa theo dõi hồ sơ nào.\n\n" + FOLLOW_USAGE


def subscriptions_list(lines: list[tuple[str, str]]) -> str:
    """The chat's followed dossiers: (code, status in words) each."""
    items = "\n".join(f"• <code>{esc(code)}</code>: {esc(status)}" for code, status in lines)
    return (
        f"<b>Các hồ sơ bạn đang theo dõi:</b>\n{items}\n\n"
        "Gõ /hoso kèm mã để xem chi tiết, /huy kèm mã để thôi theo dõi."
    )


def ask_phone_digits(code: str, minutes: int) -> str:
    """The second factor of /theodoi: ask for the last 4 digits of the applicant's phone."""
    return (
        f"Để theo dõi hồ sơ {bold(code)}, bạn gõ <b>4 chữ số cuối</b> của số điện thoại "
        f"người nộp hồ sơ (số đã khai khi nộp). Tôi chờ trong {minutes} phút.\n"
        "Gõ /huy nếu bạn không muốn tiếp tục."
    )


ASK_DIGITS_AGAIN = (
    "Bạn gõ đúng 4 chữ số cuối của số điện thoại người nộp hồ sơ, ví dụ: <code>6789</code>. "
    "Gõ /huy nếu bạn không muốn tiếp tục."
)


def subscribed(code: str) -> str:
    """Confirmation of a subscription, and what will be sent."""
    return (
        f"✅ Đã đăng ký theo dõi hồ sơ {bold(code)}. Tôi sẽ nhắn bạn khi:\n"
        "• hồ sơ có kết quả (nhận ở đâu, nhận thế nào);\n"
        "• hồ sơ cần bổ sung giấy tờ;\n"
        "• hồ sơ bị chậm so với ngày hẹn (kèm ngày hẹn mới);\n"
        "• hồ sơ đã trả kết quả (mời bạn đánh giá mức độ hài lòng).\n"
        f"Gõ /huy {esc(code)} nếu bạn muốn thôi theo dõi."
    )


def already_subscribed(code: str) -> str:
    """The reply to /theodoi for a dossier the chat already follows."""
    return (
        f"Cuộc trò chuyện này đã theo dõi hồ sơ {bold(code)} rồi, bạn không cần đăng ký lại. "
        f"Gõ /hoso {esc(code)} để xem tình trạng hiện tại."
    )


def wrong_digits(tries_left: int) -> str:
    """A wrong second factor, with how many tries are left."""
    return (
        "Số bạn gõ không khớp với số điện thoại người nộp hồ sơ. "
        f"Bạn còn {tries_left} lần thử; gõ lại 4 chữ số cuối, hoặc /huy để dừng."
    )


def verification_locked(until: str) -> str:
    """The reply while a user is locked out of verification (``until``: when they may try again)."""
    return (
        "Bạn đã nhập sai nhiều lần nên tạm thời chưa thể xác minh hồ sơ. "
        f"Bạn vui lòng thử lại sau {esc(until)}. Bạn vẫn có thể xem tình trạng hồ sơ bằng /hoso."
    )


def verify_in_private(code: str) -> str:
    """In a group: the digits are asked only in a private chat."""
    return (
        "Để bảo vệ thông tin cá nhân, tôi không hỏi số điện thoại trong nhóm. "
        f"Bạn nhắn riêng cho tôi /theodoi {esc(code)} để xác minh, "
        f"sau đó gõ lại /theodoi {esc(code)} trong nhóm này để cả nhóm cùng nhận thông báo."
    )


def group_subscribed(code: str) -> str:
    """Confirmation that a group follows a dossier a member verified in private."""
    return (
        f"✅ Nhóm này đã được đăng ký theo dõi hồ sơ {bold(code)}. Tôi sẽ báo vào nhóm khi hồ sơ có "
        f"thay đổi (không kèm thông tin cá nhân). Gõ /huy {esc(code)} để thôi theo dõi."
    )


def unsubscribed(code: str) -> str:
    """Confirmation of /huy CODE."""
    return f"Đã thôi theo dõi hồ sơ {bold(code)}. Bạn có thể gõ /theodoi {esc(code)} để theo dõi lại."


def not_subscribed(code: str) -> str:
    """The reply to /huy CODE for a dossier the chat does not follow."""
    return f"Cuộc trò chuyện này không theo dõi hồ sơ {bold(code)} nên không có gì để hủy."


CANCELLED = (
    "Đã dừng thao tác đang làm. Bạn cần gì cứ hỏi tôi nhé.\n"
    "Muốn thôi theo dõi một hồ sơ, bạn gõ /huy kèm mã hồ sơ."
)

# Notices the bot sends on its own when a followed dossier changes.

NOTICE_COLLECT_AT = "Nơi nhận kết quả"
NOTICE_HOW = "Cách nhận"


def notice_ready(code: str, procedure: str, agency: str, delivery: str, note: str) -> str:
    """The result is ready: where and how to collect it."""
    lines = [f"📬 <b>Hồ sơ {esc(code)} đã có kết quả.</b>"]
    if procedure:
        lines.append(f"{DOSSIER_PROCEDURE}: {esc(procedure)}")
    if agency:
        lines.append(f"{NOTICE_COLLECT_AT}: {esc(agency)}")
    if delivery:
        lines.append(f"{NOTICE_HOW}: {esc(delivery)}")
    if note:
        lines.append(f"{DOSSIER_NOTE}: {esc(note)}")
    lines.append("Khi đến nhận, bạn mang theo giấy tiếp nhận và hẹn trả kết quả cùng giấy tờ tùy thân.")
    return "\n".join(lines)


def notice_supplement(code: str, procedure: str, agency: str, note: str) -> str:
    """The dossier needs more papers: what is missing, when given."""
    lines = [f"📝 <b>Hồ sơ {esc(code)} cần bổ sung.</b>"]
    if procedure:
        lines.append(f"{DOSSIER_PROCEDURE}: {esc(procedure)}")
    lines.append(f"Cần bổ sung: {esc(note)}" if note else "Cơ quan chưa ghi rõ giấy tờ cần bổ sung.")
    where = esc(agency) if agency else "nơi bạn đã nộp hồ sơ"
    lines.append(f"Bạn vui lòng liên hệ {where} để bổ sung, mang theo giấy tiếp nhận và hẹn trả kết quả.")
    return "\n".join(lines)


def notice_late(centre_name: str, code: str, procedure: str, note: str) -> str:
    """The written apology once the appointment has passed (Decree 61/2018/NĐ-CP); the new date follows."""
    subject = f"hồ sơ {bold(code)}" + (f" ({esc(procedure)})" if procedure else "")
    lines = [
        f"🙏 <b>Thư xin lỗi</b>\n{esc(centre_name)} xin lỗi ông/bà vì {subject} chưa giải quyết đúng hạn. "
        "Chúng tôi sẽ thông báo ngày hẹn trả kết quả mới ngay khi có."
    ]
    if note:
        lines.append(f"Lý do: {esc(note)}")
    lines.append("Mong ông/bà thông cảm. Chúng tôi sẽ nhắn ngay khi hồ sơ có kết quả.")
    return "\n".join(lines)


def notice_extended(centre_name: str, code: str, procedure: str, new_due: str, note: str) -> str:
    """The apology with the new appointment, sent for each extension (Decree 61/2018/NĐ-CP)."""
    subject = f"hồ sơ {bold(code)}" + (f" ({esc(procedure)})" if procedure else "")
    promise = (
        f"ngày hẹn trả kết quả mới là {bold(new_due)}"
        if new_due
        else "chúng tôi sẽ sớm báo ngày hẹn trả kết quả mới"
    )
    lines = [
        f"📅 <b>Thư xin lỗi và hẹn lại ngày trả kết quả</b>\n{esc(centre_name)} xin lỗi ông/bà vì {subject} "
        f"chưa giải quyết được như đã hẹn; {promise}."
    ]
    if note:
        lines.append(f"Lý do: {esc(note)}")
    lines.append("Mong ông/bà thông cảm. Chúng tôi sẽ nhắn ngay khi hồ sơ có kết quả.")
    return "\n".join(lines)


def notice_returned(centre_name: str, code: str, procedure: str) -> str:
    """The result was handed over: thanks, and the rating question."""
    subject = f"hồ sơ {bold(code)}" + (f" ({esc(procedure)})" if procedure else "")
    return (
        f"🎉 {subject[0].upper() + subject[1:]} đã được trả kết quả. "
        f"Cảm ơn bạn đã sử dụng dịch vụ của {esc(centre_name)}.\n\n"
        "<b>Bạn hài lòng với việc giải quyết hồ sơ ở mức nào?</b>\n"
        "1 = rất không hài lòng … 5 = rất hài lòng."
    )


def notice_status(code: str, status: str, procedure: str, note: str) -> str:
    """Any other change of a followed dossier."""
    lines = [f"ℹ️ Hồ sơ {bold(code)}: {esc(status)}."]
    if procedure:
        lines.append(f"{DOSSIER_PROCEDURE}: {esc(procedure)}")
    if note:
        lines.append(f"{DOSSIER_NOTE}: {esc(note)}")
    lines.append(f"Gõ /hoso {esc(code)} để xem chi tiết.")
    return "\n".join(lines)


RATING_LABELS = ("1 ⭐", "2 ⭐", "3 ⭐", "4 ⭐", "5 ⭐")
"""Button labels of the 1-5 rating (Zalo shows them as numbered choices, so "4" means 4)."""


def rating_thanks(score: int, updated: bool) -> str:
    """A rating was stored: thanks, and the optional comment."""
    first = "Tôi đã cập nhật đánh giá của bạn" if updated else "Cảm ơn bạn đã đánh giá"
    return (
        f"{first}: {score}/5.\n"
        "Bạn có muốn góp ý thêm không? Bạn gõ góp ý trong một tin nhắn, hoặc gõ /boqua để bỏ qua."
    )


RATING_INVALID = (
    "Lựa chọn đánh giá này không hợp lệ. Bạn chọn một mức từ 1 đến 5 trong tin nhắn mời đánh giá nhé."
)

RATING_NOT_ALLOWED = (
    "Chỉ người theo dõi hồ sơ này trong cuộc trò chuyện đã nhận thông báo mới đánh giá được. "
    "Nếu bạn là người nộp hồ sơ, bạn gõ /theodoi kèm mã hồ sơ để xác minh trước."
)

RATING_NOT_YET = "Hồ sơ này chưa trả kết quả nên chưa đánh giá được. Cảm ơn bạn đã quan tâm."

COMMENT_THANKS = "Cảm ơn góp ý của bạn! Tôi đã chuyển tới bộ phận một cửa để cải thiện chất lượng phục vụ."

COMMENT_SKIPPED = "Cảm ơn bạn! Bạn cần gì cứ hỏi tôi nhé."


# ===========================================================================
# Directives to staff (chỉ đạo), people and groups. Staff read these, not residents.
# ===========================================================================

ROLE_WORDS = {
    "admin": "quản trị viên",
    "leader": "lãnh đạo",
    "staff": "cán bộ",
    "guide": "thành viên tổ công nghệ số cộng đồng",
    "resident": "người dân",
}

STAFF_HELP = (
    "<b>Dành cho cán bộ</b>\n"
    "\n"
    "• Khi nhận chỉ đạo: bấm <b>Đã nhận</b> hoặc trả lời <i>đã nhận</i> để xác nhận\n"
    "• /dangky <i>mã</i>: liên kết tài khoản chat bằng mã được cấp\n"
    "• /traloi <i>số góp ý</i> <i>nội dung</i>: trả lời góp ý của người dân gửi đơn vị mình\n"
    "• /web: nhận liên kết mở trang quản trị trên trình duyệt (nhắn riêng với tôi)"
)
LEADER_HELP = (
    "• /chidao: soạn và gửi chỉ đạo (nhắn riêng với tôi)\n"
    "• /dschidao: xem các chỉ đạo gần đây\n"
    "• /baocao <i>số</i>: xem ai đã nhận, ai chưa xác nhận\n"
    "• /nhom <i>tên đơn vị</i>: gõ trong nhóm chat để đăng ký nhóm cho đơn vị\n"
    "• /moi <i>họ tên; vai trò; đơn vị</i>: cấp mã mời một cán bộ (nhắn riêng với tôi)"
)

# --- onboarding and groups ---

INVITE_USAGE = (
    "Bạn gõ /moi <i>họ tên; vai trò; đơn vị</i>, ví dụ:\n"
    "/moi Nguyễn Văn An; cán bộ; Bộ phận một cửa\n"
    "Vai trò: <i>cán bộ</i>, <i>lãnh đạo</i>, <i>tổ công nghệ số</i> "
    "(quản trị viên mới cấp được <i>quản trị</i>)."
)
INVITE_IN_PRIVATE = "Mã mời là thông tin riêng: bạn nhắn riêng với tôi để cấp mã."
INVITE_REFUSED = "Chỉ quản trị viên, hoặc lãnh đạo cho đơn vị mình phụ trách, mới cấp được mã mời."


def invite_role_unknown(word: str) -> str:
    """A role word the bot does not know."""
    return f"Tôi chưa hiểu vai trò «{esc(word)}». Bạn dùng: cán bộ, lãnh đạo, tổ công nghệ số hoặc quản trị."


def invite_created(name: str, role: str, unit: str, code: str, expires: str, link: str) -> str:
    """The new invite: who it is for, the code to pass on, until when it works."""
    where = f", đơn vị {bold(unit)}" if unit else ""
    deep = f"\nHoặc gửi đường dẫn (Telegram): {esc(link)}" if link else ""
    return (
        f"✅ Đã tạo mã mời cho {bold(name)} ({esc(ROLE_WORDS.get(role, role))}{where}).\n"
        f"Người được mời nhắn cho tôi: <code>/dangky {esc(code)}</code>{deep}\n"
        f"Mã dùng được một lần, hết hạn lúc {esc(expires)}."
    )


REGISTER_USAGE = "Bạn gõ /dangky kèm mã được cấp, ví dụ: /dangky ABCD234567"
REGISTER_IN_PRIVATE = "Để bảo mật, bạn vui lòng nhắn riêng với tôi: /dangky <i>mã</i>"
REGISTER_WRONG = (
    "Mã này không đúng. Bạn kiểm tra lại từng ký tự (mã không có chữ O, I, L và số 0, 1) "
    "hoặc xin mã mới từ người quản lý."
)
REGISTER_USED = "Mã này đã được dùng rồi. Mỗi mã chỉ dùng được một lần; bạn xin mã mới từ người quản lý."
REGISTER_EXPIRED = "Mã này đã hết hạn. Bạn xin mã mới từ người quản lý."
REGISTER_NOT_HERE = (
    "Tài khoản cán bộ chỉ liên kết được qua Telegram hoặc Zalo, không qua trang hỏi đáp trên web. "
    "Mã của bạn vẫn dùng được ở đó."
)
REGISTER_ALREADY_LINKED = (
    "Tài khoản chat này đã được liên kết với một người khác. "
    "Nếu có nhầm lẫn, bạn báo người quản lý để được hỗ trợ."
)


def registered(name: str, role: str, unit: str) -> str:
    """The answer to a redeemed invite: who the account now belongs to, and what reaches it here."""
    where = f", đơn vị {bold(unit)}" if unit else ""
    if unit:
        reach = "Từ nay bạn sẽ nhận chỉ đạo gửi cho đơn vị qua cuộc trò chuyện này."
    else:
        reach = "Bạn chưa thuộc đơn vị nào nên chỉ nhận những chỉ đạo gửi đích danh cho bạn."
    if role in ("admin", "leader"):
        reach += " Bạn soạn chỉ đạo bằng /chidao."
    return (
        f"✅ Đã liên kết tài khoản với {bold(name)} ({esc(ROLE_WORDS.get(role, role))}{where}).\n"
        f"{reach} Gõ /help để xem các lệnh."
    )


GROUP_USAGE = "Bạn gõ /nhom kèm tên đơn vị, ví dụ: /nhom Bộ phận một cửa"
GROUP_ONLY_IN_GROUP = "Lệnh /nhom chỉ dùng trong nhóm chat cần đăng ký."
GROUP_REFUSED = "Chỉ quản trị viên hoặc lãnh đạo của đơn vị mới đăng ký được nhóm cho đơn vị đó."


def group_unit_unknown(name: str) -> str:
    """No unit has that name."""
    return f"Không tìm thấy đơn vị “{esc(name)}”. Bạn kiểm tra lại tên đơn vị."


def group_title(unit: str) -> str:
    """How a registered group is named in reports."""
    return f"Nhóm {unit}"


def group_registered(unit: str, *, buttons: bool) -> str:
    """The answer to /nhom: the group now receives the unit's directives; how members acknowledge
    (``buttons``: the platform shows a "Đã nhận" button; else members reply, no mention needed)."""
    how = (
        "Mỗi thành viên tự bấm <b>Đã nhận</b> khi nhận chỉ đạo."
        if buttons
        else "Mỗi thành viên tự trả lời “đã nhận” (hoặc số của lựa chọn “Đã nhận”) khi nhận chỉ đạo, "
        "không cần gọi tên bot."
    )
    return f"✅ Đã đăng ký nhóm này cho đơn vị {bold(unit)}. {how}"


# --- the directive as staff read it ---

DIRECTIVE_URGENT = "🔴 <b>CHỈ ĐẠO KHẨN</b>"
DIRECTIVE_NORMAL = "📢 <b>Chỉ đạo</b>"
DIRECTIVE_ACK_BUTTON = "Đã nhận"
DIRECTIVE_ACK_REPLY_LINE = "Trả lời “đã nhận” để xác nhận"


def directive_number(directive_id: int) -> str:
    """The directive's number as people cite it in /baocao."""
    return f"số {directive_id}"


def directive_deadline(when: str) -> str:
    """The acknowledgement deadline line."""
    return f"⏳ Hạn xác nhận: <b>{esc(when)}</b>"


def directive_link(url: str) -> str:
    """The link attached to a directive."""
    return f"🔗 {link(url, url)}"


def reminder_head(count: int) -> str:
    """The first line of a reminder."""
    return f"⏰ <b>Nhắc lần {count}</b>: bạn chưa xác nhận chỉ đạo dưới đây."


def directive_acknowledged_by(names: list[str]) -> str:
    """The footer of a directive once people acknowledged in that chat."""
    return "✅ Đã nhận: " + ", ".join(esc(name) for name in names)


def reminder_missing(names: list[str], more: int) -> str:
    """In a group reminder: who has not acknowledged yet."""
    tail = f" và {more} người khác" if more else ""
    return "Chưa xác nhận: " + ", ".join(esc(name) for name in names) + tail


def escalation(
    title: str, directive_id: int, reminders: int, unit: str, missing: list[str], more: int
) -> str:
    """What a unit's leader reads when people still have not acknowledged after the reminders."""
    names = "\n".join(f"• {esc(name)}" for name in missing)
    tail = f"\n… và {more} người khác" if more else ""
    where = f" của {bold(unit)}" if unit else ""
    return (
        f"⚠️ <b>Chưa xác nhận sau {reminders} lần nhắc</b>\n"
        f"Chỉ đạo {directive_number(directive_id)}: {bold(title)}\n"
        f"Những người{where} chưa xác nhận:\n{names}{tail}\n"
        f"\nXem chi tiết: /baocao {directive_id}"
    )


# --- acknowledgements ---


def ack_recorded(name: str, directive_id: int, others: list[str]) -> str:
    """A member acknowledged (named, so a group sees who); with the others who did so in this chat."""
    line = f"✅ {bold(name)} đã xác nhận chỉ đạo {directive_number(directive_id)}."
    if len(others) > 1:
        line += "\nĐã xác nhận trong cuộc trò chuyện này: " + ", ".join(esc(n) for n in others)
    return line


def ack_already(name: str, when: str) -> str:
    """A repeated acknowledgement."""
    at = f" lúc {esc(when)}" if when else " rồi"
    return f"{esc(name)}, bạn đã xác nhận{at}. Cảm ơn bạn."


ACK_NOT_REGISTERED = (
    "Bạn chưa được đăng ký là cán bộ nhận chỉ đạo nên tôi chưa ghi nhận được. "
    "Nếu bạn là cán bộ, bạn xin mã từ người quản lý rồi gõ /dangky <i>mã</i>."
)
ACK_NOTHING = "Hiện không có chỉ đạo nào cần bạn xác nhận trong cuộc trò chuyện này."
ACK_NOT_REQUIRED = "Chỉ đạo này không yêu cầu xác nhận. Cảm ơn bạn."
ACK_CANCELLED = "Chỉ đạo này đã được hủy, bạn không cần xác nhận nữa."

# --- /chidao: the guided flow ---

DIRECTIVE_REFUSED = "Xin lỗi, lệnh này không dành cho bạn."
DIRECTIVE_PRIVATE_ONLY = "Bạn vui lòng nhắn riêng với tôi để soạn chỉ đạo."
DIRECTIVE_FLOW_GONE = "Phiên soạn chỉ đạo đã kết thúc hoặc hết hạn. Bạn gõ /chidao để bắt đầu lại."


def ask_title(limit: int) -> str:
    """Step 1 of /chidao."""
    return (
        "<b>Soạn chỉ đạo (bước 1/9)</b>\n"
        f"Bạn gõ <b>tiêu đề</b> chỉ đạo (tối đa {limit} ký tự).\nGõ /huy để dừng."
    )


def ask_body(limit: int) -> str:
    """Step 2 of /chidao."""
    return f"<b>Bước 2/9</b>: Bạn gõ <b>nội dung</b> chỉ đạo (tối đa {limit} ký tự)."


ASK_URGENCY = "<b>Bước 3/9</b>: Mức độ: bấm hoặc gõ số."
URGENCY_KHAN = "Khẩn"
URGENCY_THUONG = "Thường"
ASK_AUDIENCE = (
    "<b>Bước 4/9</b>: Gửi cho ai? Bấm một lựa chọn, hoặc gõ nhiều số cách nhau bằng dấu phẩy (ví dụ: 1, 3)."
)
AUDIENCE_ALL = "Tất cả đơn vị"


def audience_private_only(unit: str) -> str:
    """The option sending to a unit's people only, not to its group chats."""
    return f"{unit}: chỉ nhắn riêng, không gửi vào nhóm"


AUDIENCE_NONE = "Chưa có đơn vị hoặc nhóm nào để gửi. Quản trị viên cần tạo đơn vị trước."
ASK_ACK = "<b>Bước 5/9</b>: Có yêu cầu người nhận xác nhận “Đã nhận” không?"
ACK_YES = "Có, cần xác nhận"
ACK_NO = "Không cần"


def default_deadline(hours: int) -> str:
    """The button taking the default acknowledgement deadline (``hours`` after sending; 0: none)."""
    return f"Mặc định: {hours} giờ sau khi gửi" if hours > 0 else "Không đặt hạn"


def ask_deadline(hours: int) -> str:
    """Step 6 of /chidao."""
    return (
        "<b>Bước 6/9</b>: Hạn xác nhận? Gõ ngày giờ, ví dụ <i>25/11 17:00</i>, "
        f"hoặc bấm “{default_deadline(hours)}”."
    )


ASK_REMIND = (
    "<b>Bước 7/9</b>: Nhắc người chưa xác nhận sau bao nhiêu phút kể từ khi gửi? "
    "Gõ các số phút cách nhau bằng dấu phẩy, ví dụ <i>30, 120</i>; gõ <i>không</i> để không nhắc, "
    "hoặc bấm lựa chọn mặc định."
)
NO_REMINDERS = "Không nhắc"
NO_ESCALATION = "Không báo lãnh đạo"


def default_reminders(minutes: list[int]) -> str:
    """The button taking the configured reminders."""
    if not minutes:
        return "Mặc định: không nhắc"
    return "Mặc định: sau " + ", ".join(str(m) for m in minutes) + " phút"


def ask_escalate(reminders: int) -> str:
    """Step 8 of /chidao (only after reminders of one's own)."""
    return (
        "<b>Bước 8/9</b>: Sau lần nhắc thứ mấy thì báo lãnh đạo đơn vị danh sách người chưa xác nhận? "
        f"Gõ một số từ 1 đến {reminders}, hoặc bấm một lựa chọn."
    )


def escalate_after(number: int, *, default: bool) -> str:
    """The choice telling the leader after the ``number``-th reminder."""
    return f"Sau lần nhắc thứ {number}" + (" (mặc định)" if default else "")


def remind_again(most: int) -> str:
    """Reminder minutes that cannot be used."""
    return (
        f"Bạn gõ từ 1 đến {most} số phút, mỗi số từ 1 đến 10080 (7 ngày), ví dụ <i>30, 120</i>; "
        "hoặc gõ <i>không</i> để không nhắc."
    )


def escalate_again(reminders: int) -> str:
    """An escalation answer that cannot be used."""
    return f"Bạn gõ một số từ 1 đến {reminders}, hoặc <i>không</i> để không báo lãnh đạo."


def ack_words(deadline: str, minutes: list[int], escalate_after: int) -> str:
    """The preview's line on acknowledgement: deadline, reminders, escalation (plain words, escaped later)."""
    words = ACK_YES + (f" (hạn {deadline})" if deadline else "")
    if minutes:
        words += "; nhắc sau " + ", ".join(str(m) for m in minutes) + " phút"
        if escalate_after:
            words += f"; báo lãnh đạo sau lần nhắc thứ {escalate_after}"
    else:
        words += "; không nhắc"
    return words


ASK_SCHEDULE = (
    "<b>Bước 9/9</b>: Khi nào gửi? Bấm “Gửi ngay”, hoặc gõ:\n"
    "• một thời điểm, ví dụ <i>25/11 07:30</i>\n"
    "• lịch lặp lại, ví dụ <i>thứ hai hằng tuần 07:30</i>, <i>hằng ngày 07:30</i> "
    "hoặc cú pháp cron <i>30 7 * * 1</i>"
)
SEND_NOW = "Gửi ngay"
SEND = "Gửi"
CANCEL = "Hủy"
PREVIEW_HEAD = "<b>Xem trước chỉ đạo</b>"


TITLE_WORD = "Tiêu đề"
BODY_WORD = "Nội dung"


def directive_too_long(what: str, limit: int) -> str:
    """A title or body that is empty or too long."""
    return f"{esc(what)} cần có nội dung và không quá {limit} ký tự. Bạn gõ lại nhé."


ASK_URGENCY_AGAIN = "Bạn chọn 1 (Khẩn) hoặc 2 (Thường)."
ASK_AUDIENCE_AGAIN = "Tôi chưa hiểu lựa chọn. Bạn gõ số thứ tự trong danh sách, ví dụ: 1 hoặc 1, 3."
AUDIENCE_OUT_OF_SCOPE = "Bạn chỉ gửi được cho đơn vị và nhóm do bạn phụ trách. Bạn chọn lại nhé."
ASK_ACK_AGAIN = "Bạn chọn 1 (cần xác nhận) hoặc 2 (không cần)."
DEADLINE_INVALID = (
    "Hạn xác nhận chưa đúng: cần là ngày giờ sau lúc gửi, ví dụ <i>25/11 17:00</i>. Bạn gõ lại nhé."
)
SCHEDULE_INVALID = (
    "Tôi chưa hiểu thời gian gửi. Bạn gõ ví dụ <i>25/11 07:30</i>, <i>thứ hai hằng tuần 07:30</i> "
    "hoặc <i>30 7 * * 1</i>, hoặc bấm “Gửi ngay”."
)
SCHEDULE_PAST = "Thời điểm này đã qua. Bạn gõ một thời điểm sau bây giờ nhé."
DIRECTIVE_INVALID = "Chỉ đạo chưa hợp lệ, bạn kiểm tra lại bước này nhé."
ASK_SEND_OR_CANCEL = "Bạn bấm <b>Gửi</b> để gửi chỉ đạo hoặc <b>Hủy</b> để bỏ (hoặc gõ “gửi” / “hủy”)."
DIRECTIVE_CANCELLED_DRAFT = "Đã hủy, chỉ đạo không được gửi."


def schedule_words(kind: str, when: str) -> str:
    """When the directive will go out, in words."""
    if kind == "now":
        return "gửi ngay"
    if kind == "at":
        return f"gửi lúc {esc(when)}"
    return f"lặp lại theo lịch <code>{esc(when)}</code>"


def directive_preview(
    *,
    body: str,
    audience: str,
    chats: int,
    people: int,
    groups: int,
    unreachable: int,
    ack: str,
    schedule: str,
) -> str:
    """The preview shown before confirming: the message as sent, then who and when."""
    lines = [
        PREVIEW_HEAD,
        "",
        body,
        "",
        "———",
        f"Người nhận: {esc(audience)}",
        f"Sẽ gửi tới <b>{chats}</b> cuộc trò chuyện ({people} cá nhân, {groups} nhóm).",
    ]
    if unreachable:
        lines.append(f"⚠️ {unreachable} người chưa liên kết tài khoản chat nên sẽ không nhận được.")
    lines.append(f"Xác nhận: {esc(ack)}")
    lines.append(f"Thời gian: {schedule}")
    lines.append("")
    lines.append("Bấm <b>Gửi</b> để gửi hoặc <b>Hủy</b> để bỏ.")
    return "\n".join(lines)


def directive_queued(directive_id: int, chats: int, unreachable: int, when: str) -> str:
    """A published one-off directive."""
    line = f"✅ Đã đưa chỉ đạo {directive_number(directive_id)} vào hàng gửi tới {chats} cuộc trò chuyện"
    line += f" (gửi lúc {esc(when)})." if when else "."
    if unreachable:
        line += f"\n{unreachable} người chưa liên kết tài khoản chat."
    return line + f"\nXem tiến độ: /baocao {directive_id}"


def directive_armed(directive_id: int, first: str) -> str:
    """A recurring directive was scheduled."""
    return (
        f"✅ Đã lên lịch chỉ đạo {directive_number(directive_id)}; lần gửi đầu tiên: {esc(first)}.\n"
        f"Xem tiến độ: /baocao {directive_id}"
    )


# --- why a directive was refused (plain text: the command line prints it after the key) ---

DIRECTIVE_REASONS = {
    "unknown key": "khóa không được hỗ trợ",
    "not text": "cần một chuỗi",
    "required": "bắt buộc",
    "khan or thuong": "“khan” hoặc “thuong”",
    "not a boolean": "true hoặc false",
    "at or cron": "chỉ một trong at và cron",
    "not an integer": "cần một số nguyên",
    "not a table": "cần một bảng [audience]",
    "names or ids": "danh sách tên hoặc số",
    "not a moment": "cần thời điểm ISO 8601, ví dụ 2026-12-01T07:30:00+07:00",
    "date without time": "cần cả giờ, không chỉ ngày",
    "empty or too long": "trống hoặc quá dài (tiêu đề tối đa 255, nội dung tối đa 3500 ký tự)",
    "empty": "chưa chọn người nhận nào",
    "not an http(s) address": "cần một địa chỉ http:// hoặc https://",
    "unknown": "không có múi giờ này",
    "missing or without time zone": "thiếu thời điểm gửi",
    "in the past": "thời điểm này đã qua",
    "too far ahead": "xa quá (tối đa 5 năm tới)",
    "only for a scheduled time": "chỉ dùng khi gửi vào một thời điểm",
    "never fires": "lịch này không bao giờ đến",
    "only for a recurring schedule": "chỉ dùng cho chỉ đạo định kỳ",
    "without acknowledgement": "chỉ dùng khi ack_required = true",
    "before the directive goes out": "phải sau lúc gửi",
    "out of range": "ngoài khoảng cho phép",
    "list of minutes": "cần danh sách số phút, ví dụ [30, 120]",
    "more than the reminders": "không quá số lần nhắc",
    "unknown field": "trường không được hỗ trợ",
    "wrong type": "sai kiểu giá trị",
    "unknown value": "giá trị không hợp lệ",
    "not an object": "cần một bảng",
    "unknown keys": "có khóa không được hỗ trợ (dùng units, unit_groups, tags, groups, people)",
    "ids must be positive integers": "số định danh phải là số nguyên dương",
    "tags must be strings": "nhãn phải là chuỗi",
}


def directive_reason(reason: str, value: str = "") -> str:
    """Why a directive field was refused, in Vietnamese (``value``: what was refused, when shown)."""
    if reason == "unknown unit":
        return f"không có đơn vị “{value}” (xem: motcua unit list)"
    if reason == "unknown group":
        return f"không có nhóm “{value}” (xem: motcua group list)"
    if reason == "ambiguous name":
        return f"có nhiều mục cùng tên “{value}”: dùng số thay cho tên"
    if reason == "unreadable":
        return f"không đọc được lịch định kỳ ({value})"
    return DIRECTIVE_REASONS.get(reason, reason)


# --- /baocao and /dschidao ---

REPORT_USAGE = "Bạn gõ /baocao kèm số chỉ đạo, ví dụ: /baocao 12. Gõ /dschidao để xem danh sách."
LIST_EMPTY = "Chưa có chỉ đạo nào."
DIRECTIVE_STATUS_WORDS = {
    "draft": "bản nháp",
    "scheduled": "đã lên lịch",
    "sending": "đang gửi",
    "sent": "đã gửi",
    "cancelled": "đã hủy",
}
FAILURE_WORDS = {
    "blocked": "đã chặn bot",
    "cancelled": "đã hủy",
    "chat not found": "không tìm thấy cuộc trò chuyện",
}


def directive_not_found(directive_id: str) -> str:
    """Unknown, or not the asker's: the same words, so nothing is revealed."""
    return f"Không tìm thấy chỉ đạo {esc(directive_id)} trong phạm vi bạn được xem."


def report_head(directive_id: int, title: str, status: str, occurrence: str) -> str:
    """The first lines of a report."""
    when = "" if occurrence in ("", "once") else f" (lần gửi {esc(occurrence)})"
    status_word = DIRECTIVE_STATUS_WORDS.get(status, status)
    head = f"<b>Báo cáo chỉ đạo {directive_number(directive_id)}</b>{when}"
    return f"{head}\n{bold(title)}\nTrạng thái: {esc(status_word)}"


def report_totals(
    delivered: int, failed: int, pending: int, unreachable: int, acked: int, expected: int, duplicates: int
) -> str:
    """The totals line of a report."""
    lines = [
        "<b>Tổng cộng</b>",
        f"• Đã gửi tới: {delivered}",
        f"• Gửi lỗi: {failed}",
        f"• Đang chờ gửi: {pending}",
    ]
    if unreachable:
        lines.append(f"• Chưa liên kết tài khoản: {unreachable}")
    if expected:
        lines.append(f"• Đã xác nhận: {acked}/{expected}; chưa xác nhận: {expected - acked}")
    if duplicates:
        lines.append(f"• Có thể nhận trùng: {duplicates}")
    return "\n".join(lines)


def report_unit(
    name: str, delivered: int, failed: int, pending: int, unreachable: int, acked: int, expected: int
) -> str:
    """One unit's line."""
    label = esc(name) if name else "Không thuộc đơn vị"
    parts = [f"gửi {delivered}", f"lỗi {failed}", f"chờ {pending}"]
    if unreachable:
        parts.append(f"chưa liên kết {unreachable}")
    if expected:
        parts.append(f"xác nhận {acked}/{expected}")
    return f"• <b>{label}</b>: " + ", ".join(parts)


def report_failures(reasons: list[tuple[str, int]]) -> str:
    """Failure reasons and how many chats each."""
    lines = ["<b>Lý do gửi lỗi</b>"]
    lines += [
        f"• {esc(FAILURE_WORDS.get(reason, reason) or 'không rõ')}: {count}" for reason, count in reasons
    ]
    return "\n".join(lines)


def report_missing(names: list[str], more: int) -> str:
    """The first people who have not acknowledged."""
    tail = f"\n… và {more} người khác" if more else ""
    return "<b>Chưa xác nhận</b>\n" + "\n".join(f"• {esc(n)}" for n in names) + tail


REPORT_UNITS_HEAD = "<b>Theo đơn vị</b>"


def directive_list_line(directive_id: int, title: str, status: str, created: str) -> str:
    """One line of /dschidao."""
    status_word = DIRECTIVE_STATUS_WORDS.get(status, status)
    return f"• <b>{directive_id}</b>. {esc(title)} ({esc(status_word)}, {esc(created)})"


LIST_HEAD = "<b>Chỉ đạo gần đây</b> (gõ /baocao <i>số</i> để xem chi tiết)"
