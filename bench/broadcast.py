"""Broadcast 3,000 messages through the Telegram channel to a local fake Bot API.

The fake answers 429 (retry_after=1) whenever more than 30 messages arrived in the last
second, like Telegram's bulk limit. Run 1 sends everything; run 2 kills the sending process
with SIGKILL halfway and starts it again. For each run it prints the sustained rate, the
429s (and those after the first second), duplicates and losses, and the ratio of the rate
to the 30 msg/s ceiling (the baseline of the same run).

    python bench/broadcast.py [--recipients 3000] [--claim-timeout 15]

The worker sends through the service's TelegramSender (bot/channels/telegram/output.py) on a
telegram.Bot whose base_url is the fake. Its rate limiter paces Telegram at 29 sends started
per second, evenly spread (bot/pacing.py; the pace is in bot/channels/telegram/settings.py).

    python bench/broadcast.py --replicas 3 --database postgres \
        --url postgresql+asyncpg://postgres@127.0.0.1:5432/test

sends the broadcast with 1, then 3 worker processes at once (each its own engine, in a fresh
schema), sharing one pace through PostgreSQL, and prints the rate of all together, the
busiest second at the fake, 429s after the first second, duplicates and losses.
`--claim-timeout` is how long the restarted process waits before taking over the killed one's
claimed rows.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from aiohttp import web

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TOKEN = "123456:BENCH"  # noqa: S105 - a fake token for the fake server
LIMIT_PER_SECOND = 30
FIRST_CHAT = 10_000_000


class FakeBotApi:
    """sendMessage with Telegram's flood limit; records every delivery with its time."""

    def __init__(self) -> None:
        self.accepted: list[tuple[float, int]] = []
        self.rejected: list[float] = []
        self._window: list[float] = []
        self.message_id = 0

    async def handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if method == "getMe":
            me = {"id": 1, "is_bot": True, "first_name": "Bench", "username": "bench_bot"}
            return web.json_response({"ok": True, "result": me})
        if method != "sendMessage":
            return web.json_response({"ok": True, "result": True})
        data = dict(await request.post()) or await request.json()
        now = time.monotonic()
        self._window = [t for t in self._window if t > now - 1.0]
        if len(self._window) >= LIMIT_PER_SECOND:
            self.rejected.append(now)
            body = {
                "ok": False,
                "error_code": 429,
                "description": "Too Many Requests: retry after 1",
                "parameters": {"retry_after": 1},
            }
            return web.json_response(body, status=429)
        self._window.append(now)
        chat_id = int(data["chat_id"])
        self.accepted.append((now, chat_id))
        self.message_id += 1
        message = {
            "message_id": self.message_id,
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private"},
            "text": data.get("text", ""),
        }
        return web.json_response({"ok": True, "result": message})


async def prepare_database(url: str, recipients: int) -> None:
    from sqlalchemy import insert

    from bot.db.engine import Database
    from bot.db.migrate import upgrade
    from bot.db.models import User
    from bot.db.models_reminders import Subscription
    from bot.db.reminders import RemindersRepository
    from handlers.deadlines import Audience
    from handlers.messages import Reply

    db = Database(url)
    await upgrade(db)
    now = datetime.now(UTC)
    async with db.transaction() as session:
        users = [
            {
                "id": i + 1,
                "channel": "telegram",
                "external_id": str(FIRST_CHAT + i),
                "created_at": now,
                "last_seen_at": now,
            }
            for i in range(recipients)
        ]
        await session.execute(insert(User.__table__), users)
        subs = [
            {"user_id": i + 1, "status": "subscribed", "changed_at": now}
            for i in range(recipients)
        ]
        await session.execute(insert(Subscription.__table__), subs)
        reply = Reply(
            "📢 Thông báo từ cán bộ khuyến công:\nHội chợ làng nghề mở đăng ký đến 30/6."
        )
        await RemindersRepository(session).create_broadcast(
            reply.text, Audience("all"), reply, None, now
        )
    await db.dispose()


def build_sender(base_url: str, db):  # noqa: ANN001, ANN201 - a Database; a Sender
    """The service's own TelegramSender (limits, error mapping) on a bot aimed at the fake."""
    from telegram.request import HTTPXRequest

    from bot.channels.telegram.output import standalone_sender
    from bot.channels.telegram.repository import TelegramRepository
    from bot.channels.telegram.settings import PACE
    from bot.clock import SystemClock
    from bot.pacing import pacer_for
    from knowledge import load_knowledge

    return standalone_sender(
        TOKEN,
        base_url,
        TelegramRepository(db),
        load_knowledge().ui,
        SystemClock().now,
        request=HTTPXRequest(connection_pool_size=8),
        # PostgreSQL: every worker process reserves its slots in one shared schedule.
        pacer=pacer_for(db, "telegram", PACE),
    )


