"""The intake through the console channel on a real database: answers end up in the draft."""

import io
import json
from pathlib import Path

from sqlalchemy import select

from bot.app import build_app
from bot.channels.console.io import run_console
from bot.db.models_intake import IntakeConsent, Submission, SubmissionDraft
from tests.intake_helpers import (
    ANSWERS,
    answer_all,
    docx_sections,
    full_intake,
    open_edit,
    start_with_consent,
)
from tests.transcript import Chat


async def test_console_channel_full_intake_produces_a_docx(app, settings):
    lines = ["#menu:intake", "#intake:consent_yes"]
    lines += [entry for _, entry in ANSWERS]
    lines += ["#intake:submit"]
    stdout = io.StringIO()
    await run_console(
        app.dispatcher.handle,
        user_id="owner-c",
        json_mode=True,
        stdin=io.StringIO("".join(f"{line}\n" for line in lines)),
        stdout=stdout,
    )
    replies = [json.loads(line) for line in stdout.getvalue().splitlines()]
    docs = [d for r in replies for d in r["documents"]]
    assert len(docs) == 1
    path, name = docs[0]["path"], docs[0]["name"]
    assert name.startswith("De-an-khuyen-cong_ho-kinh-doanh-bun-kho-minh-anh_21-11-2026")
    assert name.endswith("_v1.docx")
    assert Path(path).is_relative_to(settings.data_dir)
    sections = docx_sections(path)
    headings = [h for h in sections if h]
    assert headings[0] == "ĐỀ ÁN KHUYẾN CÔNG"
    roman = [h.split(".")[0] for h in headings[1:9]]
    assert roman == ["I", "II", "III", "IV", "V", "VI", "VII", "VIII"]
    by_number = {h.split(".")[0]: text for h, text in sections.items() if h}
    assert "Hộ kinh doanh Bún khô Minh Anh" in by_number["I"]
    assert "Nguyễn Văn An" in by_number["I"]
    assert "0912345678" in by_number["I"]
    assert "0101234567" in by_number["I"]
    assert "xã Tân Hòa, tỉnh Phú Thọ" in by_number["I"]
    assert "Chế biến nông, lâm, thủy sản" in by_number["I"]
    assert "phơi bún thủ công" in by_number["II"]
    assert "1 tấn bún" in by_number["III"]
    assert "Máy sấy bún bằng nhiệt" in by_number["IV"]
    assert "01/03/2027" in by_number["V"]
    assert "30/09/2027" in by_number["V"]
    budget = by_number["VI"]
    assert "Tổng kinh phí thực hiện | 800.000.000 đồng | 100%" in budget
    assert "Kinh phí đề nghị khuyến công hỗ trợ | 300.000.000 đồng | 37,5%" in budget
    assert "Vốn đối ứng của cơ sở | 500.000.000 đồng | 62,5%" in budget
    assert "1 tấn bún" not in by_number["VIII"], "said once, in III"
    commitments = sections["CAM KẾT CỦA CƠ SỞ"]
    assert "chưa nhận hỗ trợ từ nguồn ngân sách nhà nước nào khác" in commitments
    assert "Cán bộ bổ sung" in by_number["I"], "placeholders for the officer are marked"


async def test_draft_is_versioned_in_the_database(app, chat):
    path = await full_intake(chat)
    async with app.db.transaction() as session:
        sub = (await session.execute(select(Submission))).scalar_one()
        draft = (await session.execute(select(SubmissionDraft))).scalar_one()
        consent = (await session.execute(select(IntakeConsent))).scalar_one()
    assert sub.status == "submitted"
    assert sub.answers["total_cost"] == 800_000_000
    assert (draft.version, draft.path) == (1, path)
    assert consent.version == app.kb.intake_form.consent.version
    assert consent.given_at == app.clock.now()


async def test_back_skip_and_keep(chat):
    await start_with_consent(chat)
    await chat.say("Nguyễn Văn An")
    assert "điện thoại" in chat.text
    await chat.press("intake:back")
    assert "họ và tên" in chat.text
    assert "Hiện đang ghi: Nguyễn Văn An" in chat.text
    await chat.press("intake:keep")
    assert "điện thoại" in chat.text
    await chat.press("intake:skip")
    assert "cần trả lời" in chat.text, "a required question cannot be skipped"
    await chat.say("0912345678")
    await chat.say("Cơ sở Bún Minh Anh")
    await chat.press("intake:ans:entity_type:htx")
    assert "mã số thuế" in chat.text
    await chat.press("intake:skip")
    assert "xã/phường" in chat.text
    await chat.press("intake:back")
    assert "mã số thuế" in chat.text
    await chat.press("intake:back")
    assert "loại hình" in chat.text
    assert "Hợp tác xã" in chat.text


