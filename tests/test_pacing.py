"""One pacing mechanism (bot/pacing.py): in memory for one process, in PostgreSQL for replicas.

The properties are checked on counted timestamps (the start each send was given), never on
how fast a run went: at most N starts in any 1-second window, at least the interval between
two sends to one chat, one chat's sends in call order, a 429 pause seen by every replica.
"""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from collections.abc import Sequence

import pytest
from sqlalchemy import text

from bot.channels.base import Pace
from bot.clock import SystemClock
from bot.db.engine import Database
from bot.outbox import OutboxDelivery
from bot.pacing import MemoryPacer, Pacer, Paused, PostgresPacer, pacer_for, prune

# Float error of the database's epoch seconds (microseconds) and of the loop's clock.
_EPS = 1e-4
PACE = Pace(per_second=40, per_chat_interval=0.5, per_chat_burst=1)


def busiest_second(starts: Sequence[float]) -> int:
    """The most starts in any half-open 1-second window [t, t + 1)."""
    ordered = sorted(starts)
    best = 0
    j = 0
    for i, first in enumerate(ordered):
        j = max(j, i)
        while j < len(ordered) and ordered[j] < first + 1.0 - _EPS:
            j += 1
        best = max(best, j - i)
    return best


def closest_per_chat(sends: Sequence[tuple[str, float]]) -> float:
    """The shortest gap between two starts to the same chat (inf with one send per chat)."""
    by_chat: dict[str, list[float]] = defaultdict(list)
    for chat, start in sends:
        by_chat[chat].append(start)
    gaps = [
        b - a
        for starts in by_chat.values()
        for a, b in zip(sorted(starts), sorted(starts)[1:], strict=False)
    ]
    return min(gaps, default=float("inf"))


async def _send_all(pacer: Pacer, chats: Sequence[str], out: list[tuple[str, float]]) -> None:
    async def one(chat: str) -> None:
        out.append((chat, await pacer.wait(chat)))

    await asyncio.gather(*(one(chat) for chat in chats))


def test_busiest_second_counts_a_half_open_window() -> None:
    assert busiest_second([0.0, 0.5, 0.99, 1.0, 1.6]) == 3
    assert busiest_second([0.0, 1.0, 2.0]) == 1


async def test_memory_pacer_keeps_the_overall_and_per_chat_limits() -> None:
    pacer = MemoryPacer(PACE)
    chats = [str(i % 30) for i in range(60)]  # two sends to each of 30 chats
    sends: list[tuple[str, float]] = []
    await _send_all(pacer, chats, sends)
    assert len(sends) == 60
    assert busiest_second([s for _, s in sends]) <= 40
    assert closest_per_chat(sends) >= 0.5 - _EPS


async def test_memory_pacer_bursts_per_chat_then_keeps_the_interval() -> None:
    pacer = MemoryPacer(Pace(per_chat_interval=0.1, per_chat_burst=3))
    starts = [await pacer.wait("1") for _ in range(6)]
    assert starts[2] - starts[0] < 0.1, "three at once"
    assert starts[5] - starts[2] >= 0.3 - _EPS, "then one per 0.1 s"


async def test_groups_have_their_own_pace() -> None:
    pace = Pace(per_chat_interval=0.0, group_interval=0.1, group_prefixes=("-",))
    pacer = MemoryPacer(pace)
    group = [await pacer.wait("-100") for _ in range(3)]
    assert group[2] - group[0] >= 0.2 - _EPS
    private = [await pacer.wait("7") for _ in range(3)]
    assert private[2] - private[0] < 0.1


@pytest.mark.parametrize("kind", ["memory", "postgres"])
async def test_one_chats_sends_keep_their_call_order(kind: str, database_url: str) -> None:
    async with _pacers(kind, database_url, 1) as (pacer,):
        done: list[int] = []

        async def send(n: int) -> None:
            await pacer.wait("5")
            done.append(n)

        await asyncio.gather(*(send(n) for n in range(6)))
        assert done == list(range(6))


@pytest.mark.parametrize("kind", ["memory", "postgres"])
async def test_a_pause_holds_one_chat_only(kind: str, database_url: str) -> None:
    async with _pacers(kind, database_url, 2) as (first, second):
        await first.pause("7", 30)
        with pytest.raises(Paused) as paused:
            await second.wait("7", max_wait=0)
        assert paused.value.retry_after >= 29
        assert await second.paused_for("7") >= 29
        assert await second.paused_for("8") == 0
        before = time.monotonic()
        await second.wait("8", max_wait=0)
        assert time.monotonic() - before < 1.0


@pytest.mark.parametrize("kind", ["memory", "postgres"])
async def test_a_chat_waiting_out_a_pause_leaves_the_channel_free(
    kind: str, database_url: str
) -> None:
    async with _pacers(kind, database_url, 2) as (first, second):
        await first.pause("7", 30)
        waiting = asyncio.create_task(first.wait("7"))  # waits out the 30 s pause
        await asyncio.sleep(0.05)
        before = time.monotonic()
        for chat in ("8", "9", "10"):
            await second.wait(chat)
        assert time.monotonic() - before < 5, "not behind the paused chat's 30 s"
        assert not waiting.done()
        waiting.cancel()


