"""The portal's detail-page JSON (``dichvucong/raw``)."""

from __future__ import annotations

from typing import Any

from knowledge.importers import portal_tables
from knowledge.importers.text import clean, informative
from knowledge.model import Procedure


def matches(record: dict[str, Any]) -> bool:
    """Tell whether a JSON object is a portal detail record."""
    return "ma_thu_tuc" in record and "ten_thu_tuc" in record


def parse(record: dict[str, Any]) -> Procedure:
    """Turn one portal detail record into a procedure, structuring the flattened tables."""
    unparsed: dict[str, str] = {}
    steps_text = informative(record.get("trinh_tu_thuc_hien"))
    context = "\n".join(informative(record.get(key)) for key in ("trinh_tu_thuc_hien", "yeu_cau_dieu_kien"))

    channels_text = informative(record.get("cach_thuc_thuc_hien"))
    parsed_channels = portal_tables.parse_channels(channels_text, context) if channels_text else None
    channels = parsed_channels[0] if parsed_channels else ()
    if channels_text and (parsed_channels is None or not parsed_channels[1]):
        unparsed["channels"] = channels_text

    documents_text = informative(record.get("thanh_phan_ho_so"))
    documents = portal_tables.parse_documents(documents_text) if documents_text else None
    if documents_text and documents is None and informative(documents_text.strip("-")):
        unparsed["documents"] = documents_text

    legal_text = informative(record.get("can_cu_phap_ly"))
    legal_basis = portal_tables.parse_legal_basis(legal_text) if legal_text else None
    if legal_text and legal_basis is None:
        unparsed["legal_basis"] = legal_text

    result_text = informative(record.get("ket_qua_xu_ly"))
    return Procedure(
        code=clean(record["ma_thu_tuc"]),
        name=clean(record["ten_thu_tuc"]),
        level=informative(record.get("cap_thuc_hien")),
        field=informative(record.get("linh_vuc")),
        agency=informative(record.get("co_quan_thuc_hien"))
        or informative(record.get("co_quan_co_tham_quyen")),
        audience=informative(record.get("doi_tuong_thuc_hien")),
        steps=portal_tables.parse_steps(steps_text),
        documents=documents or (),
        channels=channels,
        conditions=informative(record.get("yeu_cau_dieu_kien")),
        result=portal_tables.clean_result(result_text),
        keywords=portal_tables.result_keywords(result_text),
        legal_basis=legal_basis or (),
        url=clean(record.get("detail_url")),
        source="dichvucong",
        unparsed=unparsed,
    )
