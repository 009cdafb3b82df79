"""Durable intake: a channel stores each update before acknowledging it; a worker handles it.

A webhook (or the Telegram polling loop) calls `InboxWorker.store` and answers the platform
only once the row is committed; while the database is unreachable `store` raises
DatabaseUnavailable and the webhook answers 503, so the platform delivers again later.
The worker claims rows (bot/db/inbox.py: oldest first, one chat at a time, leased), gives
each to the channel's `process` as an `InboxItem`, and finishes it. The channel translates
the stored update with its usual code and calls `item.dispatch(handle, message)`: the core's
replies are stored in the handling's own transaction (bot/dispatcher.py `journal`), so a
crash after it resends only the replies not yet sent and never handles the message twice.

A failure because the database was unreachable is retried with backoff (the claim is kept
and renewed); a bug fails the row (its error class kept) after the polite error reply.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.db import inbox as rows
from bot.db.engine import Database
from bot.db.errors import DatabaseUnavailable, is_unavailable
from handlers.messages import IncomingMessage, Reply
from handlers.ports import Clock

log = logging.getLogger(__name__)

# Rows handled at once per channel: a few times the database pool (as CONCURRENT_MESSAGES was).
CONCURRENCY = 64
LEASE_SECONDS = 30.0
# Rows of other replicas, retries and lease expiries are noticed by polling this often; rows
# stored by this process wake the worker at once.
POLL_SECONDS = 1.0
# A store must commit in this time or the platform gets 503 (it delivers again).
STORE_TIMEOUT = 5.0
# Backoff while the database is unreachable: doubling from the first to the last, then steady.
BACKOFF_FIRST = 0.25
BACKOFF_MAX = 5.0

Process = Callable[["InboxItem"], Awaitable[None]]


async def _unavailable_as(action: Awaitable[Any]) -> Any:
    """Await `action`; an unreachable database (or STORE_TIMEOUT) becomes DatabaseUnavailable."""
    try:
        async with asyncio.timeout(STORE_TIMEOUT):
            return await action
    except DatabaseUnavailable:
        raise
    except Exception as exc:
        if is_unavailable(exc):
            raise DatabaseUnavailable(type(exc).__name__) from exc
        raise


class InboxItem:
    """One claimed row in a worker's hands: the stored update, and its replies once handled.

    Also the dispatcher's `journal` (bot/dispatcher.py): `handled` runs inside the handling's
    transaction, `failed` after a handler bug.
    """

    def __init__(self, worker: InboxWorker, claimed: rows.Claimed) -> None:
        self._worker = worker
        self.id = claimed.id
        self.channel = claimed.channel
        self.key = claimed.update_key
        self.chat_key = claimed.chat_key
        self.payload = claimed.payload
        self.received_at = claimed.received_at
        self.token = claimed.claim_token
        self.replies: list[Reply] | None = None
        self.error: str | None = None
        self.sent = 0
        self.resumed = claimed.attempts > 1
        # The channel's own notes across retries in this process (never stored).
        self.memo: dict[str, Any] = {}
        self._refresh(claimed.status, claimed.replies, claimed.sent, None)

    def _refresh(
        self,
        status: str,
        replies: list[dict[str, Any]] | None,
        sent: int,
        error: str | None,
    ) -> None:
        if status == rows.InboxStatus.HANDLED and replies is not None:
            self.replies = [Reply.from_dict(r) for r in replies]
            self.error = error
            self.sent = max(self.sent, sent)  # what this process sent, though not recorded

    @property
    def handled(self) -> bool:
        """The core has handled the update (its replies are stored)."""
        return self.replies is not None

    def unsent(self) -> list[Reply]:
        return list((self.replies or [])[self.sent :])

    async def dispatch(
        self, handle: Callable[..., Awaitable[list[Reply]]], message: IncomingMessage
    ) -> list[Reply]:
        """Run `handle` (Dispatcher.handle) with this item as its journal; the replies to send."""
        replies: list[Reply] = await handle(message, journal=self)
        if self.replies is None:
            self.replies = list(replies)
        return replies

    def skip(self) -> None:
        """Nothing to handle (an update the bot ignores, or one handled by channel code)."""
        if self.replies is None:
            self.replies = []

    async def handled_in(self, session: AsyncSession, replies: Sequence[Reply]) -> None:
        """Inside the handling's transaction: store its replies (ClaimLost rolls it back)."""
        await rows.record_handled(session, self.id, self.token, [r.to_dict() for r in replies])

    async def failed(self, error: BaseException, replies: Sequence[Reply]) -> None:
        """After a handler bug: store the error reply and the error class; the row fails once
        it is sent."""
        name = type(error).__name__
        async with self._worker.db.transaction() as session:
            await rows.record_handled(
                session, self.id, self.token, [r.to_dict() for r in replies], error=name
            )
        self.replies, self.error = list(replies), name

    async def sent_one(self) -> None:
        """One more reply went out; recorded unless it was the last (finishing records that)."""
        self.sent += 1
        if self.replies is not None and self.sent < len(self.replies):
            async with self._worker.db.autocommit() as session:
                await rows.record_sent(session, self.id, self.token, self.sent)


