"""Broadcast 3,000 messages through the Telegram channel to a local fake Bot API, cleanly,
across a SIGKILL and across a database outage (issue 17: outbound durability).

The fake answers 429 (retry_after=1) whenever more than 30 messages arrived in the last
second, like Telegram's bulk limit. The clean run is the baseline of the same invocation;
`--kill` adds a run whose sending process is killed with SIGKILL halfway and started again;
`--outage S` adds a run whose database (PostgreSQL, behind a TCP proxy) drops every
connection and refuses new ones for S seconds halfway. For each run it prints the sustained
rate (msg/s) and its ratio to the clean run's, the 429s (and those after a process's first
second), duplicates (a recipient who got it twice), lost (never got it) and uncertain (outbox
rows left `sending` past the lease: never resent, and how many of them did arrive).

    python bench/broadcast.py [--recipients 3000] [--database sqlite|postgres] [--url URL]
        [--kill] [--outage 15] [--claim-timeout 15] [--sending-lease 60]

The worker sends through the service's TelegramSender (bot/channels/telegram/output.py) on a
telegram.Bot whose base_url is the fake, with the service's outbox (bot/outbox.py): claim,
mark sending, send, record. The sender's rate limiter paces Telegram at 29 sends a second
(bot/pacing.py; the pace is in bot/channels/telegram/settings.py). `--claim-timeout` is how
long a restarted process waits before taking over the killed one's claimed rows;
`--sending-lease` how long a row may stay `sending` before it is settled (a broadcast row:
uncertain).
PostgreSQL runs each use a fresh schema of `--url` (default the tests' database).

    python bench/broadcast.py --replicas 3 --database postgres \
        --url postgresql+asyncpg://postgres@127.0.0.1:5432/test

sends the broadcast with 1, then 3 worker processes at once (each its own engine, in a fresh
schema), sharing one pace through PostgreSQL, and prints the rate of all together, the
busiest second at the fake, 429s after the first second, duplicates and losses.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import random
import signal
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from aiohttp import web

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TOKEN = "123456:BENCH"  # noqa: S105 - a fake token for the fake server
LIMIT_PER_SECOND = 30
FIRST_CHAT = 10_000_000
DEFAULT_PG_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"


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


async def _left(db) -> int:  # noqa: ANN001 - a Database
    """Rows still to settle: pending, claimed or sending."""
    from sqlalchemy import func, select

    from bot.db.models import OutboxMessage

    outbox = OutboxMessage.__table__
    waiting = ("pending", "claimed", "sending")
    async with db.transaction() as session:
        query = select(func.count()).where(outbox.c.status.in_(waiting))
        return (await session.execute(query)).scalar_one()


async def worker(url: str, base_url: str, claim_timeout: float, sending_lease: float) -> None:
    """Dispatch passes until nothing is left; a pass that meets the database unreachable is
    tried again (the service's ticker does the same: it logs and ticks on)."""
    from bot.clock import SystemClock
    from bot.db.engine import Database
    from bot.db.errors import is_unavailable
    from bot.outbox import OutboxDelivery

    db = Database(url)
    sender, bot = build_sender(base_url, db)
    await bot.initialize()
    dispatcher = OutboxDelivery(
        db,
        {"telegram": sender},
        SystemClock(),
        claim_timeout=timedelta(seconds=claim_timeout),
        sending_lease=timedelta(seconds=sending_lease),
    )
    try:
        while True:
            try:
                report = await dispatcher.dispatch_once()
                left = await _left(db)
            except Exception as exc:
                if not is_unavailable(exc):
                    raise
                await asyncio.sleep(0.5)
                continue
            if left == 0:
                return
            if not report.sent:
                await asyncio.sleep(0.2)
    finally:
        await bot.shutdown()
        await db.dispose()


# --- one run: a fresh database, the fake Bot API, the worker process, the disruption --------


@dataclass(frozen=True)
class Scenario:
    label: str
    kill: bool = False
    outage: float = 0.0  # seconds the database is unreachable, halfway


@dataclass
class Run:
    """What a run observed besides the fake's own records."""

    starts: list[float] = field(default_factory=list)  # monotonic start of each process
    killed_at: int | None = None  # deliveries when SIGKILL came
    outage_at: int | None = None  # deliveries when the database went away
    statuses: dict[str, int] = field(default_factory=dict)  # outbox rows by status, at the end
    uncertain_chats: list[int] = field(default_factory=list)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Every option of the benchmark (one place, so further scenarios add theirs here)."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n", 1)[0])
    parser.add_argument("--recipients", type=int, default=3000)
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument(
        "--url", default=DEFAULT_PG_URL, help="PostgreSQL URL (a fresh schema per run)"
    )
    parser.add_argument("--kill", action="store_true", help="add a SIGKILL-halfway run")
    parser.add_argument(
        "--outage", type=float, default=0.0, help="add a run with the database away this long"
    )
    parser.add_argument("--claim-timeout", type=float, default=15.0)
    parser.add_argument(
        "--sending-lease", type=float, default=60.0, help="BOT_OUTBOX_SENDING_LEASE_SECONDS"
    )
    add_replica_arguments(parser)
    args = parser.parse_args(argv)
    if args.outage and args.database != "postgres":
        parser.error("--outage needs --database postgres (the outage is a TCP proxy)")
    return args


