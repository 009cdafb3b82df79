"""Tables of the follow-up after support: support records and their check-ins."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import BigInteger, Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.models import Base, IdType
from bot.db.types import JsonType, UtcDateTime


class SupportRecord(Base):
    """A dossier marked supported by an officer: approved support, own capital, completion.

    Province, support type, sector and the money stay when the owner erases their data
    (the submission goes, `submission_id`/`user_id` become NULL, the baseline is emptied).
    """

    __tablename__ = "support_records"

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    submission_id: Mapped[int | None] = mapped_column(
        IdType, ForeignKey("submissions.id", ondelete="SET NULL"), unique=True
    )
    user_id: Mapped[int | None] = mapped_column(
        IdType, ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    owner_target: Mapped[str | None] = mapped_column(String(100))
    province: Mapped[str | None] = mapped_column(String(40), index=True)
    support_type: Mapped[str] = mapped_column(String(40))
    sector: Mapped[str | None] = mapped_column(String(60))
    establishment: Mapped[str] = mapped_column(String(200))
    state_support: Mapped[int] = mapped_column(BigInteger)
    own_capital: Mapped[int] = mapped_column(BigInteger)
    completed_on: Mapped[date] = mapped_column(Date)
    baseline: Mapped[dict[str, Any]] = mapped_column(JsonType)
    refused_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    recorded_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class Checkin(Base):
    """One planned check-in; its message and single reminder are outbox rows (`*_key`)."""

    __tablename__ = "checkins"
    __table_args__ = (UniqueConstraint("support_id", "offset_months", name="uq_checkins_offset"),)

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    support_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("support_records.id", ondelete="CASCADE"), index=True
    )
    offset_months: Mapped[int] = mapped_column(Integer)
    due_at: Mapped[datetime] = mapped_column(UtcDateTime())
    outbox_key: Mapped[str | None] = mapped_column(String(200))
    reminder_key: Mapped[str | None] = mapped_column(String(200))
    answers: Mapped[dict[str, Any]] = mapped_column(JsonType)
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
