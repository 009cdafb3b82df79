"""The channels' own repositories (Telegram callbacks, Zalo reply windows) on every database."""

from __future__ import annotations

from datetime import timedelta

from bot.channels.telegram.repository import TelegramRepository
from bot.channels.zalo.repository import FREE_REPLIES, SendPermit, ZaloConversations
from bot.db.repositories import CoreRepository
from handlers.messages import Button
from tests.conftest import START


async def test_telegram_long_payloads_map_to_short_keys(db, new_user):
    repo = TelegramRepository(db)
    assert await repo.callback_data("menu:show", START) == "menu:show"
    long_payload = "intake:choose:" + "lựa_chọn_dài_" * 6
    key = await repo.callback_data(long_payload, START)
    assert len(key.encode()) <= 64
    assert await repo.callback_data(long_payload, START) == key, "the same key twice"
    assert await repo.payload_of(key) == long_payload
    assert await repo.payload_of("#unknown") is None
    await new_user("77", channel="telegram")
    await repo.mark_unreachable("telegram", "77", START)


async def test_zalo_window_quota_numbered_list_and_release(db, new_user):
    conversations = ZaloConversations(db)
    await new_user("u1", channel="zalo")
    assert await conversations.prepare_send("u1", 1, None, START) is SendPermit.OUTSIDE_WINDOW
    inbound = await conversations.record_inbound("u1", START, "m1", START)
    assert not inbound.seen_before
    async with db.transaction() as session:  # the dispatcher marks a handled message
        await CoreRepository(session).mark_processed("zalo", "m1", START)
    assert (await conversations.record_inbound("u1", START, "m1", START)).seen_before
    buttons = (Button("Một", "a:1"), Button("Hai", "a:2"))
    assert await conversations.prepare_send("u1", 2, buttons, START) is SendPermit.OK
    assert await conversations.window("u1") == (START, 2)
    await conversations.release("u1", 1, START)
    assert (await conversations.window("u1"))[1] == 1
    later = START + timedelta(minutes=1)
    remembered = await conversations.record_inbound("u1", later, "m2", later)
    assert remembered.numbered == [
        {"label": "Một", "payload": "a:1"},
        {"label": "Hai", "payload": "a:2"},
    ]
    assert await conversations.prepare_send("u1", FREE_REPLIES + 1, None, later) is (
        SendPermit.OUTSIDE_WINDOW
    )
    await conversations.mark_unfollowed("u1", later)
    assert await conversations.prepare_send("u1", 1, None, later) is SendPermit.UNFOLLOWED
