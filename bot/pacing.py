"""Spacing of sends per channel and per chat, so bulk pushes stay under platform limits.

Each channel declares its `Pace` (bot/channels/<name>/); Telegram's is 29/s overall and
1 message/s per chat (research/anchors.md §3.7). The overall limit is kept as "at most N sends
started in any 1-second window", counted on the moments sends really start: a send delayed
by a busy event loop still counts where it happened, so a late one never lets the next second
hold N + 1.
"""

from __future__ import annotations

import asyncio
import math
from collections import deque

from bot.channels.base import Pace

_WINDOW = 1.0
_MAX_LAG = 0.005


class Pacer:
    def __init__(self, pace: Pace) -> None:
        self.pace = pace
        self._starts: deque[float] = deque()
        self._chat_next: dict[str, float] = {}
        self._turn = asyncio.Lock()
        self._lag = 0.0

    async def wait(self, chat_id: str) -> None:
        """Return when a send to `chat_id` may start now (callers take turns)."""
        loop = asyncio.get_running_loop()
        limit = self.pace.per_second
        async with self._turn:
            while True:
                now = loop.time()
                at = self._chat_next.get(chat_id, now)
                if limit:
                    while self._starts and self._starts[0] <= now - _WINDOW:
                        self._starts.popleft()
                    if len(self._starts) >= math.ceil(limit):
                        at = max(at, self._starts[0] + _WINDOW)
                    if self._starts:
                        # Evenly spaced from the last real start: a burst would let a send
                        # delayed in flight be overtaken, and the receiver would count N + 1.
                        at = max(at, self._starts[-1] + _WINDOW / limit)
                # Wake-ups come late by a steady ~1 ms; aiming that much early keeps the rate.
                if at - self._lag <= now:
                    break
                target = at - self._lag
                await asyncio.sleep(target - now)
                overshoot = min(max(loop.time() - target, 0.0), _MAX_LAG)
                self._lag = 0.9 * self._lag + 0.1 * overshoot
            if limit:
                self._starts.append(now)
            if self.pace.per_chat_interval:
                self._chat_next[chat_id] = now + self.pace.per_chat_interval
                if len(self._chat_next) > 10_000:
                    self._chat_next = {k: v for k, v in self._chat_next.items() if v > now}
