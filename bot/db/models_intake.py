"""Tables of the intake: consents, submissions, their draft versions and status history."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.models import Base, IdType
from bot.db.types import JsonType, UtcDateTime


class IntakeConsent(Base):
    """Consent to process personal data for the intake (Law 91/2025/QH15): when and which text."""

    __tablename__ = "intake_consents"

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    version: Mapped[str] = mapped_column(String(20))
    given_at: Mapped[datetime] = mapped_column(UtcDateTime())
    withdrawn_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class Submission(Base):
    __tablename__ = "submissions"

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    owner_target: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(16), index=True)
    establishment: Mapped[str] = mapped_column(String(200))
    answers: Mapped[dict[str, Any]] = mapped_column(JsonType)
    officer_note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class SubmissionDraft(Base):
    """Every generated DOCX, numbered per submission (a resubmission makes version 2…)."""

    __tablename__ = "submission_drafts"
    __table_args__ = (UniqueConstraint("submission_id", "version", name="uq_drafts_version"),)

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    submission_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("submissions.id", ondelete="CASCADE"), index=True
    )
    version: Mapped[int] = mapped_column(Integer)
    path: Mapped[str] = mapped_column(String(500))
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class SubmissionEvent(Base):
    """Who changed a submission's status, when, and with what note."""

    __tablename__ = "submission_events"

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    submission_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("submissions.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(String(100))
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
