"""Zalo OA tables: the OA's token pair, and each Zalo user's reply window and numbered list."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.models import Base
from bot.db.types import JsonType, UtcDateTime


class ZaloToken(Base):
    """One row per app: refresh tokens are single-use, so the pair is stored together."""

    __tablename__ = "zalo_tokens"

    app_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    access_token: Mapped[str] = mapped_column(Text)
    refresh_token: Mapped[str] = mapped_column(Text)
    # None when the pair came from the environment and its lifetime is unknown.
    expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # Fingerprint of the BOT_ZALO_REFRESH_TOKEN that seeded the row: a new one means the
    # operator re-authorised the app, and the environment wins over the stored pair.
    seed_digest: Mapped[str] = mapped_column(String(64))
    # A refresh in progress somewhere: who holds it and until when (lease, not a lock).
    lease_owner: Mapped[str | None] = mapped_column(String(32))
    lease_until: Mapped[datetime | None] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class ZaloConversation(Base):
    """Per Zalo user: the free-reply window and the numbered buttons they may answer."""

    __tablename__ = "zalo_conversations"

    zalo_user_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_inbound_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    last_inbound_msg_id: Mapped[str | None] = mapped_column(String(128))
    replies_used: Mapped[int] = mapped_column(Integer, default=0)
    numbered_buttons: Mapped[list[dict[str, Any]] | None] = mapped_column(JsonType)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class ZaloSentRef(Base):
    """The first line(s) of a message the OA sent to an officer's Zalo chat, by Zalo's
    message id: Zalo's webhook names a quoted message only by its id, and a quote of a
    ticket's message (its "YC-n") is how an officer answers it (handlers/tickets.py).
    Officers' chats only; pruned after SENT_REF_DAYS days (bot/channels/zalo/quotes.py)."""

    __tablename__ = "zalo_sent_refs"

    message_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    zalo_user_id: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(String(300))
    sent_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
