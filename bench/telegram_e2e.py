"""Telegram end to end: our service vs a bare python-telegram-bot echo bot, same fake Bot API.

    python bench/telegram_e2e.py [DATABASE_URL] [--users 500] [--messages 5000]

The fake Bot API and the simulated users run in a child process (its own CPU), the bot under
test in this one. Each user sends a message, waits for the whole reply, then sends the next
(closed loop, so at most one message per user is in flight). Both bots poll getUpdates.
Our service runs with its real limiter, but with Telegram's send limits raised: at 30 msg/s
overall both bots would only measure Telegram's cap, not our machinery.
Default DATABASE_URL: postgresql+asyncpg://postgres@127.0.0.1:5432/test, in a fresh schema.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import statistics
import sys
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

TOKEN = "123:BENCH"
DEFAULT_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
# Part of core.error ("the system has a problem"): such replies are counted, not hidden.
ERROR_MARK = "gặp sự cố"
QUESTIONS = [
    "hỗ trợ máy móc bao nhiêu",
    "htx có được hỗ trợ không",
    "hồ sơ gồm những gì",
    "nộp hồ sơ ở đâu",
    "khuyến công là gì",
    "đào tạo nghề được bao nhiêu tiền",
    "hạn nộp đề án khi nào",
    "sản phẩm công nghiệp nông thôn tiêu biểu là gì",
    "có hỗ trợ tham gia hội chợ không",
    "xử lý ô nhiễm được hỗ trợ gì",
]


# --- child process: fake Bot API + simulated users ----------------------------------------
async def _load(fake: Any, users: int, messages: int, replies: list[int], base: int) -> dict:
    per_user = messages // users
    sent = dict.fromkeys(range(base, base + users), 0)
    pending: dict[str, list[float]] = {}
    latencies: list[float] = []
    errors = 0
    done = asyncio.Event()

    def push(uid: int) -> None:
        index = (uid + sent[uid]) % len(QUESTIONS)
        sent[uid] += 1
        pending[str(uid)] = [replies[index], time.perf_counter()]
        fake.push(fake.text_update(uid, QUESTIONS[index]))

    def on_call(call: Any) -> None:
        nonlocal errors
        if call.method != "sendMessage":
            return
        if ERROR_MARK in call.params.get("text", ""):
            errors += 1
        waiting = pending.get(call.chat_id)
        if waiting is None:
            return
        waiting[0] -= 1
        if waiting[0] > 0:
            return
        latencies.append(time.perf_counter() - waiting[1])
        del pending[call.chat_id]
        uid = int(call.chat_id)
        if sent[uid] < per_user:
            push(uid)
        elif not pending:
            done.set()

    fake.on_call = on_call
    cpu = time.process_time()
    start = time.perf_counter()
    for uid in sent:
        push(uid)
    await done.wait()
    elapsed = time.perf_counter() - start
    fake.on_call = None
    latencies.sort()
    return {
        "messages": len(latencies),
        "seconds": elapsed,
        "rate": len(latencies) / elapsed,
        "fake_cpu": time.process_time() - cpu,
        "errors": errors,
        "p50_ms": 1000 * statistics.median(latencies),
        "p99_ms": 1000 * latencies[int(0.99 * (len(latencies) - 1))],
    }


async def _child() -> None:
    from tests.fake_telegram import FakeTelegram

    # A bot that stops mid long-poll drops its getUpdates connection: expected, not news.
    logging.basicConfig(level=logging.CRITICAL)
    fake = await FakeTelegram(TOKEN, record=False).start()
    print(json.dumps({"port": fake.port}), flush=True)
    loop = asyncio.get_running_loop()
    while line := await loop.run_in_executor(None, sys.stdin.readline):
        command = json.loads(line)
        if command["cmd"] == "quit":
            break
        result = await _load(
            fake, command["users"], command["messages"], command["replies"], command["base"]
        )
        print(json.dumps(result), flush=True)
    await fake.stop()


# --- parent process: the bots under test --------------------------------------------------
class Driver:
    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.base = 10_000

    async def read(self) -> dict:
        assert self.process.stdout is not None
        return json.loads(await self.process.stdout.readline())

    async def run(self, users: int, messages: int, replies: list[int]) -> dict:
        assert self.process.stdin is not None
        command = {
            "cmd": "run",
            "users": users,
            "messages": messages,
            "replies": replies,
            "base": self.base,
        }
        self.base += users
        self.process.stdin.write((json.dumps(command) + "\n").encode())
        await self.process.stdin.drain()
        cpu = time.process_time()
        result = await self.read()
        return result | {"bot_cpu": time.process_time() - cpu}


async def _echo_bot(base_url: str) -> Any:
    from telegram import Update
    from telegram.ext import ApplicationBuilder, ContextTypes, MessageHandler, filters

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.message.reply_text(update.message.text)  # type: ignore[union-attr]

    app = (
        ApplicationBuilder()
        .token(TOKEN)
        .base_url(base_url)
        .concurrent_updates(256)
        .job_queue(None)
        .build()
    )
    app.add_handler(MessageHandler(filters.TEXT, echo))
    await app.initialize()
    await app.updater.start_polling(poll_interval=0, timeout=10)  # type: ignore[union-attr]
    await app.start()

    async def stop() -> None:
        await app.updater.stop()  # type: ignore[union-attr]
        await app.stop()
        await app.shutdown()

    return stop


async def _our_service(url: str, base_url: str) -> tuple[Any, list[int]]:
    from pydantic import SecretStr

    from bot.app import build_app
    from bot.channels import telegram
    from bot.channels.base import Pace
    from bot.channels.registry import with_channels
    from bot.channels.telegram.limits import Limits
    from bot.config import Settings
    from bot.service import build_service
    from handlers.messages import IncomingMessage

    settings = Settings(
        _env_file=None,
        database_url=url,
        telegram_token=SecretStr(TOKEN),
        telegram_base_url=base_url,
        http_host="127.0.0.1",
    )
    app = await build_app(settings)
    replies = []
    for question in QUESTIONS:
        probe_id = f"probe-{uuid.uuid4().hex}"
        probe = IncomingMessage("console", "probe", "probe", text=question, message_id=probe_id)
        replies.append(len(await app.dispatcher.handle(probe)))
    unbound = Limits(pace=Pace(paced_by_sender=True))
    service = build_service(settings, app, channels=with_channels(telegram.spec(unbound)))
    await service.start("127.0.0.1", 0)
    return service.stop, replies


async def _schema(url: str) -> tuple[str, Any]:
    from sqlalchemy import text

    from bot.db.engine import Database

    if not url.startswith("postgresql"):
        return url, None
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = Database(url)
    async with admin.engine.begin() as conn:
        await conn.execute(text(f'CREATE SCHEMA "{schema}"'))

    async def drop() -> None:
        async with admin.engine.begin() as conn:
            await conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        await admin.dispose()

    sep = "&" if "?" in url else "?"
    return f"{url}{sep}options=-csearch_path%3D{schema}", drop


async def _parent(args: argparse.Namespace) -> None:
    logging.basicConfig(level=logging.ERROR)
    os.environ.setdefault("PTB_TIMEDELTA", "1")
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        __file__,
        "--child",
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    driver = Driver(process)
    port = (await driver.read())["port"]
    base_url = f"http://127.0.0.1:{port}/bot"
    url, drop = await _schema(args.url)
    warm_users, warm = max(1, args.users // 10), max(10, args.messages // 10)
    echoes, ourses = [], []
    try:
        # Rounds alternate the two bots so that a change in machine load hits both alike.
        for _ in range(args.rounds):
            stop = await _echo_bot(base_url)
            await driver.run(warm_users, warm, [1] * len(QUESTIONS))
            echoes.append(await driver.run(args.users, args.messages, [1] * len(QUESTIONS)))
            await stop()
            stop, replies = await _our_service(url, base_url)
            await driver.run(warm_users, warm, replies)
            ourses.append(await driver.run(args.users, args.messages, replies))
            await stop()
    finally:
        process.stdin.write(b'{"cmd": "quit"}\n')  # type: ignore[union-attr]
        await process.wait()
        if drop is not None:
            await drop()
    db = "PostgreSQL" if args.url.startswith("postgresql") else args.url.split(":")[0]
    print(f"{args.messages} messages from {args.users} users, polling, database: {db}")
    print(f"replies per message (our bot, by question): {replies}")
    _report(echoes, ourses, args.rounds)


def _report(echoes: list[dict], ourses: list[dict], rounds: int) -> None:
    for round_no, (echo, ours) in enumerate(zip(echoes, ourses, strict=True), start=1):
        print(f"round {round_no}")
        for name, r in (("echo bot (PTB, bare)", echo), ("our service", ours)):
            print(
                f"  {name:22s} {r['rate']:8.1f} msg/s   p50 {r['p50_ms']:7.1f} ms   "
                f"p99 {r['p99_ms']:7.1f} ms   ({r['messages']} in {r['seconds']:.2f} s; "
                f"CPU bot {r['bot_cpu']:.1f} s, fake {r['fake_cpu']:.1f} s; "
                f"error replies {r['errors']})"
            )
        print(f"  ratio (ours / echo throughput): {100 * ours['rate'] / echo['rate']:.0f} %")
    echo_rate = statistics.median(r["rate"] for r in echoes)
    ours_rate = statistics.median(r["rate"] for r in ourses)
    print(
        f"median over {rounds} round(s): echo {echo_rate:.1f} msg/s, ours {ours_rate:.1f} "
        f"msg/s, ratio {100 * ours_rate / echo_rate:.0f} %  (goal ≥ 60 %)"
    )
    cpu_echo = statistics.median(r["bot_cpu"] / r["messages"] for r in echoes)
    cpu_ours = statistics.median(r["bot_cpu"] / r["messages"] for r in ourses)
    print(f"bot CPU per message: echo {1000 * cpu_echo:.1f} ms, ours {1000 * cpu_ours:.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("url", nargs="?", default=DEFAULT_URL)
    parser.add_argument("--users", type=int, default=500)
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    asyncio.run(_child() if args.child else _parent(args))


if __name__ == "__main__":
    main()
