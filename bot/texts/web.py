"""What the web pages say (Vietnamese), by the part of the page."""

from __future__ import annotations

SITE_TITLE = "Tra cứu thủ tục hành chính"
HOME_LEAD = "Hỏi cần mang giấy tờ gì, nộp ở đâu, mất bao lâu và bao nhiêu tiền, cho mọi thủ tục."
SEARCH_LABEL = "Bạn cần làm thủ tục gì?"
SEARCH_PLACEHOLDER = "Ví dụ: làm giấy khai sinh cho con"
SEARCH_BUTTON = "Tìm"
ERROR_PAGE = "Xin lỗi, trang này gặp lỗi. Bạn thử lại sau ít phút."
