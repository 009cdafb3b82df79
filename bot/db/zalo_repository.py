"""Zalo per-user rows: the free-reply window, numbered-button memory, and unfollows.

Zalo lets an OA answer a user for free with at most 8 messages within 48 hours of the user's
last message; the counter restarts whenever the user writes again (Zalo OA help centre).
Quota is reserved with one conditional UPDATE, so two instances never overspend it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from bot.db.engine import Database
from bot.db.models import User
from bot.db.models_zalo import ZaloConversation
from bot.db.upsert import insert_for
from handlers.messages import Button

CHANNEL = "zalo"
WINDOW = timedelta(hours=48)
FREE_REPLIES = 8

_conv = ZaloConversation.__table__
_users = User.__table__


class ZaloConversations:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def record_inbound(
        self, zalo_user_id: str, at: datetime, msg_id: str | None, now: datetime
    ) -> None:
        """The user wrote at `at`: the window restarts (a late re-delivery never rewinds it)."""
        async with self.db.transaction() as session:
            await session.execute(
                insert_for(self.db.dialect, _conv)
                .values(zalo_user_id=zalo_user_id, replies_used=0, updated_at=now)
                .on_conflict_do_nothing()
            )
            await session.execute(
                update(_conv)
                .where(
                    _conv.c.zalo_user_id == zalo_user_id,
                    (_conv.c.last_inbound_at.is_(None)) | (_conv.c.last_inbound_at < at),
                )
                .values(
                    last_inbound_at=at,
                    last_inbound_msg_id=msg_id,
                    replies_used=0,
                    updated_at=now,
                )
            )

    async def reserve(self, zalo_user_id: str, count: int, now: datetime) -> bool:
        """Take `count` free replies from the user's window; False when it cannot cover them."""
        async with self.db.transaction() as session:
            row = (
                await session.execute(
                    update(_conv)
                    .where(
                        _conv.c.zalo_user_id == zalo_user_id,
                        _conv.c.last_inbound_at > now - WINDOW,
                        _conv.c.replies_used + count <= FREE_REPLIES,
                    )
                    .values(replies_used=_conv.c.replies_used + count, updated_at=now)
                    .returning(_conv.c.zalo_user_id)
                )
            ).first()
        return row is not None

    async def release(self, zalo_user_id: str, count: int, now: datetime) -> None:
        """Give back replies that were reserved but not delivered."""
        async with self.db.transaction() as session:
            await session.execute(
                update(_conv)
                .where(_conv.c.zalo_user_id == zalo_user_id, _conv.c.replies_used >= count)
                .values(replies_used=_conv.c.replies_used - count, updated_at=now)
            )

    async def window(self, zalo_user_id: str) -> tuple[datetime | None, int]:
        """(last inbound time, replies used since) for reports and tests."""
        async with self.db.transaction() as session:
            row = (
                await session.execute(
                    select(_conv.c.last_inbound_at, _conv.c.replies_used).where(
                        _conv.c.zalo_user_id == zalo_user_id
                    )
                )
            ).first()
        return (row.last_inbound_at, row.replies_used) if row else (None, 0)

    async def remember_numbered(
        self, zalo_user_id: str, buttons: tuple[Button, ...] | None, now: datetime
    ) -> None:
        """The buttons a digit answers (None: the latest reply had no numbered list)."""
        value: list[dict[str, Any]] | None = (
            [{"label": b.label, "payload": b.payload} for b in buttons] if buttons else None
        )
        async with self.db.transaction() as session:
            stmt = insert_for(self.db.dialect, _conv).values(
                zalo_user_id=zalo_user_id, replies_used=0, numbered_buttons=value, updated_at=now
            )
            await session.execute(
                stmt.on_conflict_do_update(
                    index_elements=[_conv.c.zalo_user_id],
                    set_={"numbered_buttons": value, "updated_at": now},
                )
            )

    async def numbered_payload(self, zalo_user_id: str, text: str) -> str | None:
        """The payload of button N when `text` is just N and a numbered list is remembered."""
        stripped = text.strip()
        if not stripped.isdigit() or len(stripped) > 2:
            return None
        async with self.db.transaction() as session:
            buttons = (
                await session.execute(
                    select(_conv.c.numbered_buttons).where(_conv.c.zalo_user_id == zalo_user_id)
                )
            ).scalar_one_or_none()
        index = int(stripped) - 1
        if not buttons or not 0 <= index < len(buttons):
            return None
        return str(buttons[index]["payload"])

    async def mark_unfollowed(self, zalo_user_id: str, now: datetime) -> None:
        """The user left the OA: nothing more can reach them until they write again."""
        async with self.db.transaction() as session:
            await session.execute(
                update(_users)
                .where(_users.c.channel == CHANNEL, _users.c.external_id == zalo_user_id)
                .values(unreachable_at=now)
            )
            await session.execute(
                update(_conv)
                .where(_conv.c.zalo_user_id == zalo_user_id)
                .values(numbered_buttons=None, replies_used=FREE_REPLIES, updated_at=now)
            )

    async def is_unfollowed(self, zalo_user_id: str) -> bool:
        async with self.db.transaction() as session:
            at = (
                await session.execute(
                    select(_users.c.unreachable_at).where(
                        _users.c.channel == CHANNEL, _users.c.external_id == zalo_user_id
                    )
                )
            ).scalar_one_or_none()
        return at is not None
