"""TelegramSender and the reply rendering: splitting, keyboards, documents, errors."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.channels.base import RateLimited, Unreachable
from bot.channels.telegram.output import split_text
from bot.channels.telegram.repository import TelegramRepository
from bot.db.repositories import SqlStore
from handlers.messages import Button, Document, Reply, Target

CHAT = "4242"


def test_split_text_at_paragraphs_under_the_limit():
    paragraphs = [f"Đoạn {i}:" + " chữ" * 300 for i in range(8)]  # ~1,200 characters each
    text = "\n\n".join(paragraphs)
    chunks = split_text(text)
    assert len(chunks) == 3
    assert all(len(c) <= 4096 for c in chunks)
    assert "\n\n".join(chunks) == text.strip(), "nothing lost, cuts at paragraph breaks"
    assert split_text("ngắn") == ["ngắn"]
    assert split_text("") == []
    unbroken = "x" * 9000
    assert [len(c) for c in split_text(unbroken)] == [4096, 4096, 808]
    lines = "\n".join("dòng " * 50 for _ in range(40))
    assert all(len(c) <= 4096 and not c.startswith("\n") for c in split_text(lines))


def _sender(service):
    return service.channels["telegram"].sender


async def test_long_reply_is_split_with_keyboard_on_last_part(service, fake):
    text = "\n\n".join("Dạ, " + "nội dung " * 150 for _ in range(6))
    ids = await _sender(service).send(CHAT, Reply(text, (Button("Về menu chính", "menu:show"),)))
    sent = fake.made("sendMessage", CHAT)
    assert len(sent) == 2
    # The outbox keeps the Bot API's message ids (issue 17), one per message, in order.
    answered = sorted(mid for chat, mid in fake.messages if chat == CHAT)
    assert ids == [str(mid) for mid in answered[-2:]]
    assert all(len(c.params["text"]) <= 4096 for c in sent)
    assert sent[0].buttons == []
    assert sent[1].buttons == [("Về menu chính", "menu:show")]


async def test_documents_sent_with_send_document(service, fake, tmp_path):
    draft = tmp_path / "draft.docx"
    draft.write_bytes(b"PK" + b"0" * 500)
    reply = Reply(
        "Dạ, đây là bản nháp đề án.",
        documents=(
            Document(str(draft), "De_an_nhap.docx"),
            Document("telegram-file:AgADBAAD", "ho_so.pdf"),
        ),
    )
    ids = await _sender(service).send(CHAT, reply)
    assert len(ids) == 3 == len(set(ids)), "the text and each document"
    uploaded, by_id = fake.made("sendDocument", CHAT)
    forwarded = Reply(
        "Dạ, ảnh và ghi âm hồ sơ:",
        documents=(
            Document("telegram-file:PHOTO1", "giay_phep.jpg"),
            Document("telegram-file:VOICE1", "ghi_am.ogg"),
        ),
    )
    await _sender(service).send("-100500", forwarded)
    from_zalo = Reply(
        "Dạ, tệp từ Zalo:",
        documents=(Document("zalo-file:https://f.zalo.example/abc.pdf", "bao_gia.pdf"),),
    )
    await _sender(service).send("-100500", from_zalo)
    by_url = fake.made("sendDocument", "-100500")[0]
    assert by_url.params["document"] == "https://f.zalo.example/abc.pdf"
    assert fake.made("sendPhoto", "-100500")[0].params["photo"] == "PHOTO1"
    assert fake.made("sendVoice", "-100500")[0].params["voice"] == "VOICE1"
    assert uploaded.params["document"] == {"filename": "De_an_nhap.docx", "size": 502}
    assert by_id.params["document"] == "AgADBAAD"
    actions = [c.params["action"] for c in fake.made("sendChatAction", CHAT)]
    assert actions == ["upload_document", "upload_document"]
    first_action = fake.made("sendChatAction", CHAT)[0]
    assert fake.made("sendMessage", CHAT)[0].at <= first_action.at <= uploaded.at


async def test_missing_document_gets_a_polite_note(service, fake, tmp_path):
    reply = Reply("Dạ, bản nháp:", documents=(Document(str(tmp_path / "gone.docx"), "x.docx"),))
    await _sender(service).send(CHAT, reply)
    texts = [c.params["text"] for c in fake.made("sendMessage", CHAT)]
    assert texts[-1].startswith("Dạ, em chưa gửi được tệp")
    assert fake.made("sendDocument") == []


async def test_contact_request_keyboard_then_removed(service, fake):
    await _sender(service).send(
        CHAT, Reply("Dạ, số điện thoại của anh/chị?", request_contact=True)
    )
    await _sender(service).send(CHAT, Reply("Dạ, em đã ghi nhận."))
    asked, noted = fake.made("sendMessage", CHAT)
    keyboard = asked.params["reply_markup"]["keyboard"]
    assert keyboard == [[{"text": "Gửi số điện thoại", "request_contact": True}]]
    assert noted.params["reply_markup"] == {"remove_keyboard": True}


async def test_long_payload_is_mapped_under_64_bytes(service, fake):
    long_payload = "intake:choose:" + "lựa_chọn_rất_dài_" * 6
    await _sender(service).send(CHAT, Reply("Dạ, chọn:", (Button("A", long_payload),)))
    [(label, data)] = fake.made("sendMessage", CHAT)[0].buttons
    assert len(data.encode()) <= 64
    assert data != long_payload
    repo = TelegramRepository(service.app.db)
    assert await repo.payload_of(data) == long_payload
    assert await repo.payload_of("#unknown") is None
    assert await repo.payload_of("menu:show") == "menu:show"


async def test_sender_maps_errors(service, fake):
    sender = _sender(service)
    fake.fail("sendMessage", chat_id=CHAT, code=403)
    with pytest.raises(Unreachable):
        await sender.send(CHAT, Reply("Dạ"))
    fake.fail("sendMessage", chat_id=CHAT, retry_after=7)
    with pytest.raises(RateLimited) as limited:
        await sender.send(CHAT, Reply("Dạ"))
    assert limited.value.retry_after == 7
    with pytest.raises(RateLimited):
        await sender.send(CHAT, Reply("Dạ")), "the chat is still paused: no call, no wait"
    assert len(fake.made("sendMessage", CHAT)) == 2
    await sender.send("5353", Reply("Dạ, chat khác vẫn gửi được."))


async def test_outbox_lag_metric(service, fake):
    now = service.app.clock.now()
    async with service.app.db.transaction() as session:
        await SqlStore(session, now).outbox.enqueue(
            key="old",
            target=Target("zalo", "1"),
            reply=Reply("Dạ"),
            due_at=now - timedelta(minutes=10),
        )
    await service.metrics.refresh_outbox(service.app.db, now)
    assert service.metrics.outbox_lag._value.get() == 600
    assert service.metrics.outbox_pending._value.get() == 1
