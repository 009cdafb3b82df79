"""The inbox rows (bot/db/inbox.py) on every database: dedup, per-chat order, leases, outcomes."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.db import inbox as rows
from bot.db.inbox import ClaimLost, InboxStatus
from bot.db.models_inbox import InboxRow
from tests.conftest import START

LEASE = timedelta(seconds=30)


@pytest.fixture
def inbox(db):
    """Small helpers over one committed transaction each."""

    class Inbox:
        async def store(self, *updates: tuple[str, str], channel: str = "telegram", at=START):
            values = [rows.new_row(channel, key, chat, {"k": key}, at) for key, chat in updates]
            async with db.transaction() as session:
                return await rows.store(session, values)

        async def claim(self, now=START, limit=10, token="t1", channel="telegram"):
            async with db.transaction() as session:
                return await rows.claim(
                    session,
                    channels=[channel],
                    now=now,
                    lease=LEASE,
                    token=token,
                    limit=limit,
                    skip_locked=not db.is_sqlite,
                )

        async def handled(self, row, replies=(), token=None, error=None):
            async with db.transaction() as session:
                await rows.record_handled(
                    session, row.id, token or row.claim_token, list(replies), error
                )

        async def finish(self, row, now=START, error=None):
            async with db.transaction() as session:
                await rows.finish(session, row.id, row.claim_token, now, error)

        async def load(self, row):
            async with db.transaction() as session:
                return await rows.load(session, row.id)

    return Inbox()


async def test_a_redelivered_key_is_stored_once_per_channel(inbox):
    assert await inbox.store(("1", "a"), ("2", "a")) == 2
    assert await inbox.store(("1", "a")) == 0, "Telegram's retry of update 1"
    assert await inbox.store(("2", "a"), ("3", "b")) == 1
    assert await inbox.store(("1", "a"), channel="zalo") == 1, "keys are per channel"


async def test_one_row_per_chat_in_received_order(inbox):
    await inbox.store(("1", "a"), ("2", "a"), ("3", "b"), ("4", "a"), ("5", "c"))
    first = await inbox.claim()
    assert [(r.update_key, r.status) for r in first] == [
        ("1", InboxStatus.CLAIMED),
        ("3", InboxStatus.CLAIMED),
        ("5", InboxStatus.CLAIMED),
    ]
    assert await inbox.claim() == [], "a chat's next row waits for the one in hand"
    a1, b3, _ = first
    await inbox.handled(a1, [{"text": "Dạ"}])
    assert await inbox.claim() == [], "handled is not finished: replies still to send"
    await inbox.finish(a1)
    await inbox.finish(b3, error="KeyError")
    [a2] = await inbox.claim()
    assert a2.update_key == "2"
    stored = await inbox.load(a1)
    assert (stored.status, stored.payload, stored.finished_at) == ("done", {}, START)
    failed = await inbox.load(b3)
    assert (failed.status, failed.error, failed.payload) == ("failed", "KeyError", {"k": "3"})


async def test_claims_respect_the_limit_and_other_channels(inbox):
    await inbox.store(*[(str(i), f"chat{i}") for i in range(5)])
    await inbox.store(("z1", "u"), channel="zalo")
    assert len(await inbox.claim(limit=3)) == 3
    assert len(await inbox.claim(limit=3)) == 2
    [zalo] = await inbox.claim(channel="zalo")
    assert zalo.update_key == "z1"


async def test_an_expired_lease_is_claimed_again_and_the_old_holder_loses_it(inbox):
    await inbox.store(("1", "a"))
    [held] = await inbox.claim(token="dead")
    assert await inbox.claim(now=START + LEASE - timedelta(seconds=1), token="t2") == []
    [again] = await inbox.claim(now=START + LEASE + timedelta(seconds=1), token="t2")
    assert (again.id, again.status, again.attempts) == (held.id, InboxStatus.CLAIMED, 2)
    with pytest.raises(ClaimLost):
        await inbox.handled(held, [{"text": "x"}])  # the dead process's late write
    await inbox.handled(again, [{"text": "Dạ"}])
    with pytest.raises(ClaimLost):
        await inbox.handled(again, [])  # handled already: replies are never overwritten


async def test_a_handled_row_is_reclaimed_with_its_replies_and_progress(inbox, db):
    await inbox.store(("1", "a"))
    [held] = await inbox.claim(token="dead")
    await inbox.handled(held, [{"text": "một"}, {"text": "hai"}])
    async with db.transaction() as session:
        await rows.record_sent(session, held.id, held.claim_token, 1)
    [again] = await inbox.claim(now=START + 2 * LEASE, token="t2")
    assert again.status == InboxStatus.HANDLED
    assert (again.replies, again.sent) == ([{"text": "một"}, {"text": "hai"}], 1)


async def test_extend_keeps_a_lease_alive(inbox, db):
    await inbox.store(("1", "a"))
    [held] = await inbox.claim()
    async with db.transaction() as session:
        renewed = await rows.extend(session, [(held.id, held.claim_token)], START + 3 * LEASE)
    assert renewed == 1
    assert await inbox.claim(now=START + 2 * LEASE, token="t2") == []


async def test_concurrent_claims_never_share_a_row(inbox, db):
    await inbox.store(*[(str(i), f"chat{i % 7}") for i in range(40)])
    seen: list[str] = []
    for _ in range(10):
        batches = await asyncio.gather(*(inbox.claim(limit=3, token=f"w{n}") for n in range(4)))
        claimed = [r for batch in batches for r in batch]
        assert len({r.chat_key for r in claimed}) == len(claimed), "one row per chat at a time"
        seen += [r.update_key for r in claimed]
        for row in claimed:
            await inbox.finish(row)
    assert sorted(seen, key=int) == [str(i) for i in range(40)]
    assert len(seen) == len(set(seen))
    async with db.transaction() as session:
        assert await rows.open_count(session, ["telegram"]) == 0


async def test_prune_forgets_finished_rows_after_the_retention(inbox, db):
    await inbox.store(("1", "a"), ("2", "b"), ("3", "c"))
    done, failed, _ = await inbox.claim()
    await inbox.finish(done)
    await inbox.finish(failed, error="ValueError")
    async with db.transaction() as session:
        assert await rows.prune(session, START + rows.RETENTION) == 0
        assert await rows.prune(session, START + rows.RETENTION + timedelta(seconds=1)) == 2
        assert await rows.open_count(session, ["telegram"]) == 1
    assert await inbox.store(("3", "c")) == 0, "an open row still deduplicates"


async def test_erasure_blanks_the_finished_rows_of_the_chat(inbox, db):
    await inbox.store(("1", "a"), ("2", "b"))
    a1, b2 = await inbox.claim()
    await inbox.handled(a1, [{"text": "Dạ, số điện thoại của anh là 0912…"}], error="KeyError")
    await inbox.finish(a1, error="KeyError")
    await inbox.store(("3", "a"))  # written after the erasure request: not erased
    async with db.transaction() as session:
        await rows.erase_chat(session, "telegram", "a")
    erased, kept = await inbox.load(a1), await inbox.load(b2)
    assert (erased.payload, erased.replies, erased.status) == ({}, None, "failed")
    assert kept.payload == {"k": "2"}
    async with db.transaction() as session:
        later = await session.execute(select(InboxRow.payload).where(InboxRow.update_key == "3"))
        assert later.scalar_one() == {"k": "3"}