class InboxWorker:
    """Stores `channel`'s updates and handles them with `process`, resuming unfinished rows
    (this process's or a dead one's) on `start`."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        channel: str,
        process: Process,
        *,
        concurrency: int = CONCURRENCY,
        lease_seconds: float = LEASE_SECONDS,
        poll_seconds: float = POLL_SECONDS,
    ) -> None:
        self.db, self.clock, self.channel, self._process = db, clock, channel, process
        self.concurrency = concurrency
        self.lease = timedelta(seconds=lease_seconds)
        self.poll_seconds = min(poll_seconds, lease_seconds / 3)
        self._items: dict[int, InboxItem] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._loop: asyncio.Task[None] | None = None
        self._closing = False

    @property
    def in_flight(self) -> int:
        """Rows being handled or sent right now."""
        return len(self._tasks)

    # --- intake ----------------------------------------------------------------------------
    async def store(self, key: str, chat_key: str, payload: dict[str, Any]) -> bool:
        """Commit one update; False when its key was stored before (a re-delivery).
        Raises DatabaseUnavailable when the database cannot take it (answer 503)."""
        return await self.store_many([(key, chat_key, payload)]) > 0

    async def store_many(self, updates: Sequence[tuple[str, str, dict[str, Any]]]) -> int:
        """Commit updates (key, chat key, payload) in one transaction; how many were new.
        Raises DatabaseUnavailable when the database cannot take them."""
        now = self.clock.now()
        values = [rows.new_row(self.channel, k, c, p, now) for k, c, p in updates]

        async def insert() -> int:
            # One statement, so one round trip on PostgreSQL: it commits on its own.
            async with self.db.autocommit() as session:
                return await rows.store(session, values)

        stored: int = await _unavailable_as(insert())
        self.notify()
        return stored

    # --- lifecycle -------------------------------------------------------------------------
    def notify(self) -> None:
        """Rows may be waiting: claim now (starts the worker on first use)."""
        if self._closing:
            return
        if self._loop is None:
            self._loop = asyncio.get_running_loop().create_task(self._run())
        self._idle.clear()
        self._wake.set()

    async def start(self) -> None:
        """Resume what earlier runs left unfinished and handle new rows from now on."""
        self.notify()

    async def drain(self, within: float | None = None) -> None:
        """Wait until every stored row of this channel is finished (or `within` seconds)."""
        async with asyncio.timeout(within):
            while True:
                self.notify()
                await self._idle.wait()
                async with self.db.transaction() as session:
                    if await rows.open_count(session, [self.channel]) == 0 and not self._tasks:
                        return
                await asyncio.sleep(0.05)

    async def stop(self, within: float = 10.0) -> None:
        """Stop claiming; let rows in hand finish for up to `within` seconds. What is left
        stays in the table for the next start (or another replica, after the lease)."""
        self._closing = True
        self._wake.set()
        if self._loop is not None:
            await asyncio.gather(self._loop, return_exceptions=True)
        if self._tasks:
            _, late = await asyncio.wait(list(self._tasks), timeout=within)
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)

    # --- the loop --------------------------------------------------------------------------
    async def _run(self) -> None:
        delay = BACKOFF_FIRST
        renew_at = asyncio.get_running_loop().time() + self.lease.total_seconds() / 3
        while not self._closing:
            self._wake.clear()
            free = self.concurrency - len(self._tasks)
            claimed: list[rows.Claimed] = []
            try:
                if asyncio.get_running_loop().time() >= renew_at:
                    await self._renew()
                    renew_at = asyncio.get_running_loop().time() + self.lease.total_seconds() / 3
                if free > 0:
                    claimed = await self._claim(free)
                delay = BACKOFF_FIRST
            except Exception as exc:  # noqa: BLE001 - the loop must outlive any one failure
                if is_unavailable(exc):
                    log.warning("inbox: database unreachable, retry in %.1f s", delay)
                else:
                    log.exception("inbox: claiming %s rows failed", self.channel)
                await self._sleep(delay)
                delay = min(delay * 2, BACKOFF_MAX)
                continue
            for row in claimed:
                self._take(row)
            if claimed and len(claimed) == free:
                continue  # maybe more waiting
            if not claimed and not self._tasks:
                self._idle.set()
            await self._sleep(self.poll_seconds)
        self._idle.set()

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), seconds)

    async def _claim(self, limit: int) -> list[rows.Claimed]:
        # A fresh token per claim: a row this process claimed before and whose lease ran out
        # (a long outage) is told apart from the new claim.
        token = uuid.uuid4().hex
        async with self.db.autocommit() as session:  # one statement
            return await rows.claim(
                session,
                channels=[self.channel],
                now=self.clock.now(),
                lease=self.lease,
                token=token,
                limit=limit,
                skip_locked=not self.db.is_sqlite,
            )

    async def _renew(self) -> None:
        if not self._items:
            return
        held = [(item.id, item.token) for item in self._items.values()]
        async with self.db.autocommit() as session:
            await rows.extend(session, held, self.clock.now() + self.lease)

    def _take(self, claimed: rows.Claimed) -> None:
        current = self._items.get(claimed.id)
        if current is not None:
            # Our own claim expired (the loop was held up) and we took the row again: the
            # task working on it carries on under the new token instead of a second task.
            current.token = claimed.claim_token
            return
        item = InboxItem(self, claimed)
        self._items[item.id] = item
        task = asyncio.get_running_loop().create_task(self._work(item))
        self._tasks.add(task)

        def done(finished: asyncio.Task[None]) -> None:
            self._tasks.discard(finished)
            self._items.pop(item.id, None)
            self.notify()  # the chat's next row may be claimable now

        task.add_done_callback(done)

    async def _work(self, item: InboxItem) -> None:
        delay = BACKOFF_FIRST
        while True:
            try:
                if item.resumed:
                    log.info("inbox: resuming a %s update", self.channel)
                await self._process(item)
                async with self.db.autocommit() as session:
                    await rows.finish(session, item.id, item.token, self.clock.now(), item.error)
                return
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - one row's failure never stops the worker
                if isinstance(exc, rows.ClaimLost) or isinstance(exc.__cause__, rows.ClaimLost):
                    with contextlib.suppress(Exception):
                        if await self._still_ours(item):
                            continue
                    log.info("inbox: a %s update was taken over by another pass", self.channel)
                    return
                if not is_unavailable(exc):
                    log.exception("inbox: a %s update failed", self.channel)
                    with contextlib.suppress(Exception):
                        async with self.db.transaction() as session:
                            await rows.finish(
                                session, item.id, item.token, self.clock.now(), type(exc).__name__
                            )
                    return
                log.warning(
                    "inbox: database unreachable while handling a %s update, retry in %.1f s",
                    self.channel,
                    delay,
                )
                await asyncio.sleep(delay)
                delay = min(delay * 2, BACKOFF_MAX)
                with contextlib.suppress(Exception):
                    if not await self._still_ours(item):
                        return

    async def _still_ours(self, item: InboxItem) -> bool:
        """Reload the row: whether we still hold it, taking in what a commit we did not see
        succeed (handled, replies recorded) left there."""
        async with self.db.transaction() as session:
            row = await rows.load(session, item.id)
        if row is None or row.claim_token != item.token or row.status not in rows.HELD:
            return False
        item._refresh(row.status, row.replies, row.sent, row.error)
        return True


if TYPE_CHECKING:
    # Checked by mypy against what the dispatcher records a handled message through.
    from bot.dispatcher import Journal

    def _conforms(item: InboxItem) -> None:
        _journal: Journal = item
