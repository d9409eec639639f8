"""The demo knowledge base: about forty resident procedures, all marked demo, complete enough to answer."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from knowledge.demo import DEMO_DIR
from knowledge.importers import load_paths
from knowledge.model import Procedure

# Codes made up for procedures without a commune-level record in the catalogue; they must not look real.
MADE_UP_CODE = re.compile(r"DEMO-[A-Z]+-\d+")
REAL_CODE = re.compile(r"\d\.\d{6}")


@pytest.fixture(scope="module")
def demo() -> dict[str, Procedure]:
    return load_paths([DEMO_DIR]).procedures


def test_about_forty_records_all_marked_demo(demo: dict[str, Procedure]) -> None:
    assert 38 <= len(demo) <= 50
    assert all(p.demo and p.source == "demo" for p in demo.values())


def test_every_record_is_complete_enough_to_answer(demo: dict[str, Procedure]) -> None:
    for proc in demo.values():
        assert proc.documents and proc.channels and proc.steps and proc.legal_basis, proc.code
        assert all(c.time_limit and c.fee for c in proc.channels), proc.code
        assert proc.level and proc.field and proc.agency and proc.result and proc.keywords, proc.code
        assert not proc.unparsed, proc.code
        assert REAL_CODE.fullmatch(proc.code) or MADE_UP_CODE.fullmatch(proc.code), proc.code
        assert Procedure.from_dict(proc.to_dict()) == proc


def test_the_common_resident_procedures_are_there(demo: dict[str, Procedure]) -> None:
    names = " | ".join(p.name.lower() for p in demo.values())
    for topic in (
        "đăng ký khai sinh",
        "đăng ký khai tử",
        "đăng ký kết hôn",
        "xác nhận tình trạng hôn nhân",
        "đăng ký thường trú",
        "đăng ký tạm trú",
        "thẻ căn cước",
        "hộ chiếu",
        "giấy phép lái xe",
        "biển số xe",
        "giấy phép xây dựng",
        "hộ kinh doanh",
        "giấy chứng nhận quyền sử dụng đất",
        "chuyển nhượng",
        "chứng thực bản sao",
        "lý lịch tư pháp",
        "bản sao giấy khai sinh",
        "thay đổi, cải chính",
        "nuôi con nuôi",
    ):
        assert topic in names, topic


def test_commune_level_is_preferred(demo: dict[str, Procedure]) -> None:
    commune = sum(1 for p in demo.values() if "Cấp xã" in p.level)
    assert commune / len(demo) >= 0.8


def test_birth_registration_card_facts(demo: dict[str, Procedure]) -> None:
    proc = demo["1.001193"]
    assert {c.kind for c in proc.channels} == {"Trực tiếp", "Trực tuyến", "Dịch vụ bưu chính"}
    assert {c.fee for c in proc.channels} == {"Miễn phí"}
    shown = [d for d in proc.documents if d.must_show]
    assert shown and all(d.section == "Giấy tờ phải xuất trình" for d in shown)
    assert any(d.template for d in proc.documents)
    assert "khai sinh" in proc.keywords


def test_files_say_demo_and_avoid_the_portal_keys() -> None:
    files = sorted(DEMO_DIR.glob("*.json"))
    assert files
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert json.loads(text)["demo"] is True, path.name
        assert not re.search(r'"(ma_thu_tuc|raw_text)"\s*:', text), path.name
    readme = (DEMO_DIR / "README.md").read_text(encoding="utf-8")
    assert "DEMO DATA" in readme and "NOT AUTHORITATIVE" in readme


def test_demo_and_catalogue_together_let_the_real_record_win(knowledge_source: Path) -> None:
    both = load_paths([DEMO_DIR, knowledge_source]).procedures
    assert both["1.001193"].source == "dichvucong"
    assert both["DEMO-DD-01"].demo
