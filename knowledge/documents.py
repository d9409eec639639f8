"""Sort a dossier's documents by who needs them: everyone, a special case, or nobody (notes).

The portal mixes papers everyone brings with conditional rows ("Trường hợp…", "Nếu…", "Đối với…")
and with notes ("Lưu ý…"). Sorting never drops a row: every document lands in exactly one group,
and a paper split from its condition keeps both halves of its text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from knowledge.model import Document
from knowledge.paper_names import same_paper_key

# A list marker before a condition ("a) Đối với…", "(1.2) Đối với…", "2. Trường hợp…").
_LIST_MARKER = r"(?:[a-zđ]\)|\(?[0-9]+(?:\.[0-9]+)*\)|[0-9]+(?:\.[0-9]+)*\.|\(?[ivx]+\))?\s*"
# A condition opens the row ("Trường hợp…", "- Nếu…", "(Đối với…").
_LEADING_CONDITION = re.compile(
    rf"^[\s(\[*+\-–•]*{_LIST_MARKER}(?:(?:trong|đối với|riêng)\s+)?(?:trường hợp|nếu|đối với|riêng|khi)\b",
    re.IGNORECASE,
)
# "… thì nộp …", "…: …": where the condition of a leading-condition row ends and the paper begins.
_THEN = re.compile(
    r"\s+thì\s+(?:phải\s+)?(?:có\s+|nộp\s+(?:thêm\s+)?|kèm theo\s+|bổ sung\s+)?"
    r"|\s+phải\s+(?:có|nộp(?:\s+thêm)?|kèm theo)\s+|:\s+",
    re.IGNORECASE,
)
# What follows a condition but is not a paper: "… thì không phải nộp", "… thì cơ quan … tra cứu".
_NOT_A_PAPER = re.compile(r"^(?:không phải|không cần|cơ quan|người tiếp nhận|cán bộ|công chức)\b", re.I)
# A condition inside the paper's own first clause ("Văn bản ủy quyền … trong trường hợp ủy quyền …").
_INNER_CONDITION = re.compile(
    r"(?:\btrong trường hợp\b|\bđối với trường hợp\b|\(\s*(?:nếu|trường hợp|đối với|áp dụng)\b"
    r"|,\s*nếu\b|\bnếu có\b|\b(?:của|cho|đối với) người (?:dưới|chưa đủ) \d+ tuổi\b)",
    re.IGNORECASE,
)
# Forms the office makes or prints itself, and facts it looks up: the resident brings nothing for them.
_OFFICE_MADE = re.compile(
    r"^(?:phiếu|biểu mẫu)\b[^.;]{0,40}\b(?:được tạo lập|do (?:cơ quan|cán bộ|công an)[^.;]{0,40}\b(?:lập|in))"
    r"|\bin trong quá trình thu nhận\b"
    r"|^thông tin [^.;]{0,160}\bđược khai thác\b",
    re.IGNORECASE,
)
# "… được khai thác trong Cơ sở dữ liệu … Trường hợp không khai thác được thông tin thì công dân xuất trình
# giấy tờ, tài liệu chứng minh chỗ ở hợp pháp …": the office looks it up, and the resident brings the paper
# when it cannot.
_LOOKUP_FALLBACK = re.compile(
    r"không (?:khai thác|tra cứu|kết nối|xác thực) được[^.;]{0,80}?\bthì\s+(?:công dân|người[^.;]{0,40}?)?\s*"
    r"(?:phải\s+)?(?:xuất trình|cung cấp|nộp)\s+(?:bổ sung\s+)?(?P<paper>[^.;]{8,})",
    re.IGNORECASE,
)
# The dossier's own declaration ("Tờ khai…", "Đơn đề nghị…"), which every variant of a procedure starts with.
_DECLARATION = re.compile(r"^(?:tờ khai|đơn|bản khai|phiếu đề nghị)\b", re.IGNORECASE)
# Rows that explain rather than name a paper ("Ví dụ: …", "Phiếu này là biểu mẫu điện tử…").
_EXPLANATION = re.compile(
    r"^(?:ví dụ|phiếu này|giấy tờ này|mẫu này|người (?:có )?yêu cầu [^.;:]{0,60}(?:thực hiện việc|có thể))\b",
    re.IGNORECASE,
)
# A row announcing a list ("… các giấy tờ sau:", "Hồ sơ … bao gồm:"): the rows after it are its items.
_ANNOUNCES = re.compile(
    r"(?:\bsau đây|\bnhư sau|\b(?:các|những)\b[^.;:]{0,60}\bsau|\bbao gồm|\bgồm(?: có)?)\s*[.:]?\s*$",
    re.IGNORECASE,
)
# "Đề án … có tối thiểu các nội dung sau": a paper announcing its own contents is still a paper.
_CONTENTS = re.compile(r"\bnội dung\b[^.;:]{0,30}\bsau(?: đây)?\s*[.:]?\s*$", re.IGNORECASE)
_NOTE_SECTION = re.compile(r"^[\s*\-]*(?:lưu ý|ghi chú|chú ý)\b", re.IGNORECASE)
# Submission channels: a condition that only names one is not a special case of the resident.
_CHANNEL_WORDS = {
    "in_person": re.compile(r"trực tiếp", re.IGNORECASE),
    "post": re.compile(r"bưu chính", re.IGNORECASE),
    "online": re.compile(r"trực tuyến|môi trường điện tử|dịch vụ công trực tuyến|cổng dịch vụ công", re.I),
}
_NOT_ONLY_CHANNEL = re.compile(r"ủy quyền|uỷ quyền|người nước ngoài|doanh nghiệp|tổ chức|không có|chưa", re.I)
CHANNEL_CONDITION_MAX = 200
"""Longer conditions say more than which channel is used."""
_FORM_WORDS = re.compile(r"^(?:tờ khai|đơn|bản khai|phiếu|giấy đề nghị|văn bản đề nghị|mẫu)\b", re.IGNORECASE)
_TEMPLATE_MENTION = re.compile(r"\btheo mẫu\b|\bmẫu số\b|\bmẫu\s+[A-ZĐ0-9]", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Paper:
    """One row of the dossier, with the condition under which it is needed split from the paper."""

    document: Document
    text: str
    """The paper itself: the row's name, or what follows its leading condition."""
    condition: str = ""
    """Who needs it ("Trường hợp ủy quyền…"); '' for everyone."""
    group: str = ""
    """The case of the section or heading above the row ("a) Thành phần hồ sơ giao đất…"); '' for none."""
    channels: tuple[str, ...] = ()
    """Channel keys ("in_person", "post", "online") when the paper depends only on how one submits."""
    note: bool = False
    """True for rows that are not papers: notes, headings and explanations."""
    office: bool = False
    """True for forms the office makes itself or facts it looks up: nothing for the resident to bring."""
    fallback: str = ""
    """For a fact the office looks up: the paper the resident brings when it cannot ('' for none)."""
    title: str = ""
    """The row announcing the list this paper belongs to ("Một trong các giấy tờ sau:"); '' for none."""
    heading: bool = False
    """True for a row announcing a list: the title of the rows after it, never a paper by itself."""

    @property
    def has_template(self) -> bool:
        """Tell whether the paper is a form with a template (a file on the portal or "theo mẫu")."""
        return bool(self.document.template) or _TEMPLATE_MENTION.search(self.document.name) is not None

    @property
    def is_form(self) -> bool:
        """Tell whether the paper is the form the resident fills in (Tờ khai, Đơn, …)."""
        return self.has_template or _FORM_WORDS.match(self.text) is not None


