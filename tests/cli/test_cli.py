"""The ``motcua`` command end to end, as a subprocess on real SQLite files."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from bot.storage.migrate import head_revision
from tests.cli.conftest import MOTCUA, SMALL_KB, Motcua, make_motcua, write_kb

ROOT = Path(__file__).resolve().parents[2]
DEMO_KB = ROOT / "knowledge" / "demo"


def _count(database: Path) -> int:
    with sqlite3.connect(database) as conn:
        return int(conn.execute("select count(*) from procedures").fetchone()[0])


def test_db_upgrade_creates_the_database_and_current_reports_head(motcua: Motcua) -> None:
    before = motcua("db", "current")
    assert before.returncode == 2
    assert "db upgrade" in before.stdout
    done = motcua("db", "upgrade")
    assert done.returncode == 0, done.stderr
    assert motcua.database.is_file()
    assert head_revision() in done.stdout
    after = motcua("db", "current")
    assert (after.returncode, after.stdout.strip()) == (0, f"{head_revision()} (head)")
    again = motcua("db", "upgrade")
    assert again.returncode == 0
    assert "mới nhất" in again.stdout


def test_commands_on_an_unmigrated_database_say_to_run_db_upgrade(motcua: Motcua) -> None:
    for args in (("kb", "stats"), ("kb", "search", "khai sinh"), ("chat",)):
        done = motcua(*args, stdin="khai sinh\n")
        assert done.returncode == 2, args
        assert f"motcua --config {motcua.config} db upgrade" in done.stderr
        assert "Traceback" not in done.stderr


def test_a_bad_config_names_the_key_and_exits_2(tmp_path: Path) -> None:
    command = make_motcua(tmp_path, extra='[http]\nport = "tám nghìn"\n')
    done = command("db", "upgrade")
    assert done.returncode == 2
    assert done.stderr.startswith("lỗi cấu hình: http.port")
    assert not command.database.exists()


def test_import_prints_a_summary_and_is_idempotent(motcua: Motcua, small_kb: Path) -> None:
    assert motcua("db", "upgrade").returncode == 0
    first = motcua("kb", "import", str(small_kb))
    assert first.returncode == 0, first.stderr
    assert "Tệp đã đọc: 5" in first.stdout
    assert "Thủ tục đọc được: 5" in first.stdout
    assert "Thêm mới: 5 | Cập nhật: 0 | Không đổi: 0" in first.stdout
    second = motcua("kb", "import", str(small_kb))
    assert "Thêm mới: 0 | Cập nhật: 0 | Không đổi: 5" in second.stdout
    changed = dict(SMALL_KB[0], ten_thu_tuc="Đăng ký khai sinh cho trẻ em")
    write_kb(small_kb, [changed])
    third = motcua("kb", "import", str(small_kb))
    assert "Thêm mới: 0 | Cập nhật: 1 | Không đổi: 4" in third.stdout
    assert _count(motcua.database) == 5


def test_a_broken_file_exits_2_naming_it_and_writes_nothing(motcua: Motcua, small_kb: Path) -> None:
    assert motcua("db", "upgrade").returncode == 0
    (small_kb / "zz-broken.json").write_text('{"not": "a procedure"}')
    done = motcua("kb", "import", str(small_kb))
    assert done.returncode == 2
    assert "zz-broken.json" in done.stderr
    assert "Traceback" not in done.stderr
    assert _count(motcua.database) == 0
    missing = motcua("kb", "import", str(small_kb / "nope"))
    assert missing.returncode == 2
    assert "nope" in missing.stderr


def test_search_json_for_one_query(loaded: Motcua) -> None:
    done = loaded("kb", "search", "--json", "đăng ký khai sinh")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["query"] == "đăng ký khai sinh"
    assert result["answer"] in {"confident", "choices"}
    assert result["results"][0]["code"] == "1.001193"
    assert set(result["results"][0]) == {"code", "name", "score"}


def test_search_text_for_a_query_of_several_words(loaded: Motcua) -> None:
    done = loaded("kb", "search", "--limit", "2", "cap", "lai", "can", "cuoc")
    assert done.returncode == 0, done.stderr
    assert "1.014064" in done.stdout.splitlines()[1]
    assert len(done.stdout.strip().splitlines()) <= 3


def test_search_reads_queries_from_stdin_as_json_lines(loaded: Motcua) -> None:
    done = loaded("kb", "search", "--limit", "3", stdin="đăng ký khai tử\n\nthường trú\nxyzzy qwerty\n")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 3
    assert "đăng ký khai tử" in lines[0]  # ensure_ascii=False: Vietnamese stays readable
    first, second, third = (json.loads(line) for line in lines)
    assert first["results"][0]["code"] == "1.000656"
    assert second["query"] == "thường trú"
    assert second["results"][0]["code"] == "1.004194"
    assert third["answer"] == "none"
    assert all(len(r["results"]) <= 3 for r in (first, second, third))


def test_show_prints_the_card_as_plain_text(loaded: Motcua) -> None:
    done = loaded("kb", "show", "1.001193")
    assert done.returncode == 0, done.stderr
    assert "Đăng ký khai sinh" in done.stdout
    assert "1.001193" in done.stdout
    assert "<b>" not in done.stdout


def test_show_of_an_unknown_code_exits_1(loaded: Motcua) -> None:
    done = loaded("kb", "show", "9.999999")
    assert done.returncode == 1
    assert "9.999999" in done.stderr
    assert done.stdout == ""


def test_stats_count_what_the_knowledge_base_holds(loaded: Motcua) -> None:
    done = loaded("kb", "stats")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "Tổng số thủ tục: 5 (dữ liệu thật)" in out
    assert "dichvucong: 5 (100.0%)" in out
    assert "Cấp xã: 5 (100.0%)" in out
    assert "Cấp tỉnh: 1 (20.0%)" in out
    assert "Hộ tịch: 3 (60.0%)" in out


def test_chat_answers_a_question_without_a_prompt_when_piped(loaded: Motcua) -> None:
    done = loaded("chat", stdin="lam giay khai sinh cho con\n")
    assert done.returncode == 0, done.stderr
    assert "khai sinh" in done.stdout.lower()
    assert "1.001193" in done.stdout
    assert "Bạn:" not in done.stdout
    assert "<b>" not in done.stdout


def test_chat_stops_at_thoat(loaded: Motcua) -> None:
    done = loaded("chat", stdin="/thoat\nlam giay khai sinh cho con\n")
    assert done.returncode == 0, done.stderr
    assert "1.001193" not in done.stdout


def test_the_real_catalogue_imports_idempotently_and_answers_in_chat(
    knowledge_source: Path, tmp_path: Path
) -> None:
    command = make_motcua(tmp_path)
    assert command("db", "upgrade").returncode == 0
    first = command("kb", "import", str(knowledge_source), timeout=600)
    assert first.returncode == 0, first.stderr
    assert "Thêm mới: 0" not in first.stdout
    imported = _count(command.database)
    assert imported > 2000
    again = command("kb", "import", str(knowledge_source), timeout=600)
    assert f"Thêm mới: 0 | Cập nhật: 0 | Không đổi: {imported}" in again.stdout
    chat = command("chat", stdin="lam giay khai sinh cho con\n")
    assert chat.returncode == 0, chat.stderr
    assert "khai sinh" in chat.stdout.lower()


def test_make_demo_flow_on_the_demo_knowledge_base(tmp_path: Path) -> None:
    if not DEMO_KB.is_dir():
        pytest.skip("knowledge/demo is not there yet")
    command = make_motcua(tmp_path)
    assert command("db", "upgrade").returncode == 0
    done = command("kb", "import", str(DEMO_KB))
    assert done.returncode == 0, done.stderr
    assert "MẪU" in command("kb", "stats").stdout
    chat = command("chat", stdin="lam giay khai sinh cho con\n")
    assert chat.returncode == 0, chat.stderr
    assert "khai sinh" in chat.stdout.lower()


def test_chat_shows_the_card_sections_as_numbered_choices_and_commands(tmp_path: Path) -> None:
    command = make_motcua(tmp_path)
    assert command("db", "upgrade").returncode == 0
    assert command("kb", "import", str(DEMO_KB)).returncode == 0
    chat = command("chat", stdin="/thutuc 1.001193\n2\n/cancu 1.001193\n")
    assert chat.returncode == 0, chat.stderr
    out = chat.stdout
    numbered = "1. Giấy tờ trong trường hợp đặc biệt\n2. Các bước\n3. Căn cứ pháp lý\n4. Nộp trực tuyến\n"
    # The card, then "2" opens its steps, then the typed command its legal basis, in that order.
    card = out.index("Mã thủ tục: 1.001193")
    steps = out.index("\nCác bước · Thủ tục đăng ký khai sinh\n")
    legal = out.index("\nCăn cứ pháp lý · Thủ tục đăng ký khai sinh\n")
    assert card < out.index(numbered) < steps < out.index("Bước 1:", steps) < legal
    assert "60/2014/QH13" in out[legal:]


def test_a_number_in_a_new_chat_session_picks_nothing_from_the_last_sessions_list(tmp_path: Path) -> None:
    command = make_motcua(tmp_path)
    assert command("db", "upgrade").returncode == 0
    assert command("kb", "import", str(DEMO_KB)).returncode == 0
    first = command("chat", stdin="/thutuc 1.001193\n")
    assert "2. Các bước" in first.stdout
    # The list is still stored (it lasts 30 minutes), but the new session never showed it.
    second = command("chat", stdin="2\n/thutuc 1.001193\n2\n")
    assert second.returncode == 0, second.stderr
    out = second.stdout
    assert out.startswith("Hiện không có danh sách nào để chọn theo số")
    assert out.count("Các bước · Thủ tục đăng ký khai sinh") == 1
    assert out.index("Mã thủ tục: 1.001193") < out.index("Các bước · Thủ tục đăng ký khai sinh")


def test_config_file_and_database_url_can_come_from_the_environment(loaded: Motcua, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere.toml"
    elsewhere.write_text('[database]\nurl = "sqlite+aiosqlite:///does/not/matter.db"\n')
    env = {k: v for k, v in os.environ.items() if not k.startswith("MOTCUA_")}
    env |= {"MOTCUA_CONFIG": str(elsewhere), "MOTCUA_DATABASE_URL": f"sqlite+aiosqlite:///{loaded.database}"}
    done = subprocess.run(
        [str(MOTCUA), "kb", "show", "1.000894"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "Đăng ký kết hôn" in done.stdout
    assert not (tmp_path / "does").exists()


def test_run_and_python_m_bot_refuse_to_start_with_nothing_to_serve(loaded: Motcua, tmp_path: Path) -> None:
    # No token and the web off: nothing to serve (with the web on, tests/web serves it without tokens).
    config = tmp_path / "no-web.toml"
    config.write_text(loaded.config.read_text() + "\n[http]\nweb = false\n")
    quiet = Motcua(config=config, database=loaded.database)
    done = quiet("run")
    assert done.returncode == 2
    assert "MOTCUA_TELEGRAM_TOKEN" in done.stderr and "[http] web" in done.stderr
    env = {k: v for k, v in os.environ.items() if not k.startswith("MOTCUA_")}
    module = subprocess.run(
        [sys.executable, "-m", "bot", "--config", str(config)],
        capture_output=True,
        text=True,
        env=env,
        cwd=loaded.config.parent,
        timeout=120,
        check=False,
    )
    assert (module.returncode, module.stderr) == (done.returncode, done.stderr)


def test_chat_keeps_answering_when_telegram_cannot_start(loaded: Motcua, tmp_path: Path) -> None:
    config = tmp_path / "telegram.toml"
    config.write_text(
        loaded.config.read_text()
        + '[telegram]\ntoken = "123:abc"\nbase_url = "http://127.0.0.1:9/bot"\n'
        + 'base_file_url = "http://127.0.0.1:9/file/bot"\n'
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("MOTCUA_")}
    with subprocess.Popen(
        [str(MOTCUA), "--config", str(config), "chat"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    ) as proc:
        assert proc.stderr is not None
        watchdog = threading.Timer(60, proc.kill)
        watchdog.start()
        errors: list[str] = []
        for line in proc.stderr:
            errors.append(line)
            if "kênh không khởi động được" in line:
                break
        watchdog.cancel()
        assert "không khởi động được" in errors[-1] and "telegram:" in errors[-1], errors
        out, rest = proc.communicate("dang ky ket hon\n", timeout=120)
    assert proc.returncode == 0, rest
    assert "kết hôn" in out
    assert "123:abc" not in "".join(errors) + rest


def test_importing_the_demo_set_over_real_records_keeps_the_real_ones(motcua: Motcua, small_kb: Path) -> None:
    if not DEMO_KB.is_dir():
        pytest.skip("knowledge/demo is not there yet")
    assert motcua("db", "upgrade").returncode == 0
    assert motcua("kb", "import", str(small_kb)).returncode == 0
    done = motcua("kb", "import", str(DEMO_KB))
    assert done.returncode == 0, done.stderr
    assert "bỏ qua" in done.stdout
    card = motcua("kb", "show", "1.001193").stdout
    assert "Đăng ký khai sinh" in card
    assert "MẪU" not in card


def test_an_unreachable_database_is_named_without_its_password(tmp_path: Path) -> None:
    command = make_motcua(tmp_path)
    command.config.write_text('[database]\nurl = "postgresql+asyncpg://motcua:hunter22@127.0.0.1:9/motcua"\n')
    done = command("kb", "stats")
    assert done.returncode == 2
    assert "127.0.0.1:9" in done.stderr
    assert "hunter22" not in done.stderr
    assert "Traceback" not in done.stderr
