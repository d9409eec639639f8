"""The import boundaries of DESIGN §1-2, and the seams chosen in issue 12.

- Platform libraries stay in ``bot.adapters``; the core stays neutral.
- Layers, from the top: the composition root (``bot.app``, with ``bot.runner`` and the CLI around it);
  the channels (``bot.adapters``) and the scheduled jobs (``jobs``), which never import each other;
  ``handlers``; ``bot.services``; ``bot.outbox``; ``bot.storage``. Nothing imports a layer above it.
- Adapters never import jobs or storage: they translate and send, and reach data through services.
- Jobs touch no storage (the outbox worker and the dossier pull feed, which did, moved to their
  concerns); a job at most names the session factory it hands to a service.
- Only ``bot.outbox`` touches the outbox table (``enqueue_many`` in, its lookups to read or cancel what
  a feature queued), and only the composition root starts the outbox worker.
- Every package says what lives in it.
- No module imports another module's private (underscored) names.
"""

from __future__ import annotations

import ast
import re
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
        return {"knowledge"}, {"rapidfuzz", "openpyxl", "numpy", "scipy", "threadpoolctl"}
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
            "knowledge.paper_names",
            "knowledge.fees",
            "knowledge.places",
            # Vietnamese folding, pure text functions: how a follow-up's words are matched.
            "knowledge.normalize",
        }, set()
    if module.startswith("jobs"):
        # bot.storage only to name the session factory: see test_jobs_touch_no_storage.
        return {"jobs", "bot.services", "bot.messages", "bot.config", "bot.storage"}, {"apscheduler"}
    if module.startswith("bot.adapters"):
        # sqlalchemy for its exception types only (the push API answers 503 on a database error).
        return {
            "bot.adapters",
            "bot.services",
            "bot.outbox",
            "bot.inbox",
            "bot.messages",
            "bot.markup",
            "bot.texts",
            "bot.config",
            # The QR codes and posters the console offers (what `motcua qr` makes).
            "bot.posters",
            # The report's labels and value forms, so the console's figures read as the CLI's do.
            "bot.reporting.text",
        }, {"telegram", "aiohttp", "yarl", "sqlalchemy", "jinja2"}
    if module.startswith("bot.services"):
        return {
            "bot.services",
            "bot.outbox",
            "bot.messages",
            "bot.storage",
            "bot.config",
            "knowledge",
        }, {"sqlalchemy"}
    if module.startswith("bot.outbox"):
        # Below the services that enqueue, above storage; senders implement its protocol from adapters.
        return {"bot.outbox", "bot.messages", "bot.storage", "bot.config"}, {"sqlalchemy"}
    if module.startswith("bot.inbox"):
        # Beside the outbox: channels hand it updates, the composition root runs its worker.
        return {"bot.inbox", "bot.messages", "bot.storage", "bot.config"}, {"sqlalchemy"}
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


@pytest.mark.parametrize(("module", "path"), MODULES, ids=[m for m, _ in MODULES])
def test_jobs_touch_no_storage(module: str, path: Path) -> None:
    if not module.startswith("jobs"):
        return
    storage = {n for n in _imports(path) if n == "bot.storage" or n.startswith("bot.storage.")}
    assert storage <= {"bot.storage", "bot.storage.SessionFactory"}, (
        f"{module} uses storage: {sorted(storage)}"
    )


def test_only_the_composition_root_starts_the_outbox_worker() -> None:
    users = {module for module, path in MODULES if "bot.outbox.worker" in _imports(path)}
    assert users, "nobody starts the worker"
    assert all(m.startswith(("bot.app.", "bot.outbox.")) for m in users), sorted(users)


_OUTBOX_SQL = re.compile(r"\b(?:from|join|update|into|exists)\s+outbox\b", re.I)


def _touches_outbox_table(tree: ast.AST) -> list[str]:
    """Ways a module reaches the outbox table itself: the ORM class (imported or used), or SQL text."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and any(a.name == "OutboxMessage" for a in node.names):
            found.append(f"line {node.lineno}: imports OutboxMessage")
        elif (isinstance(node, ast.Name) and node.id == "OutboxMessage") or (
            isinstance(node, ast.Attribute) and node.attr == "OutboxMessage"
        ):
            found.append(f"line {node.lineno}: OutboxMessage")
        elif (
            isinstance(node, ast.Constant) and isinstance(node.value, str) and _OUTBOX_SQL.search(node.value)
        ):
            found.append(f"line {node.lineno}: SQL text")
    return found


def _private_imports(path: Path) -> list[str]:
    """First-party names starting with an underscore that a file imports."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and _top(node.module) in FIRST_PARTY:
            found += [f"{node.module}.{a.name}" for a in node.names if a.name.startswith("_")]
    return found


@pytest.mark.parametrize(("module", "path"), MODULES, ids=[m for m, _ in MODULES])
def test_only_the_outbox_touches_its_table(module: str, path: Path) -> None:
    if module.startswith(("bot.outbox", "bot.storage")):
        return
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = _touches_outbox_table(tree)
    assert not found, f"{module} touches outbox rows {found}: use bot.outbox (enqueue_many, lookups)"


def test_the_outbox_check_sees_writes_reads_and_sql_text() -> None:
    tree = ast.parse(
        "from bot.storage import OutboxMessage\n"
        "session.add(storage.OutboxMessage(key='k'))\n"
        "statement = update(OutboxMessage).values()\n"
        "text('INSERT INTO outbox (key) VALUES (:k)')\n"
        "text('SELECT 1 FROM outbox WHERE key = :k')\n"
        "log.info('outbox: delivering for %s')\n"
    )
    # The log line names the outbox but is no SQL.
    lines = sorted(int(f.split(":")[0].removeprefix("line ")) for f in _touches_outbox_table(tree))
    assert lines == [1, 2, 3, 4, 5]


PACKAGES_FOUND = sorted({path.parent for _, path in MODULES if path.name == "__init__.py"})


@pytest.mark.parametrize("package", PACKAGES_FOUND, ids=[str(p.relative_to(ROOT)) for p in PACKAGES_FOUND])
def test_every_package_says_what_lives_in_it(package: Path) -> None:
    docstring = ast.get_docstring(ast.parse((package / "__init__.py").read_text(encoding="utf-8")))
    assert docstring and len(docstring.split()) >= 5, (
        f"{package.relative_to(ROOT)}/__init__.py needs a docstring"
    )


@pytest.mark.parametrize(("module", "path"), MODULES, ids=[m for m, _ in MODULES])
def test_no_module_imports_another_modules_private_names(module: str, path: Path) -> None:
    assert _private_imports(path) == [], f"{module} imports private names; make them public or keep them home"
