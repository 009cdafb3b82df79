"""Telegram through the real python-telegram-bot client and the fake Bot API: forum topics
(replies and officer notices stay in their `message_thread_id`) and edited messages."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.db.repositories import SqlStore
from handlers.messages import Reply, Target
from tests.fake_telegram import FakeTelegram
from tests.telegram_harness import start_service

OWNER = 4242
OFFICER = 9001
GROUP = -100500
TOPIC = 45


def _in_topic(fake: FakeTelegram, text: str, user: int = OFFICER) -> dict[str, Any]:
    message = fake.message(user, GROUP, text=text)
    message.update(message_thread_id=TOPIC, is_topic_message=True)
    return {"message": message}


def _thread(call: Any) -> str | None:
    value = call.params.get("message_thread_id")
    return None if value is None else str(value)


async def _sent_after(fake: FakeTelegram, method: str, chat: int, before: int) -> Any:
    calls = await fake.wait_for(method, chat, count=before + 1)
    return calls[before]


async def test_a_reply_stays_in_the_topic_it_came_from(service, fake):
    fake.push(_in_topic(fake, "/menu"))
    [reply] = await fake.wait_for("sendMessage", GROUP)
    assert _thread(reply) == str(TOPIC)
    # A message in the group's general part (no topic) is answered there.
    fake.push(fake.text_update(OFFICER, "/menu", chat_id=GROUP))
    second = await _sent_after(fake, "sendMessage", GROUP, 1)
    assert _thread(second) is None


@pytest.fixture
async def topic_service(settings, clock, fake):
    running = await start_service(
        settings, clock, fake, officer_chat=Target("telegram", f"{GROUP}:{TOPIC}")
    )
    yield running
    await running.stop()


async def test_officer_notices_go_into_the_configured_topic(topic_service, fake):
    app = topic_service.app
    target = app.settings.officer_chat
    assert target == Target("telegram", f"{GROUP}:{TOPIC}")
    async with app.db.transaction() as session:
        await SqlStore(session, app.clock.now()).outbox.enqueue(
            key="notice-topic", target=target, reply=Reply("Dạ, có hồ sơ mới."),
            due_at=app.clock.now(),
        )  # fmt: skip
    [sent] = await fake.wait_for("sendMessage", GROUP)
    assert sent.params["text"] == "Dạ, có hồ sơ mới."
    assert _thread(sent) == str(TOPIC)
    # The officers' command menu is scoped to the chat itself (topics have no own menu).
    scopes = [c.params.get("scope") for c in fake.made("setMyCommands")]
    scopes = [json.loads(s) if isinstance(s, str) else s for s in scopes]
    assert {"type": "chat", "chat_id": GROUP} in scopes, scopes
    # The group is still the officers' one: a message in any of its topics is answered.
    fake.push(_in_topic(fake, "/menu"))
    reply = await _sent_after(fake, "sendMessage", GROUP, 1)
    assert _thread(reply) == str(TOPIC)


async def test_editing_the_last_answer_corrects_it(service, fake):
    """The real client: an `edited_message` with the answered message's id re-applies it."""
    fake.push(fake.text_update(OWNER, "/start"))
    [menu] = await fake.wait_for("sendMessage", OWNER)
    fake.push(fake.press_update(OWNER, _source(fake, menu), "menu:intake"))
    consent = await _sent_after(fake, "sendMessage", OWNER, 1)
    fake.push(fake.press_update(OWNER, _source(fake, consent), "intake:consent_yes"))
    asked = await _sent_after(fake, "sendMessage", OWNER, 2)
    assert "họ và tên" in asked.params["text"]
    typed = fake.message(OWNER, text="Nguyễn Văn An")
    fake.push({"message": typed})
    phone = await _sent_after(fake, "sendMessage", OWNER, 3)
    assert "điện thoại" in phone.params["text"]
    fake.push({"edited_message": {**typed, "text": "Nguyễn Văn Bình", "edit_date": 1}})
    # The phone question comes as two messages (contact keyboard, then the choices).
    corrected = await _sent_after(fake, "sendMessage", OWNER, 5)
    text = corrected.params["text"]
    assert "đã sửa câu trả lời “Người đại diện” thành “Nguyễn Văn Bình”" in text
    assert "điện thoại" in text


def _source(fake: FakeTelegram, call: Any) -> dict[str, Any]:
    for (chat, _), message in fake.messages.items():
        if chat == call.chat_id and message.get("text") == call.params["text"]:
            return message
    raise AssertionError("message not stored")
