"""Tables of the officers' workspace: hand-off tickets and their messages, web sign-in codes,
web sessions and the audit log of officer actions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.models import Base, IdType
from bot.db.types import JsonType, UtcDateTime


class OfficerTicket(Base):
    """One "Hỏi cán bộ" question: new → in_progress → answered → closed."""

    __tablename__ = "officer_tickets"

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    owner_target: Mapped[str] = mapped_column(String(100))
    owner_name: Mapped[str | None] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(16), index=True)
    question: Mapped[str] = mapped_column(Text)
    context: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class OfficerTicketMessage(Base):
    """A message of a ticket's conversation: the owner's, or an officer's answer."""

    __tablename__ = "officer_ticket_messages"

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    ticket_id: Mapped[int] = mapped_column(
        IdType, ForeignKey("officer_tickets.id", ondelete="CASCADE"), index=True
    )
    author: Mapped[str] = mapped_column(String(100))  # "owner" or "officer:channel:id"
    text: Mapped[str] = mapped_column(Text)
    attachment: Mapped[dict[str, Any] | None] = mapped_column(JsonType)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class OfficerLoginCode(Base):
    """A one-time web sign-in code sent to an officer's chat; only its SHA-256 is kept."""

    __tablename__ = "officer_login_codes"

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    officer_id: Mapped[str] = mapped_column(String(100), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class OfficerSession(Base):
    """A signed-in browser; the cookie carries the token, the row its SHA-256."""

    __tablename__ = "officer_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    officer_id: Mapped[str] = mapped_column(String(100), index=True)
    csrf: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class OfficerAudit(Base):
    """Every officer action (chat or web): who, what, on which object, when."""

    __tablename__ = "officer_audit"

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    officer_id: Mapped[str] = mapped_column(String(100), index=True)
    action: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(String(100))
    detail: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)


class OfficerExample(Base):
    """A question an officer assigned to a topic on the web page; merged into the topic's
    example phrasings when the answer model is built (bot/officer_web/examples.py)."""

    __tablename__ = "officer_examples"

    id: Mapped[int] = mapped_column(IdType, primary_key=True, autoincrement=True)
    topic: Mapped[str] = mapped_column(String(64), index=True)
    text: Mapped[str] = mapped_column(String(300))
    officer_id: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