async def test_memory_pacer_forgets_idle_chats() -> None:
    pacer = MemoryPacer(Pace(per_chat_interval=0.001))
    for chat in range(10_002):
        await pacer.pause(str(chat), 0.0)
    await asyncio.sleep(0.01)
    await pacer.wait("new")
    assert len(pacer._chats) < 10  # noqa: SLF001 - the bound is the point of the test


async def test_two_replicas_share_one_budget(database_url: str, is_postgres: bool) -> None:
    """Two engines stand for two replicas: together they keep the limits of one bot token."""
    if not is_postgres:
        pytest.skip("replicas share limits through PostgreSQL; SQLite runs one process")
    async with _pacers("postgres", database_url, 2) as (first, second):
        sends: list[tuple[str, float]] = []
        # Both replicas send to the same 30 chats, twice each: chat limits are shared too.
        chats = [str(i % 30) for i in range(60)]
        returned: list[tuple[float, float]] = []

        async def one(pacer: Pacer, chat: str) -> None:
            slot = await pacer.wait(chat)
            returned.append((slot, time.time()))
            sends.append((chat, slot))

        await asyncio.gather(
            *(one(first if i % 2 else second, chat) for i, chat in enumerate(chats))
        )
    assert len(sends) == 60
    assert busiest_second([s for _, s in sends]) <= 40
    assert closest_per_chat(sends) >= 0.5 - _EPS
    # Nobody started before the slot it was given (same host clock; sleeps never end early).
    assert all(at >= slot - 0.01 for slot, at in returned)


async def test_pacer_for_picks_the_shared_pacer_on_postgresql(
    database_url: str, is_postgres: bool
) -> None:
    db = Database(database_url)
    try:
        pacer = pacer_for(db, "zalo", PACE)
        assert isinstance(pacer, PostgresPacer if is_postgres else MemoryPacer)
        outbox = OutboxDelivery(
            db,
            {"telegram": object(), "zalo": object()},  # type: ignore[dict-item]
            SystemClock(),
            paces={"telegram": Pace(per_second=29, paced_by_sender=True), "zalo": PACE},
        )
        # Telegram's limiter paces its calls; the outbox paces only the others.
        assert set(outbox._pacers) == {"zalo"}  # noqa: SLF001
    finally:
        await db.dispose()


async def test_prune_forgets_idle_chats_keeps_the_channel(
    database_url: str, is_postgres: bool
) -> None:
    if not is_postgres:
        pytest.skip("the shared schedule is PostgreSQL's")
    db = Database(database_url)
    try:
        pacer = PostgresPacer(db, "telegram", PACE)
        await pacer.wait("1")
        await pacer.wait("2")
        async with db.transaction() as session:
            await session.execute(
                text("UPDATE pace_slots SET tat = tat - interval '2 hours' WHERE key <> '2'")
            )
        assert await prune(db) == 1
        async with db.transaction() as session:
            keys = (await session.execute(text("SELECT key FROM pace_slots"))).scalars()
            assert sorted(keys) == ["", "2"]
    finally:
        await db.dispose()


class _pacers:  # noqa: N801 - used as `async with _pacers(...)`
    """`count` pacers of one kind; PostgreSQL ones each on its own engine (a replica)."""

    def __init__(self, kind: str, url: str, count: int) -> None:
        self.kind, self.url, self.count = kind, url, count
        self.dbs: list[Database] = []

    async def __aenter__(self) -> tuple[Pacer, ...]:
        if self.kind == "memory":
            one = MemoryPacer(PACE)  # one process: every caller shares one pacer
            return (one,) * self.count
        if not self.url.startswith("postgresql"):
            pytest.skip("PostgresPacer needs PostgreSQL")
        self.dbs = [Database(self.url) for _ in range(self.count)]
        return tuple(PostgresPacer(db, "telegram", PACE) for db in self.dbs)

    async def __aexit__(self, *exc: object) -> None:
        for db in self.dbs:
            await db.dispose()


async def test_without_the_database_the_process_paces_alone(caplog) -> None:
    """Replies already stored must still go out while PostgreSQL is unreachable."""
    db = Database("postgresql+asyncpg://u@127.0.0.1:1/x")  # nothing listens on port 1
    try:
        pacer = PostgresPacer(db, "telegram", Pace(per_chat_interval=0.5))
        await pacer.wait("1")
        await pacer.pause("1", 30)
        assert await pacer.paused_for("1") >= 29
        with pytest.raises(Paused):
            await pacer.wait("1", max_wait=0)
        assert "database is unreachable" in caplog.text
    finally:
        await db.dispose()


async def test_a_slot_missed_by_a_stalled_process_is_not_used(
    database_url: str, is_postgres: bool
) -> None:
    """A process that wakes up long after its slot takes a new one instead of sending at once
    beside the next replica's sends."""
    if not is_postgres:
        pytest.skip("shared slots are PostgreSQL's")
    db = Database(database_url)
    try:
        pacer = PostgresPacer(db, "telegram", Pace(per_second=10))
        first = await pacer.wait("1")
        late = asyncio.create_task(pacer.wait("2"))  # its slot is 0.1 s after the first
        await asyncio.sleep(0.02)
        time.sleep(0.4)  # noqa: ASYNC251 - the stall under test: the whole process stops
        given = await late
        assert given - first >= 0.3, "the missed slot was replaced by one after the stall"
    finally:
        await db.dispose()
