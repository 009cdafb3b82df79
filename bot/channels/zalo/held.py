"""Pushes to Zalo users that the free-reply window held back, reported to the officers.

A reminder to a Zalo user who has not written for 48 hours (or already had 8 replies) cannot
be sent for free; the outbox keeps it with status `held` (bot/db/outbox.py) and officers are
told whom to contact directly.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.channels.zalo.settings import CHANNEL
from bot.db import outbox as outbox_rows
from bot.db.engine import Database
from bot.db.repositories import OutboxRepository
from handlers.messages import Reply, Target
from knowledge.ui import UiTexts


@dataclass(frozen=True, slots=True)
class HeldRecipient:
    zalo_user_id: str
    display_name: str | None
    rows: int
    earliest_due: datetime


async def held_recipients(db: Database) -> list[HeldRecipient]:
    async with db.transaction() as session:
        rows = (await session.execute(outbox_rows.held_rows(CHANNEL))).all()
    return [HeldRecipient(str(r[0]), r[1], int(r[2]), _aware(r[3])) for r in rows]


def _aware(value: Any) -> datetime:
    # func.min bypasses the column type on SQLite, which then hands back a naive UTC value.
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    assert isinstance(moment, datetime)
    return moment if moment.tzinfo else moment.replace(tzinfo=ZoneInfo("UTC"))


def officer_notice(recipients: list[HeldRecipient], ui: UiTexts, tz: ZoneInfo) -> Reply | None:
    if not recipients:
        return None
    lines = [ui.text("zalo.held_title", count=sum(r.rows for r in recipients))]
    lines += [
        ui.text(
            "zalo.held_line",
            name=r.display_name or "Người dùng",
            user_id=r.zalo_user_id,
            rows=r.rows,
            due=r.earliest_due.astimezone(tz).strftime("%d/%m/%Y"),
        )
        for r in recipients
    ]
    lines.append(ui.text("zalo.held_footer"))
    return Reply("\n".join(lines))


async def enqueue_held_notice(
    db: Database, ui: UiTexts, officer_chat: Target, tz: ZoneInfo, now: datetime
) -> bool:
    """Queue today's notice to the officer chat (once a day); False if nothing to report."""
    notice = officer_notice(await held_recipients(db), ui, tz)
    if notice is None:
        return False
    async with db.transaction() as session:
        return await OutboxRepository(session, now).enqueue(
            key=f"zalo-held:{now.astimezone(tz).date().isoformat()}",
            target=officer_chat,
            reply=notice,
            due_at=now,
            kind="notice",
        )
