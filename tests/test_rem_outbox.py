"""The dispatcher's delivery rules: retries, 429s, unreachable users, leases, concurrency."""

import asyncio
from datetime import timedelta

from sqlalchemy import update

from bot.channels.base import OutsideWindow, RateLimited, SendError, Unreachable
from bot.db.engine import Database
from bot.db.models import OutboxMessage, User
from bot.db.repositories import SqlStore
from bot.outbox import OutboxDelivery
from handlers.messages import Reply, Target
from tests.fakes import RecordingSender
from tests.remkit import outbox_rows


async def _enqueue(app, key, due_at, chat="42", user_id=None, kind="reminder"):
    async with app.db.transaction() as session:
        return await SqlStore(session, app.clock.now()).outbox.enqueue(
            key=key,
            target=Target("console", chat),
            reply=Reply(f"Dạ, nhắc {key}"),
            due_at=due_at,
            kind=kind,
            user_id=user_id,
        )


async def test_send_errors_back_off_then_give_up(app, clock):
    await _enqueue(app, "x", clock.now())
    sender = RecordingSender()
    sender.fail_with = [SendError("timeout")] * 5
    dispatcher = OutboxDelivery(app.db, {"console": sender}, clock)
    waits = []
    for _ in range(4):
        assert len((await dispatcher.dispatch_once()).retried) == 1
        (row,) = await outbox_rows(app)
        waits.append(row.due_at - clock.now())
        clock.advance(row.due_at - clock.now() - timedelta(seconds=1))
        assert (await dispatcher.dispatch_once()).retried == [], "not before the backoff ends"
        clock.advance(timedelta(seconds=1))
    assert waits == [timedelta(minutes=m) for m in (1, 2, 4, 8)]
    assert len((await dispatcher.dispatch_once()).failed) == 1
    (row,) = await outbox_rows(app)
    assert (row.status, row.attempts) == ("failed", 5)
    assert "timeout" in row.last_error
    assert sender.sent == []


async def test_rate_limited_honours_retry_after_for_the_whole_channel(app, clock):
    for key in ("a", "b", "c"):
        await _enqueue(app, key, clock.now(), chat=key)
    sender = RecordingSender()
    sender.fail_with = [RateLimited(30)]
    dispatcher = OutboxDelivery(app.db, {"console": sender}, clock, concurrency=1)
    report = await dispatcher.dispatch_once()
    assert len(report.rate_limited) == 3, "the channel pauses: nothing else is tried"
    assert sender.sent == []
    clock.advance(timedelta(seconds=29))
    assert (await dispatcher.dispatch_once()).sent == []
    clock.advance(timedelta(seconds=1))
    assert len((await dispatcher.dispatch_once()).sent) == 3
    assert all(r.attempts == 0 for r in await outbox_rows(app)), "a 429 is not a failure"


async def test_unreachable_user_is_marked_and_later_rows_skipped(app, chat, clock):
    await chat.say("xin chào")
    async with app.db.transaction() as session:
        user_id = await SqlStore(session, clock.now()).reminders.find_user("console", "owner-1")
    await _enqueue(app, "first", clock.now(), chat="owner-1", user_id=user_id)
    await _enqueue(app, "second", clock.now() + timedelta(days=1), chat="owner-1", user_id=user_id)
    await _enqueue(app, "third", clock.now() + timedelta(days=3), chat="owner-1", user_id=user_id)
    sender = RecordingSender()
    sender.fail_with = [Unreachable("Forbidden: bot was blocked by the user")]
    dispatcher = OutboxDelivery(app.db, {"console": sender}, clock)
    assert len((await dispatcher.dispatch_once()).unreachable) == 1
    async with app.db.transaction() as session:
        marked = await session.get(User, user_id)
        assert marked.unreachable_at == clock.now()
    clock.advance(timedelta(days=1))
    report = await dispatcher.dispatch_once()
    assert report.sent == []
    assert len(report.skipped) == 1
    await chat.say("tôi quay lại rồi")  # writing again makes the user reachable
    clock.advance(timedelta(days=2))
    assert len((await dispatcher.dispatch_once()).sent) == 1
    assert [r.status for r in await outbox_rows(app)] == ["unreachable", "unreachable", "sent"]


async def test_outside_zalo_window_holds_without_marking_the_user(app, chat, clock):
    await chat.say("xin chào")
    async with app.db.transaction() as session:
        user_id = await SqlStore(session, clock.now()).reminders.find_user("console", "owner-1")
    await _enqueue(app, "z", clock.now(), chat="owner-1", user_id=user_id)
    sender = RecordingSender()
    sender.fail_with = [OutsideWindow("outside the 48-hour window")]
    report = await OutboxDelivery(app.db, {"console": sender}, clock).dispatch_once()
    assert len(report.held) == 1
    async with app.db.transaction() as session:
        assert (await session.get(User, user_id)).unreachable_at is None


async def test_claims_of_a_dead_instance_are_taken_over_after_the_lease(app, clock):
    await _enqueue(app, "stuck", clock.now())
    async with app.db.transaction() as session:
        await session.execute(
            update(OutboxMessage.__table__).values(status="claimed", claimed_at=clock.now())
        )
    sender = RecordingSender()
    dispatcher = OutboxDelivery(
        app.db, {"console": sender}, clock, claim_timeout=timedelta(minutes=2)
    )
    clock.advance(timedelta(minutes=1))
    assert (await dispatcher.dispatch_once()).sent == [], "maybe still being sent elsewhere"
    clock.advance(timedelta(minutes=1, seconds=1))
    assert len((await dispatcher.dispatch_once()).sent) == 1


class SlowSender(RecordingSender):
    """Yields while 'on the network' so two dispatchers interleave."""

    async def send(self, chat_id, reply):
        await asyncio.sleep(0.001)
        await super().send(chat_id, reply)


async def test_two_dispatchers_on_one_database_send_everything_exactly_once(
    app, clock, settings, is_postgres
):
    """On PostgreSQL both claim with FOR UPDATE SKIP LOCKED on their own connection pools;
    on SQLite the same test runs with the conditional UPDATE and SQLite's writer lock."""
    total = 300
    for i in range(total):
        await _enqueue(app, f"k{i}", clock.now(), chat=f"c{i}")
    sender = SlowSender()
    databases = [Database(settings.database_url) for _ in range(2)]
    try:
        dispatchers = [
            OutboxDelivery(db, {"console": sender}, clock, chunk=7, concurrency=4)
            for db in databases
        ]
        reports = await asyncio.gather(*(d.dispatch_once() for d in dispatchers))
    finally:
        for db in databases:
            await db.dispose()
    texts = [reply.text for _, reply in sender.sent]
    assert len(texts) == total
    assert len(set(texts)) == total, "no reminder sent twice"
    assert all(report.sent for report in reports), "both instances did part of the work"
    assert {r.status for r in await outbox_rows(app)} == {"sent"}
    assert is_postgres == (not app.db.is_sqlite)