@dataclass(frozen=True, slots=True)
class Case:
    """Papers needed only under one condition, within the group (section or heading) it belongs to."""

    group: str
    condition: str
    papers: tuple[Paper, ...]

    @property
    def label(self) -> str:
        """The case in words: its group, then its own condition."""
        return "; ".join(part for part in (self.group, self.condition) if part)


@dataclass(frozen=True, slots=True)
class SortedDocuments:
    """A dossier sorted for a resident: papers for everyone first, then special cases, then notes."""

    handed_in: tuple[Paper, ...]
    shown: tuple[Paper, ...]
    """Papers everyone shows at the counter (giấy tờ phải xuất trình), not handed in."""
    cases: tuple[Case, ...]
    notes: tuple[Paper, ...]
    by_office: tuple[Paper, ...] = ()
    """Forms the office makes itself and facts it looks up (the police's own "Phiếu CC01")."""

    def all_papers(self) -> tuple[Paper, ...]:
        """Every row, in the groups' order: none is ever dropped."""
        in_cases = tuple(paper for case in self.cases for paper in case.papers)
        return (*self.handed_in, *self.shown, *in_cases, *self.by_office, *self.notes)

    def titles(self) -> set[str]:
        """The headings that title some paper: shown above their papers, not among the notes."""
        return {paper.title for paper in self.all_papers() if paper.title}

    def case_count(self) -> int:
        """How many special cases a resident may be in: groups, and conditions outside any group."""
        return len({case.group or case.condition for case in self.cases})