async def test_summary_edit_returns_to_summary_and_skip_shows(chat):
    await start_with_consent(chat)
    await answer_all(chat, skip={"tax_code", "supplier_quotes"})
    assert "Mã số thuế: (bỏ qua)" in chat.text
    await open_edit(chat, "total_cost")
    await chat.press("intake:edit:total_cost")
    assert "tổng kinh phí" in chat.text
    await chat.say("1,2 tỷ")
    assert "Tổng kinh phí: 1.200.000.000 đồng" in chat.text
    assert "Vốn đối ứng của cơ sở: 900.000.000 đồng" in chat.text


async def test_changing_support_type_asks_the_new_questions(chat):
    await start_with_consent(chat)
    await answer_all(chat)
    await chat.press("intake:edit:support_type")
    await chat.press("intake:ans:support_type:khac")
    assert "thực hiện việc gì" in chat.text
    await chat.say("Thiết kế bao bì và đăng ký nhãn hiệu cho bún khô")
    assert "xem lại thông tin" in chat.text
    assert "Máy, công suất" not in chat.text
    assert "chưa có số liệu xác nhận" in chat.text


async def test_cancel_needs_confirmation_and_keeps_answers(chat):
    await start_with_consent(chat)
    await chat.say("Nguyễn Văn An")
    await chat.say("/huy")
    assert "tạm dừng" in chat.text
    await chat.press("intake:cancel_no")
    assert "điện thoại" in chat.text
    await chat.say("/huy")
    await chat.press("intake:cancel_yes")
    assert "vẫn được giữ" in chat.text
    await chat.say("tôi hỏi chuyện khác")
    assert "Câu 2/" not in chat.text, "out of the flow, text goes to the FAQ"
    await chat.press("menu:intake")
    assert "soạn dở" in chat.text
    assert "điện thoại" in chat.text


async def test_resume_after_restart(settings, clock):
    first = await build_app(settings, clock=clock, migrate=False)
    chat = Chat(first.dispatcher, user="owner-r")
    await start_with_consent(chat)
    for _, entry in ANSWERS[:5]:
        await chat.say(entry) if not entry.startswith("#") else await chat.press(entry[1:])
    assert "xã/phường" in chat.text
    await first.close()
    clock.advance(__import__("datetime").timedelta(days=5))
    second = await build_app(settings, clock=clock, migrate=False)
    try:
        again = Chat(second.dispatcher, user="owner-r")
        await again.say("xã Tân Hòa, tỉnh Phú Thọ")
        assert "loại địa bàn" in again.text
        await again.press("menu:show")
        await again.press("menu:intake")
        assert "soạn dở" in again.text
        assert "loại địa bàn" in again.text
        assert "91/2025" not in again.text, "consent is not asked twice"
    finally:
        await second.close()


async def test_wrong_answers_explain_and_offer_an_officer(chat):
    await start_with_consent(chat)
    await chat.say("Nguyễn Văn An")
    await chat.say("abc")
    assert "ví dụ" in chat.text.lower()
    assert "menu:contact" not in chat.payloads
    await chat.say("12345")
    assert "menu:contact" not in chat.payloads
    await chat.say("024 3826 1234")
    assert "máy bàn" in chat.text
    assert "menu:contact" in chat.payloads
    await chat.say("0912345678")
    assert "tên cơ sở" in chat.text


async def test_budget_over_limits_warns_and_keeps_the_amount(chat):
    await start_with_consent(chat)
    answers = [(s, "500 triệu" if s == "support_requested" else e) for s, e in ANSWERS]
    for _step, entry in answers[:14]:
        await chat.say(entry) if not entry.startswith("#") else await chat.press(entry[1:])
    assert "vượt tỷ lệ tối đa 50%" in chat.text
    assert "vượt mức trần 300.000.000 đồng" in chat.text
    assert "không tự sửa" in chat.text
    await answer_all(chat, answers[14:])
    assert "Kinh phí đề nghị hỗ trợ: 500.000.000 đồng" in chat.text


async def test_support_more_than_total_is_refused(chat):
    await start_with_consent(chat)
    for _, entry in ANSWERS[:13]:
        await chat.say(entry) if not entry.startswith("#") else await chat.press(entry[1:])
    await chat.say("2 tỷ")
    assert "lớn hơn 800.000.000 đồng" in chat.text


