"""The import boundaries of DESIGN §1-2: platform libraries stay in adapters, the core stays neutral."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "handlers", "knowledge", "jobs")
PLATFORM_LIBRARIES = {"telegram", "aiohttp"}
FIRST_PARTY = set(PACKAGES)


def _modules() -> list[tuple[str, Path]]:
    found = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found.append((name, path))
    return found


def _imports(path: Path) -> set[str]:
    """Every absolute module name imported by a file (relative imports are resolved to the package)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                pytest.fail(f"{path}: use absolute imports")
            if node.module:
                names.add(node.module)
                names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _top(name: str) -> str:
    return name.split(".", 1)[0]


MODULES = _modules()


def test_the_four_packages_have_modules() -> None:
    assert {name.split(".")[0] for name, _ in MODULES} == set(PACKAGES)


@pytest.mark.parametrize(("module", "path"), MODULES, ids=[m for m, _ in MODULES])
def test_platform_libraries_only_in_adapters(module: str, path: Path) -> None:
    used = {_top(n) for n in _imports(path)} & PLATFORM_LIBRARIES
    if not module.startswith("bot.adapters"):
        assert not used, f"{module} imports {sorted(used)}; only bot.adapters may"


def _allowed(module: str) -> tuple[set[str], set[str]]:
    """(allowed first-party prefixes, allowed third-party top-level names) for a module."""
    if module.startswith("knowledge"):
        return {"knowledge"}, {"rapidfuzz", "openpyxl", "numpy"}
    if module.startswith("handlers"):
        return {
            "handlers",
            "bot.messages",
            "bot.routing",
            "bot.services",
            "bot.texts",
            "bot.markup",
            "bot.config",
            "knowledge.model",
            "knowledge.results",
            # Pure readers of one record (no index, no I/O): what a card shows is decided there.
            "knowledge.documents",
            "knowledge.time_limits",
            "knowledge.text_cleanup",
        }, set()
    if module.startswith("jobs"):
        return {"jobs", "bot.services", "bot.messages", "bot.config", "bot.storage"}, {"apscheduler"}
    if module.startswith("bot.services"):
        return {"bot.services", "bot.messages", "bot.storage", "bot.config", "knowledge"}, {"sqlalchemy"}
    if module.startswith("bot.storage"):
        return {"bot.storage", "bot.config"}, {"sqlalchemy", "alembic"}
    return {"bot", "handlers", "knowledge", "jobs"}, {"*"}


@pytest.mark.parametrize(("module", "path"), MODULES, ids=[m for m, _ in MODULES])
def test_dependency_direction(module: str, path: Path) -> None:
    first_party, third_party = _allowed(module)
    for name in sorted(_imports(path)):
        top = _top(name)
        if top in sys.stdlib_module_names or top == "__future__":
            continue
        if top in FIRST_PARTY:
            # "from bot import texts" is recorded as both "bot" and "bot.texts"; judge the longer one.
            if name in FIRST_PARTY and any(n.startswith(name + ".") for n in _imports(path)):
                continue
            assert any(name == p or name.startswith(p + ".") for p in first_party), (
                f"{module} may not import {name}"
            )
        else:
            assert "*" in third_party or top in third_party, f"{module} may not import {top}"