def announces(text: str) -> bool:
    """Tell whether a row announces a list ("… các giấy tờ sau:", "Hồ sơ gồm:") rather than naming a paper."""
    # A bare colon is not enough: the portal ends some papers with one ("Đơn đề nghị … của Thương nhân:").
    text = _clean(text)
    return _ANNOUNCES.search(text) is not None and _CONTENTS.search(text) is None


def _clean(text: str) -> str:
    return " ".join(text.split()).strip()


def _strip_bullet(text: str) -> str:
    return re.sub(r"^[\s*+\-–•]+", "", text)


# "a) Thành phần hồ sơ giao đất…", "b) Thành phần hồ sơ gia hạn…": one dossier per variant of the procedure.
_VARIANT_SECTION = re.compile(
    r"^(?:[a-zđ]\)|\(?[0-9]+(?:\.[0-9]+)*\)|[0-9]+\.)?\s*(?:thành phần )?hồ sơ\s+(?!gồm\b|:)\S", re.IGNORECASE
)


def _is_section_plain(section: str) -> bool:
    return _LEADING_CONDITION.match(section) is None and _NOTE_SECTION.match(section) is None


def _fold(text: str) -> str:
    return " ".join(re.sub(r"[^\w/]+", " ", text).split()).casefold()


def _variants(documents: tuple[Document, ...], procedure: str) -> tuple[set[str], str]:
    """Section titles naming variants of the procedure (two or more), and the main dossier's title.

    "Hồ sơ đăng ký tạm trú gồm" is the main dossier of "Đăng ký tạm trú"; "Đăng ký tạm trú theo danh
    sách, hồ sơ gồm" a variant; so are "a) Thành phần hồ sơ giao đất…" and "b) …".
    """
    name = _fold(re.sub(r"^\s*thủ tục\s+", "", procedure, flags=re.IGNORECASE))
    titles: list[str] = []
    for doc in documents:
        title = _clean(doc.section).rstrip(":")
        if title and not doc.must_show and title not in titles and _is_section_plain(title):
            titles.append(title)
    main = ""
    variants = {t for t in titles if _VARIANT_SECTION.match(t)}
    if name:
        for title in titles:
            folded = _fold(title)
            if re.fullmatch(
                rf"(?:[a-zđ]\s+)?hồ sơ(?: đề nghị)? {re.escape(name)}(?: bao)?(?: gồm)?(?: có)?", folded
            ):
                main = main or title
            elif name in folded and folded != name:
                variants.add(title)
    variants.discard(main)
    return (variants, main) if len(variants) >= 2 or (variants and main) else (set(), "")


def _common_to_variants(documents: tuple[Document, ...], variants: set[str]) -> set[str]:
    """Papers every variant asks for (by their short name): they are for everyone."""
    names: dict[str, set[str]] = {}
    for doc in documents:
        section = _clean(doc.section).rstrip(":")
        if section in variants:
            names.setdefault(section, set()).add(same_paper_key(doc.name))
    sets = list(names.values())
    return set.intersection(*sets) if len(sets) == len(variants) and sets else set()


