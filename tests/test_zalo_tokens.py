"""Access-token expiry: one refresh and one resend, also with concurrent sends and instances."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.channels.base import SendError
from bot.channels.zalo.channel import ZaloChannel
from bot.channels.zalo.models import ZaloToken
from bot.channels.zalo.tokens import ZaloTokens
from handlers.messages import Reply
from tests.zalo_fake import APP_ID


async def _open_windows(zalo, users):
    for user in users:
        await zalo.channel.conversations.record_inbound(
            user, zalo.clock.now(), None, zalo.clock.now()
        )


async def _stored(app) -> ZaloToken:
    async with app.db.transaction() as session:
        return (
            await session.execute(select(ZaloToken).where(ZaloToken.app_id == APP_ID))
        ).scalar_one()


async def test_expired_token_refreshes_once_and_resends_once(zalo):
    await _open_windows(zalo, ["u1"])
    zalo.fake.expired.add("A0")
    await zalo.channel.sender.send("u1", Reply("Dạ, em chào anh/chị"))
    assert [c.token for c in zalo.fake.messages] == ["A0", "A1"]
    assert len(zalo.fake.refreshes) == 1
    assert zalo.fake.refreshes[0] == {
        "app_id": APP_ID,
        "grant_type": "refresh_token",
        "refresh_token": "R0",
    }
    row = await _stored(zalo.app)
    assert (row.access_token, row.refresh_token) == ("A1", "R1")
    assert row.expires_at == zalo.clock.now() + timedelta(seconds=90000)
    assert row.lease_owner is None


async def test_concurrent_sends_share_one_refresh(zalo):
    users = [f"u{i}" for i in range(6)]
    await _open_windows(zalo, users)
    zalo.fake.expired.add("A0")
    zalo.fake.refresh_delay = 0.05
    await asyncio.gather(*(zalo.channel.sender.send(u, Reply("Dạ, nhắc hạn")) for u in users))
    assert len(zalo.fake.refreshes) == 1
    assert sorted(m["recipient"]["user_id"] for m in zalo.fake.delivered) == users
    resends = [c for c in zalo.fake.messages if c.token == "A1"]
    assert len(resends) == len(users), "each send is retried exactly once"


async def test_two_instances_refresh_once_through_the_database(zalo):
    """A second channel (another instance) on the same database waits for the first's pair."""
    await _open_windows(zalo, ["u1", "u2"])
    zalo.fake.expired.add("A0")
    zalo.fake.refresh_delay = 0.2
    other = ZaloChannel.from_deps(zalo.app.channel_deps())
    other.tokens.poll_seconds = 0.02
    try:
        await asyncio.gather(
            zalo.channel.sender.send("u1", Reply("Dạ, một")),
            other.sender.send("u2", Reply("Dạ, hai")),
        )
    finally:
        await other.close()
    assert len(zalo.fake.refreshes) == 1, "the single-use refresh token was used once"
    assert zalo.channel.tokens.refreshes + other.tokens.refreshes == 1
    assert len(zalo.fake.delivered) == 2


async def test_token_is_refreshed_before_it_expires(zalo):
    await _open_windows(zalo, ["u1"])
    zalo.fake.expired.add("A0")
    await zalo.channel.sender.send("u1", Reply("Dạ, một"))
    zalo.clock.advance(timedelta(seconds=90000) - timedelta(minutes=5))
    await _open_windows(zalo, ["u1"])
    await zalo.channel.sender.send("u1", Reply("Dạ, hai"))
    assert [c.token for c in zalo.fake.messages] == ["A0", "A1", "A2"], "no -216 the 2nd time"
    assert [r["refresh_token"] for r in zalo.fake.refreshes] == ["R0", "R1"]


async def test_refused_refresh_is_a_retryable_send_error(zalo):
    await _open_windows(zalo, ["u1"])
    zalo.fake.expired.add("A0")
    zalo.fake.live_refresh.clear()
    with pytest.raises(SendError, match="refused"):
        await zalo.channel.sender.send("u1", Reply("Dạ"))
    row = await _stored(zalo.app)
    assert row.lease_owner is None, "the lease is released after a failed refresh"
    _, used = await zalo.channel.conversations.window("u1")
    assert used == 0, "the reserved free reply is given back"


async def test_new_refresh_token_in_environment_reseeds(zalo):
    await _open_windows(zalo, ["u1"])
    zalo.fake.expired.add("A0")
    await zalo.channel.sender.send("u1", Reply("Dạ"))
    # The operator re-authorised the app and put a new pair in .env; a new process starts.
    tokens = zalo.channel.tokens
    fresh = ZaloTokens(
        zalo.app.db,
        replace(tokens.config, seed_access_token="B0", seed_refresh_token="S0"),
        zalo.clock,
        tokens.http,
    )
    assert await fresh.access_token() == "B0"
    assert (await _stored(zalo.app)).refresh_token == "S0"
    # Restarting with the same environment keeps the refreshed pair.
    same = ZaloTokens(zalo.app.db, fresh.config, zalo.clock, tokens.http)
    zalo.fake.expired.add("B0")
    zalo.fake.live_refresh.add("S0")
    assert await same.refresh("B0") != "B0"
    again = ZaloTokens(zalo.app.db, fresh.config, zalo.clock, tokens.http)
    assert await again.access_token() == (await _stored(zalo.app)).access_token != "B0"
