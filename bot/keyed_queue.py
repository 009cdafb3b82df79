"""Per-key FIFO queues, each drained by its own task, under one shared concurrency cap.

A chat's messages are handled strictly in order, and a chat with a backlog waits in its own
queue instead of holding one of the shared slots: one user flooding the bot cannot starve the
others (holding a lock inside the slot would).
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")


class KeyedQueue(Generic[T]):
    def __init__(
        self,
        worker: Callable[[T], Awaitable[None]],
        *,
        concurrency: int,
        max_pending: int = 100,
    ) -> None:
        self._worker = worker
        self._slots = asyncio.Semaphore(concurrency)
        self._max_pending = max_pending
        self._queues: dict[Hashable, deque[T]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self.in_flight = 0

    def submit(self, key: Hashable, item: T) -> bool:
        """Queue `item` behind earlier items of `key`; False (dropped) when its queue is full."""
        queue = self._queues.get(key)
        if queue is not None:
            if len(queue) >= self._max_pending:
                log.warning("a chat has %d messages waiting; dropping one", len(queue))
                return False
            queue.append(item)
            return True
        self._queues[key] = deque([item])
        task = asyncio.get_running_loop().create_task(self._drain(key))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return True

    async def _drain(self, key: Hashable) -> None:
        queue = self._queues[key]
        try:
            while queue:
                async with self._slots:
                    self.in_flight += 1
                    try:
                        await self._worker(queue[0])
                    except Exception:
                        log.exception("handling a queued item failed")
                    finally:
                        self.in_flight -= 1
                queue.popleft()
        finally:
            del self._queues[key]

    async def join(self) -> None:
        """Wait until everything queued so far has been handled (a clean shutdown)."""
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    def __len__(self) -> int:
        return sum(len(q) for q in self._queues.values())
