"""Shared fixtures: the real catalogue folder, and its absence handled honestly."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
KNOWLEDGE_SOURCE = Path(
    os.environ.get("MOTCUA_KNOWLEDGE_SOURCE", ROOT.parent / "shared" / "knowledge-source")
)


@pytest.fixture(scope="session")
def knowledge_source() -> Path:
    """The national catalogue beside the project; missing is a failure in CI and a skip elsewhere."""
    if not (KNOWLEDGE_SOURCE / "dichvucong").is_dir():
        message = f"knowledge source not found at {KNOWLEDGE_SOURCE}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return KNOWLEDGE_SOURCE


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A real PostgreSQL server for the session; missing binaries fail in CI and skip elsewhere."""
    from tests.postgres import find_pg_bin, postgres_server

    if find_pg_bin() is None:
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL is not installed; `make test` installs it (see Makefile: postgres)")
        pytest.skip("PostgreSQL is not installed (run `make postgres`)")
    with postgres_server() as url:
        yield url
