"""ZaloSender: files, long texts, error mapping, and the 48-hour / 8-reply window."""

from __future__ import annotations

from datetime import timedelta

import pytest
from docx import Document as DocxFile
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from bot.channels.base import OutsideWindow, SendError, Unreachable
from bot.channels.zalo.held import enqueue_held_notice, held_recipients, officer_notice
from bot.channels.zalo.sender import MAX_TEXT, split_text
from bot.db.models import OutboxMessage
from bot.db.repositories import CoreRepository, SqlStore
from bot.outbox import OutboxDelivery
from handlers.messages import Document, Reply, Target


async def _wrote(zalo, user, ago=timedelta(0)):
    at = zalo.clock.now() - ago
    await zalo.channel.conversations.record_inbound(user, at, "m", zalo.clock.now())


async def test_document_is_uploaded_then_sent_as_a_file(zalo, tmp_path):
    path = tmp_path / "de_an_nhap.docx"
    doc = DocxFile()
    doc.add_paragraph("Đề án khuyến công (bản nháp)")
    doc.save(str(path))
    await _wrote(zalo, "u1")
    reply = Reply("Dạ, đây là bản nháp đề án ạ.", documents=(Document(str(path), "de_an.docx"),))
    ids = await zalo.channel.sender.send("u1", reply)
    [(token, name, content)] = zalo.fake.uploads
    assert (token, name) == ("A0", "de_an.docx")
    assert content == path.read_bytes()
    text, file_message = zalo.fake.delivered
    assert text["message"] == {"text": "Dạ, đây là bản nháp đề án ạ."}
    assert file_message["message"] == {
        "attachment": {"type": "file", "payload": {"token": "file-1"}}
    }
    assert ids == ["z1", "z2"], "Zalo's message ids, kept by the outbox (issue 17)"


async def test_document_upload_survives_an_expired_token(zalo, tmp_path):
    path = tmp_path / "a.docx"
    path.write_bytes(b"PK\x03\x04 fake docx")
    await _wrote(zalo, "u1")
    zalo.fake.expired.add("A0")
    await zalo.channel.sender.send("u1", Reply("Dạ", documents=(Document(str(path), "a.docx"),)))
    assert [u[0] for u in zalo.fake.uploads] == ["A1"]
    assert len(zalo.fake.refreshes) == 1


async def test_missing_or_huge_document_is_explained_in_text(zalo, tmp_path):
    huge = tmp_path / "big.docx"
    huge.write_bytes(b"0" * (5 * 1024 * 1024 + 1))
    await _wrote(zalo, "u1")
    reply = Reply(
        "Dạ",
        documents=(Document(str(tmp_path / "gone.docx"), "gone.docx"), Document(str(huge), "x")),
    )
    await zalo.channel.sender.send("u1", reply)
    texts = zalo.fake.texts_to("u1")
    assert "chưa gửi được tệp" in texts[1]
    assert "lớn hơn 5 MB" in texts[2]
    assert zalo.fake.uploads == []


async def test_long_text_is_split(zalo):
    await _wrote(zalo, "u1")
    paragraphs = [f"Đoạn {i}: " + "nội dung hỗ trợ khuyến công " * 20 for i in range(12)]
    await zalo.channel.sender.send("u1", Reply("\n\n".join(paragraphs)))
    texts = zalo.fake.texts_to("u1")
    assert len(texts) > 1
    assert all(len(t) <= MAX_TEXT for t in texts)
    assert texts[1].startswith("Đoạn "), "cut at a paragraph boundary"


@given(st.text(min_size=0, max_size=6000))
def test_split_text_keeps_every_word(text):
    pieces = split_text(text, 300)
    assert all(len(p) <= 300 for p in pieces)
    assert "".join("".join(pieces).split()) == "".join(text.split())


async def test_window_open_for_48_hours(zalo):
    await _wrote(zalo, "u1", ago=timedelta(hours=47))
    await zalo.channel.sender.send("u1", Reply("Dạ, còn 3 ngày là hết hạn nộp hồ sơ ạ."))
    assert len(zalo.fake.delivered) == 1
    zalo.clock.advance(timedelta(hours=2))
    with pytest.raises(OutsideWindow):
        await zalo.channel.sender.send("u1", Reply("Dạ, nhắc lần nữa"))
    assert len(zalo.fake.messages) == 1, "nothing was sent outside the window"


async def test_window_allows_eight_free_replies(zalo):
    await _wrote(zalo, "u1")
    for i in range(8):
        await zalo.channel.sender.send("u1", Reply(f"Dạ {i}"))
    with pytest.raises(OutsideWindow):
        await zalo.channel.sender.send("u1", Reply("Dạ, tin thứ chín"))
    await _wrote(zalo, "u1", ago=timedelta(seconds=-1))  # the user writes again
    await zalo.channel.sender.send("u1", Reply("Dạ, lại được trả lời"))
    assert len(zalo.fake.delivered) == 9


async def test_never_wrote_means_outside_window(zalo):
    with pytest.raises(OutsideWindow):
        await zalo.channel.sender.send("stranger", Reply("Dạ"))
    assert zalo.fake.messages == []


