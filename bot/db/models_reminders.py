"""Tables of reminders: deadlines, subscriptions, submission holders, done marks, broadcasts."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.models import Base, IdType
from bot.db.types import JsonType, UtcDateTime


class Deadline(Base):
    """One deadline; `revision` grows on every edit so its outbox keys change with it."""

    __tablename__ = "deadlines"
    __table_args__ = (Index("ix_deadlines_due_on", "due_on"),)

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16))  # calendar | milestone | personal
    title: Mapped[str] = mapped_column(String(200))
    due_on: Mapped[date] = mapped_column(Date())  # local date (BOT_TIMEZONE)
    due_time: Mapped[str | None] = mapped_column(String(5))  # "HH:MM" local, None = all day
    description: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str | None] = mapped_column(String(200))
    audience_kind: Mapped[str] = mapped_column(String(16))  # all | sector | submission | user
    audience_value: Mapped[str | None] = mapped_column(String(64))
    offsets: Mapped[list[int]] = mapped_column(JsonType)
    created_by: Mapped[int | None] = mapped_column(
        IdType, ForeignKey("users.id", ondelete="SET NULL")
    )
    revision: Mapped[int] = mapped_column(Integer, default=1)
    materialized_revision: Mapped[int] = mapped_column(Integer, default=0)
    deleted_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class Subscription(Base):
    """Whether a user wants reminders; `materialized_at` < `changed_at` means catch up."""

    __tablename__ = "reminder_subscriptions"

    user_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    status: Mapped[str] = mapped_column(String(16))  # subscribed | unsubscribed
    sector: Mapped[str | None] = mapped_column(String(64))
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime())
    materialized_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class SubmissionHolder(Base):
    """The owners of a submission (the intake capability's project), for its milestones."""

    __tablename__ = "submission_holders"

    submission_ref: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )


class DeadlineDone(Base):
    __tablename__ = "deadline_done"

    deadline_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("deadlines.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    done_at: Mapped[datetime] = mapped_column(UtcDateTime())


class Broadcast(Base):
    """An officer's message to an audience; its deliveries are outbox rows `bc:<id>:<user>`."""

    __tablename__ = "broadcasts"

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    text: Mapped[str] = mapped_column(Text)
    audience_kind: Mapped[str] = mapped_column(String(16))
    audience_value: Mapped[str | None] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JsonType)
    recipients: Mapped[int] = mapped_column(Integer)
    created_by: Mapped[int | None] = mapped_column(
        IdType, ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
