"""The shared send schedule: one row per (channel, chat) and per channel (key ""), read and
moved by every replica through `pace_reserve` (bot/pacing.py, migration 0018_pace_slots)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.models import Base
from bot.db.types import UtcDateTime


class PaceSlot(Base):
    """GCRA state of one pacing key: `tat` is the theoretical arrival time of the next send
    (the send may start at `tat - (burst - 1) × interval`); `paused_until` is a 429's pause.
    Only used on PostgreSQL; on SQLite one process paces in memory."""

    __tablename__ = "pace_slots"

    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    key: Mapped[str] = mapped_column(String(64), primary_key=True)  # "" = the whole channel
    tat: Mapped[datetime] = mapped_column(UtcDateTime())
    paused_until: Mapped[datetime | None] = mapped_column(UtcDateTime())
