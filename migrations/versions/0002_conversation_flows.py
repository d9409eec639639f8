"""Conversation flows: the active multi-step flow per chat, and a version for compare-and-set.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the column types: a migration must not change when the models do.
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Add the flow columns and the version (existing rows start at 0, with no flow)."""
    with op.batch_alter_table("conversation_state") as batch:
        batch.add_column(sa.Column("flow_name", sa.String(64), nullable=True))
        batch.add_column(sa.Column("flow_step", sa.String(64), nullable=True))
        batch.add_column(sa.Column("flow_data", JSON, nullable=True))
        batch.add_column(sa.Column("flow_expires_at", TIMESTAMP, nullable=True))
        batch.add_column(sa.Column("flow_ttl_seconds", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default=sa.text("0")))


def downgrade() -> None:
    """Drop the flow columns and the version; pending choices are kept."""
    with op.batch_alter_table("conversation_state") as batch:
        batch.drop_column("version")
        batch.drop_column("flow_ttl_seconds")
        batch.drop_column("flow_expires_at")
        batch.drop_column("flow_data")
        batch.drop_column("flow_step")
        batch.drop_column("flow_name")
