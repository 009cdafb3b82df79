"""The flow-control limiter on its own: pacing, per-chat 429 pauses, network retries."""

from __future__ import annotations

import asyncio
import time

import pytest
from telegram.error import BadRequest, NetworkError, RetryAfter, TimedOut

from bot.channels.telegram.limits import Limits, TelegramLimiter


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
    limiter = TelegramLimiter(Limits(private_per_second=10, private_burst=3))
    api = Api()
    start = time.monotonic()
    await asyncio.gather(*(_send(limiter, api, 1) for _ in range(6)))
    offsets = sorted(t - start for t in api.times)
    assert offsets[2] < 0.05, "a burst of three goes at once"
    assert offsets[5] >= 0.28, "then one per 0.1 s"


async def test_group_paced_per_minute_and_chats_independent():
    limiter = TelegramLimiter(Limits(group_per_minute=600, group_burst=1))
    group, private = Api(), Api()
    start = time.monotonic()
    await asyncio.gather(
        *(_send(limiter, group, -100) for _ in range(3)),
        *(_send(limiter, private, 7) for _ in range(3)),
    )
    assert max(group.times) - start >= 0.19, "600/min is one per 0.1 s"
    assert max(private.times) - start < 0.05


async def test_overall_pace_applies_across_chats():
    limiter = TelegramLimiter(Limits(overall_per_second=20, overall_burst=1))
    api = Api()
    start = time.monotonic()
    await asyncio.gather(*(_send(limiter, api, chat) for chat in range(1, 6)))
    assert max(api.times) - start >= 0.19


async def test_chat_actions_and_callback_answers_not_throttled():
    limiter = TelegramLimiter(Limits(private_per_second=1, private_burst=1))
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
    assert limiter.paused_for("1") > 0.5
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
    limiter = TelegramLimiter(Limits(backoff_seconds=0.05, network_retries=3, private_burst=20))
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


async def test_idle_chats_are_pruned():
    limiter = TelegramLimiter()
    api = Api()
    for chat in range(10_002):
        limiter._chat(str(chat))
    await asyncio.sleep(0)
    await _send(limiter, api, "new")
    assert len(limiter._chats) < 10
