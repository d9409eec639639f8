"""The tables: procedures with their aliases, unanswered questions, conversation state, the outbox, dossiers,
and people with their directives."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
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
    choices_question: Mapped[str | None] = mapped_column(String(300))
    """The folded search question the choices were shown for, until the next message settles it
    (a pick, or else it is counted as unanswered)."""


# Auto-increment ids: BIGINT on PostgreSQL, INTEGER PRIMARY KEY (the rowid) on SQLite.
BigId = BigInteger().with_variant(Integer(), "sqlite")

QUESTION_MAX = 300
"""Characters kept of an unanswered question or an alias phrase."""


class ProcedureAlias(Base):
    """A phrase staff attached to a procedure; the search index adds it to the procedure's keywords.

    Kept apart from ``procedures`` so a re-import, which rewrites the records, never drops one.
    """

    __tablename__ = "procedure_aliases"
    # Ids are never reused (SQLite would reuse the highest after a delete): the audit log names them, and
    # the knowledge fingerprint must change when one alias is removed and another added.
    __table_args__ = (UniqueConstraint("procedure_code", "folded"), {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    procedure_code: Mapped[str] = mapped_column(String(64), ForeignKey("procedures.code"), index=True)
    phrase: Mapped[str] = mapped_column(String(QUESTION_MAX))
    folded: Mapped[str] = mapped_column(String(QUESTION_MAX))
    """The phrase folded: one procedure cannot have the same alias twice, with or without accents."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(String(96))


