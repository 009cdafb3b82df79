"""Officer hand-off with two users: acknowledge, ask for more, resubmit, refuse; and /hoso."""

import logging
from pathlib import Path

from sqlalchemy import select

from bot.db.models_intake import Submission, SubmissionDraft, SubmissionEvent
from handlers.messages import Attachment, IncomingMessage
from tests.intake_helpers import (
    deliver,
    docx_sections,
    exists,
    full_intake,
    open_edit,
    outbox_rows,
    read_csv,
)
from tests.transcript import Chat


async def _status(app, submission_id=1):
    async with app.db.transaction() as session:
        return (
            await session.execute(select(Submission.status).where(Submission.id == submission_id))
        ).scalar_one()


async def test_officer_receives_summary_draft_and_buttons(app, chat):
    path = await full_intake(chat)
    senders = await deliver(app)
    [(chat_id, notice)] = senders["telegram"].sent
    assert chat_id == "-100500"
    assert "Hồ sơ đề án #1" in notice.text
    assert "Bún khô Minh Anh" in notice.text
    assert "Vốn đối ứng của cơ sở: 500.000.000 đồng" in notice.text
    assert [d.path for d in notice.documents] == [path]
    assert [b.payload for b in notice.buttons] == ["sub:ack:1", "sub:more:1", "sub:rej:1"]
    assert [b.label for b in notice.buttons] == ["Đã tiếp nhận", "Cần bổ sung", "Không phù hợp"]


async def test_acknowledge_ask_more_and_resubmit(app, chat):
    await full_intake(chat)
    await deliver(app)
    officer = Chat(app.dispatcher, user="officer")
    await officer.press("sub:ack:1")
    assert "đã tiếp nhận" in officer.text
    assert await _status(app) == "acknowledged"
    owner_notes = (await deliver(app))["console"].sent
    assert owner_notes[0][0] == "owner-1"
    assert "đã được cán bộ khuyến công tiếp nhận" in owner_notes[0][1].text

    await officer.press("sub:more:1")
    assert "gõ nội dung" in officer.text
    await officer.say("Thiếu 3 báo giá máy sấy và bản sao giấy đăng ký hộ kinh doanh")
    assert await _status(app) == "needs_info"
    [(owner_chat, request)] = (await deliver(app))["console"].sent
    assert owner_chat == "owner-1"
    assert "Thiếu 3 báo giá" in request.text
    assert "intake:revise:1" in [b.payload for b in request.buttons]

    await chat.say("/hoso")
    assert "Cần bổ sung" in chat.text
    assert "Thiếu 3 báo giá" in chat.text
    await chat.press("intake:revise:1")
    assert "hồ sơ #1" in chat.text
    await open_edit(chat, "supplier_quotes")
    await chat.press("intake:edit:supplier_quotes")
    await chat.say("4")
    assert "Số báo giá: 4" in chat.text
    await chat.press("intake:submit")
    [doc] = [d for r in chat.replies for d in r.documents]
    assert doc.name.endswith("_v2.docx")
    assert "Số báo giá của nhà cung cấp đã có: 4." in docx_sections(doc.path)["IV. QUY MÔ ĐỀ ÁN"]
    assert await _status(app) == "submitted"
    async with app.db.transaction() as session:
        versions = (await session.execute(select(SubmissionDraft.version))).scalars().all()
        events = (
            (await session.execute(select(SubmissionEvent.status).order_by(SubmissionEvent.id)))
            .scalars()
            .all()
        )
        assert (await session.execute(select(Submission))).scalars().all().__len__() == 1
    assert sorted(versions) == [1, 2]
    assert events == ["submitted", "acknowledged", "needs_info", "submitted"]
    [(_, again)] = (await deliver(app))["telegram"].sent
    assert "#1 (lần 2)" in again.text
    assert again.documents[0].path == doc.path


async def test_refusal_needs_a_reason_and_tells_the_owner(app, chat):
    await full_intake(chat)
    officer = Chat(app.dispatcher, user="officer")
    await officer.press("sub:rej:1")
    await officer.say("ok")
    assert "ngắn quá" in officer.text
    assert await _status(app) == "submitted"
    await officer.say("Cơ sở đặt tại phường nội thành, không thuộc địa bàn hỗ trợ")
    assert await _status(app) == "rejected"
    sent = (await deliver(app))["console"].sent
    assert any("chưa phù hợp" in r.text and "phường nội thành" in r.text for _, r in sent)
    await officer.press("sub:ack:1")
    assert "Không phù hợp" in officer.text
    assert await _status(app) == "rejected"


async def test_officer_can_cancel_a_note(app, chat):
    await full_intake(chat)
    officer = Chat(app.dispatcher, user="officer")
    await officer.press("sub:more:1")
    await officer.say("/huy")
    assert "không thay đổi" in officer.text
    assert await _status(app) == "submitted"


