"""Procedure aliases, unanswered questions (text and counts only), and the question of shown choices.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies of the column types: a migration must not change when the models do.
TIMESTAMP = sa.DateTime(timezone=True)
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TEXT_MAX = 300


def upgrade() -> None:
    """Create the alias and unanswered-question tables; add ``conversation_state.choices_question``."""
    op.create_table(
        "procedure_aliases",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("procedure_code", sa.String(length=64), nullable=False),
        sa.Column("phrase", sa.String(length=TEXT_MAX), nullable=False),
        sa.Column("folded", sa.String(length=TEXT_MAX), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("created_by", sa.String(length=96), nullable=False),
        sa.ForeignKeyConstraint(
            ["procedure_code"],
            ["procedures.code"],
            name=op.f("fk_procedure_aliases_procedure_code_procedures"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_procedure_aliases")),
        sa.UniqueConstraint(
            "procedure_code", "folded", name=op.f("uq_procedure_aliases_procedure_code_folded")
        ),
        sqlite_autoincrement=True,
    )
    op.create_index(
        op.f("ix_procedure_aliases_procedure_code"), "procedure_aliases", ["procedure_code"], unique=False
    )
    op.create_table(
        "unanswered_questions",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("text", sa.String(length=TEXT_MAX), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("first_seen", TIMESTAMP, nullable=False),
        sa.Column("last_seen", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_unanswered_questions")),
        sa.UniqueConstraint("text", "kind", name=op.f("uq_unanswered_questions_text_kind")),
    )
    op.create_index(
        op.f("ix_unanswered_questions_last_seen"), "unanswered_questions", ["last_seen"], unique=False
    )
    with op.batch_alter_table("conversation_state") as batch:
        batch.add_column(sa.Column("choices_question", sa.String(length=TEXT_MAX), nullable=True))


def downgrade() -> None:
    """Drop what :func:`upgrade` added."""
    with op.batch_alter_table("conversation_state") as batch:
        batch.drop_column("choices_question")
    op.drop_index(op.f("ix_unanswered_questions_last_seen"), table_name="unanswered_questions")
    op.drop_table("unanswered_questions")
    op.drop_index(op.f("ix_procedure_aliases_procedure_code"), table_name="procedure_aliases")
    op.drop_table("procedure_aliases")
