"""Who an audience is: the SQL selecting its recipients (user id, channel, chat id)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, func, literal, or_, select

from bot.db.models import User
from bot.db.models_reminders import DeadlineDone, SubmissionHolder, Subscription
from bot.db.types import table_of
from handlers.deadlines import Audience

_users = table_of(User)
_subs = table_of(Subscription)
_holders = table_of(SubmissionHolder)
_done = table_of(DeadlineDone)


def user_sector() -> ColumnElement[str | None]:
    """The sector the user told the bot, else the one recorded on their subscription."""
    return func.coalesce(_users.c.sector, _subs.c.sector)


def recipients(audience: Audience, *, deadline_id: int | None = None) -> Select[Any]:
    """Subscribers for everyone/sector audiences; for a submission or one user, anyone who has
    not switched reminders off (they asked for these reminders themselves)."""
    columns = (_users.c.id.label("user_id"), _users.c.channel, _users.c.external_id)
    if audience.kind in ("all", "sector"):
        query = (
            select(*columns)
            .join(_subs, _subs.c.user_id == _users.c.id)
            .where(_subs.c.status == "subscribed")
        )
        if audience.kind == "sector":
            query = query.where(user_sector() == audience.value)
    else:
        query = select(*columns).outerjoin(_subs, _subs.c.user_id == _users.c.id)
        query = query.where(or_(_subs.c.status.is_(None), _subs.c.status != "unsubscribed"))
        if audience.kind == "submission":
            query = query.join(_holders, _holders.c.user_id == _users.c.id).where(
                _holders.c.submission_ref == (audience.value or "")
            )
        elif audience.kind == "user" and (audience.value or "").isdigit():
            query = query.where(_users.c.id == int(audience.value or 0))
        else:
            query = query.where(literal(False))
    if deadline_id is not None:
        query = query.where(
            ~exists().where(
                and_(_done.c.deadline_id == deadline_id, _done.c.user_id == _users.c.id)
            )
        )
    return query.order_by(_users.c.id)


def includes_user(audience: Audience, user_id: int, deadline_id: int | None = None) -> Select[Any]:
    return recipients(audience, deadline_id=deadline_id).where(_users.c.id == user_id)
