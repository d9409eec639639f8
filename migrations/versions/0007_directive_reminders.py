"""A directive may have its own reminder intervals and escalation; empty means the configured ones.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copy of the column type: a migration must not change when the models do.
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    """Add ``reminder_minutes`` and ``escalate_after`` (both null: the configuration's)."""
    with op.batch_alter_table("directives") as batch:
        batch.add_column(sa.Column("reminder_minutes", JSON, nullable=True))
        batch.add_column(sa.Column("escalate_after", sa.Integer(), nullable=True))


def downgrade() -> None:
    """Drop the two columns."""
    with op.batch_alter_table("directives") as batch:
        batch.drop_column("escalate_after")
        batch.drop_column("reminder_minutes")
