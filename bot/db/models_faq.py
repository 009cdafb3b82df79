"""Questions the bot abstained on, counted per normalised form, for officers (/cauhoi)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.models import Base, IdType
from bot.db.types import UtcDateTime


class AbstainedQuestionRow(Base):
    __tablename__ = "abstained_questions"

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    # Folded, abbreviation-expanded syllables: "hạn nộp?" and "han nop" count together.
    key: Mapped[str] = mapped_column(String(300), unique=True)
    # The latest wording, lower-cased, with phone and ID numbers redacted.
    text: Mapped[str] = mapped_column(String(300))
    reason: Mapped[str] = mapped_column(String(16))
    count: Mapped[int] = mapped_column(Integer)
    first_seen_at: Mapped[datetime] = mapped_column(UtcDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    # users.id of whoever typed `text` (the latest wording), for erasure; no foreign key.
    asked_by: Mapped[int | None] = mapped_column(IdType)


class QuestionDayRow(Base):
    """Questions the FAQ answered and abstained on, counted per local day (Asia/Ho_Chi_Minh):
    the officers' "answered vs abstained" chart. Counts only, never the text."""

    __tablename__ = "question_days"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    answered: Mapped[int] = mapped_column(Integer, default=0)
    abstained: Mapped[int] = mapped_column(Integer, default=0)
