"""Shared storage helpers: a fresh database on the test PostgreSQL server."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.storage import create_engine


@asynccontextmanager
async def fresh_postgres_database(postgres_url: str, prefix: str = "storage") -> AsyncIterator[AsyncEngine]:
    """Create an empty database on the server at ``postgres_url`` and yield an engine for it."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(postgres_url)
    try:
        async with admin.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        await admin.dispose()
    engine = create_engine(make_url(postgres_url).set(database=name))
    try:
        yield engine
    finally:
        await engine.dispose()


@pytest.fixture
async def postgres_engine(postgres_url: str) -> AsyncIterator[AsyncEngine]:
    """A fresh database on the shared test server, so other tests' tables do not interfere."""
    async with fresh_postgres_database(postgres_url) as engine:
        yield engine
