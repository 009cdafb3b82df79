"""The flow-control limiter on its own: pacing (through bot/pacing.py), per-chat 429 pauses,
network retries; and a pause seen by another replica through the shared PostgreSQL pacer."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace

import pytest
from telegram.error import BadRequest, NetworkError, RetryAfter, TimedOut

from bot.channels.base import Pace
from bot.channels.telegram.limits import Limits, TelegramLimiter
from bot.channels.telegram.settings import PACE
from bot.db.engine import Database
from bot.pacing import PostgresPacer


@pytest.fixture(autouse=True)
def _timedelta_retry_after(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "1")


class Api:
    """A callback standing in for one Bot API call; records when it ran."""

    def __init__(self, failures: list[Exception] | None = None) -> None:
        self.times: list[float] = []
        self.failures = failures or []

    async def __call__(self) -> bool:
        self.times.append(time.monotonic())
        if self.failures:
            raise self.failures.pop(0)
        return True


async def _send(limiter, api, chat, endpoint="sendMessage", args=None):
    return await limiter.process_request(api, (), {}, endpoint, {"chat_id": chat}, args)


async def test_private_chat_paced_after_a_burst():
    limiter = TelegramLimiter(Limits(pace=Pace(per_chat_interval=0.1, per_chat_burst=3)))
    api = Api()
    start = time.monotonic()
    await asyncio.gather(*(_send(limiter, api, 1) for _ in range(6)))
    offsets = sorted(t - start for t in api.times)
    assert offsets[2] < 0.05, "a burst of three goes at once"
    assert offsets[5] >= 0.28, "then one per 0.1 s"


async def test_group_paced_per_minute_and_chats_independent():
    limiter = TelegramLimiter(
        Limits(pace=replace(PACE, per_second=None, group_interval=0.1, group_burst=1))
    )
    group, private = Api(), Api()
    start = time.monotonic()
    await asyncio.gather(
        *(_send(limiter, group, -100) for _ in range(3)),
        *(_send(limiter, private, 7) for _ in range(3)),
    )
    assert max(group.times) - start >= 0.19, "600/min is one per 0.1 s"
    assert max(private.times) - start < 0.05


async def test_overall_pace_applies_across_chats():
    limiter = TelegramLimiter(Limits(pace=Pace(per_second=20)))
    api = Api()
    start = time.monotonic()
    await asyncio.gather(*(_send(limiter, api, chat) for chat in range(1, 6)))
    assert max(api.times) - start >= 0.19


async def test_chat_actions_and_callback_answers_not_throttled():
    limiter = TelegramLimiter(Limits(pace=Pace(per_chat_interval=1.0)))
    api = Api()
    start = time.monotonic()
    for _ in range(5):
        await _send(limiter, api, 1, endpoint="sendChatAction")
    assert time.monotonic() - start < 0.1


async def test_retry_after_pauses_that_chat_only_then_retries():
    seen: list[tuple[str | None, float]] = []
    limiter = TelegramLimiter(on_retry_after=lambda chat, s: seen.append((chat, s)))
    paused, free = Api([RetryAfter(1)]), Api()
    start = time.monotonic()
    task = asyncio.create_task(_send(limiter, paused, 1))
    await asyncio.sleep(0.05)
    await _send(limiter, free, 2)
    assert free.times[0] - start < 0.2
    assert await limiter.paused_for("1") > 0.5
    assert await task is True
    assert paused.times[1] - paused.times[0] >= 1.0
    assert seen == [("1", 1.0)]


async def test_push_does_not_wait_out_a_pause():
    limiter = TelegramLimiter()
    api = Api([RetryAfter(30)])
    with pytest.raises(RetryAfter):
        await _send(limiter, api, 1, args={"max_wait": 0})
    start = time.monotonic()
    with pytest.raises(RetryAfter) as again:
        await _send(limiter, api, 1, args={"max_wait": 0})
    assert time.monotonic() - start < 0.05
    assert again.value.retry_after.total_seconds() >= 29
    assert len(api.times) == 1, "a paused chat is not called at all"


async def test_network_errors_retried_with_backoff_bad_request_not():
    limiter = TelegramLimiter(
        Limits(pace=replace(PACE, per_chat_burst=20), backoff_seconds=0.05, network_retries=3)
    )
    api = Api([NetworkError("reset"), TimedOut()])
    assert await _send(limiter, api, 1) is True
    assert len(api.times) == 3
    assert api.times[2] - api.times[1] >= 0.09, "backoff doubles"
    failing = Api([NetworkError("x")] * 5)
    with pytest.raises(NetworkError):
        await _send(limiter, failing, 1)
    assert len(failing.times) == 4
    bad = Api([BadRequest("message is not modified")])
    with pytest.raises(BadRequest):
        await _send(limiter, bad, 1)
    assert len(bad.times) == 1


async def test_a_429_pauses_the_chat_for_every_replica(database_url: str, is_postgres: bool):
    """Two limiters on two engines (two replicas) share one PostgreSQL pacer: a 429 seen by
    one pauses that chat for the other too, which does not call the API for it at all."""
    if not is_postgres:
        pytest.skip("replicas share pauses through PostgreSQL; SQLite runs one process")
    dbs = [Database(database_url) for _ in range(2)]
    try:
        first, second = (TelegramLimiter(pacer=PostgresPacer(db, "telegram", PACE)) for db in dbs)
        flooded = Api([RetryAfter(30)])
        with pytest.raises(RetryAfter):
            await _send(first, flooded, 1, args={"max_wait": 0})
        other = Api()
        with pytest.raises(RetryAfter) as again:
            await _send(second, other, 1, args={"max_wait": 0})
        assert again.value.retry_after.total_seconds() >= 29
        assert other.times == [], "the paused chat is not called by the other replica"
        assert await _send(second, other, 2, args={"max_wait": 0}) is True
        assert await second.paused_for("1") > 29
    finally:
        for db in dbs:
            await db.dispose()
