"""Residents' feedback and recommendations (góp ý), with their answers, ratings and escalation.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the column types: a migration must not change when the models do.
TIMESTAMP = sa.DateTime(timezone=True)
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Create ``feedback`` (ids never reused: they are the tracking numbers)."""
    op.create_table(
        "feedback",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("ref", sa.String(length=64), nullable=False),
        sa.Column("ref_name", sa.String(length=255), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("chat_id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("unit_id", BIG_ID, nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("due_at", TIMESTAMP, nullable=False),
        sa.Column("escalated_at", TIMESTAMP, nullable=True),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("answered_at", TIMESTAMP, nullable=True),
        sa.Column("answered_by", sa.BigInteger(), nullable=True),
        sa.Column("answered_via", sa.String(length=96), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.Column("rated_at", TIMESTAMP, nullable=True),
        sa.CheckConstraint("rating IS NULL OR rating BETWEEN 1 AND 5", name=op.f("ck_feedback_rating_range")),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name=op.f("fk_feedback_unit_id_units")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback")),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_feedback_status_due_at", "feedback", ["status", "due_at"], unique=False)
    op.create_index(op.f("ix_feedback_unit_id"), "feedback", ["unit_id"], unique=False)
    op.create_index(op.f("ix_feedback_created_at"), "feedback", ["created_at"], unique=False)
    op.create_index(op.f("ix_feedback_answered_at"), "feedback", ["answered_at"], unique=False)


def downgrade() -> None:
    """Drop ``feedback``."""
    op.drop_index(op.f("ix_feedback_answered_at"), table_name="feedback")
    op.drop_index(op.f("ix_feedback_created_at"), table_name="feedback")
    op.drop_index(op.f("ix_feedback_unit_id"), table_name="feedback")
    op.drop_index("ix_feedback_status_due_at", table_name="feedback")
    op.drop_table("feedback")
