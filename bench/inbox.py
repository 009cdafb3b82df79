"""Durable intake: updates accepted, answered, lost and duplicated across a SIGKILL and a
database outage, and the webhook's time-to-200 with the inbox vs. without it (same run).

    python bench/inbox.py [DATABASE_URL] [--updates 400] [--outage 5] [--latency 600]

kill:     `run` (webhook mode) as a subprocess; a burst of signed updates (each chat sends
          /start then /menu); SIGKILL once half were accepted; restart; Telegram's behaviour
          is played by re-posting what got no 200 (and every 7th accepted one, a duplicate
          delivery). Counted: accepted before the kill, answered, lost (accepted, never
          answered), duplicated (answered twice).
outage:   PostgreSQL only. The service in this process, its database behind a TCP proxy that
          drops every connection and refuses new ones for --outage seconds while updates
          arrive at 20/s; 503s are delivered again, as Telegram does.
latency:  time from POST to 200 for --latency updates (16 at a time): the inbox (store, then
          200) vs. the former in-memory hand-off (parse, queue, 200), in the same process, with
          the handling running alongside; then the intake alone (nothing handled): parse only
          vs. parse and store.
Default DATABASE_URL: postgresql+asyncpg://postgres@127.0.0.1:5432/test, in a fresh schema;
`sqlite` for a temporary SQLite file (the outage run is then skipped).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.telegram_e2e import _schema  # noqa: E402
from tests.fake_telegram import FakeTelegram  # noqa: E402
from tests.test_inbox_durability import (  # noqa: E402
    SECRET,
    Burst,
    DroppingProxy,
    RunProcess,
    _free_port,
    _inbox_rows,
    _post,
)

TOKEN = "123:TEST"
DEFAULT_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
ERROR_MARK = "gặp sự cố"  # part of core.error


def _summary(
    name: str, burst: Burst, fake: FakeTelegram, accepted: set[int], extra: str = ""
) -> None:
    counts = burst.answered(fake)
    lost = len(accepted - set(counts))
    duplicated = sum(1 for n in counts.values() if n > 1)
    errors = sum(ERROR_MARK in c.params["text"] for c in fake.made("sendMessage"))
    print(
        f"{name}: sent {len(burst.updates)}, accepted {len(accepted)}, answered {len(counts)}, "
        f"lost {lost}, duplicated {duplicated}, error replies {errors}{extra}"
    )


async def _wait_answered(burst: Burst, fake: FakeTelegram, within: float = 120.0) -> None:
    everything = {u["update_id"] for u in burst.updates}
    for _ in range(int(within / 0.1)):
        if everything <= set(burst.answered(fake)):
            break
        await asyncio.sleep(0.1)
    await asyncio.sleep(1.0)  # a late duplicate would show up here


async def _redeliver(http: Any, url: str, updates: list[dict[str, Any]]) -> None:
    for update in updates:
        for _ in range(600):
            if await _post(http, url, update) == 200:
                break
            await asyncio.sleep(0.2)


async def kill_run(url: str, updates: int, work: Path) -> None:
    import aiohttp

    fake = await FakeTelegram(TOKEN).start()
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOT_")} | {
        "BOT_DATABASE_URL": url,
        "BOT_DATA_DIR": str(work / "data"),
        "BOT_MODELS_DIR": str(work / "models"),
        "BOT_ANSWER_DENSE": "false",
        "BOT_HTTP_HOST": "127.0.0.1",
        "BOT_HTTP_PORT": str(port),
        "BOT_TELEGRAM_TOKEN": TOKEN,
        "BOT_TELEGRAM_BASE_URL": fake.base_url,
        "BOT_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "BOT_TELEGRAM_WEBHOOK_SECRET": SECRET,
        "BOT_INBOX_LEASE_SECONDS": "2",
        "PTB_TIMEDELTA": "1",
    }
    run = RunProcess(env, port, work / "run.log")
    burst = Burst(fake, chats=updates // 2)
    hook = f"http://127.0.0.1:{port}/webhooks/telegram"
    accepted: set[int] = set()
    try:
        await run.start()
        gate, half = asyncio.Semaphore(16), asyncio.Event()
        async with aiohttp.ClientSession() as http:

            async def deliver(update: dict[str, Any]) -> None:
                async with gate:
                    if not half.is_set() and await _post(http, hook, update) == 200:
                        accepted.add(update["update_id"])
                        if len(accepted) >= len(burst.updates) // 2:
                            half.set()

            posting = asyncio.gather(*(deliver(u) for u in burst.updates))
            await half.wait()
            await run.kill()
            await posting
        at_kill = await _inbox_rows(url)
        states = Counter(status for status, _ in at_kill.values())
        before = len(burst.answered(fake))
        await run.start()
        async with aiohttp.ClientSession() as http:
            again = [
                u
                for u in burst.updates
                if u["update_id"] not in accepted or u["update_id"] % 7 == 0
            ]
            await _redeliver(http, hook, again)
        await _wait_answered(burst, fake)
        _summary(
            "kill",
            burst,
            fake,
            accepted,
            f" (answered before the kill {before}; inbox at the kill {dict(states)})",
        )
    finally:
        await run.stop()
        await fake.stop()


async def _service(url: str, fake: FakeTelegram, work: Path) -> Any:
    from pydantic import SecretStr

    from bot.app import build_app
    from bot.channels import telegram
    from bot.channels.registry import with_channels
    from bot.channels.telegram.limits import Limits
    from bot.channels.telegram.settings import PACE
    from bot.config import Settings
    from bot.service import build_service

    settings = Settings(
        _env_file=None,
        database_url=url,
        data_dir=work / "data",
        models_dir=work / "models",
        answer_dense=False,
        telegram_token=SecretStr(TOKEN),
        telegram_base_url=fake.base_url,
        public_url="https://bot.example.vn/",
        telegram_webhook_secret=SecretStr(SECRET),
        http_host="127.0.0.1",
    )
    app = await build_app(settings)
    fast = Limits(pace=replace(PACE, per_second=1e4, per_chat_interval=0.01, per_chat_burst=10))
    service = build_service(settings, app, channels=with_channels(telegram.spec(fast)))
    await service.start("127.0.0.1", 0)
    return service


async def outage_run(url: str, updates: int, seconds: float, work: Path) -> None:
    import aiohttp
    from sqlalchemy.engine import make_url

    target = make_url(url)
    proxy = DroppingProxy(target.host or "127.0.0.1", target.port or 5432)
    await proxy.start()
    fake = await FakeTelegram(TOKEN).start()
    proxied = target.set(host="127.0.0.1", port=proxy.port).render_as_string(False)
    service = await _service(proxied, fake, work)
    burst = Burst(fake, chats=updates // 2)
    hook = f"http://127.0.0.1:{service.port}/webhooks/telegram"
    statuses: Counter[int | None] = Counter()
    accepted: set[int] = set()
    refused: list[dict[str, Any]] = []
    try:
        async with aiohttp.ClientSession() as http:
            down_at = len(burst.updates) // 4
            up_at = down_at + int(seconds * 20)
            for n, update in enumerate(burst.updates):
                if n == down_at:
                    await proxy.stop()
                if n == up_at:
                    await proxy.start()
                status = await _post(http, hook, update)
                statuses[status] += 1
                if status == 200:
                    accepted.add(update["update_id"])
                else:
                    refused.append(update)
                await asyncio.sleep(0.05)
            if len(burst.updates) <= up_at:
                await proxy.start()
            await _redeliver(http, hook, refused)
        accepted |= {u["update_id"] for u in refused}
        await _wait_answered(burst, fake)
        _summary("outage", burst, fake, accepted, f" (webhook answers {dict(statuses)})")
    finally:
        await service.stop()
        with contextlib.suppress(Exception):
            await proxy.stop()
        await fake.stop()


async def latency_run(url: str, updates: int, work: Path) -> None:
    import aiohttp
    from telegram import Update

    from bot.channels.telegram.updates import to_message

    fake = await FakeTelegram(TOKEN, record=False).start()
    service = await _service(url, fake, work)
    channel = service.channels["telegram"]
    real_feed = channel.feed
    memory: set[asyncio.Task[Any]] = set()

    async def in_memory_feed(data: dict[str, Any]) -> bool:
        # What the webhook did before the inbox: parse, hand the update to a task, answer.
        update = Update.de_json(data, channel.application.bot)
        message = to_message(update, None)
        if message is not None:
            task = asyncio.create_task(service.app.dispatcher.handle(message))
            memory.add(task)
            task.add_done_callback(memory.discard)
        return True

    async def parse_only(data: dict[str, Any]) -> bool:
        return to_message(Update.de_json(data, channel.application.bot), None) is not None

    results: dict[str, list[float]] = {}
    hook = f"http://127.0.0.1:{service.port}/webhooks/telegram"
    variants = [
        ("in memory (before)", in_memory_feed, True),
        ("inbox", real_feed, True),
        ("parse only, idle", parse_only, False),
        ("inbox store, idle", real_feed, False),
    ]
    try:
        async with aiohttp.ClientSession() as http:
            for round_no in range(2):  # alternate, so that machine load hits both alike
                for n, (name, feed, alongside) in enumerate(variants):
                    if not alongside and round_no == 0:
                        continue
                    if not alongside:
                        await channel.inbox.stop()  # nothing handled: the intake alone
                    channel.feed = feed
                    burst = Burst(fake, chats=updates // 2)
                    for update in burst.updates:
                        update["update_id"] += (round_no * 10 + n) * 10**6
                    gate = asyncio.Semaphore(16)
                    times = results.setdefault(name, [])

                    async def one(update: dict[str, Any], gate=gate, times=times) -> None:
                        async with gate:
                            started = time.perf_counter()
                            assert await _post(http, hook, update) == 200
                            times.append(time.perf_counter() - started)

                    await asyncio.gather(*(one(u) for u in burst.updates))
                    if alongside:
                        await channel.inbox.drain(within=120)
                    while memory:
                        await asyncio.gather(*list(memory), return_exceptions=True)
    finally:
        channel.feed = real_feed
        await service.stop()
        await fake.stop()

    def pct(values: list[float], q: int) -> float:
        return 1000 * statistics.quantiles(values, n=100)[q - 1]

    for name, values in results.items():
        print(
            f"time to 200, {name:18s}: p50 {pct(values, 50):6.1f} ms"
            f"  p99 {pct(values, 99):6.1f} ms  ({len(values)} posts, 16 at a time)"
        )
    for a, b in (("inbox", "in memory (before)"), ("inbox store, idle", "parse only, idle")):
        print(
            f"ratio {a} / {b}: p50 {pct(results[a], 50) / pct(results[b], 50):.2f}×, "
            f"p99 {pct(results[a], 99) / pct(results[b], 99):.2f}×"
        )


async def main_async(args: argparse.Namespace) -> None:
    logging.basicConfig(level=logging.CRITICAL)
    os.environ.setdefault("PTB_TIMEDELTA", "1")
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        from knowledge import load_knowledge

        load_knowledge().prepare_answering(work / "models", use_dense=False)
        for mode in args.modes:
            if args.url == "sqlite":
                url, drop = f"sqlite+aiosqlite:///{work}/{mode}.db", None
            else:
                url, drop = await _schema(args.url)
            try:
                if mode in ("outage", "latency"):
                    from bot.db.engine import Database
                    from bot.db.migrate import upgrade

                    db = Database(url)
                    await upgrade(db)
                    await db.dispose()
                if mode == "kill":
                    await kill_run(url, args.updates, work)
                elif mode == "outage":
                    if url.startswith("sqlite"):
                        print("outage: skipped (needs PostgreSQL behind the proxy)")
                    else:
                        await outage_run(url, args.updates, args.outage, work)
                else:
                    await latency_run(url, args.latency, work)
            finally:
                if drop is not None:
                    await drop()
    db_name = "SQLite" if args.url == "sqlite" else "PostgreSQL"
    print(f"database: {db_name}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("url", nargs="?", default=DEFAULT_URL)
    parser.add_argument("--updates", type=int, default=400)
    parser.add_argument("--outage", type=float, default=5.0)
    parser.add_argument("--latency", type=int, default=600)
    parser.add_argument(
        "--modes",
        nargs="+",
        default=["kill", "outage", "latency"],
        choices=["kill", "outage", "latency"],
    )
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
