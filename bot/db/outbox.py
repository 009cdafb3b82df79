"""The outbox table's vocabulary and every change to its rows (one module owns them).

A row is one delivery: `pending` → `claimed` (taken by a dispatch pass) → `sending` (its own
committed write just before the platform call, at `attempted_at`) → `sent` (with the
platform's message ids), or
`pending` again (retry with backoff, rate limit), `failed` (attempts spent), `unreachable`
(the user blocked/left), `expired` (its day went by), `held` (Zalo's 48-hour window; released
to `pending` when the user writes), `muted` (reminders/broadcasts of an unsubscribed user;
back to `pending` on subscribe), `cancelled` (deadline edited/deleted/done), `uncertain` (a
broadcast row left `sending` past the lease by a crash or an outage: it may have gone out, so
it is never sent again, issue 17).
A stale `claimed` row was never sent and is simply claimed again; a stale `sending` row of any
other kind goes back to `pending` (at-least-once: a reminder twice beats a reminder lost).
The stored strings are the enum values (no schema change from the plain strings before).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import OutboxMessage, User
from bot.db.types import table_of
from bot.db.upsert import insert_for
from handlers.messages import Reply, Target

_outbox = table_of(OutboxMessage)
_users = table_of(User)


class OutboxStatus(StrEnum):
    PENDING = "pending"
    CLAIMED = "claimed"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    UNREACHABLE = "unreachable"
    EXPIRED = "expired"
    HELD = "held"
    MUTED = "muted"
    CANCELLED = "cancelled"
    UNCERTAIN = "uncertain"


# Still to be delivered: queued, claimed or being sent, muted by an unsubscribe, held by
# Zalo's window.
WAITING = (
    OutboxStatus.PENDING,
    OutboxStatus.CLAIMED,
    OutboxStatus.SENDING,
    OutboxStatus.MUTED,
    OutboxStatus.HELD,
)
# Not yet handed to the platform: a claimed row is only sent after it is marked sending,
# which fails once the row was cancelled, muted or deleted.
UNSENT = (OutboxStatus.PENDING, OutboxStatus.CLAIMED)
# What a user can still stop receiving; muted rows come back when they subscribe again.
LIVE = (*UNSENT, OutboxStatus.MUTED)
# Kinds an unsubscribe mutes; also the default kinds quiet hours hold (the policy,
# knowledge/reminders/policy.yaml `quiet_kinds`, decides those in the service).
QUIET_KINDS = frozenset({"reminder", "broadcast"})


def new_row(
    *,
    key: str,
    kind: str,
    target: Target,
    reply: Reply,
    due_at: datetime,
    now: datetime,
    user_id: int | None = None,
    expires_at: datetime | None = None,
) -> dict[str, Any]:
    """The values of a new pending row; `expires_at` (reminders) is kept in the payload."""
    payload = reply.to_dict()
    if expires_at is not None:
        payload |= {"expires_at": expires_at.isoformat()}
    return {
        "dedupe_key": key[:200],
        "kind": kind,
        "channel": target.channel,
        "chat_id": target.chat_id,
        "user_id": user_id,
        "payload": payload,
        "due_at": due_at,
        "status": OutboxStatus.PENDING,
        "attempts": 0,
        "created_at": now,
    }


def _dialect(session: AsyncSession) -> str:
    return session.bind.dialect.name if session.bind else "sqlite"


async def enqueue(session: AsyncSession, row: dict[str, Any]) -> bool:
    """Insert one row from `new_row`; False when its dedupe key is already queued."""
    stmt = insert_for(_dialect(session), _outbox).values(**row).on_conflict_do_nothing()
    return (await session.execute(stmt.returning(_outbox.c.id))).first() is not None


async def enqueue_many(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> int:
    """Insert rows from `new_row`, skipping dedupe keys already queued; how many were new."""
    if not rows:
        return 0
    stmt = insert_for(_dialect(session), _outbox).on_conflict_do_nothing()
    return len((await session.execute(stmt.returning(_outbox.c.id), list(rows))).all())


async def set_muted(session: AsyncSession, user_id: int, muted: bool) -> None:
    """Mute a user's pending reminders and broadcasts, or bring muted ones back."""
    old: tuple[OutboxStatus, ...] = UNSENT if muted else (OutboxStatus.MUTED,)
    new = OutboxStatus.MUTED if muted else OutboxStatus.PENDING
    await session.execute(
        update(_outbox)
        .where(
            _outbox.c.user_id == user_id,
            _outbox.c.kind.in_(QUIET_KINDS),
            _outbox.c.status.in_(old),
        )
        .values(status=new)
    )