class UnansweredQuestion(Base):
    """A question the bot could not answer: folded text and counts only, never who asked or where.

    ``kind`` says how it went unanswered: ``none`` (nothing matched) or ``choices`` (choices were shown
    and the next message did not pick one). One row per text and kind, counted up.
    """

    __tablename__ = "unanswered_questions"
    __table_args__ = (UniqueConstraint("text", "kind"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    text: Mapped[str] = mapped_column(String(QUESTION_MAX))
    kind: Mapped[str] = mapped_column(String(16))
    count: Mapped[int] = mapped_column(Integer)
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class OutboxMessage(Base):
    """One message to one chat, written in the same transaction as the change that causes it (DESIGN §5).

    ``key`` is unique: enqueuing the same notification twice is harmless. A worker claims due rows by
    setting ``lease_until``; a row whose lease ran out (the worker died mid-send) is claimed again, so
    delivery is at-least-once and ``attempts`` > 1 on a sent row marks a possible duplicate.
    """

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_status_due_at", "status", "due_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(255), unique=True)
    platform: Mapped[str] = mapped_column(String(16))
    chat_id: Mapped[str] = mapped_column(String(64))
    is_group: Mapped[bool] = mapped_column(Boolean, default=False)
    kind: Mapped[str] = mapped_column(String(32), index=True)
    """What caused it, e.g. ``dossier.ready`` or ``directive``: reports group by it."""
    ref: Mapped[str] = mapped_column(String(64), default="", index=True)
    """The object it is about (a receipt code, a directive id)."""
    payload: Mapped[dict[str, Any]] = mapped_column(PortableJSON)
    """A serialised :class:`bot.messages.Reply`: ``{"text", "buttons": [[label, payload], ...]}``, and
    ``"image"`` (base64) for a photo."""
    status: Mapped[str] = mapped_column(String(16), default="pending")
    """pending (waiting for due_at, retries included), sending (leased), sent, failed."""
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    message_id: Mapped[str | None] = mapped_column(String(64))
    error: Mapped[str | None] = mapped_column(String(255))


class Dossier(Base):
    """A dossier (hồ sơ) as the one-stop information system knows it; no personal data in clear.

    The applicant's phone is kept only as a keyed hash (HMAC-SHA256 with the configured key) plus
    its last four digits, which are enough for the second factor of ``/theodoi``.
    """

    __tablename__ = "dossiers"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    procedure_code: Mapped[str] = mapped_column(String(64), default="")
    procedure_name: Mapped[str] = mapped_column(Text, default="")
    agency: Mapped[str] = mapped_column(Text, default="", index=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    """The current appointment: an extension (the centre's apology with a new date) moves it."""
    first_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    """The appointment given at receipt, never moved by an extension: timeliness is judged against it, so
    a dossier resolved by its extended date still counts as late."""
    status: Mapped[str] = mapped_column(String(32), index=True)
    status_at: Mapped[datetime] = mapped_column(UTCDateTime())
    """When the current status took effect (the newest event applied; older events arriving late do not
    move it back)."""
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    """When a result was first ready (or the dossier rejected): the moment timeliness is judged on."""
    result_delivery: Mapped[str] = mapped_column(Text, default="")
    """How the result is returned, e.g. "Tại Bộ phận Một cửa" or "Qua bưu chính"."""
    online: Mapped[bool] = mapped_column(Boolean, default=False)
    phone_hash: Mapped[str] = mapped_column(String(64), default="")
    phone_last4: Mapped[str] = mapped_column(String(4), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    """The latest note meant for the applicant (what to supplement, where to collect)."""
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class DossierEvent(Base):
    """One status change of a dossier, unique by the source's event id (so every way in is idempotent)."""

    __tablename__ = "dossier_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(128), unique=True)
    dossier_code: Mapped[str] = mapped_column(String(32), ForeignKey("dossiers.code"), index=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(32))
    note: Mapped[str] = mapped_column(Text, default="")
    new_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    source: Mapped[str] = mapped_column(String(16), default="")
    """import, push or pull."""
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())


class DossierSubscription(Base):
    """A chat that verified the second factor and is told about a dossier's changes."""

    __tablename__ = "dossier_subscriptions"
    __table_args__ = (
        UniqueConstraint("dossier_code", "platform", "chat_id"),
        Index("ix_dossier_subscriptions_chat", "platform", "chat_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    dossier_code: Mapped[str] = mapped_column(String(32), ForeignKey("dossiers.code"), index=True)
    platform: Mapped[str] = mapped_column(String(16))
    chat_id: Mapped[str] = mapped_column(String(64))
    is_group: Mapped[bool] = mapped_column(Boolean, default=False)
    user_id: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class DossierRating(Base):
    """A satisfaction rating (1-5) and optional comment after a dossier was returned; one per user."""

    __tablename__ = "dossier_ratings"
    __table_args__ = (
        UniqueConstraint("dossier_code", "platform", "user_id"),
        CheckConstraint("score BETWEEN 1 AND 5", name="score_range"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    dossier_code: Mapped[str] = mapped_column(String(32), ForeignKey("dossiers.code"), index=True)
    platform: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[str] = mapped_column(String(64))
    score: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Throttle(Base):
    """A counter with a window and an optional lockout, e.g. lookups or failed verifications per user.

    Kept in the database so several bot processes share it (DESIGN §8).
    """

    __tablename__ = "throttles"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    """What is counted and for whom, e.g. ``lookup:telegram:123`` or ``verify:zalo:abc``."""
    count: Mapped[int] = mapped_column(Integer, default=0)
    window_start: Mapped[datetime] = mapped_column(UTCDateTime())
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())


class SyncCursor(Base):
    """Where a pull source left off (an opaque cursor from the remote system)."""

    __tablename__ = "sync_cursors"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    cursor: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


# --- people, units, groups and directives (issue 6) ------------------------------------------------


class Unit(Base):
    """An organisational unit (e.g. "Bộ phận một cửa") with its leader and tags.

    ``leader_id`` names a person but has no foreign key: people and units refer to each other, and a
    cycle of foreign keys cannot be created on SQLite; the service checks it.
    """

    __tablename__ = "units"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    leader_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    tags: Mapped[list[str]] = mapped_column(PortableJSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Person(Base):
    """Someone the bot knows by role: admin, leader, staff, guide or resident; never found by name."""

    __tablename__ = "people"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    tags: Mapped[list[str]] = mapped_column(PortableJSON)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class PlatformAccount(Base):
    """A person's account on one platform, found by the platform's numeric (or opaque) user id."""

    __tablename__ = "platform_accounts"
    __table_args__ = (UniqueConstraint("platform", "user_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    platform: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[str] = mapped_column(String(64))
    chat_id: Mapped[str] = mapped_column(String(64))
    """The private chat with the bot (on Zalo known only once the person wrote)."""
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    """False once the platform said the chat is gone (the person blocked the bot)."""
    linked_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ChatGroup(Base):
    """A group chat registered for a unit (``/nhom UNIT``); a supergroup migration moves ``chat_id``."""

    __tablename__ = "chat_groups"
    __table_args__ = (UniqueConstraint("platform", "chat_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    platform: Mapped[str] = mapped_column(String(16))
    chat_id: Mapped[str] = mapped_column(String(64))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    title: Mapped[str] = mapped_column(String(255), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    registered_by: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Invite(Base):
    """A one-time link code for a person; only its SHA-256 is stored, so a database copy cannot redeem it."""

    __tablename__ = "invites"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    created_by: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    used_by: Mapped[str | None] = mapped_column(String(96))
    """The platform account (``platform:user_id``) that redeemed it."""


class Directive(Base):
    """A directive (chỉ đạo) to staff: what, to whom, when, and whether it must be acknowledged."""

    __tablename__ = "directives"
    __table_args__ = (Index("ix_directives_status_next_run_at", "status", "next_run_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    title: Mapped[str] = mapped_column(String(255))
    body: Mapped[str] = mapped_column(Text)
    urgency: Mapped[str] = mapped_column(String(16))
    """khan (urgent: ignores quiet hours) or thuong (normal)."""
    audience: Mapped[dict[str, Any]] = mapped_column(PortableJSON)
    """``{"units": [ids], "tags": [..], "groups": [ids], "people": [ids]}``."""
    image_url: Mapped[str] = mapped_column(Text, default="")
    link_url: Mapped[str] = mapped_column(Text, default="")
    ack_required: Mapped[bool] = mapped_column(Boolean, default=False)
    ack_deadline: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ack_within_minutes: Mapped[int | None] = mapped_column(Integer)
    """For recurring directives: each occurrence must be acknowledged within this many minutes."""
    reminder_minutes: Mapped[list[int] | None] = mapped_column(PortableJSON)
    """Minutes after delivery at which those who have not acknowledged are reminded; None: configured."""
    escalate_after: Mapped[int | None] = mapped_column(Integer)
    """After this many reminders the unit's leader is told (0: never); None: configured."""
    schedule_kind: Mapped[str] = mapped_column(String(8))
    """now, at (``schedule_at``) or cron (``cron``)."""
    schedule_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cron: Mapped[str] = mapped_column(String(128), default="")
    timezone: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), index=True)
    """draft, scheduled, sending, sent or cancelled."""
    next_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    """The next occurrence of a recurring directive: the scheduler is re-armed from it at start."""
    last_occurrence: Mapped[str] = mapped_column(String(32), default="")
    created_by: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class DirectiveRecipient(Base):
    """One chat a directive occurrence goes to (a person's private chat or a group), with its outbox key.

    A person in the audience with no linked account gets a row too (``platform`` empty, ``status``
    unreachable), so the report shows who could not be told.
    """

    __tablename__ = "directive_recipients"
    __table_args__ = (
        UniqueConstraint("directive_id", "occurrence", "platform", "chat_id"),
        Index("ix_directive_recipients_chat", "platform", "chat_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    directive_id: Mapped[int] = mapped_column(ForeignKey("directives.id"), index=True)
    occurrence: Mapped[str] = mapped_column(String(32))
    platform: Mapped[str] = mapped_column(String(16))
    chat_id: Mapped[str] = mapped_column(String(64))
    is_group: Mapped[bool] = mapped_column(Boolean, default=False)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), index=True)
    group_id: Mapped[int | None] = mapped_column(ForeignKey("chat_groups.id"))
    unit_id: Mapped[int | None] = mapped_column(BigInteger)
    outbox_key: Mapped[str] = mapped_column(String(255), default="")
    status: Mapped[str] = mapped_column(String(16))
    """queued (its outbox row tells the rest) or unreachable (no linked chat)."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Acknowledgement(Base):
    """A person acknowledged a directive occurrence: when, from which chat, and how."""

    __tablename__ = "acknowledgements"
    __table_args__ = (UniqueConstraint("directive_id", "occurrence", "person_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    directive_id: Mapped[int] = mapped_column(ForeignKey("directives.id"), index=True)
    occurrence: Mapped[str] = mapped_column(String(32))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    platform: Mapped[str] = mapped_column(String(16))
    chat_id: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    how: Mapped[str] = mapped_column(String(16))
    """button, keyword or number."""


class DirectiveReminder(Base):
    """A reminder sent to a person who had not acknowledged; ``number`` counts them (escalate after N)."""

    __tablename__ = "directive_reminders"
    __table_args__ = (UniqueConstraint("directive_id", "occurrence", "person_id", "number"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    directive_id: Mapped[int] = mapped_column(ForeignKey("directives.id"), index=True)
    occurrence: Mapped[str] = mapped_column(String(32))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    number: Mapped[int] = mapped_column(Integer)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AuditEntry(Base):
    """Who did what to which object, when (directives created, changed, sent, cancelled; people linked)."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_object", "object_type", "object_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    actor_id: Mapped[int | None] = mapped_column(BigInteger)
    actor: Mapped[str] = mapped_column(String(96))
    """Who, as a label: ``cli``, ``system`` or ``telegram:<user id>``."""
    action: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str] = mapped_column(String(32))
    object_id: Mapped[str] = mapped_column(String(64))
    details: Mapped[dict[str, Any]] = mapped_column(PortableJSON)


class InboxUpdate(Base):
    """One incoming platform update, stored before the platform hears 200 (DESIGN §8).

    ``(platform, update_id)`` is unique, so the database refuses a redelivered update, across restarts
    and processes. ``chat_key`` orders a chat's updates: its next one is claimed only once the previous
    is done. A claim names its ``owner`` (a process's token) and holds until ``lease_until``, which the
    owner's heartbeat keeps moving; ``body`` is the raw update, never logged.
    """

    __tablename__ = "inbox"
    __table_args__ = (
        UniqueConstraint("platform", "update_id"),
        Index("ix_inbox_chat_key_id", "chat_key", "id"),
        Index("ix_inbox_status_id", "status", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    platform: Mapped[str] = mapped_column(String(16))
    update_id: Mapped[str] = mapped_column(String(128))
    chat_key: Mapped[str] = mapped_column(String(160))
    body: Mapped[dict[str, Any]] = mapped_column(PortableJSON)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    """pending, claimed (being handled by ``owner``), done."""
    owner: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    error: Mapped[str | None] = mapped_column(String(255))


# --- guide mode (issue 15) --------------------------------------------------------------------------


class GuideConsent(Base):
    """A resident's 6-digit consent code for a guide: only its salted SHA-256 is kept, and it works once.

    ``used_by`` is the guide (person id) who entered it; ``sent_at`` is set when the card went out.
    """

    __tablename__ = "guide_consents"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    salt: Mapped[str] = mapped_column(String(32))
    code_hash: Mapped[str] = mapped_column(String(64))
    platform: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[str] = mapped_column(String(64))
    chat_id: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    used_by: Mapped[int | None] = mapped_column(BigInteger)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class GuideHelp(Base):
    """One card a guide sent to a resident: who, to which platform account, which procedure, when.

    No message contents; the resident is their platform account id only.
    """

    __tablename__ = "guide_log"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    guide_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    unit_id: Mapped[int | None] = mapped_column(BigInteger)
    """The guide's unit at the time."""
    platform: Mapped[str] = mapped_column(String(16))
    resident_id: Mapped[str] = mapped_column(String(64))
    procedure_code: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


# --- residents' feedback and recommendations (issue 15) --------------------------------------------


class FeedbackItem(Base):
    """A resident's feedback (góp ý) about a procedure, a dossier or in general, and its answer.

    Its id is the tracking number (``GY-000123``), never reused. Where the resident wrote from is kept so
    the answer can go back there; ``due_at`` (N working days after filing) decides when the unit's leader
    is told it is overdue, once (``escalated_at``).
    """

    __tablename__ = "feedback"
    __table_args__ = (
        Index("ix_feedback_status_due_at", "status", "due_at"),
        CheckConstraint("rating IS NULL OR rating BETWEEN 1 AND 5", name="rating_range"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16))
    """procedure, dossier or general."""
    ref: Mapped[str] = mapped_column(String(64), default="")
    """The procedure code or receipt code it is about."""
    ref_name: Mapped[str] = mapped_column(String(255), default="")
    """The procedure's name (never a dossier's data)."""
    text: Mapped[str] = mapped_column(Text)
    platform: Mapped[str] = mapped_column(String(16))
    chat_id: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[str] = mapped_column(String(64))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    status: Mapped[str] = mapped_column(String(16))
    """open or answered."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    answer: Mapped[str] = mapped_column(Text, default="")
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    answered_by: Mapped[int | None] = mapped_column(BigInteger)
    """The person who answered (None: the operator's CLI)."""
    answered_via: Mapped[str] = mapped_column(String(96), default="")
    rating: Mapped[int | None] = mapped_column(Integer)
    rated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


# --- figures for leaders: the question log, answer ratings and the weekly digest (issue 15) ---------


class QuestionLogEntry(Base):
    """One procedure question answered in chat: when, on which channel, how, about which procedure.

    Never the question's text nor who asked. ``outcome`` is ``confident``, ``choices`` or ``none``;
    ``rating`` is 1 (👍) or -1 (👎) once the asker rated a confident answer, else null.
    """

    __tablename__ = "question_log"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    outcome: Mapped[str] = mapped_column(String(16))
    procedure_code: Mapped[str] = mapped_column(String(64), default="")
    agency: Mapped[str] = mapped_column(String(255), default="")
    rating: Mapped[int | None] = mapped_column(Integer)
    rated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ReportDigest(Base):
    """A weekly digest claimed for one period: the unique ``period`` makes it go out exactly once."""

    __tablename__ = "report_digests"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    period: Mapped[str] = mapped_column(String(32), unique=True)
    """The period's first day and kind, e.g. ``week:2026-11-30``."""
    recipients: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class MediaFile(Base):
    """An image the bot serves at ``/media/<token>.png`` (Zalo's sendPhoto takes a URL, not bytes).

    ``token`` is the SHA-256 of the bytes: the same chart is stored once, and its address cannot be
    guessed without the image itself.
    """

    __tablename__ = "media_files"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    content_type: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


# --- web console (issue 16) ----------------------------------------------------------------------


class WebLoginToken(Base):
    """A one-time console login link sent by ``/web``: only its SHA-256 is kept, bound to person and role."""

    __tablename__ = "web_login_tokens"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    person_id: Mapped[int] = mapped_column(BigId, ForeignKey("people.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class WebSession(Base):
    """A console session: the cookie's SHA-256, whose it is, its CSRF token and when it ends."""

    __tablename__ = "web_sessions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    session_hash: Mapped[str] = mapped_column(String(64), unique=True)
    person_id: Mapped[int] = mapped_column(BigId, ForeignKey("people.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    csrf: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
