"""Parse the portal's flattened table text (cells glued together without separators) into structure.

Every parser returns ``None`` when the text does not have the expected shape, so the caller can keep
the raw text; none of them raises on odd input.
"""

from __future__ import annotations

import re

from knowledge.importers.text import clean, informative, normalize_fee, normalize_time_limit
from knowledge.model import Channel, Document, LegalBasis

NO_INFO = "Không có thông tin"

# --- channels (cach_thuc_thuc_hien) -------------------------------------------------------------

CHANNEL_HEADER = "Hình thức nộpThời gianPhí, lệ phíMô tả"
KINDS = ("Trực tiếp", "Trực tuyến", "Dịch vụ bưu chính")
# A row starts with a channel kind glued to its time cell: a digit, an upper-case letter or "(".
# Inside descriptions the same words are followed by a space or a colon, so they do not match.
_ROW_START = re.compile(rf"({'|'.join(KINDS)})(?=[0-9A-ZĐÀ-Ỹ(])")
_UNITS = r"Ngày làm việc|ngày làm việc|Ngày|ngày|Giờ|giờ|Tháng|tháng|Năm|năm|Phút|phút"
_TIME = re.compile(rf"([0-9]+(?:[.,][0-9]+)?)\s?({_UNITS})")
_MONEY_UNIT = r"Việt Nam Đồng|VNĐ|VND|USD|đồng|Đồng"
_MONEY = re.compile(rf"((?:[0-9]{{1,3}}(?:[.,][0-9]{{3}})+|[0-9]+)(?:[.,][0-9]+)?)\s?({_MONEY_UNIT})")
_FEE_WORDS = re.compile(r"Miễn phí|Không có thông tin|Không thu|Mức (?:lệ )?phí cụ thể[^()]*?quyết định")


def _balanced_paren(text: str, start: int) -> int:
    """Return the index after the parenthesis group opening at ``start``; -1 when it never closes."""
    depth = 0
    for index in range(start, len(text)):
        char = text[index]
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                return index + 1
    return -1


def _fee_at(text: str, pos: int) -> tuple[str, int] | None:
    """Read one fee cell (amount or word, then an optional note in parentheses) at ``pos``."""
    money = _MONEY.match(text, pos)
    word = None if money else _FEE_WORDS.match(text, pos)
    if money:
        amount = normalize_fee(money.group(0))
        end = money.end()
    elif word:
        amount = "" if word.group(0) == NO_INFO else word.group(0)
        end = word.end()
    else:
        return None
    parts = [amount] if amount else []
    # Several amounts may share one cell ("10,000 VNĐ(a)20,000 VNĐ(b)").
    while end < len(text):
        if text[end] == "(" and (amount or not word):
            close = _balanced_paren(text, end)
            if close < 0:
                break
            note = clean(text[end + 1 : close - 1])
            if note and informative(note):
                parts.append(f"({note})")
            end = close
            continue
        more = _MONEY.match(text, end)
        if money and more:
            parts.append("; " + normalize_fee(more.group(0)))
            end = more.end()
            continue
        break
    return " ".join(parts).replace(" ; ", "; "), end


def _split_unitless(cell: str) -> tuple[str, str, int] | None:
    """Split "120 VNĐ(20.000 vnđ /tờ khai)" (a time without unit glued to a fee) when only one cut fits.

    A cut fits when the fee part has no leading zero; with several, the one whose amount the fee's
    own note repeats wins. No fit means there was no time at all; several fits mean ambiguity (None).
    """
    digits = re.match(r"[0-9]+", cell)
    if digits is None:
        return None
    run = digits.group(0)
    fits: list[tuple[str, str, int]] = []
    for cut in range(1, len(run)):
        if run[cut] == "0":
            continue
        fee = _fee_at(cell, cut)
        if fee and fee[0]:
            fits.append((run[:cut], fee[0], fee[1]))
    if not fits:
        whole = _fee_at(cell, 0)
        return ("", whole[0], whole[1]) if whole else None
    if len(fits) > 1:
        fits = [fit for fit in fits if _note_repeats_amount(fit[1])]
    return fits[0] if len(fits) == 1 else None


