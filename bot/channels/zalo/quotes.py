"""What a quote on Zalo refers to: the OA's messages to officers, by Zalo's message id.

Zalo's `user_send_text` event names a quoted message only by its id (`message.quote_msg_id`),
never by its text, while an officer answers a ticket by quoting its message (Telegram's reply
carries the quoted text itself). So when the OA sends to an officer's chat, the ticket
references in each message (handlers.tickets.ticket_refs_in: "YC-12", no one's words) are
kept by message id for SENT_REF_DAYS days, and an incoming quote gets them back as the
message's `reply_to_text`, which the core reads the same way on every channel.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select

from bot.channels.zalo.models import ZaloSentRef
from bot.db.engine import Database
from bot.db.types import table_of
from bot.db.upsert import insert_for
from handlers.tickets import ticket_refs_in

SENT_REF_DAYS = 30
_refs = table_of(ZaloSentRef)


class ZaloQuotes:
    def __init__(self, db: Database, officer_chats: frozenset[str]) -> None:
        """`officer_chats`: the Zalo user ids of officers (BOT_OFFICER_IDS, BOT_OFFICER_CHAT)."""
        self.db, self.officer_chats = db, officer_chats

    async def remember(
        self, zalo_user_id: str, message_id: str | None, text: str, now: datetime
    ) -> None:
        """Keep the ticket references of a message just sent to an officer (else nothing)."""
        if message_id is None or zalo_user_id not in self.officer_chats:
            return
        refs = ticket_refs_in(text)[:300]
        if not refs:
            return
        async with self.db.transaction() as session:
            await session.execute(
                insert_for(self.db.dialect, _refs)
                .values(message_id=message_id[:128], zalo_user_id=zalo_user_id, text=refs,
                        sent_at=now)
                .on_conflict_do_nothing()
            )  # fmt: skip

    async def quoted(self, zalo_user_id: str, message_id: str) -> str | None:
        """The references kept for the message this user quoted, if it was sent to them."""
        async with self.db.transaction() as session:
            return (
                await session.execute(
                    select(_refs.c.text).where(
                        _refs.c.message_id == message_id[:128],
                        _refs.c.zalo_user_id == zalo_user_id,
                    )
                )
            ).scalar_one_or_none()

    async def prune(self, now: datetime) -> None:
        async with self.db.transaction() as session:
            await session.execute(
                delete(_refs).where(_refs.c.sent_at < now - timedelta(days=SENT_REF_DAYS))
            )
