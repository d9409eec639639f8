"""People, units, groups, invites, directives with recipients, acknowledgements, reminders; the audit log.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the column types: a migration must not change when the models do.
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
TIMESTAMP = sa.DateTime(timezone=True)
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Create the tables."""
    op.create_table(
        "audit_log",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("at", TIMESTAMP, nullable=False),
        sa.Column("actor_id", sa.BigInteger(), nullable=True),
        sa.Column("actor", sa.String(length=96), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("object_type", sa.String(length=32), nullable=False),
        sa.Column("object_id", sa.String(length=64), nullable=False),
        sa.Column("details", JSON, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    op.create_index(op.f("ix_audit_log_at"), "audit_log", ["at"], unique=False)
    op.create_index("ix_audit_log_object", "audit_log", ["object_type", "object_id"], unique=False)
    op.create_table(
        "directives",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("title", sa.String(length=255), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("urgency", sa.String(length=16), nullable=False),
        sa.Column("audience", JSON, nullable=False),
        sa.Column("image_url", sa.Text(), nullable=False),
        sa.Column("link_url", sa.Text(), nullable=False),
        sa.Column("ack_required", sa.Boolean(), nullable=False),
        sa.Column("ack_deadline", TIMESTAMP, nullable=True),
        sa.Column("ack_within_minutes", sa.Integer(), nullable=True),
        sa.Column("schedule_kind", sa.String(length=8), nullable=False),
        sa.Column("schedule_at", TIMESTAMP, nullable=True),
        sa.Column("cron", sa.String(length=128), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("next_run_at", TIMESTAMP, nullable=True),
        sa.Column("last_occurrence", sa.String(length=32), nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_directives")),
    )
    op.create_index(op.f("ix_directives_status"), "directives", ["status"], unique=False)
    op.create_index("ix_directives_status_next_run_at", "directives", ["status", "next_run_at"], unique=False)
    op.create_table(
        "units",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("leader_id", sa.BigInteger(), nullable=True),
        sa.Column("tags", JSON, nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_units")),
        sa.UniqueConstraint("name", name=op.f("uq_units_name")),
    )
    op.create_index(op.f("ix_units_leader_id"), "units", ["leader_id"], unique=False)
    op.create_table(
        "chat_groups",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("chat_id", sa.String(length=64), nullable=False),
        sa.Column("unit_id", BIG_ID, nullable=False),
        sa.Column("title", sa.String(length=255), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("registered_by", sa.BigInteger(), nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name=op.f("fk_chat_groups_unit_id_units")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chat_groups")),
        sa.UniqueConstraint("platform", "chat_id", name=op.f("uq_chat_groups_platform_chat_id")),
    )
    op.create_index(op.f("ix_chat_groups_unit_id"), "chat_groups", ["unit_id"], unique=False)
    op.create_table(
        "people",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("unit_id", BIG_ID, nullable=True),
        sa.Column("tags", JSON, nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name=op.f("fk_people_unit_id_units")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_people")),
    )
    op.create_index(op.f("ix_people_role"), "people", ["role"], unique=False)
    op.create_index(op.f("ix_people_unit_id"), "people", ["unit_id"], unique=False)
    op.create_table(
        "acknowledgements",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("directive_id", BIG_ID, nullable=False),
        sa.Column("occurrence", sa.String(length=32), nullable=False),
        sa.Column("person_id", BIG_ID, nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("chat_id", sa.String(length=64), nullable=False),
        sa.Column("at", TIMESTAMP, nullable=False),
        sa.Column("how", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["directive_id"], ["directives.id"], name=op.f("fk_acknowledgements_directive_id_directives")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_acknowledgements_person_id_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_acknowledgements")),
        sa.UniqueConstraint(
            "directive_id",
            "occurrence",
            "person_id",
            name=op.f("uq_acknowledgements_directive_id_occurrence_person_id"),
        ),
    )
    op.create_index(
        op.f("ix_acknowledgements_directive_id"), "acknowledgements", ["directive_id"], unique=False
    )
    op.create_index(op.f("ix_acknowledgements_person_id"), "acknowledgements", ["person_id"], unique=False)
    op.create_table(
        "directive_recipients",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("directive_id", BIG_ID, nullable=False),
        sa.Column("occurrence", sa.String(length=32), nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("chat_id", sa.String(length=64), nullable=False),
        sa.Column("is_group", sa.Boolean(), nullable=False),
        sa.Column("person_id", BIG_ID, nullable=True),
        sa.Column("group_id", BIG_ID, nullable=True),
        sa.Column("unit_id", sa.BigInteger(), nullable=True),
        sa.Column("outbox_key", sa.String(length=255), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["directive_id"], ["directives.id"], name=op.f("fk_directive_recipients_directive_id_directives")
        ),
        sa.ForeignKeyConstraint(
            ["group_id"], ["chat_groups.id"], name=op.f("fk_directive_recipients_group_id_chat_groups")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_directive_recipients_person_id_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_directive_recipients")),
        sa.UniqueConstraint(
            "directive_id",
            "occurrence",
            "platform",
            "chat_id",
            name=op.f("uq_directive_recipients_directive_id_occurrence_platform_chat_id"),
        ),
    )
    op.create_index(
        "ix_directive_recipients_chat", "directive_recipients", ["platform", "chat_id"], unique=False
    )
    op.create_index(
        op.f("ix_directive_recipients_directive_id"), "directive_recipients", ["directive_id"], unique=False
    )
    op.create_index(
        op.f("ix_directive_recipients_person_id"), "directive_recipients", ["person_id"], unique=False
    )
    op.create_table(
        "directive_reminders",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("directive_id", BIG_ID, nullable=False),
        sa.Column("occurrence", sa.String(length=32), nullable=False),
        sa.Column("person_id", BIG_ID, nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("sent_at", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["directive_id"], ["directives.id"], name=op.f("fk_directive_reminders_directive_id_directives")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_directive_reminders_person_id_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_directive_reminders")),
        sa.UniqueConstraint(
            "directive_id",
            "occurrence",
            "person_id",
            "number",
            name=op.f("uq_directive_reminders_directive_id_occurrence_person_id_number"),
        ),
    )
    op.create_index(
        op.f("ix_directive_reminders_directive_id"), "directive_reminders", ["directive_id"], unique=False
    )
    op.create_table(
        "invites",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("person_id", BIG_ID, nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("unit_id", BIG_ID, nullable=True),
        sa.Column("created_by", sa.BigInteger(), nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("expires_at", TIMESTAMP, nullable=False),
        sa.Column("used_at", TIMESTAMP, nullable=True),
        sa.Column("used_by", sa.String(length=96), nullable=True),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"], name=op.f("fk_invites_person_id_people")),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name=op.f("fk_invites_unit_id_units")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invites")),
        sa.UniqueConstraint("code_hash", name=op.f("uq_invites_code_hash")),
    )
    op.create_index(op.f("ix_invites_person_id"), "invites", ["person_id"], unique=False)
    op.create_table(
        "platform_accounts",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("person_id", BIG_ID, nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("chat_id", sa.String(length=64), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("linked_at", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_platform_accounts_person_id_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_platform_accounts")),
        sa.UniqueConstraint("platform", "user_id", name=op.f("uq_platform_accounts_platform_user_id")),
    )
    op.create_index(op.f("ix_platform_accounts_person_id"), "platform_accounts", ["person_id"], unique=False)


def downgrade() -> None:
    """Drop the tables."""
    op.drop_index(op.f("ix_platform_accounts_person_id"), table_name="platform_accounts")
    op.drop_table("platform_accounts")
    op.drop_index(op.f("ix_invites_person_id"), table_name="invites")
    op.drop_table("invites")
    op.drop_index(op.f("ix_directive_reminders_directive_id"), table_name="directive_reminders")
    op.drop_table("directive_reminders")
    op.drop_index(op.f("ix_directive_recipients_person_id"), table_name="directive_recipients")
    op.drop_index(op.f("ix_directive_recipients_directive_id"), table_name="directive_recipients")
    op.drop_index("ix_directive_recipients_chat", table_name="directive_recipients")
    op.drop_table("directive_recipients")
    op.drop_index(op.f("ix_acknowledgements_person_id"), table_name="acknowledgements")
    op.drop_index(op.f("ix_acknowledgements_directive_id"), table_name="acknowledgements")
    op.drop_table("acknowledgements")
    op.drop_index(op.f("ix_people_unit_id"), table_name="people")
    op.drop_index(op.f("ix_people_role"), table_name="people")
    op.drop_table("people")
    op.drop_index(op.f("ix_chat_groups_unit_id"), table_name="chat_groups")
    op.drop_table("chat_groups")
    op.drop_index(op.f("ix_units_leader_id"), table_name="units")
    op.drop_table("units")
    op.drop_index("ix_directives_status_next_run_at", table_name="directives")
    op.drop_index(op.f("ix_directives_status"), table_name="directives")
    op.drop_table("directives")
    op.drop_index("ix_audit_log_object", table_name="audit_log")
    op.drop_index(op.f("ix_audit_log_at"), table_name="audit_log")
    op.drop_table("audit_log")
