"""Telegram's own table: button payloads too long for its 64-byte callback data."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.models import Base
from bot.db.types import UtcDateTime


class TelegramCallback(Base):
    """A long payload under a short key; kept so a button still works after a restart."""

    __tablename__ = "telegram_callbacks"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    payload: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
