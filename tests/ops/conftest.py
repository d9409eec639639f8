"""Operations test fixtures: the fake platforms and the migrated database the adapter tests use."""

from __future__ import annotations

from tests.adapters.conftest import fake, zalo
from tests.adapters.test_telegram_runner import database

__all__ = ["database", "fake", "zalo"]