def split_condition(name: str) -> tuple[str, str]:
    """Split a row into (condition, paper); ('', name) when the row applies to everyone.

    "Trường hợp X thì phải có Y" gives ("Trường hợp X", "Y"); a condition inside the first clause
    ("Văn bản ủy quyền … trong trường hợp ủy quyền …") gives that phrase and the whole row as the paper.
    """
    text = _clean(_strip_bullet(name))
    if _LEADING_CONDITION.match(text):
        then = _THEN.search(text)
        if then and then.end() < len(text):
            return text[: then.start()].rstrip(" ,;:"), text[then.end() :].strip()
        return text.rstrip(" .;:"), ""
    first_clause = re.split(r";|\.\s", text, maxsplit=1)[0]
    inner = _INNER_CONDITION.search(first_clause)
    if inner is None:
        return "", text
    phrase = first_clause[inner.start() :].lstrip(",( ").rstrip(" .;)")
    return phrase[:1].upper() + phrase[1:], text


def channels_of(condition: str) -> tuple[str, ...]:
    """The channels a condition only names ("nếu nộp trực tuyến"); () when it says more than that."""
    if not condition or len(condition) > CHANNEL_CONDITION_MAX or _NOT_ONLY_CHANNEL.search(condition):
        return ()
    return tuple(key for key, pattern in _CHANNEL_WORDS.items() if pattern.search(condition))


def _paper(doc: Document, inherited: str) -> Paper:
    condition, text = split_condition(doc.name)
    counted = bool(doc.originals or doc.copies)
    heading = _clean(doc.name).endswith(":") and not counted
    if not text:
        # A bare condition without a paper ("Trường hợp … không phải nộp") is a note about that case.
        return Paper(document=doc, text=_clean(_strip_bullet(doc.name)), condition=condition, note=True)
    explains = _EXPLANATION.match(text) or _NOTE_SECTION.match(text)
    if heading or (condition and not counted and _NOT_A_PAPER.match(text)) or explains:
        return Paper(document=doc, text=text, condition=condition, note=True)
    fallback = ""
    if _OFFICE_MADE.search(text):
        found = _LOOKUP_FALLBACK.search(text)
        if found is None:
            return Paper(document=doc, text=text, condition=condition, office=True)
        fallback = found.group("paper").strip()
    channels = channels_of(condition)
    if channels:
        return Paper(document=doc, text=text, group=inherited, channels=channels, fallback=fallback)
    return Paper(document=doc, text=text, condition=condition, group=inherited, fallback=fallback)


