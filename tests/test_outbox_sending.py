"""Outbound durability (issue 17): claimed → sending (committed before the platform call) → sent
with the platform's ids; what a crash or a database outage leaves behind, on a real database."""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
from datetime import timedelta
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import select, update
from sqlalchemy.engine import make_url

from bot.channels.base import Pace
from bot.db.engine import Database
from bot.db.erasure import erase_person
from bot.db.models import OutboxMessage, User
from bot.db.repositories import SqlStore
from bot.outbox import OutboxDelivery
from bot.reminders_command import dispatch_command
from handlers.messages import Reply, Target
from tests.conftest import PG_URL
from tests.fakes import RecordingSender
from tests.remkit import jobs_for, officer, outbox_rows
from tests.telegram_harness import TOKEN
from tests.test_inbox_durability import DroppingProxy
from tests.transcript import Chat

_outbox = OutboxMessage.__table__


async def _enqueue(app, key, *, chat="42", kind="reminder", user_id=None, channel="console"):
    async with app.db.transaction() as session:
        return await SqlStore(session, app.clock.now()).outbox.enqueue(
            key=key,
            target=Target(channel, chat),
            reply=Reply(f"Dạ, nhắc {key}"),
            due_at=app.clock.now(),
            kind=kind,
            user_id=user_id,
        )


class WatchingSender(RecordingSender):
    """Reads its row from the database while 'on the network': what a crash would leave."""

    def __init__(self, db: Database) -> None:
        super().__init__()
        self.db = db
        self.seen: list[tuple[str, bool]] = []

    async def send(self, chat_id: str, reply: Reply) -> list[str]:
        async with self.db.transaction() as session:
            row = (await session.execute(select(_outbox))).one()
        self.seen.append((row.status, row.attempted_at is not None))
        return await super().send(chat_id, reply)


async def test_a_row_is_marked_sending_before_the_call_and_keeps_the_message_id(app, clock):
    await _enqueue(app, "r1")
    sender = WatchingSender(app.db)
    report = await OutboxDelivery(app.db, {"console": sender}, clock).dispatch_once()
    assert sender.seen == [("sending", True)], "committed before the platform call"
    (row,) = await outbox_rows(app)
    assert (row.status, row.platform_message_id) == ("sent", "m1")
    assert row.attempted_at == clock.now() == row.sent_at
    assert report.sent == [row.id]


async def test_a_stale_claim_is_taken_again_and_sent_once(app, clock):
    await _enqueue(app, "r1")
    async with app.db.transaction() as session:
        await session.execute(update(_outbox).values(status="claimed", claimed_at=clock.now()))
    sender = RecordingSender()
    dispatcher = OutboxDelivery(app.db, {"console": sender}, clock)
    assert (await dispatcher.dispatch_once()).sent == [], "another instance may still hold it"
    clock.advance(timedelta(minutes=2, seconds=1))
    assert len((await dispatcher.dispatch_once()).sent) == 1
    assert len(sender.sent) == 1


class HangingSender(RecordingSender):
    """Never answers its `hang_on`-th send (1-based): the process dies in the platform call."""

    def __init__(self, hang_on: int) -> None:
        super().__init__()
        self.hang_on, self.calls = hang_on, 0
        self.hanging = asyncio.Event()

    async def send(self, chat_id: str, reply: Reply) -> list[str]:
        self.calls += 1
        if self.calls == self.hang_on:
            self.hanging.set()
            await asyncio.Event().wait()
        return await super().send(chat_id, reply)


async def _crash_mid_send(jobs: Any, sender: HangingSender) -> None:
    pass_ = asyncio.create_task(jobs.dispatch())
    await sender.hanging.wait()
    pass_.cancel()  # as SIGKILL: nothing after the platform call is written
    with contextlib.suppress(asyncio.CancelledError):
        await pass_


async def test_a_broadcast_row_in_doubt_is_never_resent_and_officers_get_one_notice(app, clock):
    owners = [Chat(app.dispatcher, user=f"owner-{i}") for i in range(3)]
    for owner in owners:
        await owner.press("rem:sub")
    boss = officer(app)
    await boss.say("/phatthanh Hội chợ làng nghề mở đăng ký đến 30/6.")
    await boss.press("rem:bc_ok")
    crashed = HangingSender(hang_on=2)
    await _crash_mid_send(jobs_for(app, clock, crashed, concurrency=1), crashed)
    statuses = [r.status for r in await outbox_rows(app, kind="broadcast")]
    assert statuses == ["sent", "sending", "claimed"]

    sender = RecordingSender()
    restarted = jobs_for(app, clock, sender)
    report = await restarted.dispatch()
    assert (report.sent, report.uncertain) == ([], []), "within the lease and the claim"
    clock.advance(timedelta(seconds=61))
    report = await restarted.dispatch()
    assert len(report.uncertain) == 1
    assert report.sent == [], "the claimed row waits out its claim timeout"
    clock.advance(timedelta(minutes=2))
    report = await restarted.dispatch()
    assert (len(report.sent), report.uncertain) == (1, [])
    rows = await outbox_rows(app, kind="broadcast")
    assert [r.status for r in rows] == ["sent", "uncertain", "sent"]
    in_doubt = rows[1].chat_id
    assert [chat for chat, _ in crashed.sent + sender.sent].count(in_doubt) == 0, "not resent"
    assert len(crashed.sent + sender.sent) == 2

    (notice,) = await outbox_rows(app, kind="notice")
    assert notice.dedupe_key == "bc-uncertain:1"
    assert (notice.channel, notice.chat_id) == ("telegram", "-100500")  # BOT_OFFICER_CHAT
    assert "đợt phát thanh #1 có 1 tin không chắc đã tới" in notice.payload["text"]
    await boss.say("/ketquaphat 1")
    assert "đã gửi 2, lỗi 0, không liên lạc được 0, đang chờ 0, không chắc đã tới 1" in boss.text