def _note_repeats_amount(fee: str) -> bool:
    """Tell whether "100.000 đồng (... 100.000 đồng/lần)" states its amount again in the note."""
    amount, _, note = fee.partition(" (")
    number = amount.split(" ")[0]
    return bool(note) and re.search(rf"(?<![0-9.,]){re.escape(number)}(?![0-9])", note) is not None


_THOUSANDS_HINT = re.compile(r"([0-9]{1,3})[.,]000(?:\s?(?:đồng|VNĐ|vnđ|VND|đ\b))")


def _scale_thousands(fee: str) -> str:
    """Some records give "20 VNĐ" meaning thousands; trust that only when the note says 20.000."""
    match = re.match(r"([0-9]{1,3}) đồng\b", fee)
    if match and any(hit.group(1) == match.group(1) for hit in _THOUSANDS_HINT.finditer(fee)):
        return f"{match.group(1)}.000 đồng{fee[match.end() :]}"
    return fee


_DEADLINE = re.compile(r"thời (?:hạn|gian) (?:giải quyết|xử lý|trả kết quả)|trả kết quả trong", re.IGNORECASE)
_AMOUNT_OF_TIME = re.compile(rf"(?<![0-9.,/])([0-9]+)\s?({_UNITS})")


def _unit_for(number: str, text: str) -> str:
    """The one unit ``number`` is written with in ``text``; '' when absent or when units disagree."""
    pattern = re.compile(rf"(?<![0-9.,/])0*{re.escape(number.lstrip('0') or '0')}\s?({_UNITS})")
    units = {m.group(1).lower() for m in pattern.finditer(text)}
    return units.pop() if len(units) == 1 else ""


def _recover_unit(number: str, table: str, context: str) -> str:
    """Find the unit of a bare number in the table: only from evidence that it is the time limit.

    Evidence is the same number with a unit elsewhere in the table, in a sentence about the time to
    settle the case, or as the only amount of time the steps mention. A step's own duration that
    happens to share the number is not enough.
    """
    unit = _unit_for(number, table)
    if unit:
        return unit
    deadlines = "\n".join(s for s in re.split(r"[.;\n]", context) if _DEADLINE.search(s))
    unit = _unit_for(number, deadlines)
    if unit:
        return unit
    amounts = {(int(n), u.lower()) for n, u in _AMOUNT_OF_TIME.findall(context)}
    if len(amounts) == 1:
        [(only, only_unit)] = amounts
        return only_unit if only == int(number) else ""
    return ""


def _parse_channel_row(kind: str, cell: str, table: str, context: str) -> tuple[Channel, bool]:
    """Parse "<time><fee><description>" of one row; the flag is False when part stayed ambiguous."""
    time_limit = ""
    pos = 0
    certain = True
    time = _TIME.match(cell)
    if time:
        time_limit = normalize_time_limit(time.group(0))
        pos = time.end()
    elif cell.startswith(NO_INFO) and _fee_at(cell, len(NO_INFO)):
        pos = len(NO_INFO)
    elif cell.startswith("Không quy định"):
        time_limit = "Không quy định"
        pos = len("Không quy định")
    else:
        digits = re.match(r"[0-9]+(?:[.,][0-9]+)?", cell)
        if digits and _fee_at(cell, digits.end()) and not _MONEY.match(cell):
            number = digits.group(0)
            unit = _recover_unit(number, table, context)
            time_limit = normalize_time_limit(f"{number} {unit}") if unit else ""
            certain = bool(unit)
            pos = digits.end()
        elif digits and _MONEY.match(cell):
            split = _split_unitless(cell)
            if split is None:
                return Channel(kind=kind), False
            number, fee, end = split
            unit = _recover_unit(number, table, context) if number else ""
            time_limit = normalize_time_limit(f"{number} {unit}") if unit else ""
            note = _description(cell[end:])
            return Channel(kind=kind, time_limit=time_limit, fee=_scale_thousands(fee), note=note), bool(unit)
        else:
            # Free-text time cell: everything up to the first fee cell.
            fee_start = _first_fee(cell)
            if fee_start is None:
                return Channel(kind=kind, note=_description(cell)), False
            time_limit = clean(cell[:fee_start]).rstrip(".")
            pos = fee_start
    found = _fee_at(cell, pos)
    if found is None:
        return Channel(kind=kind, time_limit=time_limit, note=_description(cell[pos:])), False
    note = _description(cell[found[1] :])
    return Channel(kind=kind, time_limit=time_limit, fee=_scale_thousands(found[0]), note=note), certain