async def test_phone_step_asks_for_the_contact_and_accepts_it(chat):
    from handlers.messages import IncomingMessage

    await start_with_consent(chat)
    await chat.say("Nguyễn Văn An")
    assert chat.replies[-1].request_contact
    await chat.send(
        IncomingMessage(
            "console",
            "owner-1",
            "owner-1",
            kind="contact",
            contact_phone="+84912345678",
            message_id="contact-1",
        )
    )
    assert "tên cơ sở" in chat.text


async def test_declining_consent_asks_nothing_personal(app, chat):
    await chat.press("menu:intake")
    await chat.press("intake:consent_no")
    assert "chưa soạn đề án được" in chat.text
    async with app.db.transaction() as session:
        assert (await session.execute(select(IntakeConsent))).first() is None


async def test_start_from_eligibility_prefills(app, chat):
    from sqlalchemy import update

    from bot.db.models import ConversationStateRow

    await chat.say("/start")
    async with app.db.transaction() as session:
        await session.execute(
            update(ConversationStateRow).values(
                data={
                    "elig": {
                        "answers": {
                            "entity_type": "htx",
                            "sector": "tieu_thu_cong_nghiep",
                            "site_area": "xa",
                            "employees": 12,
                        }
                    }
                }
            )
        )
    await chat.press("intake:from_elig")
    assert "lấy sẵn 3 thông tin" in chat.text
    await chat.press("intake:consent_yes")
    for _, entry in [a for a in ANSWERS if a[0] not in {"entity_type", "sector", "site_area"}]:
        await chat.say(entry) if not entry.startswith("#") else await chat.press(entry[1:])
    assert "Loại hình: Hợp tác xã" in chat.text
    assert "Ngành nghề: Tiểu thủ công nghiệp" in chat.text
    await open_edit(chat, "entity_type")


async def test_malformed_and_stale_presses_are_polite(chat):
    for payload in (
        "intake:ans:phone:x",
        "intake:edit:nope",
        "intake:submit",
        "intake:keep",
        "intake:revise:999",
        "intake:revise:abc",
        "sub:ack:abc",
        "sub:zzz",
        "intake:cancel_yes",
        "intake:erase_yes",
        "intake:" + "x" * 60,
    ):
        await chat.press(payload)
        assert chat.text.startswith("Dạ"), payload
    await start_with_consent(chat)
    await chat.press("intake:ans:entity_type:htx")
    assert "nút này đã cũ" in chat.text
    await chat.say("x" * 3000)
    assert "dài quá" in chat.text
    assert "họ và tên" in chat.text
    await chat.say("😀😀")
    await chat.say("Nguyễn Văn An")
    assert "điện thoại" in chat.text


async def test_events_and_summary_back(app, chat):
    seen: list[str] = []
    app.dispatcher.on_events = lambda _message, events: seen.extend(events)
    await start_with_consent(chat)
    await answer_all(chat)
    await chat.press("intake:back")
    # The last step is the optional baseline section (energy use, for machinery support).
    assert "điện, nhiên liệu" in chat.text
    await chat.press("intake:keep")
    assert "xem lại thông tin" in chat.text
    await chat.press("intake:submit")
    assert seen.count("intake.started") == 1
    assert seen.count("intake.finished") == 1


async def test_lowering_the_total_asks_the_support_again(chat):
    await start_with_consent(chat)
    await answer_all(chat)
    await chat.press("intake:edit:total_cost")
    await chat.say("200 triệu")
    assert "đề nghị khuyến công hỗ trợ bao nhiêu" in chat.text
    await chat.say("100 triệu")
    assert "Tổng kinh phí: 200.000.000 đồng" in chat.text
    assert "Kinh phí đề nghị hỗ trợ: 100.000.000 đồng" in chat.text


async def test_text_after_declining_consent_goes_to_the_faq(chat):
    await chat.press("menu:intake")
    await chat.press("intake:consent_no")
    await chat.say("Nguyễn Văn An")
    assert chat.replies
    assert "Câu" not in chat.text
    await chat.press("intake:consent_yes")
    assert "nút này đã cũ" in chat.text


async def test_two_submissions_keep_separate_files(chat):
    first = await full_intake(chat)
    second = await full_intake(chat, consent_asked=False)
    assert first != second
    assert "_hs1_v1" in first
    assert "_hs2_v1" in second
