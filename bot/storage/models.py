"""The tables: procedures (the knowledge base) and conversation state (choices and flows)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Integer, MetaData, String, Text, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from bot.storage.columns import PortableJSON, UTCDateTime

# Explicit constraint names keep migrations identical on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base for every table."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class ProcedureRow(Base):
    """One procedure record; ``data`` is :meth:`knowledge.model.Procedure.to_dict` output."""

    __tablename__ = "procedures"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    level: Mapped[str] = mapped_column(Text, default="")
    field: Mapped[str] = mapped_column(Text, default="", index=True)
    source: Mapped[str] = mapped_column(String(32), default="", index=True)
    demo: Mapped[bool] = mapped_column(Boolean, default=False)
    data: Mapped[dict[str, Any]] = mapped_column(PortableJSON)
    content_hash: Mapped[str] = mapped_column(String(64))
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ConversationState(Base):
    """Per chat: the numbered choices last shown and the active multi-step flow, each with its expiry.

    ``version`` counts flow writes; a flow is changed only by an UPDATE that names the version it
    read (compare-and-set), so two racing messages cannot both advance the same step.
    """

    __tablename__ = "conversation_state"

    chat_key: Mapped[str] = mapped_column(String(255), primary_key=True)
    choices: Mapped[list[str]] = mapped_column(PortableJSON)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    flow_name: Mapped[str | None] = mapped_column(String(64))
    flow_step: Mapped[str | None] = mapped_column(String(64))
    flow_data: Mapped[dict[str, Any] | None] = mapped_column(PortableJSON)
    flow_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    flow_ttl_seconds: Mapped[int | None] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
