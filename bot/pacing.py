"""Spacing of sends per channel and per chat, so bulk pushes stay under platform limits.

Telegram allows about 30 messages/s overall and 1 message/s per chat (research/anchors.md
§3.7); sending evenly below that is cheaper than hitting 429 and waiting.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Pace:
    per_second: float | None = None  # overall sends per second on the channel; None = no limit
    per_chat_interval: float = 0.0  # seconds between two sends to one chat


DEFAULT_PACES: dict[str, Pace] = {
    # 29/s: no 1-second window ever holds more than 30 evenly spaced sends.
    "telegram": Pace(per_second=29.0, per_chat_interval=1.0),
    "zalo": Pace(per_second=10.0, per_chat_interval=0.0),
}


class Pacer:
    """Hands out send slots: evenly spaced overall, and spaced per chat (event-loop time)."""

    def __init__(self, pace: Pace) -> None:
        self.pace = pace
        self._next_slot = 0.0
        self._chat_next: dict[str, float] = {}

    async def wait(self, chat_id: str) -> None:
        loop = asyncio.get_running_loop()
        now = loop.time()
        at = max(now, self._chat_next.get(chat_id, 0.0))
        if self.pace.per_second:
            # Never bank unused slots: after an idle spell, sending resumes at the steady rate.
            at = max(at, self._next_slot)
            self._next_slot = at + 1.0 / self.pace.per_second
        if self.pace.per_chat_interval:
            self._chat_next[chat_id] = at + self.pace.per_chat_interval
            if len(self._chat_next) > 10_000:
                self._chat_next = {k: v for k, v in self._chat_next.items() if v > now}
        if at > now:
            await asyncio.sleep(at - now)
