"""End to end: the real python-telegram-bot Application (polling) against the fake Bot API."""

from __future__ import annotations

import asyncio
import json

from sqlalchemy import select

from bot.db.models import User
from bot.db.repositories import SqlStore
from handlers.messages import IncomingMessage, Reply, Target

OWNER = 4242
OTHER = 5353
OFFICER_CHAT = -100500
MENU = ["Hỏi đáp khuyến công", "Kiểm tra điều kiện", "Soạn đề án", "Nhắc hạn", "Liên hệ cán bộ"]


async def test_start_shows_menu_keyboard_and_commands(service, fake):
    fake.push(fake.text_update(OWNER, "/start"))
    [sent] = await fake.wait_for("sendMessage", OWNER)
    assert sent.params["text"].startswith("Dạ, em chào anh/chị")
    assert [label for label, _ in sent.buttons] == MENU
    assert [data for _, data in sent.buttons][0] == "menu:faq"
    owners, officers = fake.made("setMyCommands")
    assert "scope" not in owners.params  # the default scope: every owner's chat
    described = {c["command"]: c["description"] for c in owners.params["commands"]}
    assert described["huy"] == "Thoát bước đang làm"
    assert set(described) == {"start", "menu", "giup", "huy"}
    # The officer chat's menu (BotCommandScopeChat) adds the officers' commands.
    scope = officers.params["scope"]
    scope = json.loads(scope) if isinstance(scope, str) else scope
    assert scope == {"type": "chat", "chat_id": OFFICER_CHAT}
    theirs = {c["command"]: c["description"] for c in officers.params["commands"]}
    assert set(described) < set(theirs)
    assert {"dshoso", "xemhoso", "traloi", "hopthu", "phatthanh"} <= set(theirs)
    assert theirs["traloi"].startswith("Trả lời câu hỏi")


async def test_question_gets_the_cores_answer(service, fake):
    question = "hỗ trợ máy móc bao nhiêu"
    expected = await service.app.dispatcher.handle(
        IncomingMessage("console", "probe", "probe", text=question, message_id="probe-1")
    )
    fake.push(fake.text_update(OWNER, question))
    sent = await fake.wait_for("sendMessage", OWNER, count=len(expected))
    assert [c.params["text"] for c in sent] == [r.text.strip() for r in expected]
    assert sent[-1].buttons == [(b.label, b.payload) for b in expected[-1].buttons]


async def test_press_gives_next_step_and_removes_old_keyboard(service, fake):
    fake.push(fake.text_update(OWNER, "/start"))
    [menu] = await fake.wait_for("sendMessage", OWNER)
    source = fake.messages[(str(OWNER), menu_id := _message_id(fake, menu))]
    fake.push(fake.press_update(OWNER, source, "menu:faq"))
    sent = await fake.wait_for("sendMessage", OWNER, count=2)
    assert "gõ câu hỏi" in sent[1].params["text"]
    [edit] = fake.made("editMessageText", OWNER)
    assert edit.params["message_id"] == menu_id
    assert edit.params["text"].endswith("✅ Đã chọn: Hỏi đáp khuyến công")
    assert not edit.params.get("reply_markup"), "the old keyboard is gone"
    assert "reply_markup" not in fake.messages[(str(OWNER), menu_id)]
    assert len(fake.made("answerCallbackQuery")) == 1
    assert edit.at <= sent[1].at, "the choice is marked before the next step arrives"


def _message_id(fake, call) -> int:
    for (chat, message_id), message in fake.messages.items():
        if chat == call.chat_id and message.get("text") == call.params["text"]:
            return message_id
    raise AssertionError("message not stored")


async def test_officer_chat_receives_outbox_notice(service, fake):
    async with service.app.db.transaction() as session:
        await SqlStore(session, service.app.clock.now()).outbox.enqueue(
            key="notice-1",
            target=Target("telegram", str(OFFICER_CHAT)),
            reply=Reply("Dạ, có hồ sơ mới cần xem."),
            due_at=service.app.clock.now(),
        )
    [sent] = await fake.wait_for("sendMessage", str(OFFICER_CHAT))
    assert sent.params["text"] == "Dạ, có hồ sơ mới cần xem."


