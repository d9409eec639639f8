"""Guide mode: residents' consent codes (HMAC with a server key) and the per-guide log of cards sent.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the column types: a migration must not change when the models do.
TIMESTAMP = sa.DateTime(timezone=True)
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Create ``server_keys``, ``guide_consents`` and ``guide_log``."""
    op.create_table(
        "server_keys",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("value", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_server_keys")),
    )
    op.create_table(
        "guide_consents",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("chat_id", sa.String(length=64), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("expires_at", TIMESTAMP, nullable=False),
        sa.Column("used_at", TIMESTAMP, nullable=True),
        sa.Column("used_by", sa.BigInteger(), nullable=True),
        sa.Column("sent_at", TIMESTAMP, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_guide_consents")),
    )
    op.create_index(op.f("ix_guide_consents_code_hash"), "guide_consents", ["code_hash"], unique=False)
    op.create_index(op.f("ix_guide_consents_expires_at"), "guide_consents", ["expires_at"], unique=False)
    op.create_table(
        "guide_log",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("guide_id", BIG_ID, nullable=False),
        sa.Column("unit_id", sa.BigInteger(), nullable=True),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("resident_id", sa.String(length=64), nullable=False),
        sa.Column("procedure_code", sa.String(length=64), nullable=False),
        sa.Column("at", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(["guide_id"], ["people.id"], name=op.f("fk_guide_log_guide_id_people")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_guide_log")),
    )
    op.create_index(op.f("ix_guide_log_guide_id"), "guide_log", ["guide_id"], unique=False)
    op.create_index(op.f("ix_guide_log_at"), "guide_log", ["at"], unique=False)


def downgrade() -> None:
    """Drop ``guide_log``, ``guide_consents`` and ``server_keys``."""
    op.drop_index(op.f("ix_guide_log_at"), table_name="guide_log")
    op.drop_index(op.f("ix_guide_log_guide_id"), table_name="guide_log")
    op.drop_table("guide_log")
    op.drop_index(op.f("ix_guide_consents_expires_at"), table_name="guide_consents")
    op.drop_index(op.f("ix_guide_consents_code_hash"), table_name="guide_consents")
    op.drop_table("guide_consents")
    op.drop_table("server_keys")