async def test_non_officer_commands_change_nothing(app, chat):
    await full_intake(chat)
    before = await outbox_rows(app)
    stranger = Chat(app.dispatcher, user="stranger")
    for payload in ("sub:ack:1", "sub:more:1", "sub:rej:1", "sub:open:1"):
        await stranger.press(payload)
        assert "chỉ dành cho cán bộ" in stranger.text
    await stranger.say("đủ rồi, duyệt đi")
    for command in ("/dshoso", "/xemhoso 1", "/xuathoso"):
        await stranger.say(command)
        assert "chỉ dành cho cán bộ" in stranger.text
        assert not [d for r in stranger.replies for d in r.documents]
    await chat.say("/xemhoso 1")
    assert "chỉ dành cho cán bộ" in chat.text
    assert await _status(app) == "submitted"
    assert len(await outbox_rows(app)) == len(before)
    await stranger.say("/hoso")
    assert "chưa gửi hồ sơ nào" in stranger.text


async def test_officer_lists_opens_and_exports(app, chat, settings):
    await full_intake(chat)
    officer = Chat(app.dispatcher, user="officer")
    await officer.say("/dshoso moi")
    assert "#1 — Hộ kinh doanh Bún khô Minh Anh" in officer.text
    await officer.say("/dshoso tiepnhan")
    assert "không có hồ sơ" in officer.text.lower()
    await officer.say("/dshoso xyz")
    assert "không hiểu trạng thái" in officer.text
    await officer.press("sub:open:1")
    assert "Điện thoại: 0912345678" in officer.text
    assert officer.replies[0].documents
    assert "sub:ack:1" in officer.payloads
    await officer.say("/xemhoso 99")
    assert "không có hồ sơ #99" in officer.text
    await officer.say("/xuathoso")
    [doc] = [d for r in officer.replies for d in r.documents]
    assert doc.name.endswith(".csv")
    assert Path(doc.path).is_relative_to(settings.data_dir)
    rows = read_csv(doc.path)
    assert rows[0][0] == "id"
    assert rows[1][2] == "Hộ kinh doanh Bún khô Minh Anh"
    assert "800.000.000 đồng" in rows[1]
    assert "500.000.000 đồng" in rows[1]


async def test_erase_personal_data_after_confirmation(app, chat):
    path = await full_intake(chat)
    await chat.say("/xoadulieu")
    assert "không khôi phục" in chat.text
    await chat.press("intake:erase_no")
    assert exists(path)
    await chat.say("/xoadulieu")
    await chat.press("intake:erase_yes")
    assert "đã xóa 1 hồ sơ" in chat.text
    assert not exists(path)
    async with app.db.transaction() as session:
        assert (await session.execute(select(Submission))).first() is None
        assert (await session.execute(select(SubmissionDraft))).first() is None
    assert [r for r in await outbox_rows(app) if r.status == "pending"] == []
    await chat.press("intake:erase_yes")
    assert "nút này đã cũ" in chat.text
    await chat.press("menu:intake")
    assert "91/2025/QH15" in chat.text, "consent is asked again after erasure"


async def test_attachment_during_intake_is_forwarded(app, chat):
    await chat.press("menu:intake")
    await chat.press("intake:consent_yes")
    await chat.say("Nguyễn Văn An")
    await chat.send(
        IncomingMessage(
            "console",
            "owner-1",
            "owner-1",
            kind="photo",
            attachment=Attachment("console", "photo", "file-abc"),
            message_id="p1",
        )
    )
    assert "đã chuyển tệp" in chat.text
    assert "điện thoại" in chat.text
    [(_, notice)] = (await deliver(app))["telegram"].sent
    assert "hồ sơ đang soạn" in notice.text
    assert notice.documents[0].attachment == Attachment("console", "photo", "file-abc")


async def test_phone_numbers_are_masked_in_logs(app, chat, caplog):
    for name in ("handlers", "bot", "knowledge"):
        caplog.set_level(logging.DEBUG, logger=name)
    await full_intake(chat)
    ours = "\n".join(
        r.getMessage() for r in caplog.records if r.name.split(".")[0] in ("handlers", "bot")
    )
    assert "091****678" in ours
    assert "0912345678" not in ours
    assert "912 345 678" not in ours


async def test_officer_note_for_an_erased_submission(app, chat):
    await full_intake(chat)
    officer = Chat(app.dispatcher, user="officer")
    await officer.press("sub:more:1")
    await chat.say("/xoadulieu")
    await chat.press("intake:erase_yes")
    await officer.say("Thiếu báo giá máy sấy")
    assert officer.text.startswith("Dạ")
    assert (await deliver(app))["console"].sent == []


async def test_officer_list_shows_newest_first(app, chat):
    await full_intake(chat)
    await full_intake(chat, consent_asked=False)
    officer = Chat(app.dispatcher, user="officer")
    await officer.say("/dshoso")
    assert officer.text.index("#2 —") < officer.text.index("#1 —")
    assert officer.payloads[:2] == ["sub:open:2", "sub:open:1"]


async def test_acknowledged_project_gets_milestone_reminders(app, chat):
    """01/03/2027 → end of quý 3/2027: start, monthly reports, end and the 22/01 settlement."""
    await full_intake(chat)
    await deliver(app)
    officer = Chat(app.dispatcher, user="officer")
    await officer.press("sub:ack:1")
    await chat.press("menu:rem")
    await chat.press_label("sắp tới")
    text = chat.text
    assert "01/03/2027" in text
    assert "30/09/2027" in text
    assert "22/01/2028" in text
