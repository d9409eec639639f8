"""Dossiers (with their events, subscribers and ratings), the outbox, throttles and pull cursors.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the column types: a migration must not change when the models do.
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
TIMESTAMP = sa.DateTime(timezone=True)
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Create the tables."""
    op.create_table(
        "dossiers",
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("procedure_code", sa.String(length=64), nullable=False),
        sa.Column("procedure_name", sa.Text(), nullable=False),
        sa.Column("agency", sa.Text(), nullable=False),
        sa.Column("received_at", TIMESTAMP, nullable=False),
        sa.Column("due_at", TIMESTAMP, nullable=True),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("status_at", TIMESTAMP, nullable=False),
        sa.Column("resolved_at", TIMESTAMP, nullable=True),
        sa.Column("result_delivery", sa.Text(), nullable=False),
        sa.Column("online", sa.Boolean(), nullable=False),
        sa.Column("phone_hash", sa.String(length=64), nullable=False),
        sa.Column("phone_last4", sa.String(length=4), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_dossiers")),
    )
    op.create_index(op.f("ix_dossiers_agency"), "dossiers", ["agency"], unique=False)
    op.create_index(op.f("ix_dossiers_due_at"), "dossiers", ["due_at"], unique=False)
    op.create_index(op.f("ix_dossiers_received_at"), "dossiers", ["received_at"], unique=False)
    op.create_index(op.f("ix_dossiers_status"), "dossiers", ["status"], unique=False)
    op.create_table(
        "outbox",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("chat_id", sa.String(length=64), nullable=False),
        sa.Column("is_group", sa.Boolean(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("ref", sa.String(length=64), nullable=False),
        sa.Column("payload", JSON, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("due_at", TIMESTAMP, nullable=False),
        sa.Column("lease_until", TIMESTAMP, nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("sent_at", TIMESTAMP, nullable=True),
        sa.Column("message_id", sa.String(length=64), nullable=True),
        sa.Column("error", sa.String(length=255), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
        sa.UniqueConstraint("key", name=op.f("uq_outbox_key")),
    )
    op.create_index(op.f("ix_outbox_kind"), "outbox", ["kind"], unique=False)
    op.create_index(op.f("ix_outbox_ref"), "outbox", ["ref"], unique=False)
    op.create_index("ix_outbox_status_due_at", "outbox", ["status", "due_at"], unique=False)
    op.create_table(
        "sync_cursors",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("cursor", sa.Text(), nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_sync_cursors")),
    )
    op.create_table(
        "throttles",
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("window_start", TIMESTAMP, nullable=False),
        sa.Column("locked_until", TIMESTAMP, nullable=True),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_throttles")),
    )
    op.create_table(
        "dossier_events",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("event_id", sa.String(length=128), nullable=False),
        sa.Column("dossier_code", sa.String(length=32), nullable=False),
        sa.Column("occurred_at", TIMESTAMP, nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("new_due_at", TIMESTAMP, nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("recorded_at", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["dossier_code"], ["dossiers.code"], name=op.f("fk_dossier_events_dossier_code_dossiers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dossier_events")),
        sa.UniqueConstraint("event_id", name=op.f("uq_dossier_events_event_id")),
    )
    op.create_index(op.f("ix_dossier_events_dossier_code"), "dossier_events", ["dossier_code"], unique=False)
    op.create_table(
        "dossier_ratings",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("dossier_code", sa.String(length=32), nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.CheckConstraint("score BETWEEN 1 AND 5", name=op.f("ck_dossier_ratings_score_range")),
        sa.ForeignKeyConstraint(
            ["dossier_code"], ["dossiers.code"], name=op.f("fk_dossier_ratings_dossier_code_dossiers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dossier_ratings")),
        sa.UniqueConstraint(
            "dossier_code",
            "platform",
            "user_id",
            name=op.f("uq_dossier_ratings_dossier_code_platform_user_id"),
        ),
    )
    op.create_index(
        op.f("ix_dossier_ratings_dossier_code"), "dossier_ratings", ["dossier_code"], unique=False
    )
    op.create_table(
        "dossier_subscriptions",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("dossier_code", sa.String(length=32), nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("chat_id", sa.String(length=64), nullable=False),
        sa.Column("is_group", sa.Boolean(), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["dossier_code"], ["dossiers.code"], name=op.f("fk_dossier_subscriptions_dossier_code_dossiers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dossier_subscriptions")),
        sa.UniqueConstraint(
            "dossier_code",
            "platform",
            "chat_id",
            name=op.f("uq_dossier_subscriptions_dossier_code_platform_chat_id"),
        ),
    )
    op.create_index(
        "ix_dossier_subscriptions_chat", "dossier_subscriptions", ["platform", "chat_id"], unique=False
    )
    op.create_index(
        op.f("ix_dossier_subscriptions_dossier_code"), "dossier_subscriptions", ["dossier_code"], unique=False
    )


def downgrade() -> None:
    """Drop the tables."""
    op.drop_index(op.f("ix_dossier_subscriptions_dossier_code"), table_name="dossier_subscriptions")
    op.drop_index("ix_dossier_subscriptions_chat", table_name="dossier_subscriptions")
    op.drop_table("dossier_subscriptions")
    op.drop_index(op.f("ix_dossier_ratings_dossier_code"), table_name="dossier_ratings")
    op.drop_table("dossier_ratings")
    op.drop_index(op.f("ix_dossier_events_dossier_code"), table_name="dossier_events")
    op.drop_table("dossier_events")
    op.drop_table("throttles")
    op.drop_table("sync_cursors")
    op.drop_index("ix_outbox_status_due_at", table_name="outbox")
    op.drop_index(op.f("ix_outbox_ref"), table_name="outbox")
    op.drop_index(op.f("ix_outbox_kind"), table_name="outbox")
    op.drop_table("outbox")
    op.drop_index(op.f("ix_dossiers_status"), table_name="dossiers")
    op.drop_index(op.f("ix_dossiers_received_at"), table_name="dossiers")
    op.drop_index(op.f("ix_dossiers_due_at"), table_name="dossiers")
    op.drop_index(op.f("ix_dossiers_agency"), table_name="dossiers")
    op.drop_table("dossiers")
