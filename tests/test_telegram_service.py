"""The `run` command as a process, /healthz without a database, and the typing action."""

from __future__ import annotations

import asyncio
import dataclasses
import signal
import socket
import sys
import time

import aiohttp

from bot.channels.telegram.channel import TelegramChannel
from bot.channels.telegram.settings import TelegramConfig
from bot.db.engine import Database
from bot.http_server import build_web_app
from bot.metrics import Metrics
from bot.scheduler import Ticker
from handlers.messages import Document, Reply
from tests.telegram_harness import FAST, TOKEN


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def _get(url: str) -> tuple[int, dict | str]:
    async with aiohttp.ClientSession() as http, http.get(url) as r:
        body = await r.json() if r.content_type == "application/json" else await r.text()
        return r.status, body


# A loaded machine (2 cores, several test sessions) may need tens of seconds to import,
# migrate and start: wait for readiness up to this long, never a short fixed sleep.
READY_WITHIN = 60.0


async def _wait_healthy(url: str, process) -> tuple[int, dict | str]:
    deadline = time.monotonic() + READY_WITHIN
    while time.monotonic() < deadline:
        if process.returncode is not None:
            raise AssertionError(await process.stderr.read())
        try:
            return await _get(url)
        except aiohttp.ClientConnectionError:
            await asyncio.sleep(0.1)
    raise AssertionError(f"server did not come up within {READY_WITHIN:.0f} s")


async def test_run_without_token_serves_health_and_stops_on_sigterm(subprocess_env):
    port = _free_port()
    env = subprocess_env | {"BOT_HTTP_HOST": "127.0.0.1", "BOT_HTTP_PORT": str(port)}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        status, body = await _wait_healthy(f"http://127.0.0.1:{port}/healthz", process)
        assert status == 200
        assert body["telegram"] == "off"
        status, text = await _get(f"http://127.0.0.1:{port}/metrics")
        assert "bot_outbox_lag_seconds" in text
    finally:
        process.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(process.wait(), READY_WITHIN)
    assert code == 0, await process.stderr.read()


async def test_run_with_telegram_polls_the_fake(subprocess_env, fake):
    port = _free_port()
    env = subprocess_env | {
        "BOT_HTTP_HOST": "127.0.0.1",
        "BOT_HTTP_PORT": str(port),
        "BOT_TELEGRAM_TOKEN": TOKEN,
        "BOT_TELEGRAM_BASE_URL": fake.base_url,
        "PTB_TIMEDELTA": "1",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        await _wait_healthy(f"http://127.0.0.1:{port}/healthz", process)
        fake.push(fake.text_update(4242, "/start"))
        # The first poll and the first handled message may be slow on a loaded machine.
        [sent] = await fake.wait_for("sendMessage", "4242", within=READY_WITHIN)
        assert sent.params["text"].startswith("Dạ, em chào")
    finally:
        process.send_signal(signal.SIGINT)
        code = await asyncio.wait_for(process.wait(), READY_WITHIN)
    assert code == 0, await process.stderr.read()


async def test_webhook_mode_needs_a_secret(subprocess_env):
    env = subprocess_env | {"BOT_TELEGRAM_TOKEN": TOKEN, "BOT_PUBLIC_URL": "https://x.vn"}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _, err = await asyncio.wait_for(process.communicate(), 20)
    assert process.returncode == 2
    assert "BOT_TELEGRAM_WEBHOOK_SECRET" in err.decode()


async def test_wrong_token_is_a_clear_error(subprocess_env, fake):
    env = subprocess_env | {
        "BOT_HTTP_HOST": "127.0.0.1",
        "BOT_HTTP_PORT": str(_free_port()),
        "BOT_TELEGRAM_TOKEN": "999:WRONG",
        "BOT_TELEGRAM_BASE_URL": fake.base_url,
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _, err = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 1
    assert "BOT_TELEGRAM_TOKEN" in err.decode()


async def test_healthz_503_when_database_unreachable(app):
    down = dataclasses.replace(app, db=Database("postgresql+asyncpg://u@127.0.0.1:1/none"))
    ticker = Ticker()
    ticker.start()
    runner = aiohttp.web.AppRunner(build_web_app(down, ticker, metrics=Metrics()))
    await runner.setup()
    site = aiohttp.web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        status, body = await _get(f"http://127.0.0.1:{runner.addresses[0][1]}/healthz")
    finally:
        await runner.cleanup()
        await ticker.stop()
        await down.db.dispose()
    assert status == 503
    assert body == {
        "status": "unavailable",
        "database": False,
        "scheduler": True,
        "telegram": "off",
    }


async def test_typing_shown_while_a_slow_draft_is_made(app, fake, tmp_path):
    draft = tmp_path / "de_an.docx"
    draft.write_bytes(b"PK")

    async def slow_draft(message, journal=None):
        await asyncio.sleep(0.3)
        replies = [Reply("Dạ, bản nháp đây ạ.", documents=(Document(str(draft), "de_an.docx"),))]
        if journal is not None:  # the inbox records the outcome in the handling transaction
            async with app.db.transaction() as session:
                await journal.handled_in(session, replies)
        return replies

    config = TelegramConfig(token=TOKEN, base_url=fake.base_url, limits=FAST, typing_after=0.05)
    channel = TelegramChannel(
        config, handle=slow_draft, db=app.db, ui=app.kb.ui, metrics=Metrics(), clock=app.clock
    )
    await channel.start()
    try:
        fake.push(fake.text_update(4242, "soạn đề án"))
        [document] = await fake.wait_for("sendDocument", "4242", within=READY_WITHIN)
    finally:
        await channel.stop()
    actions = fake.made("sendChatAction", "4242")
    assert actions[0].params["action"] == "typing"
    assert actions[0].at < fake.made("sendMessage", "4242")[0].at
    assert document.params["document"]["filename"] == "de_an.docx"
