"""Zalo webhook: time to answer 200 (Zalo wants it within ~2 s), and end-to-end throughput.

Signed `user_send_text` POSTs from many users go to the real channel on 127.0.0.1; replies go
to the fake Zalo API of the tests. Baseline in the same run: the same POSTs to a bare aiohttp
handler that reads the body and answers 200 (the HTTP cost the webhook cannot avoid).

    python -m bench.zalo_webhook [--messages 2000] [--users 200] [--concurrency 32] [--pg URL]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
from aiohttp import web
from sqlalchemy import text

from bot.app import build_app
from bot.channels.zalo.channel import ZaloChannel
from bot.channels.zalo.webhook import signature
from bot.clock import FrozenClock
from bot.config import Settings
from bot.db.engine import Database
from tests.zalo_fake import (
    APP_ID,
    APP_SECRET,
    OA_SECRET,
    SEED_ACCESS,
    SEED_REFRESH,
    FakeZalo,
    text_event,
)

TEXTS = ["/start", "menu:contact", "ho tro may moc bao nhieu", "/menu", "menu:faq"]


async def _serve(routes: list[web.RouteDef]) -> tuple[web.AppRunner, str]:
    app = web.Application()
    app.add_routes(routes)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    return runner, f"http://{host}:{port}"


async def _post_all(url: str, bodies: list[bytes], concurrency: int) -> list[float]:
    latencies: list[float] = []
    queue = list(reversed(bodies))
    async with aiohttp.ClientSession() as http:

        async def worker() -> None:
            while queue:
                raw = queue.pop()
                event = json.loads(raw)
                mac = signature(APP_ID, raw, event["timestamp"], OA_SECRET)
                started = time.perf_counter()
                async with http.post(
                    f"{url}/webhooks/zalo", data=raw, headers={"X-ZEvent-Signature": mac}
                ) as resp:
                    await resp.read()
                    assert resp.status == 200, resp.status
                latencies.append(time.perf_counter() - started)

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return latencies


def _summary(name: str, latencies: list[float]) -> str:
    ms = sorted(x * 1000 for x in latencies)
    p95 = ms[int(len(ms) * 0.95) - 1]
    return f"{name}: p50 {statistics.median(ms):.2f} ms, p95 {p95:.2f} ms, max {ms[-1]:.2f} ms"


async def main(args: argparse.Namespace) -> None:
    now = datetime.now(UTC)
    bodies = [
        json.dumps(
            text_event(f"u{i % args.users}", TEXTS[(i // args.users) % len(TEXTS)], f"b{i}", now)
        ).encode()
        for i in range(args.messages)
    ]

    async def bare(request: web.Request) -> web.Response:
        await request.read()
        return web.json_response({"status": "ok"})

    runner, url = await _serve([web.post("/webhooks/zalo", bare)])
    baseline = await _post_all(url, bodies, args.concurrency)
    await runner.cleanup()

    fake = FakeZalo()
    await fake.start()
    with tempfile.TemporaryDirectory() as tmp:
        db_url = args.pg or f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
        schema = None
        if args.pg:
            schema = f"bench_{uuid.uuid4().hex[:8]}"
            admin = Database(args.pg)
            async with admin.engine.begin() as conn:
                await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
            await admin.dispose()
            db_url = f"{args.pg}?options=-csearch_path%3D{schema}"
        settings = Settings(
            _env_file=None,
            database_url=db_url,
            data_dir=Path(tmp),
            zalo_app_id=APP_ID,
            zalo_oa_secret=OA_SECRET,
            zalo_app_secret=APP_SECRET,
            zalo_access_token=SEED_ACCESS,
            zalo_refresh_token=SEED_REFRESH,
            zalo_api_base=fake.url,
            zalo_oauth_base=fake.url,
        )
        app = await build_app(settings, clock=FrozenClock(now))
        channel = ZaloChannel.from_deps(app.channel_deps())
        runner, url = await _serve(channel.routes())
        started = time.perf_counter()
        accepted = await _post_all(url, bodies, args.concurrency)
        accept_seconds = time.perf_counter() - started
        await channel.drain()
        total_seconds = time.perf_counter() - started
        await runner.cleanup()
        await channel.close()
        await app.close()
        if schema:
            admin = Database(args.pg)
            async with admin.engine.begin() as conn:
                await conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            await admin.dispose()
    await fake.stop()

    backend = "PostgreSQL" if args.pg else "SQLite"
    print(f"{args.messages} signed webhooks from {args.users} users on {backend}")
    print(_summary("bare handler (baseline)", baseline))
    print(_summary("zalo webhook (verify + schedule)", accepted))
    ratio = statistics.median(accepted) / statistics.median(baseline)
    print(f"p50 ratio webhook/baseline: {ratio:.2f}x")
    print(
        f"all 200s after {accept_seconds:.2f} s; all replies sent after {total_seconds:.2f} s "
        f"({args.messages / total_seconds:.0f} messages/s end to end, "
        f"{len(fake.delivered)} Zalo API sends)"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--pg", help="postgresql+asyncpg://… to run on PostgreSQL")
    asyncio.run(main(parser.parse_args()))
