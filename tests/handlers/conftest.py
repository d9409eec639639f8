"""Fixtures for handler tests: the real catalogue, loaded once per session, and a migrated database."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge.importers import load_paths
from knowledge.index import ProcedureIndex
from knowledge.model import Procedure
from tests.databases import db_url, sessions

__all__ = ["catalogue", "catalogue_index", "db_url", "sessions"]


@pytest.fixture(scope="session")
def catalogue(knowledge_source: Path) -> list[Procedure]:
    """Every procedure of the real national catalogue."""
    return list(load_paths([knowledge_source]).procedures.values())


@pytest.fixture(scope="session")
def catalogue_index(catalogue: list[Procedure]) -> ProcedureIndex:
    """The search index over the real catalogue, built once."""
    return ProcedureIndex(catalogue)
