"""OutboxPort (handlers.ports) and the row changes of bot/db/outbox.py, on every database."""

from __future__ import annotations

from datetime import timedelta

from bot.db import outbox as outbox_rows
from bot.db.outbox import OutboxStatus
from handlers.messages import Reply, Target
from tests.conftest import START

TARGET = Target("console", "42")


def _enqueue(key: str, due=START, kind="notice"):
    async def work(store):
        return await store.outbox.enqueue(
            key=key, target=TARGET, reply=Reply("Dạ"), due_at=due, kind=kind
        )

    return work


async def test_enqueue_is_idempotent_per_key(unit):
    assert await unit(_enqueue("k1"))
    assert not await unit(_enqueue("k1"))
    assert await unit(_enqueue("k2"))


async def test_claim_then_record_and_status_counts(unit):
    await unit(_enqueue("bc:1:a", kind="broadcast"))
    await unit(_enqueue("bc:1:b", kind="broadcast", due=START + timedelta(hours=1)))

    async def claim(store):
        return await outbox_rows.claim(
            store.session,
            now=START,
            channels=["console"],
            quiet_kinds=frozenset(),
            stale_before=START - timedelta(minutes=2),
            limit=10,
            skip_locked=store.session.bind.dialect.name != "sqlite",
        )

    [row] = await unit(claim)
    assert (row.dedupe_key, row.status) == ("bc:1:a", OutboxStatus.CLAIMED)
    assert await unit(claim) == [], "a claimed row is not claimed again"

    async def sent(store):
        await outbox_rows.record(store.session, row, OutboxStatus.SENT, sent_at=START)
        return await outbox_rows.count_by_status(store.session, "bc:1:")

    assert await unit(sent) == {"sent": 1, "pending": 1}


async def test_quiet_kinds_wait_and_are_counted(unit):
    await unit(_enqueue("r", kind="reminder"))
    await unit(_enqueue("n", kind="notice"))
    quiet = frozenset({"reminder", "broadcast"})

    async def claim(store):
        rows = await outbox_rows.claim(
            store.session,
            now=START,
            channels=["console"],
            quiet_kinds=quiet,
            stale_before=START,
            limit=10,
            skip_locked=store.session.bind.dialect.name != "sqlite",
        )
        deferred = await outbox_rows.count_deferred(store.session, START, ["console"], quiet)
        return [r.dedupe_key for r in rows], deferred

    assert await unit(claim) == (["n"], 1)


async def test_mute_cancel_and_release_held(unit, new_user):
    user = await new_user("42")

    async def queue(store):
        for key, kind in (("rem:5:1:a", "reminder"), ("bc:2:a", "broadcast")):
            row = outbox_rows.new_row(
                key=key, kind=kind, target=TARGET, reply=Reply("Dạ"), due_at=START, now=START,
                user_id=user,
            )
            await outbox_rows.enqueue(store.session, row)

    await unit(queue)

    async def statuses(store):
        rem = await outbox_rows.count_by_status(store.session, "rem:5:")
        bc = await outbox_rows.count_by_status(store.session, "bc:2:")
        return rem, bc

    await unit(lambda store: outbox_rows.set_muted(store.session, user, muted=True))
    assert await unit(statuses) == ({"muted": 1}, {"muted": 1})
    await unit(lambda store: outbox_rows.set_muted(store.session, user, muted=False))
    await unit(lambda store: outbox_rows.cancel_by_key_prefix(store.session, "rem:5:", user))
    assert await unit(statuses) == ({"cancelled": 1}, {"pending": 1})
    assert await unit(lambda store: outbox_rows.pending_by_channel(store.session)) == [
        ("console", 1)
    ]
