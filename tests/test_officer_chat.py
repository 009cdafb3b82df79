"""Hand-off in chat ("Hỏi cán bộ"): tickets opened by owners, answered by officers by reply,
/traloi or a button; the answer reaches the owner through the outbox; the one reminder."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.db.models import OutboxMessage
from bot.db.models_officer import OfficerAudit, OfficerTicket
from handlers.messages import Attachment, IncomingMessage
from tests.intake_helpers import deliver, outbox_rows
from tests.transcript import Chat


async def _tickets(app):
    async with app.db.transaction() as session:
        return list((await session.execute(select(OfficerTicket))).scalars())


async def test_free_text_opens_a_ticket_and_officer_answers_by_reply(app, chat):
    await chat.say("cho em nói chuyện với người thật")
    assert "gõ câu hỏi cho cán bộ" in chat.text
    await chat.say("Xưởng em ở Đông Triều có được hỗ trợ máy sấy không ạ?")
    assert "YC-1" in chat.text
    assert "thứ Hai – thứ Sáu, 07:30–17:00" in chat.text
    [ticket] = await _tickets(app)
    assert ticket.status == "new"
    assert ticket.owner_target == "console:owner-1"
    # the owner keeps chatting with the bot while the ticket is open
    await chat.say("hỗ trợ máy móc bao nhiêu")
    assert "YC-" not in chat.text

    [(chat_id, notice)] = (await deliver(app))["telegram"].sent
    assert chat_id == "-100500"
    assert "YC-1" in notice.text
    assert "máy sấy" in notice.text
    assert [b.payload for b in notice.buttons] == ["officer:take:1", "officer:answer:1"]

    officer = Chat(app.dispatcher, user="officer")
    reply = IncomingMessage(
        "console", "officer", "officer", text="Dạ có, anh mang báo giá lên Trung tâm ạ.",
        message_id="r1", reply_to_text=notice.text,
    )  # fmt: skip
    await officer.send(reply)
    assert "YC-1" in officer.text
    assert "xếp gửi" in officer.text
    [(owner, answer)] = (await deliver(app))["console"].sent
    assert owner == "owner-1"
    assert "mang báo giá" in answer.text
    assert "officer:ask" in [b.payload for b in answer.buttons]
    [ticket] = await _tickets(app)
    assert ticket.status == "answered"
    async with app.db.transaction() as session:
        audit = list((await session.execute(select(OfficerAudit))).scalars())
        remind = (
            await session.execute(
                select(OutboxMessage).where(OutboxMessage.dedupe_key == "ticket:1:remind")
            )
        ).scalar_one()
    assert [(a.officer_id, a.action, a.subject) for a in audit] == [
        ("officer:console:officer", "ticket.answer", "YC-1")
    ]
    assert remind.status == "cancelled"  # answered: the officers are not reminded


async def test_unanswered_ticket_reminds_once_after_a_working_day(app, chat, clock):
    await chat.press("officer:ask")
    await chat.send(
        IncomingMessage(
            "console", "owner-1", "owner-1", kind="photo", message_id="p1",
            attachment=Attachment("console", "photo", "file-123"),
        )
    )  # fmt: skip
    assert "YC-1" in chat.text
    [notice] = (await deliver(app))["telegram"].sent
    assert notice[1].documents[0].attachment == Attachment("console", "photo", "file-123")
    rows = {r.dedupe_key: r for r in await outbox_rows(app)}
    # Saturday 21/11 10:00 → next working day Monday 07:30 → one working day later, Tuesday.
    assert rows["ticket:1:remind"].due_at == datetime(2026, 11, 24, 0, 30, tzinfo=UTC)
    clock.advance(timedelta(days=3, hours=1))
    [(_, remind)] = (await deliver(app))["telegram"].sent
    assert "YC-1" in remind.text
    assert "chưa được trả lời" in remind.text
    clock.advance(timedelta(days=3))
    assert (await deliver(app))["telegram"].sent == []


async def test_traloi_and_ownership(app, chat):
    await chat.say("/hoicanbo Hạn nộp đề án năm sau là khi nào ạ?")
    assert "YC-1" in chat.text
    other = Chat(app.dispatcher, user="owner-2")
    await other.press("officer:close:1")
    assert "nút này đã cũ" in other.text  # the core's one ownership refusal (may_use)
    await other.say("/traloi 1 xin chào")
    assert "chỉ dành cho cán bộ" in other.text
    officer = Chat(app.dispatcher, user="officer")
    await officer.say("/traloi")
    assert "cách dùng" in officer.text
    await officer.say("/traloi 99 Dạ vâng ạ")
    assert "không tìm thấy" in officer.text.lower()
    await officer.say("/hopthu")
    assert "YC-1" in officer.text
    assert "mới" in officer.text
    await officer.press("officer:take:1")
    assert "đang xử lý" in officer.text
    await officer.say("/traloi YC-1 Dạ hạn là 30/6 hằng năm ạ.")
    assert "xếp gửi" in officer.text
    [(_, answer)] = (await deliver(app))["console"].sent
    assert "30/6" in answer.text
    await chat.press("officer:close:1")
    assert "đã đóng" in chat.text
    [ticket] = await _tickets(app)
    assert ticket.status == "closed"


async def test_handoff_buttons_from_contact_and_abstention(app, chat):
    await chat.press("menu:contact")
    assert "officer:ask" in chat.payloads
    await chat.say("con mèo nhà em bị ốm thì sao")
    assert "officer:ask" in chat.payloads


async def test_officer_help_lists_declared_commands(app, chat):
    officer = Chat(app.dispatcher, user="officer")
    await officer.say("/giup")
    core = app.core
    commands = core.officer_commands()
    assert {"dshoso", "xemhoso", "xuathoso", "cauhoi", "hanmoi", "danhsachhan", "suahan",
            "xoahan", "phatthanh", "ketquaphat", "traloi", "hopthu"} <= set(commands)  # fmt: skip
    for command in commands:
        assert f"/{command} — " in officer.text
    await chat.say("/giup")
    assert "/dshoso" not in chat.text


async def test_officer_help_shows_the_web_address(settings, clock):
    from bot.app import build_app

    app = await build_app(
        replace_settings(settings, public_url="https://kc.example.vn"), clock=clock, migrate=False
    )
    try:
        officer = Chat(app.dispatcher, user="officer")
        await officer.say("/giup")
        assert "https://kc.example.vn/officer/" in officer.text
    finally:
        await app.close()


def replace_settings(settings, **changes):
    return settings.model_copy(update=changes)


