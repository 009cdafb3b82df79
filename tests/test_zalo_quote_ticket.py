"""An officer answers a ticket on Zalo by quoting its message: the real Zalo channel behind a
real aiohttp server, signed webhook events, the fake OA API returning message ids."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.channels.zalo.models import ZaloSentRef
from bot.clock import FrozenClock
from bot.config import Settings
from bot.db.models_officer import OfficerTicket
from bot.outbox import OutboxDelivery
from tests.zalo_fake import post_event, text_event

OWNER, OFFICER = "owner-z", "officer-1"


@pytest.fixture
def zalo_settings(zalo_settings: Settings) -> Settings:
    """The officers' chat is an officer's own Zalo chat with the OA."""
    return zalo_settings.model_copy(update={"officer_chat": _target("zalo:officer-1")})


def _target(raw: str):
    from handlers.messages import Target

    return Target.parse(raw)


async def _say(zalo, user: str, text: str, msg_id: str, quote: str | None = None) -> None:
    zalo.clock.advance(timedelta(seconds=5))
    event = text_event(user, text, msg_id, zalo.clock.now())
    if quote is not None:
        event["message"]["quote_msg_id"] = quote
    assert await post_event(zalo.http, zalo.url, event) == 200
    await zalo.channel.drain()


async def _push(zalo) -> None:
    clock: FrozenClock = zalo.clock
    await OutboxDelivery(zalo.app.db, {"zalo": zalo.channel.sender}, clock).dispatch_once()


def _id_of(zalo, user: str, needle: str) -> str:
    """Zalo's message id of the OA's message to `user` containing `needle` (fake: z<n>)."""
    for n, call in enumerate(zalo.fake.messages, start=1):
        body = call.body
        if body["recipient"]["user_id"] == user and needle in body["message"].get("text", ""):
            return f"z{n}"
    raise AssertionError(f"no message to {user} with {needle!r}")


async def test_officer_answers_a_ticket_by_quoting_it_on_zalo(zalo):
    await _say(zalo, OFFICER, "/hopthu", "o-1")  # the officer's 48-hour window is open
    await _say(zalo, OWNER, "/hoicanbo Xưởng em có được hỗ trợ máy sấy không ạ?", "w-1")
    assert any("YC-1" in t for t in zalo.fake.texts_to(OWNER))
    await _push(zalo)
    notice = _id_of(zalo, OFFICER, "Câu hỏi mới YC-1")
    async with zalo.app.db.transaction() as session:
        kept = list((await session.execute(select(ZaloSentRef))).scalars())
    assert [(r.message_id, r.zalo_user_id, r.text) for r in kept] == [(notice, OFFICER, "YC-1")]
    assert not any("máy sấy" in r.text for r in kept)  # references only, no one's words

    # A quote of some other message (or an unknown id) is an ordinary message.
    await _say(zalo, OFFICER, "Dạ vâng", "o-2", quote="z-unknown")
    async with zalo.app.db.transaction() as session:
        [ticket] = list((await session.execute(select(OfficerTicket))).scalars())
    assert ticket.status == "new"

    await _say(zalo, OFFICER, "Dạ có, anh mang 3 báo giá lên Trung tâm ạ.", "o-3", quote=notice)
    assert "đã được xếp gửi tới người hỏi" in zalo.fake.texts_to(OFFICER)[-1]
    await _push(zalo)
    answer = zalo.fake.texts_to(OWNER)[-1]
    assert "YC-1" in answer
    assert "mang 3 báo giá" in answer
    async with zalo.app.db.transaction() as session:
        [ticket] = list((await session.execute(select(OfficerTicket))).scalars())
    assert ticket.status == "answered"

    # An owner quoting the OA's message is never read as an answer.
    await _say(zalo, OWNER, "cảm ơn", "w-2", quote=notice)
    assert "mang 3 báo giá" not in zalo.fake.texts_to(OWNER)[-1]
