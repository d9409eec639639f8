"""The portal's detail-page JSON (``dichvucong/raw``)."""

from __future__ import annotations

from typing import Any

from knowledge.importers.text import clean, informative
from knowledge.model import Procedure


def matches(record: dict[str, Any]) -> bool:
    """Tell whether a JSON object is a portal detail record."""
    return "ma_thu_tuc" in record and "ten_thu_tuc" in record


def parse(record: dict[str, Any]) -> Procedure:
    """Turn one portal detail record into a procedure (structure parsing: see the table parsers)."""
    unparsed: dict[str, str] = {}
    for key, name in (
        ("thanh_phan_ho_so", "documents"),
        ("cach_thuc_thuc_hien", "channels"),
        ("can_cu_phap_ly", "legal_basis"),
    ):
        text = informative(record.get(key))
        if text:
            unparsed[name] = text
    steps_text = informative(record.get("trinh_tu_thuc_hien"))
    return Procedure(
        code=clean(record["ma_thu_tuc"]),
        name=clean(record["ten_thu_tuc"]),
        level=informative(record.get("cap_thuc_hien")),
        field=informative(record.get("linh_vuc")),
        agency=informative(record.get("co_quan_thuc_hien")) or informative(record.get("co_quan_co_tham_quyen")),
        audience=informative(record.get("doi_tuong_thuc_hien")),
        steps=tuple(s for s in steps_text.split("\n") if s) if steps_text else (),
        conditions=informative(record.get("yeu_cau_dieu_kien")),
        result=informative(record.get("ket_qua_xu_ly")),
        url=clean(record.get("detail_url")),
        source="dichvucong",
        unparsed=unparsed,
    )