async def test_officer_group_answered_other_groups_ignored(service, fake):
    fake.push(fake.text_update(OWNER, "/menu", chat_id=-999))
    fake.push(fake.text_update(OWNER, "/menu", chat_id=OFFICER_CHAT))
    fake.push(fake.text_update(OTHER, "/menu"))
    await fake.wait_for("sendMessage", str(OFFICER_CHAT))
    await fake.wait_for("sendMessage", OTHER)
    await asyncio.sleep(0.1)
    assert fake.made("sendMessage", "-999") == []


async def test_photo_sticker_location_and_edit_get_a_polite_reply(service, fake):
    fake.push(
        {
            "message": fake.message(
                OWNER,
                photo=[
                    {"file_id": "small", "file_unique_id": "s", "width": 90, "height": 90},
                    {"file_id": "big", "file_unique_id": "b", "width": 900, "height": 900},
                ],
            )
        }
    )
    fake.push({"message": fake.message(OWNER, location={"latitude": 21.0, "longitude": 105.8})})
    edited = fake.message(OWNER, text="sửa lại", edit_date=1)
    fake.push({"edited_message": edited})
    sent = await fake.wait_for("sendMessage", OWNER, count=3)
    assert all(c.params["text"].startswith("Dạ") for c in sent), [c.params["text"] for c in sent]


async def test_contact_is_passed_to_the_core(service, fake):
    contact = {"phone_number": "+84912345678", "first_name": "Lan", "user_id": OWNER}
    fake.push({"message": fake.message(OWNER, contact=contact)})
    [sent] = await fake.wait_for("sendMessage", OWNER)
    assert sent.params["text"].startswith("Dạ")


async def test_forbidden_reply_marks_the_user_unreachable(service, fake):
    fake.fail("sendMessage", chat_id=str(OWNER), code=403)
    fake.push(fake.text_update(OWNER, "/start"))
    await fake.wait_for("sendMessage", OWNER)
    for _ in range(100):
        async with service.app.db.transaction() as session:
            marked = (
                await session.execute(
                    select(User.unreachable_at).where(User.external_id == str(OWNER))
                )
            ).scalar_one_or_none()
        if marked is not None:
            break
        await asyncio.sleep(0.02)
    assert marked is not None
    metrics = service.metrics.render().decode()
    assert 'bot_send_errors_total{channel="telegram",reason="forbidden"} 1.0' in metrics


async def test_429_pauses_only_that_chat(service, fake):
    fake.fail("sendMessage", chat_id=str(OWNER), retry_after=1)
    fake.push(fake.text_update(OWNER, "/start"))
    [refused] = await fake.wait_for("sendMessage", OWNER)
    fake.push(fake.text_update(OTHER, "/start"))
    [other] = await fake.wait_for("sendMessage", OTHER)
    assert other.at - refused.at < 0.8, "another chat is not held up by the 429"
    _, retried = await fake.wait_for("sendMessage", OWNER, count=2, within=5)
    assert retried.at - refused.at >= 1.0, "retry_after is honoured for that chat"
    assert 'bot_rate_limited_total{channel="telegram"} 1.0' in service.metrics.render().decode()


async def test_blocking_the_bot_marks_the_user_unreachable(service, fake):
    fake.push(fake.text_update(OWNER, "/start"))
    await fake.wait_for("sendMessage", OWNER)
    member = {"user": fake.user(OWNER), "status": "member"}
    fake.push(
        {
            "my_chat_member": {
                "chat": fake.chat(OWNER),
                "from": fake.user(OWNER),
                "date": 1,
                "old_chat_member": member,
                "new_chat_member": {"user": fake.user(OWNER), "status": "kicked", "until_date": 0},
            }
        }
    )
    for _ in range(100):
        async with service.app.db.transaction() as session:
            marked = (
                await session.execute(
                    select(User.unreachable_at).where(User.external_id == str(OWNER))
                )
            ).scalar_one()
        if marked is not None:
            break
        await asyncio.sleep(0.02)
    assert marked is not None
