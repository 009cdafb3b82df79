"""Dispatcher throughput and latency: 20,000 messages from 2,000 users, SQLite and PostgreSQL.

Baseline in the same run: one bare transaction per message (`SELECT 1` through the same
engine), i.e. the database round trip the dispatcher cannot avoid.

    python bench/dispatch.py [--messages 20000] [--users 2000] [--pg URL] [--concurrency 64]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

from sqlalchemy import text

from bot.app import build_app
from bot.config import Settings
from bot.db.engine import Database
from handlers.messages import IncomingMessage

# What an owner typically does: open the menu, press buttons, type, make mistakes.
SCRIPT = [
    ("text", "/start"),
    ("button", "menu:faq"),
    ("text", "ho tro may moc bao nhieu"),
    ("button", "menu:contact"),
    ("text", "/menu"),
    ("button", "menu:show"),
    ("text", "😀"),
    ("button", "cu:nut"),
    ("text", "/giup"),
    ("text", "htx co dc khong"),
]


def _messages(total: int, users: int) -> list[IncomingMessage]:
    per_user = total // users
    out = []
    for step in range(per_user):
        kind, value = SCRIPT[step % len(SCRIPT)]
        for u in range(users):
            uid = f"bench{u}"
            mid = f"{uid}-{step}"
            if kind == "button":
                out.append(
                    IncomingMessage(
                        "telegram", uid, uid, payload=value, kind="button", message_id=mid
                    )
                )
            else:
                out.append(IncomingMessage("telegram", uid, uid, text=value, message_id=mid))
    return out


async def _drive(
    handle: Callable[[IncomingMessage], Awaitable[object]],
    messages: list[IncomingMessage],
    concurrency: int,
) -> tuple[float, list[float]]:
    queue: asyncio.Queue[IncomingMessage] = asyncio.Queue()
    for m in messages:
        queue.put_nowait(m)
    latencies: list[float] = []

    async def worker() -> None:
        while not queue.empty():
            message = queue.get_nowait()
            t0 = time.perf_counter()
            await handle(message)
            latencies.append(time.perf_counter() - t0)

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - start, latencies


def _report(label: str, elapsed: float, latencies: list[float]) -> float:
    q = statistics.quantiles(latencies, n=100)
    rate = len(latencies) / elapsed
    print(
        f"  {label:<26} {rate:8.0f} msg/s   p50 {q[49] * 1000:6.2f} ms   "
        f"p99 {q[98] * 1000:6.2f} ms"
    )
    return rate


async def _run(
    url: str, label: str, args: argparse.Namespace, cleanup: Callable[[], Awaitable[None]]
) -> None:
    settings = Settings(_env_file=None, database_url=url, data_dir=Path(tempfile.mkdtemp()))
    app = await build_app(settings)
    pool = Database(url)
    try:
        messages = _messages(args.messages, args.users)

        async def bare(_: IncomingMessage) -> None:
            async with pool.transaction() as session:
                await session.execute(text("SELECT 1"))

        print(
            f"{label}: {len(messages)} messages from {args.users} users, "
            f"{args.concurrency} in flight"
        )
        base = _report("baseline (bare txn)", *await _drive(bare, messages, args.concurrency))
        rate = _report(
            "dispatcher", *await _drive(app.dispatcher.handle, messages, args.concurrency)
        )
        print(f"  ratio dispatcher/baseline: {rate / base:.2f}")
    finally:
        await pool.dispose()
        await app.close()
        await cleanup()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--users", type=int, default=2_000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--pg", default="postgresql+asyncpg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--skip-sqlite", action="store_true")
    args = parser.parse_args()

    if not args.skip_sqlite:
        path = Path(tempfile.mkdtemp()) / "bench.db"

        async def nothing() -> None:
            return None

        await _run(f"sqlite+aiosqlite:///{path}", "SQLite", args, nothing)

    schema = f"bench_{uuid.uuid4().hex[:8]}"
    admin = Database(args.pg)
    async with admin.engine.begin() as conn:
        await conn.execute(text(f'CREATE SCHEMA "{schema}"'))

    async def drop() -> None:
        async with admin.engine.begin() as conn:
            await conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        await admin.dispose()

    await _run(f"{args.pg}?options=-csearch_path%3D{schema}", "PostgreSQL", args, drop)


if __name__ == "__main__":
    asyncio.run(main())
