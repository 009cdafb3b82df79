"""The ticker's stop: a job under way finishes, and no job starts once stop has returned."""

from __future__ import annotations

import asyncio

from bot.scheduler import Ticker


async def test_stop_lets_the_running_job_finish():
    started, release = asyncio.Event(), asyncio.Event()
    finished: list[str] = []

    async def job() -> None:
        started.set()
        try:
            await release.wait()
        except asyncio.CancelledError:
            finished.append("cancelled")
            raise
        finished.append("done")

    ticker = Ticker()
    ticker.add("job", job, 0.01)
    ticker.start()
    await started.wait()
    stopping = asyncio.create_task(ticker.stop())
    for _ in range(20):  # APScheduler's shutdown runs in loop callbacks; let them all run
        await asyncio.sleep(0)
    assert finished == [], "the job is not cancelled at once (an outbox pass mid-send)"
    release.set()
    await stopping
    assert finished == ["done"]


async def test_no_job_runs_after_stop_returned():
    runs: list[str] = []
    ticking = asyncio.Event()

    async def job() -> None:
        runs.append("start")
        await asyncio.sleep(0)
        runs.append("end")
        if len(runs) >= 8:
            ticking.set()

    ticker = Ticker()
    ticker.add("job", job, 0.001)
    ticker.start()
    await ticking.wait()
    await ticker.stop()
    seen = list(runs)
    await asyncio.sleep(0.05)  # a tick that was due would have run by now
    assert runs == seen, "a job started after stop returned (it would outlive the database)"
    assert runs.count("start") == runs.count("end")