def scenarios(args: argparse.Namespace) -> list[Scenario]:
    """The clean baseline first, then the disruptions asked for."""
    plan = [Scenario("clean")]
    if args.kill:
        plan.append(Scenario("SIGKILL halfway + restart", kill=True))
    if args.outage:
        plan.append(Scenario(f"database away {args.outage:.0f}s halfway", outage=args.outage))
    return plan


@contextlib.asynccontextmanager
async def fresh_database(args: argparse.Namespace) -> AsyncIterator[str]:
    """A migrated, empty database URL for one run: a temporary SQLite file or a new schema."""
    if args.database == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite+aiosqlite:///{tmp}/bench.db"
        return
    from bench.telegram_e2e import _schema

    url, drop = await _schema(args.url)
    try:
        yield url
    finally:
        await drop()


@contextlib.asynccontextmanager
async def fake_bot_api() -> AsyncIterator[tuple[FakeBotApi, str]]:
    """The fake Bot API on a free port, and its base URL."""
    api = FakeBotApi()
    app = web.Application()
    app.router.add_post("/bot{token}/{method}", api.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # noqa: SLF001 - port 0 was bound
    try:
        yield api, f"http://127.0.0.1:{port}/bot"
    finally:
        await runner.cleanup()


@contextlib.asynccontextmanager
async def database_proxy(url: str) -> AsyncIterator[tuple[Any, str]]:
    """A TCP proxy in front of PostgreSQL (tests/test_inbox_durability.py) and the URL
    through it; `proxy.stop()` drops every connection and refuses new ones."""
    from sqlalchemy.engine import make_url

    from tests.test_inbox_durability import DroppingProxy

    target = make_url(url)
    proxy = DroppingProxy(target.host or "127.0.0.1", target.port or 5432)
    await proxy.start()
    try:
        yield proxy, target.set(host="127.0.0.1", port=proxy.port).render_as_string(False)
    finally:
        with contextlib.suppress(AssertionError):
            await proxy.stop()


def worker_command(url: str, base_url: str, args: argparse.Namespace) -> list[str]:
    options = json.dumps([url, base_url, args.claim_timeout, args.sending_lease])
    return [sys.executable, __file__, "--worker", options]


async def start_worker(command: list[str], run: Run) -> asyncio.subprocess.Process:
    run.starts.append(time.monotonic())
    return await asyncio.create_subprocess_exec(*command, cwd=ROOT)


async def until_delivered(api: FakeBotApi, count: int, proc: Any) -> None:
    while len(api.accepted) < count and proc.returncode is None:  # noqa: ASYNC110
        await asyncio.sleep(0.005)


async def kill_and_restart(
    api: FakeBotApi, proc: Any, at: int, command: list[str], run: Run
) -> Any:
    """SIGKILL the worker once `at` messages were delivered; start a new one."""
    await until_delivered(api, at, proc)
    # A random instant of the send cycle, not the moment a delivery was just answered.
    await asyncio.sleep(random.uniform(0, 1 / LIMIT_PER_SECOND))
    os.kill(proc.pid, signal.SIGKILL)
    await proc.wait()
    run.killed_at = len(api.accepted)
    return await start_worker(command, run)


async def database_outage(
    api: FakeBotApi, proc: Any, at: int, proxy: Any, seconds: float, run: Run
) -> None:
    """Once `at` messages were delivered, the database is unreachable for `seconds`."""
    await until_delivered(api, at, proc)
    run.outage_at = len(api.accepted)
    await proxy.stop()
    await asyncio.sleep(seconds)
    await proxy.start()


async def outbox_outcome(url: str, run: Run) -> None:
    """Outbox rows by status at the end, and the chats of the uncertain ones."""
    from sqlalchemy import func, select

    from bot.db.engine import Database
    from bot.db.models import OutboxMessage

    outbox = OutboxMessage.__table__
    db = Database(url)
    try:
        async with db.transaction() as session:
            rows = await session.execute(
                select(outbox.c.status, func.count()).group_by(outbox.c.status)
            )
            run.statuses = {str(status): int(n) for status, n in rows.all()}
            chats = await session.execute(
                select(outbox.c.chat_id).where(outbox.c.status == "uncertain")
            )
            run.uncertain_chats = [int(c) for c in chats.scalars()]
    finally:
        await db.dispose()


async def run_scenario(args: argparse.Namespace, scenario: Scenario) -> dict[str, Any]:
    run = Run()
    async with fresh_database(args) as url, fake_bot_api() as (api, base_url):
        await prepare_database(url, args.recipients)
        async with contextlib.AsyncExitStack() as stack:
            worker_url = url
            proxy = None
            if scenario.outage:
                proxy, worker_url = await stack.enter_async_context(database_proxy(url))
            command = worker_command(worker_url, base_url, args)
            proc = await start_worker(command, run)
            halfway = args.recipients // 2
            if scenario.kill:
                proc = await kill_and_restart(api, proc, halfway, command, run)
            if proxy is not None:
                await database_outage(api, proc, halfway, proxy, scenario.outage, run)
            await proc.wait()
        await outbox_outcome(url, run)
    return summarise(api, args.recipients, run)


def summarise(api: FakeBotApi, recipients: int, run: Run) -> dict[str, Any]:
    starts = run.starts
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
        "killed_at": run.killed_at,
        "outage_at": run.outage_at,
        "uncertain": len(run.uncertain_chats),
        "uncertain_arrived": sum(1 for chat in run.uncertain_chats if chat in counts),
        "statuses": run.statuses,
    }


