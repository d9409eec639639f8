"""The structured procedure JSON (``bqp``): metadata, content and tables."""

from __future__ import annotations

from typing import Any

from knowledge.importers.text import clean, informative
from knowledge.model import Channel, Document, LegalBasis, Procedure


def matches(record: dict[str, Any]) -> bool:
    """Tell whether a JSON object is a structured record."""
    meta = record.get("metadata")
    return isinstance(meta, dict) and "mã_thủ_tục" in meta and isinstance(record.get("content"), dict)


def parse(record: dict[str, Any]) -> Procedure:
    """Turn one structured record into a procedure."""
    meta: dict[str, Any] = record["metadata"]
    content: dict[str, Any] = record["content"]
    tables: dict[str, Any] = record.get("tables") or {}
    steps_text = informative(content.get("trình_tự_thực_hiện"))
    return Procedure(
        code=clean(meta["mã_thủ_tục"]),
        name=clean(meta["tên_thủ_tục"]),
        level=informative(meta.get("cấp_thực_hiện")),
        field=informative(meta.get("lĩnh_vực")),
        agency=informative(content.get("cơ_quan_thực_hiện")) or informative(content.get("cơ_quan_có_thẩm_quyền")),
        audience=informative(content.get("đối_tượng_thực_hiện")),
        steps=(steps_text,) if steps_text else (),
        channels=tuple(
            Channel(
                kind=clean(row.get("hinh_thuc")),
                time_limit=informative(row.get("thoi_han_giai_quyet")),
                fee=informative(row.get("phi_le_phi")),
                note=informative(row.get("mo_ta")),
            )
            for row in tables.get("hinh_thuc_nop") or ()
        ),
        documents=tuple(
            Document(name=clean(row.get("ten_giay_to")), template=informative(row.get("so_luong")))
            for row in tables.get("thanh_phan_ho_so") or ()
        ),
        legal_basis=tuple(
            LegalBasis(title=clean(row.get("trich_yeu")), number=informative(row.get("so_ky_hieu")))
            for row in tables.get("can_cu_phap_ly") or ()
        ),
        conditions=informative(content.get("yêu_cầu_điều_kiện_thực_hiện")),
        result=informative(content.get("kết_quả_thực_hiện")),
        source="bqp",
        keywords=tuple(k for k in [informative(content.get("từ_khóa"))] if k),
    )
