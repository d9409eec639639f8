"""The inbox: every incoming update, stored before the platform hears 200, handled from there.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the column types: a migration must not change when the models do.
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
TIMESTAMP = sa.DateTime(timezone=True)
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Create ``inbox``, unique on (platform, update_id)."""
    op.create_table(
        "inbox",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("update_id", sa.String(length=128), nullable=False),
        sa.Column("chat_key", sa.String(length=160), nullable=False),
        sa.Column("body", JSON, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("owner", sa.String(length=64), nullable=True),
        sa.Column("lease_until", TIMESTAMP, nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("received_at", TIMESTAMP, nullable=False),
        sa.Column("done_at", TIMESTAMP, nullable=True),
        sa.Column("error", sa.String(length=255), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbox")),
        sa.UniqueConstraint("platform", "update_id", name=op.f("uq_inbox_platform_update_id")),
    )
    op.create_index("ix_inbox_chat_key_id", "inbox", ["chat_key", "id"], unique=False)
    op.create_index("ix_inbox_status_id", "inbox", ["status", "id"], unique=False)
    op.create_index(op.f("ix_inbox_done_at"), "inbox", ["done_at"], unique=False)


def downgrade() -> None:
    """Drop ``inbox``."""
    op.drop_index(op.f("ix_inbox_done_at"), table_name="inbox")
    op.drop_index("ix_inbox_status_id", table_name="inbox")
    op.drop_index("ix_inbox_chat_key_id", table_name="inbox")
    op.drop_table("inbox")
