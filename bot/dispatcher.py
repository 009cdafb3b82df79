"""Runs the core for one incoming message inside one database transaction, per user in order."""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from bot.db import question_days
from bot.db.engine import Database
from bot.db.errors import DatabaseUnavailable, is_unavailable
from bot.db.inbox import ClaimLost
from bot.db.repositories import CoreRepository, SqlStore, StaleStateError
from bot.keyed_lock import KeyedLock
from handlers.context import Context, CoreConfig
from handlers.core import Core
from handlers.messages import IncomingMessage, Reply
from handlers.ports import Clock, UserRef
from knowledge import KnowledgeBase

log = logging.getLogger(__name__)

# Optimistic-lock conflicts only happen when two instances serve one user at the same moment;
# a short random pause lets the other instance finish before this one tries again.
_MAX_ATTEMPTS = 8
_CONFLICT_PAUSE = 0.01


def _outcome(message: IncomingMessage, events: list[str]) -> str:
    """What became of a handled message, for the log: the first event the core emitted
    ("faq.answered", "faq.abstained", "intake.finished", "duplicate", …), else "button",
    "command" or the message kind."""
    if events:
        return events[0]
    if message.payload is not None:
        return "button"
    if message.kind == "text" and (message.text or "").lstrip().startswith("/"):
        return "command"
    return message.kind


class Journal(Protocol):
    """Where a durably received message records its outcome (bot/inbox.py InboxItem)."""

    async def handled_in(self, session: AsyncSession, replies: Sequence[Reply]) -> None:
        """Inside the handling's transaction, before it commits."""
        ...

    async def failed(self, error: BaseException, replies: Sequence[Reply]) -> None:
        """After a handler bug, with the error reply the user gets."""
        ...


class Dispatcher:
    def __init__(
        self, db: Database, core: Core, kb: KnowledgeBase, config: CoreConfig, clock: Clock
    ) -> None:
        self.db, self.core, self.kb, self.config, self.clock = db, core, kb, config, clock
        self._locks = KeyedLock()
        # Called with the events a handled message emitted, after its transaction committed.
        self.on_events: Callable[[IncomingMessage, list[str]], None] | None = None

    async def handle(
        self, message: IncomingMessage, *, journal: Journal | None = None
    ) -> list[Reply]:
        """Replies for the sender; [] when this message id was handled before.

        With a `journal` (the inbox), the replies are recorded in the handling's transaction,
        and a database that cannot be reached raises DatabaseUnavailable (nothing committed:
        the inbox tries again later) instead of the error reply; only a bug in a handler gets
        the polite "core.error" reply (`journal.failed`). Without one (console, `ask`), every
        failure gets that reply.

        Logs one INFO line per message ("message handled", with `channel`, `kind`,
        `outcome` and `latency_ms` fields), never its text.
        """
        started = time.perf_counter()
        outcome = "error"
        try:
            replies, outcome = await self._handle_locked(message, journal)
        finally:
            log.info(
                "message handled",
                extra={
                    "channel": message.channel,
                    "kind": message.kind,
                    "outcome": outcome,
                    "latency_ms": round((time.perf_counter() - started) * 1000, 1),
                },
            )
        return replies

    async def _handle_locked(
        self, message: IncomingMessage, journal: Journal | None
    ) -> tuple[list[Reply], str]:
        error: BaseException = StaleStateError(message.user_id)
        async with self._locks.hold((message.channel, message.user_id)):
            for attempt in range(1, _MAX_ATTEMPTS + 1):
                try:
                    replies, events = await self._handle_once(message, journal)
                except StaleStateError:
                    log.info("state conflict for a %s user, retry %d", message.channel, attempt)
                    await asyncio.sleep(random.uniform(0, _CONFLICT_PAUSE * attempt))  # noqa: S311
                    continue
                except ClaimLost:
                    raise
                except Exception as exc:
                    if journal is not None and is_unavailable(exc):
                        log.warning(
                            "database unreachable while handling a %s message (%s)",
                            message.channel,
                            type(exc).__name__,
                        )
                        raise DatabaseUnavailable(type(exc).__name__) from exc
                    log.exception("handling a %s message failed", message.channel)
                    error = exc
                    break
                if self.on_events is not None:
                    self.on_events(message, events)
                return replies, _outcome(message, events)
            replies = [Reply(self.kb.ui.text("core.error"))]
            if journal is not None:
                await journal.failed(error, replies)
        return replies, "error"

    async def _handle_once(
        self, message: IncomingMessage, journal: Journal | None = None
    ) -> tuple[list[Reply], list[str]]:
        now = self.clock.now()
        async with self.db.transaction() as session:
            repo = CoreRepository(session)
            opened = await repo.open_message(
                message.channel, message.user_id, message.display_name, message.message_id, now
            )
            if opened is None:
                if journal is not None:
                    await journal.handled_in(session, [])
                return [], ["duplicate"]
            user_id, state = opened
            before = state.snapshot()
            user = UserRef(
                id=user_id,
                channel=message.channel,
                external_id=message.user_id,
                display_name=message.display_name,
                is_officer=f"{message.channel}:{message.user_id}" in self.config.officer_ids,
            )
            ctx = Context(
                message=message,
                user=user,
                state=state,
                store=SqlStore(session, now),
                kb=self.kb,
                config=self.config,
                now=now,
            )
            replies = await self.core.route(ctx)
            if state.version == 0 or state.snapshot() != before:
                await repo.save_state(user_id, state, now)
            await question_days.count(session, ctx.events, ctx.local_now.date())
            if journal is not None:
                await journal.handled_in(session, replies)
            return replies, ctx.events

    async def run_as(
        self,
        channel: str,
        external_id: str,
        action: Callable[[Context], Awaitable[list[Reply]]],
        display_name: str | None = None,
    ) -> list[Reply]:
        """Run `action` as this user inside one transaction, as if they had written: the web
        page calls the same officer actions as the chat (handlers/submissions.py,
        handlers/tickets.py). Errors propagate (the caller shows them)."""
        async with self._locks.hold((channel, external_id)):
            now = self.clock.now()
            async with self.db.transaction() as session:
                repo = CoreRepository(session)
                user_id = await repo.upsert_user(channel, external_id, display_name, now)
                state = await repo.load_state(user_id)
                before = state.snapshot()
                message = IncomingMessage(channel, external_id, external_id, text="")
                ctx = Context(
                    message=message,
                    user=UserRef(
                        id=user_id,
                        channel=channel,
                        external_id=external_id,
                        display_name=display_name,
                        is_officer=f"{channel}:{external_id}" in self.config.officer_ids,
                    ),
                    state=state,
                    store=SqlStore(session, now),
                    kb=self.kb,
                    config=self.config,
                    now=now,
                )
                replies = await action(ctx)
                if state.version == 0 or state.snapshot() != before:
                    await repo.save_state(user_id, state, now)
            return replies
