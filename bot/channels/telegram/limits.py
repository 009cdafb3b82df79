"""Flow control for Bot API calls: Telegram's send limits, per-chat 429s, network retries.

Plugged into python-telegram-bot as its rate limiter, so replies and outbox pushes share it.
Unlike PTB's AIORateLimiter, a 429 pauses only the chat it names (PTB pauses the whole bot,
python-telegram-bot#3765), private chats get their own 1 message/s pace, and a push may ask
not to wait (`rate_limit_args={"max_wait": 0}`) so one slow chat never stalls an outbox pass.
"""

from __future__ import annotations

import asyncio
import logging
import warnings
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from telegram.error import BadRequest, NetworkError, RetryAfter
from telegram.ext import BaseRateLimiter
from telegram.warnings import PTBDeprecationWarning

log = logging.getLogger(__name__)

# Calls that are not messages to a chat: Telegram does not count them against chat limits.
_UNTHROTTLED = frozenset({"sendChatAction", "answerCallbackQuery", "getMe", "getUpdates"})


@dataclass(frozen=True, slots=True)
class Limits:
    """Telegram's documented limits (Bot FAQ), with a small burst per chat."""

    overall_per_second: float = 30.0
    overall_burst: int = 30
    private_per_second: float = 1.0
    private_burst: int = 3
    group_per_minute: float = 20.0
    group_burst: int = 3
    network_retries: int = 3
    backoff_seconds: float = 0.5
    max_retry_after_waits: int = 3


def retry_seconds(exc: RetryAfter) -> float:
    """`RetryAfter.retry_after` as seconds, without PTB's int→timedelta migration warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


class _Pace:
    """A GCRA pacer: reserve the next slot at `rate`/s allowing `burst`, plus a pause (429)."""

    __slots__ = ("burst", "interval", "paused_until", "tat")

    def __init__(self, rate: float, burst: int) -> None:
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self.burst = max(1, burst)
        self.tat = 0.0
        self.paused_until = 0.0

    def delay(self, now: float) -> float:
        """How long until the next slot would start, without reserving it."""
        tat = max(self.tat, now, self.paused_until)
        slot = max(tat - (self.burst - 1) * self.interval, self.paused_until)
        return max(0.0, slot - now)

    def reserve(self, now: float) -> float:
        """Take the next slot; returns how long to sleep before using it."""
        wait = self.delay(now)
        self.tat = max(self.tat, now, self.paused_until) + self.interval
        return wait

    def idle(self, now: float) -> bool:
        return self.tat <= now and self.paused_until <= now


class TelegramLimiter(BaseRateLimiter[dict[str, Any]]):
    """PTB rate limiter: overall pace, per-chat pace, per-chat 429 pauses, network retries.

    `rate_limit_args` may carry `max_wait` (seconds): when the chat is paused for longer, the
    call raises RetryAfter at once instead of waiting (used by outbox pushes).
    """

    def __init__(
        self,
        limits: Limits | None = None,
        *,
        on_retry_after: Callable[[str | None, float], None] | None = None,
    ) -> None:
        self.limits = limits or Limits()
        self._overall = _Pace(self.limits.overall_per_second, self.limits.overall_burst)
        self._chats: dict[str, _Pace] = {}
        self._on_retry_after = on_retry_after

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        self._chats.clear()

    def _chat(self, chat_id: str) -> _Pace:
        pace = self._chats.get(chat_id)
        if pace is None:
            if len(self._chats) > 10_000:
                self._prune()
            if chat_id.startswith(("-", "@")):
                rate, burst = self.limits.group_per_minute / 60, self.limits.group_burst
            else:
                rate, burst = self.limits.private_per_second, self.limits.private_burst
            pace = self._chats[chat_id] = _Pace(rate, burst)
        return pace

    def _prune(self) -> None:
        now = asyncio.get_running_loop().time()
        for key in [k for k, pace in self._chats.items() if pace.idle(now)]:
            del self._chats[key]

    def paused_for(self, chat_id: str) -> float:
        """Seconds this chat is still paused by a 429 (0 when it may send)."""
        pace = self._chats.get(chat_id)
        if pace is None:
            return 0.0
        return max(0.0, pace.paused_until - asyncio.get_running_loop().time())

    async def _acquire(self, chat_id: str | None, max_wait: float | None) -> None:
        loop = asyncio.get_running_loop()
        if chat_id is not None:
            pace = self._chat(chat_id)
            paused = pace.paused_until - loop.time()
            if max_wait is not None and paused > max_wait:
                raise RetryAfter(max(1, round(paused)))
            wait = pace.reserve(loop.time())
            if wait > 0:
                await asyncio.sleep(wait)
        wait = self._overall.reserve(loop.time())
        if wait > 0:
            await asyncio.sleep(wait)

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: dict[str, Any] | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        raw_chat = data.get("chat_id")
        chat_id = None if raw_chat is None else str(raw_chat)
        max_wait = (rate_limit_args or {}).get("max_wait")
        throttled = endpoint not in _UNTHROTTLED
        network_failures = 0
        pauses = 0
        while True:
            if throttled:
                await self._acquire(chat_id, max_wait)
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                seconds = retry_seconds(exc)
                pauses += 1
                if self._on_retry_after is not None:
                    self._on_retry_after(chat_id, seconds)
                if chat_id is not None:
                    pace = self._chat(chat_id)
                    until = asyncio.get_running_loop().time() + seconds + 0.1
                    pace.paused_until = max(pace.paused_until, until)
                    log.warning("429 for one chat on %s: paused %.1fs", endpoint, seconds)
                if max_wait is not None or pauses > self.limits.max_retry_after_waits:
                    raise
                if chat_id is None or not throttled:
                    await asyncio.sleep(seconds + 0.1)
            except BadRequest:
                raise
            except NetworkError:
                network_failures += 1
                if network_failures > self.limits.network_retries:
                    raise
                delay = self.limits.backoff_seconds * 2 ** (network_failures - 1)
                log.warning(
                    "network error on %s, retry %d in %.1fs", endpoint, network_failures, delay
                )
                await asyncio.sleep(delay)