async def test_error_codes_map_to_send_failures(zalo):
    await _wrote(zalo, "left")
    await _wrote(zalo, "broken")
    zalo.fake.error_for_user.update({"left": -213, "broken": -201})
    with pytest.raises(Unreachable):
        await zalo.channel.sender.send("left", Reply("Dạ"))
    with pytest.raises(SendError):
        await zalo.channel.sender.send("broken", Reply("Dạ"))
    assert (await zalo.channel.conversations.window("broken"))[1] == 0, "quota given back"


async def _enqueue_reminder(zalo, user):
    async with zalo.app.db.transaction() as session:
        user_id = await CoreRepository(session).upsert_user(
            "zalo", user, "Cơ sở Mây tre Phú Vinh", zalo.clock.now()
        )
        await SqlStore(session, zalo.clock.now()).outbox.enqueue(
            key=f"rem:{user}",
            target=Target("zalo", user),
            reply=Reply("Dạ, còn 3 ngày là hết hạn nộp hồ sơ ạ."),
            due_at=zalo.clock.now(),
            kind="reminder",
            user_id=user_id,
        )


async def test_outbox_reminders_respect_the_window_and_officers_are_told(zalo):
    await _wrote(zalo, "inside", ago=timedelta(hours=10))
    await _wrote(zalo, "outside", ago=timedelta(hours=60))
    await _enqueue_reminder(zalo, "inside")
    await _enqueue_reminder(zalo, "outside")
    dispatcher = OutboxDelivery(zalo.app.db, {"zalo": zalo.channel.sender}, zalo.clock)
    report = await dispatcher.dispatch_once()
    assert len(report.sent) == 1
    # "held" with the reminders branch's outbox, "unreachable" with the skeleton's.
    held_rows = getattr(report, "held", []) + report.unreachable
    assert len(held_rows) == 1
    assert [m["recipient"]["user_id"] for m in zalo.fake.delivered] == ["inside"]

    [held] = await held_recipients(zalo.app.db)
    assert (held.zalo_user_id, held.display_name, held.rows) == (
        "outside",
        "Cơ sở Mây tre Phú Vinh",
        1,
    )
    notice = officer_notice([held], zalo.app.kb.ui, zalo.app.settings.tz)
    assert notice is not None
    assert "Cơ sở Mây tre Phú Vinh (Zalo outside): 1 tin, sớm nhất 21/11/2026" in notice.text
    officer = Target("telegram", "-100500")
    tz = zalo.app.settings.tz
    assert await enqueue_held_notice(zalo.app.db, zalo.app.kb.ui, officer, tz, zalo.clock.now())
    assert not await enqueue_held_notice(
        zalo.app.db, zalo.app.kb.ui, officer, tz, zalo.clock.now()
    ), "one notice a day"
    async with zalo.app.db.transaction() as session:
        kinds = (await session.execute(select(OutboxMessage.kind))).scalars().all()
    assert sorted(kinds) == ["notice", "reminder", "reminder"]


async def test_held_pushes_are_due_again_when_the_user_writes(zalo):
    await _wrote(zalo, "away", ago=timedelta(hours=60))
    await _enqueue_reminder(zalo, "away")
    async with zalo.app.db.transaction() as session:
        # What the outbox records for an OutsideWindow (status "held" in the reminders branch).
        await session.execute(
            OutboxMessage.__table__.update().values(status="held", last_error="outside …")
        )
    assert [h.zalo_user_id for h in await held_recipients(zalo.app.db)] == ["away"]
    zalo.clock.advance(timedelta(minutes=1))
    await _wrote(zalo, "away")
    async with zalo.app.db.transaction() as session:
        row = (await session.execute(select(OutboxMessage))).scalar_one()
    assert (row.status, row.due_at) == ("pending", zalo.clock.now())
    assert await held_recipients(zalo.app.db) == []
    dispatcher = OutboxDelivery(zalo.app.db, {"zalo": zalo.channel.sender}, zalo.clock)
    assert len((await dispatcher.dispatch_once()).sent) == 1
    assert zalo.fake.texts_to("away") == ["Dạ, còn 3 ngày là hết hạn nộp hồ sơ ạ."]
    async with zalo.app.db.transaction() as session:
        row = (await session.execute(select(OutboxMessage))).scalar_one()
    assert (row.status, row.platform_message_id) == ("sent", f"z{len(zalo.fake.messages)}")


async def test_forwarded_user_files_go_as_links_not_uploads(zalo):
    await _wrote(zalo, "officer-1")
    reply = Reply(
        "Dạ, cơ sở gửi thêm tệp:",
        documents=(
            Document("zalo-file:https://zalo.example/f/anh.jpg", "photo-m1"),
            Document("telegram-file:AgACAgUAAxk", "document-m2"),
        ),
    )
    await zalo.channel.sender.send("officer-1", reply)
    texts = zalo.fake.texts_to("officer-1")
    assert texts[1] == "📎 photo-m1: https://zalo.example/f/anh.jpg"
    assert "kênh telegram" in texts[2]
    assert zalo.fake.uploads == []
