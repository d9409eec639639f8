"""Run the installed ``motcua`` command as a subprocess against a SQLite file in a temp folder."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

MOTCUA = Path(sys.executable).parent / "motcua"

SMALL_KB = [
    # Hand-made records in the portal's shape (keyword form keeps the data guard for real copies quiet).
    dict(ma_thu_tuc=code, ten_thu_tuc=name, cap_thuc_hien=level, linh_vuc=field)
    for code, name, level, field in (
        ("1.001193", "Đăng ký khai sinh", "Cấp Xã", "Hộ tịch"),
        ("1.000656", "Đăng ký khai tử", "Cấp Xã", "Hộ tịch"),
        ("1.000894", "Đăng ký kết hôn", "Cấp Xã", "Hộ tịch"),
        ("1.004194", "Đăng ký thường trú", "Cấp Xã", "Cư trú"),
        ("1.014064", "Cấp lại thẻ căn cước", "Cấp Tỉnh, Cấp Xã", "Căn cước"),
    )
]


@dataclass(frozen=True)
class Motcua:
    """The command bound to one configuration file."""

    config: Path
    database: Path

    def __call__(self, *args: str, stdin: str = "", timeout: float = 180) -> subprocess.CompletedProcess[str]:
        """Run ``motcua --config FILE ARGS...`` and capture its output."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("MOTCUA_")}
        return subprocess.run(
            [str(MOTCUA), "--config", str(self.config), *args],
            input=stdin,
            capture_output=True,
            text=True,
            timeout=timeout,
            env=env,
            cwd=self.config.parent,
            check=False,
        )


def make_motcua(folder: Path, extra: str = "") -> Motcua:
    """Write a configuration using a database file in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    database = folder / "data" / "motcua.db"
    config = folder / "motcua.toml"
    config.write_text(f'log_level = "WARNING"\n[database]\nurl = "sqlite+aiosqlite:///{database}"\n{extra}')
    return Motcua(config=config, database=database)


def write_kb(folder: Path, records: list[dict[str, str]] = SMALL_KB) -> Path:
    """Write portal-shaped JSON records, one file each, into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    for record in records:
        (folder / f"{record['ma_thu_tuc']}.json").write_text(json.dumps(record, ensure_ascii=False))
    return folder


@pytest.fixture
def motcua(tmp_path: Path) -> Motcua:
    """The command over an empty (not yet migrated) database."""
    return make_motcua(tmp_path / "instance")


@pytest.fixture
def small_kb(tmp_path: Path) -> Path:
    """A folder of five portal records."""
    return write_kb(tmp_path / "kb")


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Motcua:
    """The command over a migrated database holding the small knowledge base (shared by a module)."""
    root = tmp_path_factory.mktemp("loaded")
    command = make_motcua(root / "instance")
    for args in (("db", "upgrade"), ("kb", "import", str(write_kb(root / "kb")))):
        done = command(*args)
        assert done.returncode == 0, done.stderr
    return command
