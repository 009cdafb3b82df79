"""Spacing of sends per channel, per chat and per group: one mechanism for replies and pushes.

Platform limits belong to the bot's account, not to a process (Telegram: 30 messages/s
overall, about 1/s per chat, 20/min per group; research/anchors.md §3.7). Each channel
declares its `Pace`; a `Pacer` makes sends wait for their turn:

- `MemoryPacer` paces one process (SQLite deployments run one). The overall limit is kept as
  "at most N sends started in any 1-second window", counted on the moments sends really
  start: a send delayed by a busy event loop still counts where it happened, so a late one
  never lets the next second hold N + 1.
- `PostgresPacer` paces every replica together: the schedule lives in `pace_slots` and one
  call of `pace_reserve` (migration 0018_pace_slots) reserves the next slot of the channel and
  the chat atomically on the database's clock (GCRA), so N replicas share one budget. A slot
  missed by more than one interval (a slow answer, a descheduled process) is given up for a
  new one, so late sends never bunch with the next ones. bench/broadcast.py --replicas 3
  (3,000 sends, fake API strict at 30/s): 28.8 msg/s together, no 429, none lost or twice.

`pacer_for` picks one from the database. A 429 pauses one chat (`pause`); a caller that must
not wait out a pause passes `max_wait` and gets `Paused` instead.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from bot.channels.base import Pace, RateLimited
from bot.keyed_lock import KeyedLock

if TYPE_CHECKING:
    from bot.db.engine import Database

log = logging.getLogger(__name__)

_WINDOW = 1.0
_MAX_LAG = 0.005
_MAX_KEYS = 10_000
# Rows of chats idle this long are deleted by `prune` (the channel's own row is kept).
_IDLE_SECONDS = 3600
# A shared slot missed by more than this share of the overall interval is given up (at most
# _RETAKES times a send): see PostgresPacer._reserve.
_LATE_SHARE = 1.0
_RETAKES = 2


class Paused(RateLimited):
    """The chat is paused by a 429 for longer than the caller's `max_wait` (seconds left in
    `retry_after`); nothing was reserved."""


class Pacer(Protocol):
    """Makes sends wait for their turn under a channel's `Pace`."""

    pace: Pace

    async def wait(self, chat_id: str | None, *, max_wait: float | None = None) -> float:
        """Return when a send to `chat_id` (None: a call to no chat, paced overall only) may
        start. Calls for one chat return in the order they were made.

        Returns the start time given to this send, in seconds on the pacer's clock (the
        event loop's for MemoryPacer, the database's epoch for PostgresPacer). Raises
        `Paused` when the chat is paused for more than `max_wait` seconds.
        """
        ...

    async def pause(self, chat_id: str, seconds: float) -> None:
        """Hold sends to `chat_id` for `seconds` (the platform answered 429 retry_after)."""
        ...

    async def paused_for(self, chat_id: str) -> float:
        """Seconds `chat_id` is still paused (0 when it may send)."""
        ...


@dataclass(slots=True)
class _Chat:
    tat: float = 0.0  # GCRA theoretical arrival time of the next send
    paused_until: float = 0.0

    def earliest(self, interval: float, burst: int) -> float:
        return max(self.tat - (burst - 1) * interval, self.paused_until)


