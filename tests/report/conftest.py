"""A migrated SQLite database file per test."""

from tests.databases import db_url, sessions

__all__ = ["db_url", "sessions"]
