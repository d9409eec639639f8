"""The structured procedure JSON (``bqp``, and the demo set in the same shape): metadata, content, tables."""

from __future__ import annotations

import re
from typing import Any

from knowledge.importers.portal_tables import is_shown_only, parse_steps
from knowledge.importers.text import clean, informative, normalize_fee, normalize_time_limit
from knowledge.model import Channel, Document, LegalBasis, Procedure

_COPIES = re.compile(r"Bản\s+(chính|sao)\s*:\s*([0-9]+)", re.IGNORECASE)


def matches(record: dict[str, Any]) -> bool:
    """Tell whether a JSON object is a structured record."""
    meta = record.get("metadata")
    return isinstance(meta, dict) and "mã_thủ_tục" in meta and isinstance(record.get("content"), dict)


def _rows(tables: dict[str, Any], name: str) -> list[dict[str, Any]]:
    rows = tables.get(name)
    return [row for row in rows if isinstance(row, dict)] if isinstance(rows, list) else []


def _document(row: dict[str, Any]) -> Document | None:
    name = clean(row.get("ten_giay_to"))
    if not name:
        return None
    counts = {kind.lower(): int(number) for kind, number in _COPIES.findall(clean(row.get("ghi_chu")))}
    # ``so_luong`` ("quantity") holds the template file names in this export, one per line.
    templates = [line for line in clean(row.get("so_luong")).split("\n") if line and not line.isdigit()]
    return Document(
        name=name,
        originals=counts.get("chính"),
        copies=counts.get("sao"),
        template="; ".join(templates),
        must_show=is_shown_only(clean(row.get("nhom"))),
        section=informative(row.get("nhom")),
    )


def parse(record: dict[str, Any]) -> Procedure:
    """Turn one structured record into a procedure; ``"demo": true`` records become demo records."""
    meta: dict[str, Any] = record["metadata"]
    content: dict[str, Any] = record["content"]
    tables: dict[str, Any] = record.get("tables") or {}
    demo = record.get("demo") is True
    channels = tuple(
        Channel(
            kind=clean(row.get("hinh_thuc")),
            time_limit=normalize_time_limit(row.get("thoi_han_giai_quyet")),
            fee=_fee(row.get("phi_le_phi")),
            note=informative(row.get("mo_ta")),
        )
        for row in _rows(tables, "hinh_thuc_nop")
        if clean(row.get("hinh_thuc"))
    )
    keywords = [k.strip() for k in informative(content.get("từ_khóa")).replace(";", ",").split(",")]
    return Procedure(
        code=clean(meta["mã_thủ_tục"]),
        name=clean(meta["tên_thủ_tục"]),
        level=informative(meta.get("cấp_thực_hiện")),
        field=informative(meta.get("lĩnh_vực")),
        agency=informative(content.get("cơ_quan_thực_hiện"))
        or informative(content.get("cơ_quan_có_thẩm_quyền")),
        issuer=informative(meta.get("cơ_quan_ban_hành")) or _issuer(meta),
        audience=informative(content.get("đối_tượng_thực_hiện")),
        steps=parse_steps(informative(content.get("trình_tự_thực_hiện"))),
        channels=channels,
        documents=tuple(doc for doc in map(_document, _rows(tables, "thanh_phan_ho_so")) if doc),
        legal_basis=tuple(
            LegalBasis(title=clean(row.get("trich_yeu")) or clean(row.get("so_ky_hieu")), number=_number(row))
            for row in _rows(tables, "can_cu_phap_ly")
            if clean(row.get("trich_yeu")) or clean(row.get("so_ky_hieu"))
        ),
        conditions=informative(content.get("yêu_cầu_điều_kiện_thực_hiện")),
        result=informative(content.get("kết_quả_thực_hiện")),
        url=informative(record.get("url")),
        source="demo" if demo else "bqp",
        demo=demo,
        keywords=tuple(k for k in keywords if k),
    )


# One fee line of this export: "Phí : 2.000.000 Đồng (what for)"; the unit is appended even to text.
_FEE_LINE = re.compile(r"^(?:(Lệ phí|Phí)\s*:)?\s*(.*?)\s*(Đồng|đồng|USD)?\s*(\(.*\))?$", re.DOTALL)


def _fee(value: object) -> str:
    """Normalise fee lines; "0 Đồng" and "Không Đồng" mean free."""
    lines: list[str] = []
    for line in clean(value).split("\n"):
        match = _FEE_LINE.match(line.strip())
        if not line.strip() or match is None:
            continue
        label, amount, unit, note = match.groups()
        amount = amount.strip()
        if re.fullmatch(r"[0-9]+(?:[.,][0-9]+)?", amount) and unit == "USD":
            text = f"{float(amount.replace(',', '.')):g} USD".replace(".", ",")
        elif re.fullmatch(r"[0-9.,]+", amount) and unit:
            text = normalize_fee(f"{amount.replace('.', '').replace(',', '.')} {unit}")
        elif amount.lower() in {"", "0", "o", "không"}:
            text = "Miễn phí" if amount else ""
        else:
            text = amount
        text = " ".join(part for part in (text, note or "") if part)
        if text:
            lines.append(f"{label}: {text}" if label and text != "Miễn phí" else text)
    unique = list(dict.fromkeys(lines))
    return "Miễn phí" if unique == ["Miễn phí"] else "\n".join(unique)


def _issuer(meta: dict[str, Any]) -> str:
    """The export has no issuer field; the deciding act says it ("Quyết định số 6376/QĐ-BQP")."""
    return "Bộ Quốc phòng" if clean(meta.get("số_quyết_định")).endswith("BQP") else ""


def _number(row: dict[str, Any]) -> str:
    """The bare number of a legal document ("Thông tư số 104/2024/TT-BQP" -> "104/2024/TT-BQP")."""
    text = informative(row.get("so_ky_hieu"))
    match = re.search(r"[0-9][\w/.\-]*/[\wĐđ\-]+", text)
    return match.group(0) if match else text