class MemoryPacer:
    """Pacer for one process (see the module docstring)."""

    def __init__(self, pace: Pace) -> None:
        self.pace = pace
        self._starts: deque[float] = deque()
        self._chats: dict[str, _Chat] = {}
        self._order = KeyedLock()  # one chat's callers go in call order
        self._turn = asyncio.Lock()
        self._lag = 0.0

    async def wait(self, chat_id: str | None, *, max_wait: float | None = None) -> float:
        if chat_id is None:
            async with self._turn:
                return await self._overall_turn()
        async with self._order.hold(chat_id):
            return await self._wait_chat(chat_id, max_wait)

    async def _wait_chat(self, chat_id: str, max_wait: float | None) -> float:
        loop = asyncio.get_running_loop()
        interval, burst = self.pace.chat_pace(chat_id)
        while True:
            chat = self._chats.get(chat_id) or _Chat()
            now = loop.time()
            if max_wait is not None and chat.paused_until - now > max_wait:
                raise Paused(chat.paused_until - now)
            at = chat.earliest(interval, burst)
            if at > now:
                # Outside the overall turn: a paused or busy chat never holds up the others.
                await asyncio.sleep(at - now)
                continue
            async with self._turn:
                start = await self._overall_turn()
                chat = self._chats.get(chat_id) or _Chat()
                if chat.earliest(interval, burst) > start:
                    if self.pace.per_second:
                        self._starts.pop()  # paused meanwhile: this start is not used
                    continue
                chat.tat = max(chat.tat, start) + interval
                if interval or chat.paused_until:
                    self._remember(chat_id, chat, start)
                return start

    def _remember(self, chat_id: str, chat: _Chat, now: float) -> None:
        self._chats[chat_id] = chat
        if len(self._chats) > _MAX_KEYS:
            self._chats = {
                k: c for k, c in self._chats.items() if c.tat > now or c.paused_until > now
            }

    async def _overall_turn(self) -> float:
        """Wait (holding the turn) until the overall pace lets one send start; its start."""
        loop = asyncio.get_running_loop()
        limit = self.pace.per_second
        while True:
            now = loop.time()
            if not limit:
                return now
            while self._starts and self._starts[0] <= now - _WINDOW:
                self._starts.popleft()
            # The window is a hard bound: the N-th start before this one is 1 s old.
            full = len(self._starts) >= math.ceil(limit)
            hard = self._starts[0] + _WINDOW if full else now
            # Evenly spaced from the last real start: a burst would let a send delayed in
            # flight be overtaken, and the receiver would count N + 1. Wake-ups come late by a
            # steady ~1 ms; aiming that much early keeps the rate.
            soft = self._starts[-1] + _WINDOW / limit - self._lag if self._starts else now
            if hard <= now and soft <= now:
                self._starts.append(now)
                return now
            target = max(hard, soft)
            await asyncio.sleep(target - now)
            overshoot = min(max(loop.time() - target, 0.0), _MAX_LAG)
            self._lag = 0.9 * self._lag + 0.1 * overshoot

    async def pause(self, chat_id: str, seconds: float) -> None:
        now = asyncio.get_running_loop().time()
        chat = self._chats.get(chat_id) or _Chat()
        chat.paused_until = max(chat.paused_until, now + seconds)
        self._remember(chat_id, chat, now)

    async def paused_for(self, chat_id: str) -> float:
        chat = self._chats.get(chat_id)
        if chat is None:
            return 0.0
        return max(0.0, chat.paused_until - asyncio.get_running_loop().time())


_RESERVE = text(
    "SELECT slot, wait_seconds, paused_seconds"
    " FROM pace_reserve(:channel, :key, :every, :chat_every, :burst, :max_wait)"
)
_PAUSE = text(
    "INSERT INTO pace_slots (channel, key, tat, paused_until)"
    " VALUES (:channel, :key, clock_timestamp(),"
    " clock_timestamp() + make_interval(secs => :seconds))"
    " ON CONFLICT (channel, key) DO UPDATE SET paused_until ="
    " greatest(pace_slots.paused_until, EXCLUDED.paused_until)"
)
_PAUSED_FOR = text(
    "SELECT greatest(0, extract(epoch FROM paused_until - clock_timestamp()))"
    " FROM pace_slots WHERE channel = :channel AND key = :key"
)
_PRUNE = text(
    "DELETE FROM pace_slots WHERE key <> ''"
    " AND tat < clock_timestamp() - make_interval(secs => :idle)"
    " AND (paused_until IS NULL OR paused_until < clock_timestamp())"
)


