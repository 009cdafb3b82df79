"""The ticker: APScheduler runs registered async jobs at fixed intervals, and nothing more.

What to do and when lives in the database (the outbox); a missed tick is simply caught up by
the next one, so jobs coalesce and never overlap.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import UTC
from typing import Any

from apscheduler.events import EVENT_SCHEDULER_SHUTDOWN
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

log = logging.getLogger(__name__)

Job = Callable[[], Awaitable[Any]]


class Ticker:
    def __init__(self, heartbeat_seconds: float = 5.0) -> None:
        self._scheduler = AsyncIOScheduler(timezone=UTC)
        self._heartbeat_seconds = heartbeat_seconds
        self._last_beat: float | None = None
        self.failures: dict[str, int] = {}
        self._running: set[asyncio.Task[Any]] = set()
        self._shut_down = asyncio.Event()
        done = EVENT_SCHEDULER_SHUTDOWN
        self._scheduler.add_listener(lambda _event: self._shut_down.set(), done)
        self.add("heartbeat", self._beat, heartbeat_seconds)

    def add(self, name: str, job: Job, seconds: float) -> None:
        """Run `job` every `seconds`; a failure is logged and counted, the ticker goes on."""

        async def guarded() -> None:
            try:
                await job()
            except Exception:
                self.failures[name] = self.failures.get(name, 0) + 1
                log.exception("scheduled job %s failed", name)

        async def run() -> None:
            # The job runs in a task of its own: APScheduler's shutdown cancels the tasks it
            # started at once, while `stop` gives a running job its grace period.
            task = asyncio.create_task(guarded(), name=f"ticker:{name}")
            self._running.add(task)
            task.add_done_callback(self._running.discard)
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.shield(task)

        self._scheduler.add_job(
            run,
            IntervalTrigger(seconds=seconds, timezone=UTC),
            id=name,
            name=name,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=max(1, int(seconds)),
            replace_existing=True,
        )

    async def _beat(self) -> None:
        self._last_beat = time.monotonic()

    def start(self) -> None:
        self._last_beat = time.monotonic()
        self._scheduler.start()

    def shutdown(self) -> None:
        """Stop ticking; jobs already running go on (see `stop`). AsyncIOScheduler shuts down
        in a callback of the event loop, so a tick may still start a job until that ran."""
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)

    async def stop(self, grace_seconds: float = 10.0) -> None:
        """Stop ticking and let running jobs finish (an outbox pass mid-send), then cancel.
        Once this returns no job runs or starts (the caller closes the database next)."""
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)
            await self._shut_down.wait()
        if not self._running:
            return
        _, pending = await asyncio.wait(set(self._running), timeout=grace_seconds)
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.wait(pending)

    @property
    def alive(self) -> bool:
        """Running, and the heartbeat job ran recently (the event loop is not starved)."""
        if not self._scheduler.running or self._last_beat is None:
            return False
        return time.monotonic() - self._last_beat < 3 * self._heartbeat_seconds + 1
