"""Who an audience is: the SQL selecting its recipients (user id, channel, chat id)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, func, literal, or_, select

from bot.db import tables
from handlers.deadlines import Audience


def user_sector() -> ColumnElement[str | None]:
    """The sector the user told the bot, else the one recorded on their subscription."""
    return func.coalesce(tables.users.c.sector, tables.subscriptions.c.sector)


def recipients(audience: Audience, *, deadline_id: int | None = None) -> Select[Any]:
    """Subscribers for everyone/sector audiences; for a submission or one user, anyone who has
    not switched reminders off (they asked for these reminders themselves)."""
    columns = (
        tables.users.c.id.label("user_id"),
        tables.users.c.channel,
        tables.users.c.external_id,
    )
    if audience.kind in ("all", "sector"):
        query = (
            select(*columns)
            .join(tables.subscriptions, tables.subscriptions.c.user_id == tables.users.c.id)
            .where(tables.subscriptions.c.status == "subscribed")
        )
        if audience.kind == "sector":
            query = query.where(user_sector() == audience.value)
    else:
        query = select(*columns).outerjoin(
            tables.subscriptions, tables.subscriptions.c.user_id == tables.users.c.id
        )
        query = query.where(
            or_(
                tables.subscriptions.c.status.is_(None),
                tables.subscriptions.c.status != "unsubscribed",
            )
        )
        if audience.kind == "submission":
            query = query.join(
                tables.holders, tables.holders.c.user_id == tables.users.c.id
            ).where(tables.holders.c.submission_ref == (audience.value or ""))
        elif audience.kind == "user" and (audience.value or "").isdigit():
            query = query.where(tables.users.c.id == int(audience.value or 0))
        else:
            query = query.where(literal(False))
    if deadline_id is not None:
        query = query.where(
            ~exists().where(
                and_(
                    tables.done.c.deadline_id == deadline_id,
                    tables.done.c.user_id == tables.users.c.id,
                )
            )
        )
    return query.order_by(tables.users.c.id)


def includes_user(audience: Audience, user_id: int, deadline_id: int | None = None) -> Select[Any]:
    return recipients(audience, deadline_id=deadline_id).where(tables.users.c.id == user_id)