class PostgresPacer:
    """Pacer shared by every process on one PostgreSQL database (see the module docstring).

    While the database cannot be reached it paces this process alone (a MemoryPacer) rather
    than stop sending: replies already stored must still go out.
    """

    def __init__(self, db: Database, channel: str, pace: Pace) -> None:
        self.db, self.channel, self.pace = db, channel, pace
        self._every = 1.0 / pace.per_second if pace.per_second else 0.0
        self._order = KeyedLock()  # one chat's callers go in call order
        self._fallback = MemoryPacer(pace)
        self._alone = False  # the database was unreachable at the last reservation

    async def wait(self, chat_id: str | None, *, max_wait: float | None = None) -> float:
        if chat_id is None:
            return await self._reserve(None, max_wait)
        async with self._order.hold(chat_id):
            return await self._reserve(chat_id, max_wait)

    async def _reserve(self, chat_id: str | None, max_wait: float | None) -> float:
        interval, burst = self.pace.chat_pace(chat_id or "")
        values = {
            "channel": self.channel,
            "key": chat_id,
            "every": self._every,
            "chat_every": interval,
            "burst": burst,
            "max_wait": max_wait,
        }
        loop = asyncio.get_running_loop()
        retakes = 0
        while True:
            asked = loop.time()
            try:
                async with self.db.autocommit() as session:
                    row = (await session.execute(_RESERVE, values)).one()
            except (SQLAlchemyError, OSError):
                if not self._alone:
                    log.warning("pacing in this process only: the database is unreachable")
                self._alone = True
                return await self._fallback.wait(chat_id, max_wait=max_wait)
            if self._alone:
                log.info("pacing shared again through the database")
                self._alone = False
            if row.slot is None:
                if row.wait_seconds is None:
                    raise Paused(row.paused_seconds)
                # The chat is not ready (its interval, a pause): wait, then ask again.
                await asyncio.sleep(row.wait_seconds)
                continue
            wait = max(float(row.wait_seconds), 0.0)
            if wait > 0:
                await asyncio.sleep(wait)
            # The slot lies at most this far behind us: a slow answer or a late wake-up (a
            # busy or descheduled process). Sent now, it would bunch with the next slots of
            # other replicas and the platform would count N + 1 in a second: take a new one.
            late = loop.time() - (asked + wait)
            if not self._every or late <= _LATE_SHARE * self._every or retakes == _RETAKES:
                return float(row.slot)
            retakes += 1
            log.debug("pace slot missed by %.3fs, taking another", late)

    async def pause(self, chat_id: str, seconds: float) -> None:
        await self._fallback.pause(chat_id, seconds)
        values = {"channel": self.channel, "key": chat_id, "seconds": seconds}
        try:
            async with self.db.autocommit() as session:
                await session.execute(_PAUSE, values)
        except (SQLAlchemyError, OSError):
            log.warning("a 429 pause kept in this process only: the database is unreachable")

    async def paused_for(self, chat_id: str) -> float:
        try:
            async with self.db.autocommit() as session:
                values = {"channel": self.channel, "key": chat_id}
                left = (await session.execute(_PAUSED_FOR, values)).scalar()
        except (SQLAlchemyError, OSError):
            return await self._fallback.paused_for(chat_id)
        return float(left or 0.0)


def pacer_for(db: Database, channel: str, pace: Pace) -> Pacer:
    """PostgresPacer on PostgreSQL (replicas share the limits), MemoryPacer on SQLite."""
    if db.is_sqlite:
        return MemoryPacer(pace)
    return PostgresPacer(db, channel, pace)


async def prune(db: Database) -> int:
    """Delete the schedule rows of chats idle for an hour (PostgreSQL); the number deleted."""
    if db.is_sqlite:
        return 0
    async with db.transaction() as session:
        result = await session.execute(_PRUNE, {"idle": _IDLE_SECONDS})
    return int(getattr(result, "rowcount", 0) or 0)
