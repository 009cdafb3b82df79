"""The inbox worker through the Telegram and Zalo webhooks: outage vs. bug, 503, resumption."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import aiohttp
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from bot.db import inbox as rows
from bot.db.engine import Database
from bot.db.models import User
from bot.db.models_inbox import InboxRow
from bot.service import Service
from handlers.capability import Capability
from handlers.core import Core
from handlers.messages import Reply
from tests.telegram_harness import WEBHOOK_SECRET as SECRET
from tests.telegram_harness import start_service
from tests.zalo_fake import post_event, text_event

OWNER = 4242
UNREACHABLE = "postgresql+asyncpg://u@127.0.0.1:1/none"
ERROR_TEXT = "hệ thống đang gặp sự cố"  # knowledge/ui/core.yaml core.error


class _Faulty(Capability):
    """`flaky:start` fails like a lost database connection `outages` times, then answers;
    `flaky:bug` is a bug in a handler."""

    name = "flaky"

    def __init__(self, outages: int = 0) -> None:
        self.outages, self.calls = outages, 0

    async def start(self, ctx):
        self.calls += 1
        if self.calls <= self.outages:
            raise OperationalError("SELECT 1", {}, ConnectionResetError("connection lost"))
        return [Reply("Dạ, xong ạ.")]

    async def on_payload(self, ctx, action):
        if action == "bug":
            raise ValueError("a bug in a handler")
        return await self.start(ctx)


def _use(service: Service, capability: Capability) -> None:
    app = service.app
    app.dispatcher.core = Core([*app.core._caps.values(), capability])


async def _post(service: Service, update: dict) -> int:
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    url = f"http://127.0.0.1:{service.port}/webhooks/telegram"
    async with aiohttp.ClientSession() as http, http.post(url, json=update, headers=headers) as r:
        return r.status


def _press(fake, data: str, update_id: int) -> dict:
    source = fake.message(OWNER, text="Dạ, anh/chị chọn ạ.")
    return fake.press_update(OWNER, source, data) | {"update_id": update_id}


async def _rows(service: Service) -> list[tuple[str, str, str | None]]:
    async with service.app.db.transaction() as session:
        found = await session.execute(
            select(InboxRow.update_key, InboxRow.status, InboxRow.error).order_by(InboxRow.id)
        )
        return [tuple(row) for row in found]


async def _finished(service: Service) -> None:
    await service.channels["telegram"].inbox.drain(within=30)  # type: ignore[attr-defined]


async def test_a_database_failure_while_handling_is_retried_not_answered_with_error(
    webhook_service, fake
):
    flaky = _Faulty(outages=2)
    _use(webhook_service, flaky)
    assert await _post(webhook_service, _press(fake, "flaky:start", 10)) == 200
    [sent] = await fake.wait_for("sendMessage", str(OWNER))
    await _finished(webhook_service)
    assert sent.params["text"] == "Dạ, xong ạ."
    assert len(fake.made("sendMessage", str(OWNER))) == 1
    assert flaky.calls == 3
    assert await _rows(webhook_service) == [("10", "done", None)]


async def test_a_handler_bug_gets_the_polite_error_and_the_row_fails(webhook_service, fake):
    _use(webhook_service, _Faulty())
    assert await _post(webhook_service, _press(fake, "flaky:bug", 11)) == 200
    [sent] = await fake.wait_for("sendMessage", str(OWNER))
    await _finished(webhook_service)
    assert ERROR_TEXT in sent.params["text"]
    assert await _rows(webhook_service) == [("11", "failed", "ValueError")]
    # The user's next message is handled as usual: one failure blocks nothing.
    assert await _post(webhook_service, fake.text_update(OWNER, "/menu", update_id=12)) == 200
    await fake.wait_for("sendMessage", str(OWNER), count=2)


async def test_telegram_webhook_answers_503_while_the_database_is_unreachable(
    webhook_service, fake
):
    inbox = webhook_service.channels["telegram"].inbox  # type: ignore[attr-defined]
    db, inbox.db = inbox.db, Database(UNREACHABLE)
    update = fake.text_update(OWNER, "/start", update_id=20)
    try:
        assert await _post(webhook_service, update) == 503
    finally:
        await inbox.db.dispose()
        inbox.db = db
    assert await _rows(webhook_service) == []
    assert await _post(webhook_service, update) == 200  # Telegram's retry
    await fake.wait_for("sendMessage", str(OWNER))
    await _finished(webhook_service)
    assert len(fake.made("sendMessage", str(OWNER))) == 1


async def test_zalo_webhook_answers_503_while_the_database_is_unreachable(zalo):
    inbox = zalo.channel.inbox
    db, inbox.db = inbox.db, Database(UNREACHABLE)
    event = text_event("u-503", "/start", "m-503", zalo.clock.now())
    try:
        assert await post_event(zalo.http, zalo.url, event) == 503
    finally:
        await inbox.db.dispose()
        inbox.db = db
    assert await post_event(zalo.http, zalo.url, event) == 200  # Zalo's retry
    await zalo.channel.drain()
    assert len(zalo.fake.texts_to("u-503")) == 1


async def test_start_resumes_a_dead_process_rows_without_handling_them_twice(
    settings, clock, fake
):
    """A process died after handling update 30 (its replies stored, one of two sent) and
    before claiming update 31: the next start sends the reply left and handles 31."""
    db = Database(settings.database_url)
    lease = timedelta(seconds=settings.inbox_lease_seconds)
    update_30 = fake.text_update(OWNER, "/start", update_id=30)
    update_31 = fake.text_update(OWNER, "/menu", update_id=31)
    before = clock.now() - 2 * lease
    try:
        async with db.transaction() as session:
            await rows.store(
                session,
                [
                    rows.new_row("telegram", "30", str(OWNER), update_30, before),
                    rows.new_row("telegram", "31", str(OWNER), update_31, before),
                ],
            )
        async with db.transaction() as session:
            [held] = await rows.claim(
                session,
                channels=["telegram"],
                now=before,
                lease=lease,
                token="dead",
                limit=10,
                skip_locked=not db.is_sqlite,
            )
            replies = [Reply("Dạ, phần một.").to_dict(), Reply("Dạ, phần hai.").to_dict()]
            await rows.record_handled(session, held.id, "dead", replies)
            await rows.record_sent(session, held.id, "dead", 1)
    finally:
        await db.dispose()
    service = await start_service(settings, clock, fake)
    try:
        sent = await fake.wait_for("sendMessage", str(OWNER), count=2)
        await _finished(service)
        async with service.app.db.transaction() as session:
            users = (await session.execute(select(User.external_id))).scalars().all()
        statuses = [status for _, status, _ in await _rows(service)]
    finally:
        await service.stop()
    assert [c.params["text"] for c in sent] == ["Dạ, phần hai.", "Dạ, anh/chị muốn làm gì tiếp ạ?"]
    assert statuses == ["done", "done"]
    assert users == [str(OWNER)], "only update 31 went through the core"
    await asyncio.sleep(0)


async def test_metrics_show_updates_waiting_and_their_age(webhook_service, fake, clock):
    """A row another replica holds (lease still valid) waits; /metrics shows it and its age."""
    db = webhook_service.app.db
    update = fake.text_update(OWNER, "/start", update_id=40)
    async with db.transaction() as session:
        await rows.store(
            session,
            [
                rows.new_row(
                    "telegram", "40", str(OWNER), update, clock.now() - timedelta(minutes=1)
                )
            ],
        )
    async with db.transaction() as session:
        await rows.claim(
            session,
            channels=["telegram"],
            now=clock.now(),
            lease=timedelta(minutes=5),
            token="other-replica",
            limit=1,
            skip_locked=not db.is_sqlite,
        )
    url = f"http://127.0.0.1:{webhook_service.port}/metrics"
    async with aiohttp.ClientSession() as http, http.get(url) as r:
        text = await r.text()
    assert "bot_inbox_open 1.0" in text
    assert "bot_inbox_lag_seconds 60.0" in text