async def test_a_reminder_in_doubt_goes_back_to_pending_and_is_sent_again(app, clock):
    await _enqueue(app, "r1")
    crashed = HangingSender(hang_on=1)
    await _crash_mid_send(jobs_for(app, clock, crashed), crashed)
    (row,) = await outbox_rows(app)
    assert row.status == "sending"
    sender = RecordingSender()
    restarted = jobs_for(app, clock, sender)
    clock.advance(timedelta(seconds=59))
    assert (await restarted.dispatch()).resent_after_crash == []
    clock.advance(timedelta(seconds=2))
    report = await restarted.dispatch()
    assert (report.resent_after_crash, report.sent) == ([row.id], [row.id])
    assert len(sender.sent) == 1, "at least once: a reminder twice beats one lost"
    assert await outbox_rows(app, kind="notice") == [], "only broadcasts are told to officers"


class ErasingSender(RecordingSender):
    """While the first push is on the network, the owner of the next one erases their data."""

    def __init__(self, app: Any, user_id: int) -> None:
        super().__init__()
        self.app, self.user_id = app, user_id

    async def send(self, chat_id: str, reply: Reply) -> list[str]:
        if not self.sent:
            async with self.app.db.transaction() as session:
                await erase_person(session, self.user_id, self.app.clock.now())
        return await super().send(chat_id, reply)


async def test_erasure_cancels_a_claimed_row_before_it_is_sent(app, clock):
    owner = Chat(app.dispatcher, user="owner-1")
    await owner.say("xin chào")
    async with app.db.transaction() as session:
        user_id = (await session.execute(select(User.id))).scalar_one()
    await _enqueue(app, "notice", chat="officers", kind="notice")
    await _enqueue(app, "mine", chat="owner-1", user_id=user_id)
    sender = ErasingSender(app, user_id)
    dispatcher = OutboxDelivery(app.db, {"console": sender}, clock, concurrency=1)
    report = await dispatcher.dispatch_once()
    assert [chat for chat, _ in sender.sent] == ["officers"]
    (mine,) = await outbox_rows(app, dedupe_key="mine")
    assert mine.status == "cancelled"
    assert report.lost_claim == [mine.id]


async def _outage_after_first_sent(app: Any, proxy: DroppingProxy, seconds: float) -> None:
    """Once the first row is recorded sent, the database goes away for `seconds`."""
    while not [r for r in await outbox_rows(app) if r.status == "sent"]:  # noqa: ASYNC110
        await asyncio.sleep(0.01)
    await proxy.stop()
    await asyncio.sleep(seconds)
    await proxy.start()


@pytest.mark.skipif(not PG_URL, reason="the outage is a TCP proxy in front of PostgreSQL")
async def test_a_database_outage_while_marking_is_waited_out(app, clock, database_url, caplog):
    """Two pushes to one chat, paced 2 s apart; the database is away for 4 s from the moment
    the first is recorded, so the second is marked sending during the outage."""
    await _enqueue(app, "b1")
    await _enqueue(app, "b2")
    target = make_url(database_url)
    proxy = DroppingProxy(target.host or "127.0.0.1", target.port or 5432)
    await proxy.start()
    db = Database(target.set(host="127.0.0.1", port=proxy.port).render_as_string(False))
    sender = RecordingSender()
    dispatcher = OutboxDelivery(
        db, {"console": sender}, clock, paces={"console": Pace(per_chat_interval=2.0)}
    )
    caplog.set_level(logging.WARNING, logger="bot.outbox")
    outage = asyncio.create_task(_outage_after_first_sent(app, proxy, seconds=4.0))
    try:
        report = await dispatcher.dispatch_once()
        await outage
    finally:
        outage.cancel()
        await db.dispose()
        with contextlib.suppress(AssertionError):
            await proxy.stop()
    rows = await outbox_rows(app)
    assert [(r.dedupe_key, r.status) for r in rows] == [("b1", "sent"), ("b2", "sent")]
    assert report.sent == [r.id for r in rows]
    assert len(sender.sent) == 2, "each pushed once"
    retried = " ".join(r.getMessage() for r in caplog.records)
    assert f"marking row {rows[1].id} sending" in retried, "the outage was met while marking"


async def test_reminders_dispatch_prints_the_rows_in_doubt(app, settings, clock, fake):
    await _enqueue(app, "bc:5:1", kind="broadcast", channel="telegram", chat="4242")
    await _enqueue(app, "rem:1:1:1:0", channel="telegram", chat="4343")
    async with app.db.transaction() as session:
        left = clock.now() - timedelta(minutes=2)  # a process died mid-send two minutes ago
        await session.execute(update(_outbox).values(status="sending", attempted_at=left))
    with_token = settings.model_copy(
        update={"telegram_token": SecretStr(TOKEN), "telegram_base_url": fake.base_url}
    )
    out = io.StringIO()
    assert await dispatch_command(with_token, clock.now().isoformat(), out) == 0
    assert "uncertain=1 resent_after_crash=1" in out.getvalue()
    assert fake.made("sendMessage", "4242") == [], "a broadcast in doubt is not resent"
    assert len(fake.made("sendMessage", "4343")) == 1
    [notice] = fake.made("sendMessage", "-100500")
    assert "đợt phát thanh #5 có 1 tin không chắc đã tới" in notice.params["text"]
