"""Storage the Telegram channel needs: long-payload keys and users who blocked the bot."""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import select, update

from bot.channels.telegram.models import TelegramCallback
from bot.db.engine import Database
from bot.db.models import User
from bot.db.types import table_of
from bot.db.upsert import insert_for

_callbacks = table_of(TelegramCallback)
_users = table_of(User)
# Telegram's callback_data limit, in bytes of UTF-8.
CALLBACK_DATA_LIMIT = 64
# A mapped key starts with a character no capability name uses.
_MAPPED_PREFIX = "#"


class TelegramRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def callback_data(self, payload: str, now: datetime) -> str:
        """The payload itself when it fits in 64 bytes, else a stored short key for it."""
        if len(payload.encode()) <= CALLBACK_DATA_LIMIT and not payload.startswith(_MAPPED_PREFIX):
            return payload
        key = _MAPPED_PREFIX + hashlib.sha256(payload.encode()).hexdigest()[:40]
        async with self.db.transaction() as session:
            await session.execute(
                insert_for(self.db.dialect, _callbacks)
                .values(key=key, payload=payload, created_at=now)
                .on_conflict_do_nothing()
            )
        return key

    async def payload_of(self, data: str) -> str | None:
        """The payload a pressed button stands for; None when a mapped key is unknown."""
        if not data.startswith(_MAPPED_PREFIX):
            return data
        async with self.db.transaction() as session:
            return (
                await session.execute(select(_callbacks.c.payload).where(_callbacks.c.key == data))
            ).scalar_one_or_none()

    async def mark_unreachable(self, channel: str, external_id: str, now: datetime) -> None:
        """The user blocked the bot; the next message they send clears this (upsert_user)."""
        async with self.db.transaction() as session:
            await session.execute(
                update(_users)
                .where(_users.c.channel == channel, _users.c.external_id == external_id)
                .values(unreachable_at=now)
            )
