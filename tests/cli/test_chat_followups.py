"""`motcua chat`: a follow-up typed after a card is answered from that card, as on Telegram and Zalo."""

from __future__ import annotations

from pathlib import Path

from tests.cli.conftest import make_motcua

DEMO_KB = Path(__file__).resolve().parents[2] / "knowledge" / "demo"


def test_terminal_follow_ups_answer_from_the_card_just_shown(tmp_path: Path) -> None:
    command = make_motcua(tmp_path)
    assert command("db", "upgrade").returncode == 0
    assert command("kb", "import", str(DEMO_KB)).returncode == 0
    chat = command("chat", stdin="/thutuc 1.014064\nphí bao nhiêu\nlam o dau vay\n/tructuyen\nmất bao lâu\n")
    assert chat.returncode == 0, chat.stderr
    out = chat.stdout
    card = out.index("Mã thủ tục: 1.014064")
    fee = out.index("Phí, lệ phí · Cấp lại thẻ căn cước\n")
    place = out.index("Nộp ở đâu · Cấp lại thẻ căn cước\n")
    online = out.index("Nộp trực tuyến · Cấp lại thẻ căn cước\n")
    time = out.index("Thời hạn giải quyết · Cấp lại thẻ căn cước\n")
    assert card < fee < out.index("70.000 đồng", fee) < place < online < time
    assert "Cổng Dịch vụ công không ghi cách nộp trực tuyến" in out[online:time]
