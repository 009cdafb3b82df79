"""Signed webhook POSTs through a real aiohttp server; replies land on the fake Zalo API."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot.channels.base import Unreachable
from bot.channels.zalo.models import ZaloConversation
from bot.channels.zalo.webhook import Verdict, signature, verify
from bot.db.models import ProcessedMessage, User
from handlers.messages import Attachment, Button, Reply
from tests.zalo_fake import APP_ID, OA_SECRET, millis, post_event, text_event

MENU = ["Hỏi đáp khuyến công", "Kiểm tra điều kiện", "Soạn đề án", "Nhắc hạn", "Liên hệ cán bộ"]


async def _count(app, model) -> int:
    async with app.db.transaction() as session:
        return (await session.execute(select(func.count()).select_from(model))).scalar_one()


async def test_text_gets_a_reply_with_buttons_as_template(zalo):
    event = text_event("8123456789012345678", "/start", "msg-1", zalo.clock.now())
    assert await post_event(zalo.http, zalo.url, event) == 200
    await zalo.channel.drain()
    [sent] = zalo.fake.delivered
    assert sent["recipient"] == {"user_id": "8123456789012345678"}
    assert sent["message"]["text"].startswith("Dạ, em chào anh/chị!")
    buttons = sent["message"]["attachment"]["payload"]["buttons"]
    assert [b["title"] for b in buttons] == MENU
    assert {b["type"] for b in buttons} == {"oa.query.hide"}
    assert buttons[0]["payload"] == "menu:faq"
    assert zalo.fake.messages[0].token == "A0", "the seeded access token is used"


async def test_tapped_button_payload_is_a_press(zalo):
    now = zalo.clock.now()
    await post_event(zalo.http, zalo.url, text_event("u1", "menu:contact", "m1", now))
    await zalo.channel.drain()
    assert "Sở Công Thương" in zalo.fake.texts_to("u1")[0]


async def test_forged_signature_is_refused_and_nothing_is_processed(zalo):
    event = text_event("u1", "/start", "m1", zalo.clock.now())
    assert await post_event(zalo.http, zalo.url, event, secret="wrong-secret") == 401
    assert await post_event(zalo.http, zalo.url, event, header="") == 401
    assert await post_event(zalo.http, zalo.url, event, header="mac=" + "0" * 64) == 401
    await zalo.channel.drain()
    assert zalo.fake.messages == []
    for model in (User, ProcessedMessage, ZaloConversation):
        assert await _count(zalo.app, model) == 0


async def test_tampered_body_with_a_valid_mac_of_another_body_is_refused(zalo):
    good = text_event("u1", "/start", "m1", zalo.clock.now())
    raw = json.dumps(good).encode()
    mac = signature(APP_ID, raw, good["timestamp"], OA_SECRET)
    tampered = dict(good, message={"text": "/menu", "msg_id": "m1"})
    assert await post_event(zalo.http, zalo.url, tampered, header=mac) == 401
    await zalo.channel.drain()
    assert zalo.fake.messages == []


async def test_signed_event_outside_the_window_gets_200_and_is_dropped(zalo, caplog):
    # Zalo retries non-200 answers and may disable the webhook: only a bad signature is 401.
    old = text_event("u1", "/start", "m1", zalo.clock.now() - timedelta(minutes=10))
    with caplog.at_level(logging.WARNING, logger="bot.channels.zalo.channel"):
        assert await post_event(zalo.http, zalo.url, old) == 200
    assert any("dropped" in r.getMessage() for r in caplog.records)
    await zalo.channel.drain()
    assert zalo.fake.messages == []
    assert await _count(zalo.app, User) == 0


async def test_same_msg_id_twice_is_handled_once(zalo):
    event = text_event("u1", "/start", "dup-1", zalo.clock.now())
    assert await post_event(zalo.http, zalo.url, event) == 200
    assert await post_event(zalo.http, zalo.url, event) == 200
    await zalo.channel.drain()
    assert len(zalo.fake.delivered) == 1
    assert await _count(zalo.app, ProcessedMessage) == 1


async def test_messages_of_one_user_are_answered_in_order(zalo):
    now = zalo.clock.now()
    for i, text in enumerate(["/start", "menu:contact", "/menu"]):
        await post_event(zalo.http, zalo.url, text_event("u1", text, f"o{i}", now))
    await zalo.channel.drain()
    texts = zalo.fake.texts_to("u1")
    assert texts[0].startswith("Dạ, em chào")
    assert "Sở Công Thương" in texts[1]
    assert texts[2] == "Dạ, anh/chị muốn làm gì tiếp ạ?"


async def test_more_than_five_buttons_become_a_numbered_list_answered_by_digit(zalo):
    now = zalo.clock.now()
    await post_event(zalo.http, zalo.url, text_event("u1", "hi", "m0", now))
    await zalo.channel.drain()
    labels = [f"Lựa chọn {i}" for i in range(1, 7)]
    payloads = ["menu:faq", "menu:elig", "menu:contact", "menu:rem", "menu:intake", "menu:show"]
    reply = Reply("Dạ, anh/chị chọn một mục:", tuple(map(Button, labels, payloads)))
    await zalo.channel.sender.send("u1", reply)
    listed = zalo.fake.delivered[-1]["message"]
    assert "attachment" not in listed
    assert "3. Lựa chọn 3" in listed["text"]
    assert "6. Lựa chọn 6" in listed["text"]
    assert "gõ số thứ tự" in listed["text"]

    await post_event(zalo.http, zalo.url, text_event("u1", " 3 ", "m1", now))
    await zalo.channel.drain()
    assert "Sở Công Thương" in zalo.fake.texts_to("u1")[-1], "digit 3 pressed menu:contact"

    # The contact reply has no numbered list, so a digit is plain text again.
    await post_event(zalo.http, zalo.url, text_event("u1", "3", "m2", now))
    await zalo.channel.drain()
    assert len(zalo.fake.texts_to("u1")) == 4
    assert "Sở Công Thương" not in zalo.fake.texts_to("u1")[-1]


async def test_follow_greets_and_unfollow_marks_unreachable(zalo):
    now = zalo.clock.now()
    follow = {
        "app_id": APP_ID,
        "event_name": "follow",
        "follower": {"id": "u9"},
        "source": "oa_page",
        "timestamp": millis(now),
    }
    assert await post_event(zalo.http, zalo.url, follow) == 200
    await zalo.channel.drain()
    assert zalo.fake.texts_to("u9")[0].startswith("Dạ, em chào anh/chị!")

    unfollow = dict(follow, event_name="unfollow", timestamp=millis(now + timedelta(seconds=5)))
    assert await post_event(zalo.http, zalo.url, unfollow) == 200
    await zalo.channel.drain()
    async with zalo.app.db.transaction() as session:
        at = (
            await session.execute(
                select(User.unreachable_at).where(User.channel == "zalo", User.external_id == "u9")
            )
        ).scalar_one()
    assert at == now
    with pytest.raises(Unreachable):
        await zalo.channel.sender.send("u9", Reply("Dạ, nhắc hạn"))
    assert len(zalo.fake.texts_to("u9")) == 1


async def test_attachments_get_a_polite_reply_and_echoes_are_ignored(zalo):
    now = zalo.clock.now()
    image = text_event("u2", "", "img-1", now) | {"event_name": "user_send_image"}
    image["message"] = {
        "msg_id": "img-1",
        "attachments": [{"type": "image", "payload": {"url": "https://zalo.example/a.jpg"}}],
    }
    echo = text_event("u2", "Dạ, em chào", "echo-1", now) | {"event_name": "oa_send_text"}
    seen = text_event("u2", "", "seen-1", now) | {"event_name": "user_seen_message"}
    for event in (image, echo, seen):
        assert await post_event(zalo.http, zalo.url, event) == 200
    await zalo.channel.drain()
    assert zalo.fake.texts_to("u2") == [
        "Dạ, em chỉ đọc được tin nhắn chữ và nút bấm. Anh/chị gõ câu hỏi hoặc gõ /menu để xem "
        "các mục ạ."
    ]


async def test_zalo_ids_stay_strings(zalo):
    big = "1234567890123456789012"
    event = text_event(big, "/menu", "m-big", zalo.clock.now())
    await post_event(zalo.http, zalo.url, event)
    await zalo.channel.drain()
    assert zalo.fake.delivered[0]["recipient"]["user_id"] == big


@pytest.mark.parametrize(
    ("mutate", "verdict"),
    [
        (lambda raw, mac: (raw, mac), Verdict.OK),
        (lambda raw, mac: (raw, mac.upper()), Verdict.BAD_SIGNATURE),
        (lambda raw, mac: (raw + b" ", mac), Verdict.BAD_SIGNATURE),
        (lambda raw, mac: (b"not json", mac), Verdict.BAD_SIGNATURE),
        (lambda raw, mac: (b"[1, 2]", mac), Verdict.BAD_SIGNATURE),
        (lambda raw, mac: (raw, None), Verdict.BAD_SIGNATURE),
    ],
)
def test_verify_table(mutate, verdict):
    now = datetime(2026, 11, 21, 3, 0, tzinfo=UTC)
    raw = json.dumps(text_event("u", "x", "m", now)).encode()
    mac = signature(APP_ID, raw, millis(now), OA_SECRET)
    body, header = mutate(raw, mac)
    assert verify(body, header, app_id=APP_ID, oa_secret=OA_SECRET, now=now)[0] is verdict


async def test_webhook_answers_before_the_reply_is_sent(zalo):
    zalo.fake.message_delay = 0.3
    event = text_event("u1", "/start", "slow-1", zalo.clock.now())
    assert await post_event(zalo.http, zalo.url, event) == 200
    assert zalo.fake.messages == [], "200 came back before the reply went out"
    await zalo.channel.drain()
    assert len(zalo.fake.delivered) == 1


async def test_close_drains_accepted_events_then_refuses_new_ones(zalo):
    zalo.fake.message_delay = 0.1
    now = zalo.clock.now()
    assert await post_event(zalo.http, zalo.url, text_event("u1", "/start", "d1", now)) == 200
    await zalo.channel.close()
    assert len(zalo.fake.delivered) == 1, "the accepted event was processed before closing"
    later = text_event("u1", "/menu", "d2", now)
    assert await post_event(zalo.http, zalo.url, later) == 503, "Zalo retries it elsewhere"


@pytest.mark.parametrize(
    "event",
    [
        {"event_name": "user_send_text", "message": {"text": "hi", "msg_id": "x"}},
        {"event_name": "user_send_text", "sender": {"id": {"nested": 1}}},
        {"event_name": "user_send_text", "sender": {"id": "u1"}, "message": "not an object"},
        {"event_name": "user_send_image", "sender": {"id": "u1"}, "message": {"attachments": 5}},
        {"event_name": "follow"},
        {"event_name": "something_new", "sender": {"id": "u1"}},
        {"event_name": "anonymous_send_text", "sender": {"id": "anon"}},
        {"sender": {"id": "u1"}},
    ],
)
async def test_malformed_but_signed_events_never_crash(zalo, event):
    event = {"app_id": APP_ID, "timestamp": millis(zalo.clock.now())} | event
    assert await post_event(zalo.http, zalo.url, event) == 200
    await zalo.channel.drain()
    texts = zalo.fake.texts_to("u1")
    assert all(t.startswith("Dạ") for t in texts), "at most a polite reply"


async def test_emoji_and_huge_texts_get_polite_replies(zalo):
    now = zalo.clock.now()
    await post_event(zalo.http, zalo.url, text_event("u1", "😀🙏", "e1", now))
    await post_event(zalo.http, zalo.url, text_event("u1", "a" * 5000, "e2", now))
    await zalo.channel.drain()
    first, second = zalo.fake.texts_to("u1")
    assert first.startswith("Dạ, em chưa hiểu ý")
    assert "dài quá" in second


async def test_shared_contact_arrives_as_a_contact(zalo):
    event = {
        "app_id": APP_ID,
        "event_name": "user_submit_info",
        "sender": {"id": "u1"},
        "info": {"name": "Nguyễn Văn A", "phone": "0912345678"},
        "timestamp": millis(zalo.clock.now()),
    }
    assert await post_event(zalo.http, zalo.url, event) == 200
    await zalo.channel.drain()
    assert len(zalo.fake.texts_to("u1")) == 1


async def test_a_redelivered_digit_does_not_use_up_the_next_list(zalo):
    now = zalo.clock.now()
    await post_event(zalo.http, zalo.url, text_event("u1", "hi", "r0", now))
    await zalo.channel.drain()
    labels = [f"Mục {i}" for i in range(1, 7)]
    first = ["menu:faq", "menu:elig", "menu:contact", "menu:rem", "menu:intake", "menu:show"]
    await zalo.channel.sender.send("u1", Reply("Dạ, chọn:", tuple(map(Button, labels, first))))
    pressed = text_event("u1", "3", "r1", now)
    await post_event(zalo.http, zalo.url, pressed)
    await zalo.channel.drain()
    assert "Sở Công Thương" in zalo.fake.texts_to("u1")[-1]
    second = ["menu:show", *first[1:]]
    await zalo.channel.sender.send("u1", Reply("Dạ, chọn:", tuple(map(Button, labels, second))))
    sent = len(zalo.fake.delivered)
    await post_event(zalo.http, zalo.url, pressed)  # Zalo re-delivers the earlier "3"
    await zalo.channel.drain()
    assert len(zalo.fake.delivered) == sent, "a re-delivery is not answered"
    await post_event(zalo.http, zalo.url, text_event("u1", "1", "r2", now))
    await zalo.channel.drain()
    assert zalo.fake.texts_to("u1")[-1] == "Dạ, anh/chị muốn làm gì tiếp ạ?", "menu:show"


@pytest.mark.parametrize(
    ("name", "attachment", "kind", "ref"),
    [
        (
            "user_send_image",
            {"payload": {"url": "https://z/a.jpg"}},
            "photo",
            "https://z/a.jpg",
        ),
        (
            "user_send_file",
            {"payload": {"url": "https://z/h.pdf"}},
            "document",
            "https://z/h.pdf",
        ),
        ("user_send_sticker", {"payload": {"id": "st-9"}}, "sticker", "st-9"),
        (
            "user_send_audio",
            {"payload": {"url": "https://z/v.aac"}},
            "audio",
            "https://z/v.aac",
        ),
        (
            "user_send_location",
            {"payload": {"coordinates": {"latitude": "21.0", "longitude": "105.8"}}},
            "location",
            "21.0,105.8",
        ),
    ],
)
def test_attachment_events_map_to_kinds(name, attachment, kind, ref):
    from bot.channels.zalo.webhook import interpret

    event = {
        "event_name": name,
        "sender": {"id": "8123"},
        "message": {"msg_id": "m-1", "attachments": [{"type": "x", **attachment}]},
    }
    result = interpret(event)
    assert result.action == "message"
    message = result.message
    assert (message.kind, message.message_id) == (kind, "m-1")
    assert message.attachment == Attachment("zalo", kind, ref)
    assert (message.channel, message.user_id) == ("zalo", "8123")


async def test_an_event_without_msg_id_is_deduplicated_by_its_signed_body(zalo):
    event = text_event("u1", "/start", "x", zalo.clock.now())
    del event["message"]["msg_id"]
    assert await post_event(zalo.http, zalo.url, event) == 200
    assert await post_event(zalo.http, zalo.url, event) == 200  # Zalo's re-delivery
    await zalo.channel.drain()
    assert len(zalo.fake.delivered) == 1
    assert await _count(zalo.app, ProcessedMessage) == 1


async def test_a_client_hanging_up_mid_body_is_not_an_error(zalo, caplog):
    import asyncio
    from urllib.parse import urlsplit

    caplog.set_level(logging.INFO)
    parts = urlsplit(zalo.url)
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    writer.write(
        b"POST /webhooks/zalo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: 5000\r\n\r\n{\"event_name\": "
    )
    await writer.drain()
    writer.close()
    await asyncio.sleep(0.3)
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not errors, [r.getMessage() for r in errors]
    assert zalo.fake.delivered == []
