from datetime import timedelta

from bot.channels.base import SendError, Unreachable
from bot.db.repositories import SqlStore
from bot.outbox import OutboxDelivery
from handlers.messages import Reply, Target
from tests.fakes import RecordingSender


async def _enqueue(app, key, due_at, chat="42"):
    async with app.db.transaction() as session:
        store = SqlStore(session, app.clock.now())
        return await store.outbox.enqueue(
            key=key, target=Target("console", chat), reply=Reply("Dạ, nhắc hạn"), due_at=due_at
        )


async def test_due_rows_are_sent_once(app, clock):
    assert await _enqueue(app, "a", clock.now())
    assert not await _enqueue(app, "a", clock.now()), "same key twice is queued once"
    await _enqueue(app, "later", clock.now() + timedelta(hours=1))
    sender = RecordingSender()
    dispatcher = OutboxDelivery(app.db, {"console": sender}, clock)
    first = await dispatcher.dispatch_once()
    second = await dispatcher.dispatch_once()
    assert len(first.sent) == 1
    assert second.sent == []
    assert [(chat, r.text) for chat, r in sender.sent] == [("42", "Dạ, nhắc hạn")]


async def test_failures_retry_then_unreachable(app, clock):
    await _enqueue(app, "x", clock.now())
    sender = RecordingSender()
    sender.fail_with = [SendError("boom"), Unreachable("blocked")]
    dispatcher = OutboxDelivery(app.db, {"console": sender}, clock)
    assert len((await dispatcher.dispatch_once()).retried) == 1
    assert (await dispatcher.dispatch_once()).sent == [], "backoff: not due yet"
    clock.advance(timedelta(minutes=5))
    assert len((await dispatcher.dispatch_once()).unreachable) == 1
    assert sender.sent == []
