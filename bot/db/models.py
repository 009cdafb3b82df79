"""Tables of the core: users, conversation state, processed inbound ids, the outbox."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from bot.db.types import JsonType, UtcDateTime

# SQLite only auto-increments INTEGER PRIMARY KEY; PostgreSQL gets BIGINT identity columns.
IdType = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"
    __table_args__ = (
        UniqueConstraint("channel", "external_id", name="uq_users_channel_external"),
    )

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    channel: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(64))
    display_name: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime())
    unreachable_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # SPEC §4 sector code the owner gave (eligibility check or intake); audience `nganh:`.
    sector: Mapped[str | None] = mapped_column(String(64))


class ConversationStateRow(Base):
    __tablename__ = "conversation_states"

    user_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    flow: Mapped[str | None] = mapped_column(String(32))
    step: Mapped[str | None] = mapped_column(String(64))
    data: Mapped[dict[str, Any]] = mapped_column(JsonType)
    version: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class ProcessedMessage(Base):
    """Inbound message ids already handled, so a re-delivery is handled once."""

    __tablename__ = "processed_messages"

    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    message_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    processed_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)


class OutboxMessage(Base):
    """Everything sent later (officer alerts, reminders, broadcasts): one row per delivery."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "status", "due_at"),)

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    channel: Mapped[str] = mapped_column(String(16))
    chat_id: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[int | None] = mapped_column(
        IdType, ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    payload: Mapped[dict[str, Any]] = mapped_column(JsonType)
    due_at: Mapped[datetime] = mapped_column(UtcDateTime())
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    claimed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    # When the row was marked sending, just before the platform call (bot/db/outbox.py).
    attempted_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # The platform's ids of the messages sent, comma-separated (Telegram message_id, Zalo's).
    platform_message_id: Mapped[str | None] = mapped_column(Text)


# Capability tables register on Base.metadata by being imported (kept last: they import Base).
# Channel tables live in their channel's package; importing bot.channels.registry registers
# them (the Alembic environment and the tests do).
from bot.db import (  # noqa: E402, F401
    models_faq,
    models_followup,
    models_inbox,
    models_intake,
    models_officer,
    models_pacing,
    models_reminders,
)