async def cancel_by_key_prefix(
    session: AsyncSession, prefix: str, user_id: int | None = None
) -> None:
    """Cancel the live rows whose dedupe key starts with `prefix` (of one user, if given)."""
    stmt = update(_outbox).where(
        _outbox.c.dedupe_key.startswith(prefix, autoescape=True), _outbox.c.status.in_(LIVE)
    )
    if user_id is not None:
        stmt = stmt.where(_outbox.c.user_id == user_id)
    await session.execute(stmt.values(status=OutboxStatus.CANCELLED))


async def delete_pending_by_key_prefix(session: AsyncSession, prefix: str) -> None:
    """Forget undelivered rows (personal data erased: their text carries it)."""
    await session.execute(
        delete(_outbox).where(
            _outbox.c.dedupe_key.startswith(prefix, autoescape=True),
            _outbox.c.status.in_(UNSENT),
        )
    )


async def delete_unsent(session: AsyncSession, keys: Sequence[str]) -> int:
    """Forget the rows with these dedupe keys that have not gone out (pending, claimed or
    held); returns how many (check-ins refused or erased)."""
    if not keys:
        return 0
    result = await session.execute(
        delete(_outbox).where(
            _outbox.c.dedupe_key.in_(list(keys)),
            _outbox.c.status.in_((*UNSENT, OutboxStatus.HELD)),
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def release_held(session: AsyncSession, channel: str, chat_id: str, now: datetime) -> None:
    """The user wrote again: their held rows go out now."""
    await session.execute(
        update(_outbox)
        .where(
            _outbox.c.channel == channel,
            _outbox.c.chat_id == chat_id,
            _outbox.c.status == OutboxStatus.HELD,
        )
        .values(status=OutboxStatus.PENDING, due_at=now, last_error=None)
    )


def held_rows(channel: str) -> Any:
    """A select of held rows per chat: chat_id, display name, row count, earliest due."""
    return (
        select(
            _outbox.c.chat_id,
            func.max(_users.c.display_name),
            func.count(),
            func.min(_outbox.c.due_at),
        )
        .select_from(_outbox.outerjoin(_users, _users.c.id == _outbox.c.user_id))
        .where(_outbox.c.channel == channel, _outbox.c.status == OutboxStatus.HELD)
        .group_by(_outbox.c.chat_id)
        .order_by(func.min(_outbox.c.due_at))
    )


async def count_by_status(session: AsyncSession, key_prefix: str) -> dict[str, int]:
    rows = await session.execute(
        select(_outbox.c.status, func.count())
        .where(_outbox.c.dedupe_key.startswith(key_prefix, autoescape=True))
        .group_by(_outbox.c.status)
    )
    return {str(row[0]): int(row[1]) for row in rows.all()}


async def pending_by_channel(
    session: AsyncSession, except_channels: Iterable[str] = ()
) -> list[tuple[str, int]]:
    """Pending (or claimed) rows per channel, leaving out `except_channels`."""
    stmt = (
        select(_outbox.c.channel, func.count())
        .where(
            _outbox.c.status.in_(UNSENT),
            _outbox.c.channel.not_in(list(except_channels)),
        )
        .group_by(_outbox.c.channel)
    )
    return [(str(row[0]), int(row[1])) for row in (await session.execute(stmt)).all()]


async def due_pending(session: AsyncSession, now: datetime) -> tuple[Any, int]:
    """The earliest due time of pending (or claimed) rows due by `now` (None if none) and
    their count."""
    row = (
        await session.execute(
            select(func.min(_outbox.c.due_at), func.count()).where(
                _outbox.c.status.in_(UNSENT), _outbox.c.due_at <= now
            )
        )
    ).one()
    return row[0], row[1]


# --- what a dispatch pass does (bot/outbox.py) ---------------------------------------------


def _due(now: datetime, stale_before: datetime, held_kinds: frozenset[str]) -> Any:
    condition = and_(
        _outbox.c.due_at <= now,
        or_(
            _outbox.c.status == OutboxStatus.PENDING,
            and_(_outbox.c.status == OutboxStatus.CLAIMED, _outbox.c.claimed_at < stale_before),
        ),
    )
    return and_(condition, _outbox.c.kind.not_in(held_kinds)) if held_kinds else condition


async def claim(
    session: AsyncSession,
    *,
    now: datetime,
    channels: Sequence[str],
    quiet_kinds: frozenset[str],
    stale_before: datetime,
    limit: int,
    skip_locked: bool,
) -> list[Any]:
    """Mark up to `limit` due rows of `channels` as claimed (at `now`); returns them. A row
    claimed before `stale_before` (its claimer died before sending it) is claimed again.
    Rows of `quiet_kinds` (non-empty during quiet hours) wait.

    One conditional UPDATE; with `skip_locked` (PostgreSQL) its subquery takes
    FOR UPDATE SKIP LOCKED, so concurrent passes never claim the same row.
    """
    due = (
        select(_outbox.c.id)
        .where(_outbox.c.channel.in_(list(channels)), _due(now, stale_before, quiet_kinds))
        .order_by(_outbox.c.due_at, _outbox.c.id)
        .limit(limit)
    )
    if skip_locked:
        due = due.with_for_update(skip_locked=True)
    # A CTE runs once; as an IN-subquery PostgreSQL may re-run it per row, and with
    # SKIP LOCKED each run returns further rows, so LIMIT would not bound the claim.
    chosen = due.cte("chosen")
    result = await session.execute(
        update(_outbox)
        .where(_outbox.c.id.in_(select(chosen.c.id)), _due(now, stale_before, quiet_kinds))
        .values(status=OutboxStatus.CLAIMED, claimed_at=now)
        .returning(*_outbox.c)
    )
    return sorted(result.all(), key=lambda r: (r.due_at, r.id))


async def mark_sending(session: AsyncSession, row: Any, now: datetime) -> bool:
    """Our claimed row is about to go to the platform: status sending, attempted at `now`.
    False when the claim no longer holds (cancelled, muted, erased or reclaimed meanwhile):
    then it must not be sent. Commit this before the platform call (issue 17)."""
    ours = or_(
        _outbox.c.status == OutboxStatus.CLAIMED,
        and_(_outbox.c.status == OutboxStatus.SENDING, _outbox.c.attempted_at == now),
    )  # the second: a retry after a commit whose answer the connection lost
    result = await session.execute(
        update(_outbox)
        .where(_outbox.c.id == row.id, ours, _outbox.c.claimed_at == row.claimed_at)
        .values(status=OutboxStatus.SENDING, attempted_at=now)
    )
    return int(getattr(result, "rowcount", 0) or 0) == 1


def broadcast_prefix(broadcast_id: int) -> str:
    """The start of every dedupe key of one broadcast's rows: `bc:<broadcast>:` (the rows are
    keyed `bc:<broadcast>:<user>` by bot/db/broadcasts.py; `count_by_status` takes it)."""
    return f"bc:{broadcast_id}:"


def broadcast_id_of(dedupe_key: str) -> int | None:
    """The broadcast of a row keyed `bc:<broadcast>:<user>` (`broadcast_prefix`)."""
    kind, _, rest = dedupe_key.partition(":")
    number = rest.partition(":")[0]
    return int(number) if kind == "bc" and number.isdigit() else None


@dataclass
class Settled:
    """What `settle_stale_sending` did: broadcast rows made uncertain, counted per broadcast,
    and the ids of the other rows put back to pending (they will be sent again)."""

    uncertain: dict[int, list[int]] = field(default_factory=dict)
    requeued: list[int] = field(default_factory=list)


async def settle_stale_sending(
    session: AsyncSession, *, channels: Sequence[str], lease_before: datetime
) -> Settled:
    """Rows of `channels` marked sending before `lease_before` (their sender crashed or lost
    the database mid-send: they may or may not have reached the user). Broadcast rows become
    uncertain and are never sent again (a duplicate broadcast to thousands is worse than a
    gap the officers are told about); every other row goes back to pending (at-least-once).
    """
    stale = and_(
        _outbox.c.status == OutboxStatus.SENDING,
        _outbox.c.attempted_at < lease_before,
        _outbox.c.channel.in_(list(channels)),
    )
    settled = Settled()
    made_uncertain = await session.execute(
        update(_outbox)
        .where(stale, _outbox.c.kind == "broadcast")
        .values(status=OutboxStatus.UNCERTAIN, last_error="sending interrupted: not resent")
        .returning(_outbox.c.id, _outbox.c.dedupe_key)
    )
    for row in made_uncertain.all():
        broadcast = broadcast_id_of(str(row.dedupe_key))
        settled.uncertain.setdefault(broadcast or 0, []).append(int(row.id))
    requeued = await session.execute(
        update(_outbox)
        .where(stale, _outbox.c.kind != "broadcast")
        .values(status=OutboxStatus.PENDING, last_error="sending interrupted: sent again")
        .returning(_outbox.c.id)
    )
    settled.requeued = sorted(requeued.scalars())
    return settled


async def skip_unreachable(session: AsyncSession, now: datetime) -> list[int]:
    """Due pending rows of users already unreachable become unreachable; their ids."""
    gone = select(_users.c.id).where(_users.c.unreachable_at.is_not(None))
    result = await session.execute(
        update(_outbox)
        .where(
            _outbox.c.status == OutboxStatus.PENDING,
            _outbox.c.due_at <= now,
            _outbox.c.user_id.in_(gone),
        )
        .values(status=OutboxStatus.UNREACHABLE, last_error="recipient unreachable")
        .returning(_outbox.c.id)
    )
    return sorted(result.scalars())


async def count_deferred(
    session: AsyncSession, now: datetime, channels: Sequence[str], kinds: frozenset[str]
) -> int:
    """Due rows of `kinds` on `channels` still pending (waiting out quiet hours)."""
    query = select(func.count()).where(
        _outbox.c.status == OutboxStatus.PENDING,
        _outbox.c.due_at <= now,
        _outbox.c.kind.in_(kinds),
        _outbox.c.channel.in_(list(channels)),
    )
    return (await session.execute(query)).scalar_one()


async def record(
    session: AsyncSession,
    row: Any,
    status: OutboxStatus,
    *,
    mark_user_unreachable: datetime | None = None,
    **values: Any,
) -> bool:
    """Write a claimed (or sending) row's outcome, only if our claim still holds (nobody
    reclaimed a stale row); False if it did not. A `sent` outcome also replaces `uncertain`
    (a slow sender's row settled as uncertain meanwhile: now we know). An Unreachable
    outcome also marks the user."""
    ours = [OutboxStatus.CLAIMED, OutboxStatus.SENDING]
    if status == OutboxStatus.SENT:
        ours.append(OutboxStatus.UNCERTAIN)
    result = await session.execute(
        update(_outbox)
        .where(
            _outbox.c.id == row.id,
            _outbox.c.status.in_(ours),
            _outbox.c.claimed_at == row.claimed_at,
        )
        .values(status=status, **values)
    )
    if mark_user_unreachable is not None and row.user_id is not None:
        mark = update(_users).where(_users.c.id == row.user_id)
        await session.execute(mark.values(unreachable_at=mark_user_unreachable))
    return int(getattr(result, "rowcount", 0) or 0) == 1