def _first_fee(cell: str) -> int | None:
    """Position of the first fee-looking cell in a free-text time cell."""
    hits = [m.start() for m in (_FEE_WORDS.search(cell), _MONEY.search(cell)) if m]
    return min(hits) if hits else None


def _description(text: str) -> str:
    return informative(text).lstrip(":- ").strip()


def parse_channels(text: str, context: str = "") -> tuple[tuple[Channel, ...], bool] | None:
    """Parse the submission-channel table; the flag is False when some cell stayed ambiguous.

    ``context`` is other text of the record (steps, conditions) used to recover a time unit the
    table left out.
    """
    if not text.startswith(CHANNEL_HEADER):
        return None
    body = text[len(CHANNEL_HEADER) :]
    starts = [m for m in _ROW_START.finditer(body)]
    if not starts or starts[0].start() != 0:
        return None
    channels: list[Channel] = []
    certain = True
    for index, start in enumerate(starts):
        end = starts[index + 1].start() if index + 1 < len(starts) else len(body)
        channel, ok = _parse_channel_row(start.group(1), body[start.end() : end], body, context)
        channels.append(channel)
        certain = certain and ok
    return tuple(channels), certain


# --- documents (thanh_phan_ho_so) ---------------------------------------------------------------

DOCUMENT_HEADER = "Tên giấy tờMẫu đơn, tờ khaiSố lượng"
# A count cell ends a row and is glued to the next name; "01 bản chính;" inside a name is followed by
# punctuation or a space instead.
_COUNT = re.compile(r"(0?[0-9]) bản (chính|sao)(?:,(0?[0-9]) bản (chính|sao))?(?=$|[^\s;.,)])")
_EXT = re.compile(r"\.(?:docx|doc|pdf|xlsx|xls|rar|zip|odt)", re.IGNORECASE)
_TEMPLATE_WORD = re.compile(
    r"(?:Mẫu|MẪU|mẫu|Mau|MAU|mau|Phụ lục|PHỤ LỤC|Phu luc|PL|Tờ khai|TỜ KHAI|Đơn|ĐƠN|đơn|Văn bản|văn bản"
    r"|Mus[0-9]|M[0-9]|[0-9]{1,3}-(?:Mẫu|Mau))"
)
_TEMPLATE_WINDOW = 130


_GLUED_FORM_WORD = re.compile(rf"(?<=[\w;.:),])(?={_TEMPLATE_WORD.pattern})")
_GLUED_PUNCTUATION = re.compile(r"(?<=[;:)])(?=\w)|(?<=[^0-9]\.)(?=\w)|(?<=\.)(?=[^\W\d])")


def _template_start(segment: str, ext_start: int) -> int | None:
    """Where a template file name glued to the end of a document name begins, or None.

    Preference: a glued form word ("...NĐ-CPMẫu số 01.docx"), then glued punctuation
    ("...2021;Mus08.docx"), then a lower-to-upper case change ("...vật nuôiBC tóm tắt.docx"); the
    earliest candidate of the best kind wins, because file names themselves contain dots and capitals.
    """
    lower = max(1, ext_start - _TEMPLATE_WINDOW)
    for pattern in (_GLUED_FORM_WORD, _GLUED_PUNCTUATION):
        found = pattern.search(segment, lower, ext_start)
        if found:
            return found.start()
    for pos in range(lower, ext_start):
        before, char = segment[pos - 1], segment[pos]
        if (before.islower() or before.isdigit()) and char.isupper():
            return pos
    return None


def _split_templates(segment: str) -> tuple[str, str]:
    """Split "<name><file.docx><file2.doc>" into the name and the template names joined by '; '."""
    exts = list(_EXT.finditer(segment))
    if not exts or exts[-1].end() != len(segment):
        return segment, ""
    first = exts[0]
    start = _template_start(segment, first.start())
    if start is None:
        return segment, ""
    name = segment[:start]
    templates: list[str] = []
    pos = start
    for ext in exts:
        if ext.start() < start:
            continue
        templates.append(clean(segment[pos : ext.end()]))
        pos = ext.end()
    return name, "; ".join(t for t in templates if t)