async def worker(url: str, base_url: str, claim_timeout: float) -> None:
    from sqlalchemy import func, select

    from bot.clock import SystemClock
    from bot.db.engine import Database
    from bot.db.models import OutboxMessage
    from bot.outbox import OutboxDelivery

    outbox = OutboxMessage.__table__
    db = Database(url)
    sender, bot = build_sender(base_url, db)
    await bot.initialize()
    dispatcher = OutboxDelivery(
        db,
        {"telegram": sender},
        SystemClock(),
        claim_timeout=timedelta(seconds=claim_timeout),
    )
    try:
        while True:
            report = await dispatcher.dispatch_once()
            async with db.transaction() as session:
                left = (
                    await session.execute(
                        select(func.count()).where(outbox.c.status.in_(("pending", "sending")))
                    )
                ).scalar_one()
            if left == 0:
                return
            if not report.sent:
                await asyncio.sleep(0.2)
    finally:
        await bot.shutdown()
        await db.dispose()


async def run(recipients: int, claim_timeout: float, kill_at: int | None) -> dict[str, object]:
    api = FakeBotApi()
    app = web.Application()
    app.router.add_post("/bot{token}/{method}", api.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # noqa: SLF001 - port 0 was bound
    base_url = f"http://127.0.0.1:{port}/bot"
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{tmp}/bench.db"
        await prepare_database(url, recipients)
        args = [sys.executable, __file__, "--worker", url, base_url, str(claim_timeout)]
        starts = [time.monotonic()]
        proc = await asyncio.create_subprocess_exec(*args, cwd=ROOT)
        killed_in_flight = None
        if kill_at is not None:
            while len(api.accepted) < kill_at and proc.returncode is None:  # noqa: ASYNC110
                await asyncio.sleep(0.005)
            # A random instant of the send cycle, not the moment a delivery was just answered.
            await asyncio.sleep(random.uniform(0, 1 / LIMIT_PER_SECOND))
            os.kill(proc.pid, signal.SIGKILL)
            await proc.wait()
            killed_in_flight = len(api.accepted)
            starts.append(time.monotonic())
            proc = await asyncio.create_subprocess_exec(*args, cwd=ROOT)
        await proc.wait()
    await runner.cleanup()
    return summarise(api, recipients, starts, killed_in_flight)


def summarise(api: FakeBotApi, recipients: int, starts, killed_at) -> dict[str, object]:
    times = [t for t, _ in api.accepted]
    counts = Counter(chat for _, chat in api.accepted)
    first, last = times[0], times[-1]
    # Sustained: time spent sending; a restart's gap (no delivery for > 2 s) is left out.
    busy = (last - first) - sum(
        b - a for a, b in zip(times, times[1:], strict=False) if b - a > 2.0
    )
    # Each process's first second of sending is excused (a restart does not know what the
    # killed process sent just before); it starts when the process is spawned.
    firsts = _first_sends(times, starts)
    late_429 = [
        t
        for t in api.rejected
        if not any(s <= t <= f + 1.0 for s, f in zip(starts, firsts, strict=True))
    ]
    return {
        "delivered": len(api.accepted),
        "unique": len(counts),
        "duplicates": sum(c - 1 for c in counts.values()),
        "lost": recipients - len(counts),
        "rate": len(api.accepted) / busy if busy > 0 else float("nan"),
        "wall": last - first,
        "429": len(api.rejected),
        "429_after_first_second": len(late_429),
        "late_429_at": [round(t - max(s for s in starts if s <= t), 2) for t in late_429],
        "killed_at": killed_at,
    }


def _first_sends(times: list[float], starts: list[float]) -> list[float]:
    return [next((t for t in times if t >= s), s) for s in starts]


# --- replicas: N sending processes on one PostgreSQL database (issue 17) ---------------------


def add_replica_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--replicas",
        type=int,
        default=0,
        help="compare 1 and N worker processes sending one broadcast together "
        "(use with --database postgres --url URL)",
    )


async def _serve(api: FakeBotApi) -> tuple[web.AppRunner, str]:
    app = web.Application()
    app.router.add_post("/bot{token}/{method}", api.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # noqa: SLF001 - port 0 was bound
    return runner, f"http://127.0.0.1:{port}/bot"


async def _postgres_schema(url: str) -> tuple[str, str]:
    """A fresh schema on the server of `url`: (URL searching that schema, schema name)."""
    import uuid

    from sqlalchemy import text

    from bot.db.engine import Database

    schema = f"bench_{uuid.uuid4().hex[:10]}"
    db = Database(url)
    async with db.engine.begin() as conn:
        await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    await db.dispose()
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}options=-csearch_path%3D{schema}", schema


