"""The inbound inbox: every update a platform delivered, stored before it is acknowledged."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.models import Base, IdType
from bot.db.types import JsonType, UtcDateTime


class InboxRow(Base):
    """One inbound update (a Telegram update, a Zalo event); bot/db/inbox.py changes its rows.

    `update_key` is the platform's own id (Telegram `update_id`, Zalo `msg_id` or a hash of
    the signed body): a re-delivery of the same key is not stored twice. `chat_key` orders the
    rows of one chat: a chat's next row waits until the one before it is finished.
    """

    __tablename__ = "inbox"
    __table_args__ = (
        UniqueConstraint("channel", "update_key", name="uq_inbox_channel_update"),
        Index("ix_inbox_chat", "channel", "chat_key", "id"),
        Index("ix_inbox_status", "status", "available_at"),
    )

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    channel: Mapped[str] = mapped_column(String(16))
    update_key: Mapped[str] = mapped_column(String(128))
    chat_key: Mapped[str] = mapped_column(String(64))
    # The update as the platform sent it; emptied once the row is done (it holds user text).
    payload: Mapped[dict[str, Any]] = mapped_column(JsonType)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime())
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    available_at: Mapped[datetime] = mapped_column(UtcDateTime())
    claim_token: Mapped[str | None] = mapped_column(String(32))
    claimed_until: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # The class of the error that failed the row (never its text: it may quote user data).
    error: Mapped[str | None] = mapped_column(String(64))
    # The core's replies, stored in the same transaction as the handling; `sent` of them
    # have gone out (a restart sends the rest, never the handled message again).
    replies: Mapped[list[dict[str, Any]] | None] = mapped_column(JsonType)
    sent: Mapped[int] = mapped_column(Integer, default=0)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