# "Giấy tờ phải xuất trình", "Người yêu cầu ... phải xuất trình các giấy tờ sau"; not "nộp bản sao và
# xuất trình bản chính để đối chiếu", where copies are handed in.
_SHOWN_ONLY = re.compile(
    r"^(?:các |những )?giấy tờ (?:phải |cần )?xuất trình|xuất trình (?:một trong )?các giấy tờ sau",
    re.IGNORECASE,
)


def is_shown_only(section: str) -> bool:
    """Tell whether a section title lists papers that are shown at the counter, not handed in."""
    return _SHOWN_ONLY.search(section) is not None


def _clean_name(name: str) -> str:
    text = clean(name)
    text = re.sub(r"^[-+•*]\s*", "", text)
    return text.rstrip(";,").strip()


def _section_title(text: str) -> str:
    title = clean(text).strip("-").strip()
    title = re.sub(r"^[*\-+]\s*", "", title)
    return title.rstrip(":").strip()


def parse_documents(text: str) -> tuple[Document, ...] | None:
    """Parse the dossier table(s) into documents; sections (cases, papers to show) are kept per row."""
    if DOCUMENT_HEADER not in text:
        return None
    pieces = text.split(DOCUMENT_HEADER)
    section = _section_title(pieces[0])
    documents: list[Document] = []
    for piece in pieces[1:]:
        rows = list(_COUNT.finditer(piece))
        must_show = is_shown_only(section)
        pos = 0
        for row in rows:
            name, template = _split_templates(piece[pos : row.start()])
            name = _clean_name(name)
            originals, copies = _counts(row)
            pos = row.end()
            if not any(char.isalnum() for char in name):
                continue
            documents.append(
                Document(
                    name=name,
                    originals=originals,
                    copies=copies,
                    template=template,
                    must_show=must_show,
                    section=section,
                )
            )
        # What follows the last row is the title of the next table.
        section = _section_title(piece[pos:])
    return tuple(documents) if documents else None


def _counts(match: re.Match[str]) -> tuple[int | None, int | None]:
    # The count cell is all the table says: a kind it does not mention means none of that kind.
    values: dict[str, int] = {match.group(2): int(match.group(1))}
    if match.group(3):
        values[match.group(4)] = int(match.group(3))
    return values.get("chính", 0), values.get("sao", 0)


# --- legal basis (can_cu_phap_ly) ---------------------------------------------------------------

LEGAL_HEADER = "Tên văn bản pháp lýMã văn bản"
# A document number such as 123/2015/NĐ-CP, 02/2011/QH13, 1234/QĐ-TTg, 138/2015/TTLT-BQP-BTC. Numbers
# are glued to the text around them: one may start right after a year ("năm 201102/2011/QH13") or after
# the legislature digits of the previous number ("QH1354/2014/QH13").
_NUMBER = re.compile(
    r"(?:(?<![0-9])|(?<=(?:19|20)[0-9][0-9])|(?<=[A-Z][0-9])|(?<=[A-Z][0-9][0-9]))"
    r"[0-9]{1,4}(?:\.[0-9]{1,2})?[a-z]?/(?:[0-9]{4}/)?(?:TTg|[A-ZĐ]+)(?:[-_](?:TTg|[A-ZĐ]+))*(?:(?<=QH)[0-9]{1,2})?"
)


# Issuer codes that end document numbers; a number glued to the next title ("NĐ-CPLuật", "NĐ-CPNGHỊ")
# is trimmed back to the longest known code. Unknown codes fall back to first words of titles.
_ISSUER_CODES = frozenset(
    [
        "CP",
        "TTg",
        "BTC",
        "BTP",
        "NHNN",
        "BCA",
        "BNNMT",
        "BGTVT",
        "BXD",
        "BNNPTNT",
        "BTNMT",
        "BKHĐT",
        "BHXH",
        "BLĐTBXH",
        "VPCP",
        "BCT",
        "BYT",
        "BKHCN",
        "UBND",
        "BVHTTDL",
        "BNV",
        "BQP",
        "HĐND",
        "TANDTC",
        "VKSNDTC",
        "BNG",
        "BTTTT",
        "VPQH",
        "CTN",
        "CSXH",
        "BGDĐT",
        "NV",
        "UBTVQH",
    ]
)
_TITLE_WORDS = frozenset(
    [
        "nghị",
        "thông",
        "luật",
        "quy",
        "quyết",
        "sửa",
        "về",
        "hướng",
        "bộ",
        "ban",
        "thực",
        "số",
        "nhập",
        "pháp",
        "chỉ",
        "văn",
        "lệnh",
    ]
)
_WORD = re.compile(r"[^\W\d_]+")