async def _drop_schema(url: str, schema: str) -> None:
    from sqlalchemy import text

    from bot.db.engine import Database

    db = Database(url)
    async with db.engine.begin() as conn:
        await conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    await db.dispose()


async def run_replicas(
    database: str, server_url: str | None, recipients: int, replicas: int, claim_timeout: float
) -> dict[str, object]:
    """One broadcast sent by `replicas` worker processes at once, each with its own engine."""
    api = FakeBotApi()
    runner, base_url = await _serve(api)
    schema = None
    with tempfile.TemporaryDirectory() as tmp:
        if database == "postgres":
            if not server_url:
                raise SystemExit("--database postgres needs --url postgresql+asyncpg://...")
            url, schema = await _postgres_schema(server_url)
        else:
            url = f"sqlite+aiosqlite:///{tmp}/bench.db"
        try:
            await prepare_database(url, recipients)
            args = [sys.executable, __file__, "--worker", url, base_url, str(claim_timeout)]
            start = time.monotonic()
            procs = [
                await asyncio.create_subprocess_exec(*args, cwd=ROOT) for _ in range(replicas)
            ]
            for proc in procs:
                await proc.wait()
        finally:
            if schema is not None and server_url:
                await _drop_schema(server_url, schema)
    await runner.cleanup()
    result = summarise(api, recipients, [start], None)
    result["busiest_second"] = busiest_second([t for t, _ in api.accepted])
    return result


def busiest_second(times: list[float]) -> int:
    """The most deliveries the fake accepted in any 1-second window."""
    ordered = sorted(times)
    best = j = 0
    for i, first in enumerate(ordered):
        j = max(j, i)
        while j < len(ordered) and ordered[j] < first + 1.0:
            j += 1
        best = max(best, j - i)
    return best


def print_replicas(args: argparse.Namespace) -> None:
    database = getattr(args, "database", "sqlite")
    url = getattr(args, "url", None)
    if database != "postgres" and args.replicas > 1:
        print("note: on SQLite each process paces alone; use --database postgres --url URL")
    print(
        f"replicas on {database}: fake Bot API limit {LIMIT_PER_SECOND} msg/s (429 beyond), "
        f"{args.recipients} recipients"
    )
    for n in sorted({1, args.replicas}):
        result = asyncio.run(run_replicas(database, url, args.recipients, n, args.claim_timeout))
        print(
            f"{n} replica(s): delivered {result['delivered']} to {result['unique']}/"
            f"{args.recipients} in {result['wall']:.1f}s; {result['rate']:.1f} msg/s "
            f"together; busiest second {result['busiest_second']}; 429s {result['429']} "
            f"(after the first second: {result['429_after_first_second']}); "
            f"duplicates {result['duplicates']}; lost {result['lost']}"
        )
        if result["late_429_at"]:
            print(f"  late 429s, seconds after the start: {result['late_429_at']}")


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        url, base_url, claim_timeout = sys.argv[2], sys.argv[3], float(sys.argv[4])
        asyncio.run(worker(url, base_url, claim_timeout))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--recipients", type=int, default=3000)
    parser.add_argument("--claim-timeout", type=float, default=15.0)
    parser.add_argument("--kills", type=int, default=1, help="how many SIGKILL runs")
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--url", help="PostgreSQL server URL (postgresql+asyncpg://...)")
    add_replica_arguments(parser)
    args = parser.parse_args()
    if args.replicas:
        print_replicas(args)
        return
    print(
        f"sender: TelegramSender; fake Bot API limit {LIMIT_PER_SECOND} msg/s; claim timeout "
        f"{args.claim_timeout:.0f}s"
    )
    plan = [("clean run", None)]
    plan += [("SIGKILL halfway + restart", args.recipients // 2)] * args.kills
    for label, kill_at in plan:
        result = asyncio.run(run(args.recipients, args.claim_timeout, kill_at))
        ratio = result["rate"] / LIMIT_PER_SECOND
        killed = f"; killed after {result['killed_at']} deliveries" if result["killed_at"] else ""
        print(
            f"{label}: delivered {result['delivered']} to {result['unique']}/{args.recipients} "
            f"recipients in {result['wall']:.1f}s; sustained {result['rate']:.1f} msg/s "
            f"(ratio to the {LIMIT_PER_SECOND}/s ceiling {ratio:.2f}); 429s {result['429']} "
            f"(after the first second: {result['429_after_first_second']}); "
            f"duplicates {result['duplicates']}; lost {result['lost']}{killed}"
        )
        if result["late_429_at"]:
            print(f"  late 429s, seconds after their process started: {result['late_429_at']}")


if __name__ == "__main__":
    main()
