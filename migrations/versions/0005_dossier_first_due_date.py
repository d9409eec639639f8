"""Dossiers keep the appointment given at receipt, so an extension does not hide lateness.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copy of the column type: a migration must not change when the models do.
TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Add ``first_due_at``; existing dossiers start from their current due date (the best known)."""
    with op.batch_alter_table("dossiers") as batch:
        batch.add_column(sa.Column("first_due_at", TIMESTAMP, nullable=True))
    op.execute("UPDATE dossiers SET first_due_at = due_at")


def downgrade() -> None:
    """Drop ``first_due_at``."""
    with op.batch_alter_table("dossiers") as batch:
        batch.drop_column("first_due_at")
