"""Procedures (the knowledge base) and conversation state (numbered choices).

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the column types: a migration must not change when the models do.
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Create both tables."""
    op.create_table(
        "procedures",
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("level", sa.Text(), nullable=False),
        sa.Column("field", sa.Text(), nullable=False),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("demo", sa.Boolean(), nullable=False),
        sa.Column("data", JSON, nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("imported_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_procedures")),
    )
    op.create_index(op.f("ix_procedures_field"), "procedures", ["field"])
    op.create_index(op.f("ix_procedures_source"), "procedures", ["source"])
    op.create_table(
        "conversation_state",
        sa.Column("chat_key", sa.String(255), nullable=False),
        sa.Column("choices", JSON, nullable=False),
        sa.Column("expires_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("chat_key", name=op.f("pk_conversation_state")),
    )
    op.create_index(op.f("ix_conversation_state_expires_at"), "conversation_state", ["expires_at"])


def downgrade() -> None:
    """Drop both tables."""
    op.drop_index(op.f("ix_conversation_state_expires_at"), table_name="conversation_state")
    op.drop_table("conversation_state")
    op.drop_index(op.f("ix_procedures_source"), table_name="procedures")
    op.drop_index(op.f("ix_procedures_field"), table_name="procedures")
    op.drop_table("procedures")
