"""The inbox table's vocabulary and every change to its rows (one module owns them).

A row is one inbound update: `pending` (stored before the platform got its 200) → `claimed`
(a worker holds it until `claimed_until`, its lease) → `handled` (the core's replies stored in
the same transaction as the handling) → `done` once every reply went out, or `failed` (a bug:
the error class is kept). A claim whose lease ran out (its process died) is taken again by the
next pass: a `claimed` row is handled again (its handling never committed, or the dispatcher's
dedup answers it as seen), a `handled` row only sends the replies not yet sent.

Order: a row is claimable only when no earlier row of the same chat (`channel`, `chat_key`)
is unfinished, so one chat's updates are handled one at a time, in the order received, by
whichever process claims them. Claims are one conditional UPDATE; on PostgreSQL its subquery
takes FOR UPDATE SKIP LOCKED (as bot/db/outbox.py does), on SQLite the single writer
serialises them.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from types import SimpleNamespace
from typing import Any

from sqlalchemy import (
    BindParameter,
    Integer,
    and_,
    bindparam,
    delete,
    exists,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models_inbox import InboxRow
from bot.db.types import JsonType, UtcDateTime, table_of
from bot.db.upsert import insert_for

_inbox = table_of(InboxRow)
KEY_LENGTH = 128
CHAT_LENGTH = 64


class InboxStatus(StrEnum):
    PENDING = "pending"
    CLAIMED = "claimed"
    HANDLED = "handled"
    DONE = "done"
    FAILED = "failed"


# Not finished: a later row of the same chat waits for these.
OPEN = (InboxStatus.PENDING, InboxStatus.CLAIMED, InboxStatus.HANDLED)
HELD = (InboxStatus.CLAIMED, InboxStatus.HANDLED)


class ClaimLost(Exception):  # noqa: N818 - a state, not a programming error
    """The row is no longer ours (its lease ran out and another pass took it, or it moved on)."""


@dataclass(frozen=True, slots=True)
class Claimed:
    """A claimed row, as the worker sees it."""

    id: int
    channel: str
    update_key: str
    chat_key: str
    payload: dict[str, Any]
    status: str
    attempts: int
    claim_token: str
    replies: list[dict[str, Any]] | None
    sent: int
    received_at: datetime

    @classmethod
    def of(cls, row: Any) -> Claimed:
        return cls(
            id=row.id,
            channel=row.channel,
            update_key=row.update_key,
            chat_key=row.chat_key,
            payload=dict(row.payload or {}),
            status=str(row.status),
            attempts=row.attempts,
            claim_token=row.claim_token,
            replies=list(row.replies) if row.replies is not None else None,
            sent=row.sent,
            received_at=row.received_at,
        )


def _dialect(session: AsyncSession) -> str:
    return session.bind.dialect.name if session.bind else "sqlite"


def new_row(
    channel: str, update_key: str, chat_key: str, payload: dict[str, Any], now: datetime
) -> dict[str, Any]:
    """The values of a new pending row (keys cut to their columns)."""
    return {
        "channel": channel,
        "update_key": update_key[:KEY_LENGTH],
        "chat_key": chat_key[:CHAT_LENGTH],
        "payload": payload,
        "received_at": now,
        "status": InboxStatus.PENDING,
        "attempts": 0,
        "available_at": now,
        "sent": 0,
    }


async def store(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> int:
    """Insert rows from `new_row`, skipping (channel, update_key) already stored (a platform's
    re-delivery); how many were new."""
    if not rows:
        return 0
    stmt = _insert(_dialect(session))
    if len(rows) == 1:
        return len((await session.execute(stmt, rows[0])).all())
    return len((await session.execute(stmt, list(rows))).all())


@functools.cache
def _insert(dialect: str) -> Any:
    """INSERT … ON CONFLICT DO NOTHING RETURNING id, built once (the webhook's hot path)."""
    return insert_for(dialect, _inbox).on_conflict_do_nothing().returning(_inbox.c.id)


def _p(name: str, type_: Any = None) -> BindParameter[Any]:
    # Column names are reserved for insert/update parameters, hence the prefix.
    return bindparam(f"b_{name}", type_=type_)


@functools.cache
def _statements(skip_locked: bool) -> SimpleNamespace:
    """The worker's statements, built once with bound parameters: building SQLAlchemy
    constructs per row costs more CPU than running them (as bot/db/repositories.py notes)."""
    now = _p("now", UtcDateTime())
    earlier = _inbox.alias("earlier")
    blocked = exists(
        select(earlier.c.id).where(
            earlier.c.channel == _inbox.c.channel,
            earlier.c.chat_key == _inbox.c.chat_key,
            earlier.c.id < _inbox.c.id,
            earlier.c.status.in_(OPEN),
        )
    )
    claimable = and_(
        or_(
            and_(_inbox.c.status == InboxStatus.PENDING, _inbox.c.available_at <= now),
            and_(_inbox.c.status.in_(HELD), _inbox.c.claimed_until < now),
        ),
        ~blocked,
    )
    chosen = (
        select(_inbox.c.id)
        .where(_inbox.c.channel.in_(bindparam("b_channels", expanding=True)), claimable)
        .order_by(_inbox.c.id)
        .limit(_p("limit", Integer()))
    )
    if skip_locked:
        chosen = chosen.with_for_update(skip_locked=True, of=_inbox)
    # A CTE runs once (see bot/db/outbox.py claim: with SKIP LOCKED an IN-subquery could run
    # again per row and claim past the limit).
    picked = chosen.cte("chosen")
    claim = (
        update(_inbox)
        .where(_inbox.c.id.in_(select(picked.c.id)))
        .values(
            status=func.coalesce(
                func.nullif(_inbox.c.status, InboxStatus.PENDING.value), InboxStatus.CLAIMED.value
            ),
            claim_token=_p("token"),
            claimed_until=_p("until", UtcDateTime()),
            attempts=_inbox.c.attempts + 1,
        )
        .returning(*_inbox.c)
    )
    ours = and_(
        _inbox.c.id == _p("id"), _inbox.c.claim_token == _p("token"), _inbox.c.status.in_(HELD)
    )
    handled = (
        update(_inbox)
        .where(ours, _inbox.c.status == InboxStatus.CLAIMED)
        .values(
            status=InboxStatus.HANDLED,
            replies=_p("replies", JsonType),
            error=_p("error"),
            sent=0,
        )
        .returning(_inbox.c.id)
    )
    closed = {"finished_at": now, "claimed_until": None}
    done = (
        update(_inbox)
        .where(ours)
        # The payload held the user's text: emptied once it is handled and answered.
        .values(status=InboxStatus.DONE, payload=_p("empty", JsonType), replies=None, **closed)
        .returning(_inbox.c.id)
    )
    failed = (
        update(_inbox)
        .where(ours)
        .values(status=InboxStatus.FAILED, error=_p("error"), **closed)
        .returning(_inbox.c.id)
    )
    return SimpleNamespace(claim=claim, handled=handled, done=done, failed=failed)


def _args(**values: object) -> dict[str, object]:
    return {f"b_{name}": value for name, value in values.items()}


async def claim(
    session: AsyncSession,
    *,
    channels: Sequence[str],
    now: datetime,
    lease: timedelta,
    token: str,
    limit: int,
    skip_locked: bool,
) -> list[Claimed]:
    """Claim up to `limit` rows of `channels` until `now + lease`, oldest first, at most one
    per chat (the first unfinished one); returns them. A `handled` row stays handled.
    One statement: it may run in an autocommit session."""
    params = _args(channels=list(channels), now=now, until=now + lease, token=token, limit=limit)
    result = await session.execute(_statements(skip_locked).claim, params)
    return sorted((Claimed.of(row) for row in result.all()), key=lambda c: c.id)


def _ours(row_id: int, token: str) -> Any:
    return and_(_inbox.c.id == row_id, _inbox.c.claim_token == token, _inbox.c.status.in_(HELD))


async def extend(session: AsyncSession, held: Sequence[tuple[int, str]], until: datetime) -> int:
    """Renew the lease of rows still held with these (id, token) pairs; how many. Tokens are
    unique per claim, so matching ids and tokens separately picks exactly these rows."""
    if not held:
        return 0
    ids, tokens = sorted({i for i, _ in held}), sorted({t for _, t in held})
    result = await session.execute(
        update(_inbox)
        .where(_inbox.c.id.in_(ids), _inbox.c.claim_token.in_(tokens), _inbox.c.status.in_(HELD))
        .values(claimed_until=until)
        .returning(_inbox.c.id)
    )
    return len(result.all())


async def load(session: AsyncSession, row_id: int) -> Any:
    """The row as stored now (None when pruned)."""
    return (await session.execute(select(_inbox).where(_inbox.c.id == row_id))).first()


async def record_handled(
    session: AsyncSession,
    row_id: int,
    token: str,
    replies: Sequence[dict[str, Any]],
    error: str | None = None,
) -> None:
    """In the handling's own transaction: the replies to send (and the error class, if the
    handling failed). Raises ClaimLost when the row is not ours or was already handled (an
    earlier attempt's commit that we did not see succeed): the caller rolls back."""
    params = _args(id=row_id, token=token, replies=list(replies), error=error)
    result = await session.execute(_statements(False).handled, params)
    if result.first() is None:
        raise ClaimLost(row_id)


async def record_sent(session: AsyncSession, row_id: int, token: str, sent: int) -> None:
    """`sent` replies have gone out. Raises ClaimLost when the row is not ours."""
    result = await session.execute(
        update(_inbox)
        .where(_ours(row_id, token), _inbox.c.status == InboxStatus.HANDLED)
        .values(sent=sent)
        .returning(_inbox.c.id)
    )
    if result.first() is None:
        raise ClaimLost(row_id)


async def finish(
    session: AsyncSession, row_id: int, token: str, now: datetime, error: str | None = None
) -> None:
    """Done (its payload emptied: it held the user's text), or failed with `error` (the
    payload kept for the operator until pruned). Raises ClaimLost when the row is not ours."""
    sql = _statements(False)
    if error is None:
        stmt, params = sql.done, _args(id=row_id, token=token, now=now, empty={})
    else:
        stmt, params = sql.failed, _args(id=row_id, token=token, now=now, error=error[:64])
    if (await session.execute(stmt, params)).first() is None:
        raise ClaimLost(row_id)


async def erase_chat(session: AsyncSession, channel: str, chat_key: str) -> None:
    """Erasure (bot/db/erasure.py): the finished rows of this chat lose what the person wrote
    and what they were told (payload, replies); keys and times stay for deduplication."""
    await session.execute(
        update(_inbox)
        .where(
            _inbox.c.channel == channel,
            _inbox.c.chat_key == chat_key[:CHAT_LENGTH],
            _inbox.c.status.in_((InboxStatus.DONE, InboxStatus.FAILED)),
        )
        .values(payload={}, replies=None)
    )


async def open_count(session: AsyncSession, channels: Sequence[str]) -> int:
    """Rows of `channels` not finished yet (pending, claimed or handled)."""
    query = select(func.count()).where(
        _inbox.c.channel.in_(list(channels)), _inbox.c.status.in_(OPEN)
    )
    return int((await session.execute(query)).scalar_one())


async def open_summary(session: AsyncSession) -> tuple[int, Any]:
    """Unfinished rows of every channel: how many, and when the oldest was received (None
    when there are none; SQLite may give it back as text)."""
    query = select(func.count(), func.min(_inbox.c.received_at)).where(
        _inbox.c.status.in_(OPEN)
    )
    row = (await session.execute(query)).one()
    return int(row[0]), row[1]


# Platforms re-deliver within minutes or hours (Zalo retries for up to ~12 h): finished rows
# are kept this long for deduplication, then pruned by the hourly housekeeping.
RETENTION = timedelta(days=3)


async def prune(session: AsyncSession, now: datetime, retention: timedelta = RETENTION) -> int:
    """Delete rows finished (done or failed) before `now - retention`; how many."""
    result = await session.execute(
        delete(_inbox)
        .where(
            _inbox.c.status.in_((InboxStatus.DONE, InboxStatus.FAILED)),
            _inbox.c.finished_at < now - retention,
        )
        .returning(_inbox.c.id)
    )
    return len(result.all())