def _give_back_title_start(body: str, match: re.Match[str]) -> tuple[str, int]:
    """Trim capitals the number took from the next title ("NĐ-CPLuật", "NĐ-CPLUẬT")."""
    number, end = match.group(0), match.end()
    if end >= len(body) or not body[end].isalpha():
        return number, end
    code = re.split(r"[-_/]", number)[-1]
    if code in _ISSUER_CODES or code[:2] == "QH" or code[:6] == "UBTVQH":
        return number, end
    for keep in range(len(code) - 1, 0, -1):
        if code[:keep] in _ISSUER_CODES:
            back = len(code) - keep
            return number[:-back], end - back
    for back in (1, 2):
        if len(code) > back:
            word = _WORD.match(body, end - back)
            if word and word.group(0).lower() in _TITLE_WORDS:
                return number[:-back], end - back
    return number, end


def parse_legal_basis(text: str) -> tuple[LegalBasis, ...] | None:
    """Parse "<title><number><title><number>..." rows; a number followed by a space stays in the title."""
    if not text.startswith(LEGAL_HEADER):
        return None
    body = text[len(LEGAL_HEADER) :]
    out: list[LegalBasis] = []
    pos = 0
    for match in _NUMBER.finditer(body):
        number, end = _give_back_title_start(body, match)
        if end < len(body) and (not body[end].isalpha() or body.startswith("ngày", end)):
            # Followed by a space, punctuation or "ngày" (a title missing a space): the number is cited
            # inside the title; the row's own number comes later.
            continue
        title = clean(body[pos : match.start()])
        pos = end
        out.append(LegalBasis(title=title or number, number=number))
    rest = clean(body[pos:])
    if rest:
        out.append(LegalBasis(title=rest))
    return tuple(out) if out else None


# --- steps and result ---------------------------------------------------------------------------

_STEP_SPLIT = re.compile(r"(?=\bBước\s*[0-9]+\s*[:.\-–)])")


def parse_steps(text: str) -> tuple[str, ...]:
    """Split steps on "Bước N" and on line breaks; bullet dashes stay with their paragraph."""
    text = clean(text)
    if not text:
        return ()
    paragraphs: list[str] = []
    for block in _STEP_SPLIT.split(text):
        for line in block.split("\n"):
            line = line.strip()
            if line and line not in {"-", "+", "*"}:
                paragraphs.append(line)
    return tuple(paragraphs)


# Result codes ("KQ.G12.000429", "0.G11-KQ1711") end with a digit; the next result name follows glued.
_RESULT_CODE = re.compile(r"Mã:\s*(?:[A-Z0-9.\-]*[0-9]|[a-z0-9]+|[A-Z]+)")


def clean_result(text: str) -> str:
    """Drop the portal's page furniture after the result names (codes, keywords, agency picker)."""
    text = clean(text)
    cut = text.find("Từ khóa")
    if cut < 0:
        cut = text.find("Chọn cơ quan thực hiện")
    if cut >= 0:
        text = text[:cut]
    names = [clean(part) for part in _RESULT_CODE.split(text)]
    return "\n".join(name for name in names if informative(name))


_KEYWORDS = re.compile(r"Từ khóa(.*?)(?:Mô tả|Chọn cơ quan thực hiện|$)", re.DOTALL)


def result_keywords(text: str) -> tuple[str, ...]:
    """The keywords some records carry in the result cell ("Từ khóa..."), one phrase each."""
    match = _KEYWORDS.search(text)
    cell = informative(match.group(1)) if match else ""
    words: list[str] = []
    for piece in re.split(r"[;\n]", cell):
        # Breadcrumbs ("CSDL Quốc gia về TTHC»Bộ Công An»...") keep their last part.
        piece = piece.rsplit("»", 1)[-1].strip()
        parts = [part.strip() for part in piece.split(",")]
        # Commas separate short keywords; inside a long phrase (often the name again) they are prose.
        words.extend(parts if all(len(part.split()) <= _KEYWORD_WORDS for part in parts) else [piece])
    return tuple(word for word in words if word)


_KEYWORD_WORDS = 5
