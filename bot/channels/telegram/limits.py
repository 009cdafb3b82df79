"""Flow control for Bot API calls: pacing, per-chat 429 pauses, network retries.

Plugged into python-telegram-bot as its rate limiter, so replies and outbox pushes go through
it alike. Pacing is bot/pacing.py's `Pacer` (shared by all replicas on PostgreSQL); this
module only adapts it to PTB. Unlike PTB's AIORateLimiter, a 429 pauses only the chat it
names (PTB pauses the whole bot, python-telegram-bot#3765), and a push may ask not to wait
out a pause (`rate_limit_args={"max_wait": 0}`) so one slow chat never stalls an outbox pass.
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

from bot.channels.base import Pace
from bot.channels.telegram.settings import PACE
from bot.pacing import MemoryPacer, Pacer, Paused

log = logging.getLogger(__name__)

# Calls that are not messages to a chat: Telegram does not count them against chat limits.
_UNTHROTTLED = frozenset({"sendChatAction", "answerCallbackQuery", "getMe", "getUpdates"})


@dataclass(frozen=True, slots=True)
class Limits:
    """The pace (Telegram's documented limits, bot/channels/telegram/settings.py) and how
    failed calls are retried."""

    pace: Pace = PACE
    network_retries: int = 3
    backoff_seconds: float = 0.5
    max_retry_after_waits: int = 3


def retry_seconds(exc: RetryAfter) -> float:
    """`RetryAfter.retry_after` as seconds, without PTB's int→timedelta migration warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


class TelegramLimiter(BaseRateLimiter[dict[str, Any]]):
    """PTB rate limiter: every throttled call waits for its turn in `pacer` (by default one
    for this process alone); per-chat 429 pauses; network retries with backoff.

    `rate_limit_args` may carry `max_wait` (seconds): when the chat is paused for longer, the
    call raises RetryAfter at once instead of waiting (used by outbox pushes).
    """

    def __init__(
        self,
        limits: Limits | None = None,
        *,
        pacer: Pacer | None = None,
        on_retry_after: Callable[[str | None, float], None] | None = None,
    ) -> None:
        self.limits = limits or Limits()
        self.pacer: Pacer = pacer or MemoryPacer(self.limits.pace)
        self._on_retry_after = on_retry_after

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    async def paused_for(self, chat_id: str) -> float:
        """Seconds this chat is still paused by a 429 (0 when it may send)."""
        return await self.pacer.paused_for(chat_id)

    async def _acquire(self, chat_id: str | None, max_wait: float | None) -> None:
        try:
            await self.pacer.wait(chat_id, max_wait=max_wait)
        except Paused as exc:
            raise RetryAfter(max(1, round(exc.retry_after))) from None

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
                    await self.pacer.pause(chat_id, seconds + 0.1)
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
