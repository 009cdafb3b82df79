"""Erasure of one person's data (/xoadulieu, Law 91/2025/QH15): every table, one transaction.

What goes, per table:
- submissions, submission_drafts, submission_events: deleted (DOCX paths returned, the caller
  deletes the files);
- outbox: every row addressed to the person (their user id or chat) or carrying their dossier
  (officer notices `sub:<id>:…`, forwarded attachments `intake:<uid>:att:…`): rows still to be
  sent are cancelled, and the text of every such row, sent or not, is blanked;
- deadlines: their personal deadlines and the milestones of their erased dossiers, with the
  done marks; submission_holders and deadline_done rows of the person; their reminder
  subscription (it carries their sector);
- abstained_questions: the wording they typed (the latest one of its group) is removed: the
  row goes when they were its only asker, else its text falls back to the shared normalised
  form;
- users: the display name; conversation_states: emptied by the handler (it owns the state);
- inbox: the updates they sent (their private chat's finished rows) lose text and replies.

What stays, and why (told to the owner, ui `intake.erased_kept`): the consent record (version,
given and withdrawn dates; it proves the data was processed with consent and that consent was
withdrawn), the platform account id without name (so the bot can still answer them and not
handle one message twice), and the delivery times of messages already sent (without text).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db import inbox as inbox_rows
from bot.db import tables
from bot.db.outbox import WAITING, OutboxStatus

# The text of an erased outbox row: nothing of the person, still a valid reply payload.
BLANK_PAYLOAD = {"text": "", "erased": True}


async def erase_person(session: AsyncSession, user_id: int, now: datetime) -> list[str]:
    """Erase everything of `user_id` listed in the module docstring; the DOCX paths to delete."""
    ids: list[int] = list(
        (
            await session.execute(
                select(tables.submissions.c.id).where(tables.submissions.c.user_id == user_id)
            )
        ).scalars()
    )
    paths: list[str] = list(
        (
            await session.execute(
                select(tables.drafts.c.path).where(tables.drafts.c.submission_id.in_(ids))
            )
        ).scalars()
    )
    await _erase_outbox(session, user_id, ids)
    await _erase_inbox(session, user_id)
    await _erase_deadlines(session, user_id, ids)
    if ids:
        await session.execute(delete(tables.drafts).where(tables.drafts.c.submission_id.in_(ids)))
        await session.execute(delete(tables.events).where(tables.events.c.submission_id.in_(ids)))
        await session.execute(delete(tables.submissions).where(tables.submissions.c.id.in_(ids)))
    await session.execute(
        delete(tables.subscriptions).where(tables.subscriptions.c.user_id == user_id)
    )
    await session.execute(
        delete(tables.abstained).where(
            tables.abstained.c.asked_by == user_id, tables.abstained.c.count <= 1
        )
    )
    await session.execute(
        update(tables.abstained)
        .where(tables.abstained.c.asked_by == user_id)
        .values(text=tables.abstained.c.key, asked_by=None)
    )
    await session.execute(
        update(tables.users).where(tables.users.c.id == user_id).values(display_name=None)
    )
    await session.execute(
        update(tables.consents)
        .where(tables.consents.c.user_id == user_id, tables.consents.c.withdrawn_at.is_(None))
        .values(withdrawn_at=now)
    )
    return paths


async def _erase_outbox(session: AsyncSession, user_id: int, submission_ids: list[int]) -> None:
    user = (
        await session.execute(
            select(tables.users.c.channel, tables.users.c.external_id).where(
                tables.users.c.id == user_id
            )
        )
    ).first()
    about = [
        tables.outbox.c.user_id == user_id,
        tables.outbox.c.dedupe_key.startswith(f"intake:{user_id}:"),
    ]
    if user is not None:
        about.append(
            (tables.outbox.c.channel == user.channel)
            & (tables.outbox.c.chat_id == user.external_id)
        )
    about += [
        tables.outbox.c.dedupe_key.startswith(f"sub:{i}:", autoescape=True) for i in submission_ids
    ]
    mine = or_(*about)
    await session.execute(
        update(tables.outbox)
        .where(mine, tables.outbox.c.status.in_(WAITING))
        .values(status=OutboxStatus.CANCELLED)
    )
    await session.execute(update(tables.outbox).where(mine).values(payload=BLANK_PAYLOAD))


async def _erase_inbox(session: AsyncSession, user_id: int) -> None:
    user = (
        await session.execute(
            select(tables.users.c.channel, tables.users.c.external_id).where(
                tables.users.c.id == user_id
            )
        )
    ).first()
    if user is not None:  # a private chat's key is the user's own id (Telegram, Zalo)
        await inbox_rows.erase_chat(session, user.channel, user.external_id)


async def _erase_deadlines(session: AsyncSession, user_id: int, submission_ids: list[int]) -> None:
    refs = [f"HS-{i}" for i in submission_ids]
    held = select(tables.holders.c.submission_ref).where(tables.holders.c.user_id == user_id)
    theirs = select(tables.deadlines.c.id).where(
        or_(
            (tables.deadlines.c.audience_kind == "user")
            & (tables.deadlines.c.audience_value == str(user_id)),
            (tables.deadlines.c.audience_kind == "submission")
            & (
                tables.deadlines.c.audience_value.in_(refs)
                | tables.deadlines.c.audience_value.in_(held)
            ),
        )
    )
    ids: list[int] = list((await session.execute(theirs)).scalars())
    await session.execute(
        delete(tables.done).where(
            or_(tables.done.c.user_id == user_id, tables.done.c.deadline_id.in_(ids))
        )
    )
    if ids:
        await session.execute(delete(tables.deadlines).where(tables.deadlines.c.id.in_(ids)))
    await session.execute(delete(tables.holders).where(tables.holders.c.user_id == user_id))
