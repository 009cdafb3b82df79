"""Zalo per-user rows: the free-reply window, numbered-button memory, and unfollows.

Zalo lets an OA answer a user for free with at most 8 messages within 48 hours of the user's
last message; the counter restarts whenever the user writes again (Zalo OA help centre).
Quota is reserved with one conditional UPDATE, so two instances never overspend it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, literal, select, update

from bot.channels.zalo.models import ZaloConversation
from bot.db import outbox as outbox_rows
from bot.db.engine import Database
from bot.db.models import OutboxMessage, ProcessedMessage, User
from bot.db.types import table_of
from bot.db.upsert import insert_for
from handlers.messages import Button
from knowledge.parsing.numbers import parse_number

CHANNEL = "zalo"
WINDOW = timedelta(hours=48)
FREE_REPLIES = 8

_conv = table_of(ZaloConversation)
_users = table_of(User)
_outbox = table_of(OutboxMessage)
_processed = table_of(ProcessedMessage)


@dataclass(frozen=True, slots=True)
class Inbound:
    numbered: list[dict[str, Any]] | None
    seen_before: bool


class SendPermit(enum.Enum):
    OK = "ok"
    UNFOLLOWED = "unfollowed"
    OUTSIDE_WINDOW = "outside_window"


def numbered_payload(buttons: list[dict[str, Any]] | None, text: str) -> str | None:
    """The payload of button N when `text` is just N and a numbered list is remembered."""
    number = None if text.strip().startswith("#") else parse_number(text, max_value=99)
    if not buttons or number is None:
        return None
    index = number - 1
    return str(buttons[index]["payload"]) if 0 <= index < len(buttons) else None


class ZaloConversations:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def record_inbound(
        self, zalo_user_id: str, at: datetime, msg_id: str | None, now: datetime
    ) -> Inbound:
        """The user wrote at `at`: the window restarts (a late re-delivery never rewinds it).

        Returns, and forgets, the numbered list of the previous reply: a digit answers only the
        list the bot showed just before, never one from earlier in the conversation. Pushes
        the window held back are due again (the outbox still drops those past expiry).
        """
        async with self.db.transaction() as session:
            if (
                msg_id is not None
                and (
                    await session.execute(
                        select(_processed.c.message_id).where(
                            _processed.c.channel == CHANNEL, _processed.c.message_id == msg_id
                        )
                    )
                ).first()
            ):
                # A re-delivery: it must not reset the window nor use up the numbered list.
                return Inbound(numbered=None, seen_before=True)
            await session.execute(
                insert_for(self.db.dialect, _conv)
                .values(zalo_user_id=zalo_user_id, replies_used=0, updated_at=now)
                .on_conflict_do_nothing()
            )
            numbered = (
                await session.execute(
                    select(_conv.c.numbered_buttons).where(_conv.c.zalo_user_id == zalo_user_id)
                )
            ).scalar_one_or_none()
            newer = _conv.c.last_inbound_at.is_(None) | (_conv.c.last_inbound_at <= at)
            await session.execute(
                update(_conv)
                .where(_conv.c.zalo_user_id == zalo_user_id)
                .values(
                    numbered_buttons=None,
                    last_inbound_at=case(
                        (newer, literal(at, _conv.c.last_inbound_at.type)),
                        else_=_conv.c.last_inbound_at,
                    ),
                    last_inbound_msg_id=case(
                        (newer, literal(msg_id, _conv.c.last_inbound_msg_id.type)),
                        else_=_conv.c.last_inbound_msg_id,
                    ),
                    replies_used=case((newer, 0), else_=_conv.c.replies_used),
                    updated_at=now,
                )
            )
            await outbox_rows.release_held(session, CHANNEL, zalo_user_id, now)
        return Inbound(numbered=numbered, seen_before=False)

    async def prepare_send(
        self,
        zalo_user_id: str,
        count: int,
        numbered: tuple[Button, ...] | None,
        now: datetime,
    ) -> SendPermit:
        """In one transaction: refuse unfollowed users, take `count` free replies from the
        window, and remember the numbered list the reply carries."""
        async with self.db.transaction() as session:
            unfollowed = (
                await session.execute(
                    select(_users.c.unreachable_at).where(
                        _users.c.channel == CHANNEL, _users.c.external_id == zalo_user_id
                    )
                )
            ).scalar_one_or_none()
            if unfollowed is not None:
                return SendPermit.UNFOLLOWED
            changes: dict[str, object] = {"updated_at": now}
            if numbered:
                changes["numbered_buttons"] = [
                    {"label": b.label, "payload": b.payload} for b in numbered
                ]
            taken = (
                await session.execute(
                    update(_conv)
                    .where(
                        _conv.c.zalo_user_id == zalo_user_id,
                        _conv.c.last_inbound_at > now - WINDOW,
                        _conv.c.replies_used + count <= FREE_REPLIES,
                    )
                    .values(replies_used=_conv.c.replies_used + count, **changes)
                    .returning(_conv.c.zalo_user_id)
                )
            ).first()
        return SendPermit.OK if taken is not None else SendPermit.OUTSIDE_WINDOW

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