def _first_sends(times: list[float], starts: list[float]) -> list[float]:
    return [next((t for t in times if t >= s), s) for s in starts]


def report_line(label: str, result: dict[str, Any], baseline: float) -> str:
    ratio = result["rate"] / baseline if baseline else float("nan")
    when = ""
    if result["killed_at"] is not None:
        when = f"; killed after {result['killed_at']} deliveries"
    if result["outage_at"] is not None:
        when = f"; database away after {result['outage_at']} deliveries"
    return (
        f"{label}: delivered {result['delivered']} to {result['unique']} recipients in "
        f"{result['wall']:.1f}s; {result['rate']:.1f} msg/s (ratio to clean {ratio:.2f}); "
        f"429s {result['429']} (after a process's first second: "
        f"{result['429_after_first_second']}); duplicates {result['duplicates']}; "
        f"lost {result['lost']}; uncertain {result['uncertain']} "
        f"(of which arrived {result['uncertain_arrived']}){when}; rows {result['statuses']}"
    )


# --- replicas: N sending processes on one PostgreSQL database (issue 17) ---------------------


def add_replica_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--replicas",
        type=int,
        default=0,
        help="compare 1 and N worker processes sending one broadcast together "
        "(use with --database postgres --url URL)",
    )


async def run_replicas(args: argparse.Namespace, replicas: int) -> dict[str, Any]:
    """One broadcast sent by `replicas` worker processes at once, each with its own engine."""
    run = Run()
    async with fresh_database(args) as url, fake_bot_api() as (api, base_url):
        await prepare_database(url, args.recipients)
        command = worker_command(url, base_url, args)
        procs = [await start_worker(command, run) for _ in range(replicas)]
        for proc in procs:
            await proc.wait()
        await outbox_outcome(url, run)
    run.starts = run.starts[:1]  # one broadcast: "after the first second" counts from the start
    result = summarise(api, args.recipients, run)
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
    database = args.database
    if database != "postgres" and args.replicas > 1:
        print("note: on SQLite each process paces alone; use --database postgres --url URL")
    print(
        f"replicas on {database}: fake Bot API limit {LIMIT_PER_SECOND} msg/s (429 beyond), "
        f"{args.recipients} recipients"
    )
    for n in sorted({1, args.replicas}):
        result = asyncio.run(run_replicas(args, n))
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
        url, base_url, claim_timeout, sending_lease = json.loads(sys.argv[2])
        # The outbox warns on every retry through an outage; the figures are the output.
        logging.basicConfig(level=logging.ERROR)
        asyncio.run(worker(url, base_url, float(claim_timeout), float(sending_lease)))
        return
    args = parse_args()
    if args.replicas:
        print_replicas(args)
        return
    print(
        f"sender: TelegramSender; fake Bot API limit {LIMIT_PER_SECOND} msg/s; "
        f"{args.recipients} recipients on {args.database}; claim timeout "
        f"{args.claim_timeout:.0f}s; sending lease {args.sending_lease:.0f}s"
    )
    baseline = 0.0
    for scenario in scenarios(args):
        result = asyncio.run(run_scenario(args, scenario))
        baseline = baseline or result["rate"]
        print(report_line(scenario.label, result, baseline), flush=True)
        if result["late_429_at"]:
            print(f"  late 429s, seconds after their process started: {result['late_429_at']}")


if __name__ == "__main__":
    main()
