"""KeyedQueue: order within a key, a shared cap, no starvation by one flooding key."""

from __future__ import annotations

import asyncio

from bot.keyed_queue import KeyedQueue


async def test_order_per_key_cap_and_fairness():
    done: list[tuple[str, int]] = []
    running = 0
    peak = 0

    async def work(item: tuple[str, int]) -> None:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(0.01)
        running -= 1
        done.append(item)

    queue: KeyedQueue[tuple[str, int]] = KeyedQueue(work, concurrency=2, max_pending=30)
    for i in range(30):
        assert queue.submit("flood", ("flood", i))
    assert not queue.submit("flood", ("flood", 99)), "a full chat queue drops"
    for key in ("a", "b", "c"):
        queue.submit(key, (key, 0))
    await queue.join()
    assert [i for k, i in done if k == "flood"] == list(range(30))
    assert peak == 2
    others = [done.index((k, 0)) for k in ("a", "b", "c")]
    assert max(others) < 10, "other chats are not stuck behind the flooding one"
    assert len(queue) == 0


async def test_failure_does_not_stop_the_queue():
    seen: list[int] = []

    async def work(item: int) -> None:
        seen.append(item)
        if item == 1:
            raise RuntimeError("boom")

    queue: KeyedQueue[int] = KeyedQueue(work, concurrency=1)
    for i in range(3):
        queue.submit("k", i)
    await queue.join()
    assert seen == [0, 1, 2]