def sort_documents(documents: tuple[Document, ...], procedure: str = "") -> SortedDocuments:
    """Sort a record's documents into papers for everyone, special cases and notes.

    ``procedure`` (the record's name) tells the main dossier ("Hồ sơ đăng ký tạm trú gồm") from its
    variants ("Đăng ký tạm trú theo danh sách, hồ sơ gồm").
    """
    handed_in: list[Paper] = []
    shown: list[Paper] = []
    cases: dict[tuple[str, str], list[Paper]] = {}
    notes: list[Paper] = []
    by_office: list[Paper] = []
    heading_condition = ""
    title = ""
    current_section = None
    variants, main = _variants(documents, procedure)
    common = _common_to_variants(documents, variants)
    # Whether some paper is for everyone by its own section (not only as common to every variant).
    general = False
    # Per case group (a variant or conditional section): its papers needed in that whole group.
    in_groups: dict[str, list[Paper]] = {}
    for doc in documents:
        section = _clean(doc.section).rstrip(":")
        common_to_variants = section in variants and same_paper_key(doc.name) in common
        if section == main or common_to_variants:
            section = ""
        if section != current_section:
            current_section, heading_condition, title = section, "", ""
        if _NOTE_SECTION.match(section):
            notes.append(Paper(document=doc, text=_clean(_strip_bullet(doc.name)), note=True))
            continue
        section_condition = section if section in variants or not _is_section_plain(section) else ""
        inherited = "; ".join(part for part in (section_condition, heading_condition) if part)
        paper = _paper(doc, inherited)
        if paper.note and _clean(doc.name).endswith(":"):
            # A heading ("Đối với hồ sơ nộp trực tuyến:") sets the case of the rows below it.
            heading_condition, title = paper.condition, ""
            if not paper.condition:
                title = paper.text
                paper = replace(paper, heading=True)
            notes.append(paper)
            continue
        if not paper.condition and announces(doc.name):
            # "Một trong các giấy tờ sau:" names no paper: it titles the rows after it.
            title = paper.text
            notes.append(replace(paper, note=True, heading=True, office=False, group="", fallback=""))
            continue
        if _DECLARATION.match(paper.text):
            # A declaration ("Đơn đề nghị…") is never an item of the list announced above it.
            title = ""
        if title:
            paper = replace(paper, title=title)
        if paper.note:
            notes.append(paper)
        elif paper.office:
            by_office.append(paper)
        elif paper.condition or paper.group:
            cases.setdefault((paper.group, paper.condition), []).append(paper)
            if section_condition:
                group = in_groups.setdefault(section_condition, [])
                if paper.group == section_condition and not paper.condition:
                    group.append(paper)
        # A row under "papers to show" that applies only when sending by post or online is sent, not shown.
        elif doc.must_show and set(paper.channels) <= {"in_person"}:
            shown.append(paper)
        else:
            handed_in.append(paper)
        if not (paper.note or paper.office or paper.condition or paper.group or common_to_variants):
            general = True
    if not general:
        everywhere = _in_every_group(in_groups)
        for key in list(cases):
            kept = [p for p in cases[key] if not (p in everywhere and p.group == key[0])]
            handed_in.extend(p for p in cases[key] if p not in kept)
            if kept:
                cases[key] = kept
            else:
                del cases[key]
    return SortedDocuments(
        handed_in=_everyone_first(handed_in),
        shown=tuple(shown),
        cases=tuple(Case(group=g, condition=c, papers=tuple(p)) for (g, c), p in cases.items()),
        notes=tuple(notes),
        by_office=tuple(by_office),
    )


def _in_every_group(groups: dict[str, list[Paper]]) -> list[Paper]:
    """Papers every case group asks for, when the portal lists the whole dossier under its cases.

    A paper is in every case when each group lists it (by its short name); so is the dossier's
    declaration ("Tờ khai…", "Đơn…") when it is the only one any group names and two or more name it:
    a group listing only its extra papers still starts from that form.
    """
    if len(groups) < 2:
        return []
    keys = {name: {same_paper_key(p.text) for p in papers} for name, papers in groups.items()}
    shared = set.intersection(*keys.values())
    declarations = {
        same_paper_key(p.text) for papers in groups.values() for p in papers if _DECLARATION.match(p.text)
    }
    if len(declarations) == 1:
        [declaration] = declarations
        if sum(declaration in found for found in keys.values()) >= 2:
            shared.add(declaration)
    return [p for papers in groups.values() for p in papers if same_paper_key(p.text) in shared]


def _everyone_first(papers: list[Paper]) -> tuple[Paper, ...]:
    """Forms first, then other papers, then papers for one online channel only (they replace a form)."""

    def rank(item: tuple[int, Paper]) -> tuple[int, int]:
        index, paper = item
        online_only = paper.channels == ("online",)
        # The items of one announced list stay together, in their order.
        return (2 if online_only else 1 if paper.title or not paper.is_form else 0, index)

    return tuple(paper for _, paper in sorted(enumerate(papers), key=rank))


def distinct(papers: tuple[Paper, ...]) -> tuple[Paper, ...]:
    """The papers without repeats: the portal lists some twice, or once per variant of the procedure."""
    out: list[Paper] = []
    seen: set[tuple[str, tuple[str, ...], str]] = set()
    for paper in papers:
        key = (" ".join(paper.text.casefold().split()).rstrip(" .;"), paper.channels, paper.title)
        if key not in seen:
            seen.add(key)
            out.append(paper)
    return tuple(out)
