"""Issue 15, "Flows": each kind of fault with a table of its examples and neighbours, and a
transcript per flow showing the new behaviour (real dispatcher, real database)."""

from __future__ import annotations

import io
import json
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.app import build_app
from bot.channels.console.io import memory_path, run_console, to_message
from bot.channels.zalo.sender import ZaloSender
from bot.db.models import OutboxMessage, User
from bot.db.models_reminders import Subscription
from bot.db.repositories import CoreRepository
from handlers.intake_view import MAX_SUMMARY_BUTTONS
from handlers.messages import Button, Reply
from handlers.reminders import is_reminder_request, relative_day
from knowledge import load_knowledge
from tests.intake_helpers import ANSWERS, answer_all, docx_sections, send, start_with_consent
from tests.transcript import Chat

# --- "Làm lại từ đầu" asks first ------------------------------------------------------------


async def _intake_half(chat: Chat) -> None:
    await start_with_consent(chat)
    for _, entry in ANSWERS[:3]:
        await send(chat, entry)
    await chat.say("/huy")
    await chat.press("intake:cancel_yes")
    await chat.press("menu:intake")
    assert "intake:restart" in chat.payloads


async def _elig_result(chat: Chat) -> None:
    await chat.press("menu:elig")
    for payload in (
        "elig:a:entity_type:ho_kinh_doanh",
        "elig:a:site_area:xa",
        "elig:a:sector:che_bien_nong_lam_thuy_san",
        "elig:a:difficult_area:false",
        "elig:a:other_state_funding_same_content:false",
    ):
        await chat.press(payload)
    assert "THUỘC DIỆN" in chat.text


async def _elig_half(chat: Chat) -> None:
    await chat.press("menu:elig")
    await chat.press("elig:a:entity_type:ho_kinh_doanh")
    await chat.say("/huy")
    await chat.press("menu:elig")
    assert "làm tiếp hay làm lại" in chat.text


RESTARTS = [
    # (how the owner got there, what they do to restart, the "no" button, asked again)
    ("intake resumed", _intake_half, "#intake:restart", "intake:restart_no", "loại hình"),
    ("eligibility result", _elig_result, "#elig:restart", "elig:resume", "THUỘC DIỆN"),
    ("eligibility resumed, button", _elig_half, "#elig:restart", "elig:resume", "Xưởng"),
    ("eligibility resumed, typed", _elig_half, "làm lại", "elig:resume", "Xưởng"),
    ("eligibility resumed, typed no", _elig_half, "không", "elig:resume", "Xưởng"),
]


async def test_restart_asks_before_erasing(app) -> None:
    # One database for the table (one user per row) keeps the test cheap.
    for n, (case, setup, restart, keep, kept) in enumerate(RESTARTS):
        chat = Chat(app.dispatcher, user=f"restart-{n}")
        await setup(chat)
        await send(chat, restart)
        assert "chắc chắn" in chat.text, case
        yes = next(p for p in chat.payloads if p.endswith("restart_yes"))
        await chat.press(keep)
        assert kept in chat.text, case
        await send(chat, restart)
        await chat.press(yes)
        assert "chắc chắn" not in chat.text, case


# --- a resubmission keeps skipped answers skipped ---------------------------------------------


SKIPPED = [{"tax_code"}, {"supplier_quotes"}, {"tax_code", "site_area", "supplier_quotes"}]


async def test_resubmission_keeps_skipped_answers_skipped(app) -> None:
    officer = Chat(app.dispatcher, user="officer")
    for number, skipped in enumerate(SKIPPED, start=1):
        chat = Chat(app.dispatcher, user=f"skip-{number}")
        await start_with_consent(chat)
        await answer_all(chat, skip=skipped)
        await chat.press("intake:submit")
        await officer.press(f"sub:more:{number}")
        await officer.say("Bổ sung ảnh chụp xưởng sản xuất")
        await chat.press(f"intake:revise:{number}")
        assert chat.text.count("(bỏ qua)") == len(skipped), skipped
        await chat.press("intake:submit")
        assert "còn câu" not in chat.text, skipped
        assert "lần 2" in chat.text


# --- "Đã gửi" only when an officer chat got it ------------------------------------------------


async def _no_officer_chat(app, settings, clock):
    return await build_app(
        settings.model_copy(update={"officer_chat": None}), clock=clock, migrate=False
    )


async def _officer_chat(app, settings, clock):
    return app


async def _key_taken(app, settings, clock):
    async with app.db.transaction() as session:
        session.add(
            OutboxMessage(
                dedupe_key="sub:1:v1:officer", kind="intake", channel="telegram",
                chat_id="-100500", payload={"text": "x"}, due_at=clock.now(), status="sent",
                attempts=1, created_at=clock.now(),
            )
        )  # fmt: skip
    return app


@pytest.mark.parametrize(
    ("case", "make", "sent"),
    [
        ("officer chat configured, notice queued", _officer_chat, True),
        ("no officer chat", _no_officer_chat, False),
        ("the notice's outbox row was not created", _key_taken, False),
    ],
)
async def test_sent_is_said_only_when_an_officer_chat_got_it(
    app, settings, clock, case, make, sent
) -> None:
    used = await make(app, settings, clock)
    try:
        chat = Chat(used.dispatcher, user="owner-9")
        await start_with_consent(chat)
        await answer_all(chat)
        await chat.press("intake:submit")
        assert ("gửi cán bộ khuyến công" in chat.text) is sent, case
        assert ("CHƯA được gửi đi" in chat.text) is not sent, case
        if not sent:
            assert "menu:contact" in chat.payloads
        await chat.say("/hoso")
        if used is not app:
            assert "Đã lưu, chưa gửi được cho cán bộ" in chat.text
    finally:
        if used is not app:
            await used.close()


# --- the summary fits a phone; the verdict's first message is short ---------------------------


@pytest.mark.parametrize(
    ("support", "skip"),
    [("#intake:ans:support_type:may_moc_thiet_bi", ()), ("#intake:ans:support_type:khac", ())],
)
async def test_summary_and_edit_lists_fit_a_phone(chat: Chat, support, skip) -> None:
    answers = [(s, support if s == "support_type" else e) for s, e in ANSWERS]
    if "khac" in support:
        answers = [
            (s, "Thiết kế bao bì và đăng ký nhãn hiệu" if s == "machine" else e)
            for s, e in answers
            # Quotes and energy use are asked only for machinery, lines and models.
            if s not in ("supplier_quotes", "energy_use")
        ]
        answers = [("activity", e) if s == "machine" else (s, e) for s, e in answers]
    await start_with_consent(chat)
    await answer_all(chat, answers, skip=skip)
    assert len(chat.buttons) <= MAX_SUMMARY_BUTTONS
    await chat.press("intake:edit_menu")
    sections = [p for p in chat.payloads if p.startswith("intake:edit_section:")]
    assert len(sections) >= 4
    assert len(chat.buttons) <= MAX_SUMMARY_BUTTONS
    fields = 0
    for payload in sections:
        await chat.press(payload)
        assert len(chat.buttons) <= MAX_SUMMARY_BUTTONS, chat.buttons
        fields += sum(p.startswith("intake:edit:") for p in chat.payloads)
        await chat.press("intake:edit_menu")
    assert fields == len(answers)
    await chat.press("intake:summary")
    assert "xem lại thông tin" in chat.text


VERDICTS = [
    (
        "eligible, difficult area",
        [
            "ho_kinh_doanh",
            "site_area:xa",
            "sector:che_bien_nong_lam_thuy_san",
            "difficult_area:true",
            "other_state_funding_same_content:false",
        ],
    ),
    ("not registered", ["chua_dang_ky"]),
    ("brick kiln", ["ho_kinh_doanh", "site_area:xa", "sector:gach_nung_thu_cong"]),
    (
        "large firm, cleaner production",
        [
            "doanh_nghiep",
            "employees:201",
            "sector:co_khi_dien_tu_cnht",
            "cleaner_production:true",
            "other_state_funding_same_content:false",
        ],
    ),
    ("trade", ["ho_kinh_doanh", "site_area:xa", "sector:thuong_mai_dich_vu"]),
]


async def test_verdict_first_message_fits_and_details_follow(app) -> None:
    for n, (case, steps) in enumerate(VERDICTS):
        chat = Chat(app.dispatcher, user=f"verdict-{n}")
        await chat.press("menu:elig")
        for step in steps:
            key, _, value = step.rpartition(":")
            await chat.press(f"elig:a:{key or 'entity_type'}:{value}")
        first = chat.replies[-1]
        assert "elig:details" in chat.payloads, case
        assert len(first.text) <= 900, (case, len(first.text))
        await chat.press("elig:details")
        # Owner-facing citations read in words (issue 12): "(khoản 1 Điều 6 Nghị định …)".
        cited = r"\([^()]*(?:Nghị định|Thông tư) \d+/"
        assert re.search(cited, chat.text), case


# --- what the owner said is not asked again ---------------------------------------------------


async def test_eligibility_answers_prefill_intake_and_draft(chat: Chat) -> None:
    await chat.press("menu:elig")
    await chat.press("elig:a:entity_type:doanh_nghiep")
    await chat.press("elig:a:employees:49")
    await chat.press("elig:a:revenue_billion:50")
    await chat.press("elig:a:site_area:xa")
    await chat.press("elig:a:sector:tieu_thu_cong_nghiep")
    await chat.press("elig:a:difficult_area:true")
    await chat.press("elig:a:other_state_funding_same_content:false")
    await chat.press("menu:elig")
    assert "kết quả kiểm tra lần trước" in chat.text
    await chat.press("menu:intake")  # from the menu, not the result's button
    assert "lấy sẵn" in chat.text
    await chat.press("intake:consent_yes")
    asked = []
    for step, entry in ANSWERS:
        if step in ("entity_type", "site_area", "sector"):
            continue
        asked.append(chat.text)
        await send(chat, entry)
    assert not any("loại hình nào" in t or "ngành nghề nào" in t for t in asked)
    assert "Ngành nghề: Tiểu thủ công nghiệp" in chat.text
    await chat.press("intake:submit")
    path = next(d for r in chat.replies for d in r.documents).path
    first = next(t for h, t in docx_sections(path).items() if h.startswith("I."))
    assert "Lao động: 11–49 người" in first
    assert "Vùng khó khăn | Có" in first


# --- a typed number answers a numeric question -------------------------------------------------


_SIX = tuple(Button(f"b{i}", f"p:{i}") for i in range(1, 7))


@pytest.mark.parametrize(
    ("line", "expects", "payload", "text"),
    [
        ("3", "number", None, "3"),  # the example: 3 workers, not button 3
        ("1", "number", None, "1"),
        (" 12 ", "number", None, " 12 "),
        ("3", "", "p:3", None),  # a choice question: the digit presses the button
        ("7", "", None, "7"),  # no such button
        ("#p:2", "number", "p:2", None),
        ("35 người", "", None, "35 người"),
    ],
)
def test_console_digits(line, expects, payload, text) -> None:
    message = to_message(line, "u", _SIX, expects)
    assert message.payload == payload
    assert message.text == text


@pytest.mark.parametrize(("expects", "numbered"), [("number", False), ("", True)])
def test_zalo_lists_by_number_only_when_no_number_is_expected(expects, numbered) -> None:
    ui = load_knowledge().ui
    sender = ZaloSender(None, None, ui, None)  # type: ignore[arg-type] - render only
    messages, digits = sender.render(Reply("Bao nhiêu lao động ạ?", _SIX, expects=expects))
    assert (digits is not None) is numbered
    if not numbered:
        shown = [
            b
            for m in messages
            for b in m.get("attachment", {}).get("payload", {}).get("buttons", [])
        ]
        assert [b["payload"] for b in shown] == [b.payload for b in _SIX]
        assert all(
            len(m["attachment"]["payload"]["buttons"]) <= 5 for m in messages if "attachment" in m
        )


async def _console(app, user: str, lines: list[str], *, greet: bool = False) -> list[dict]:
    out = io.StringIO()
    await run_console(
        app.dispatcher.handle,
        user_id=user,
        json_mode=True,
        stdin=io.StringIO("".join(f"{line}\n" for line in lines)),
        stdout=out,
        memory=memory_path(str(app.settings.data_dir), user),
        greet=greet,
    )
    return [json.loads(line) for line in out.getvalue().splitlines()]


async def test_typed_numbers_answer_numeric_steps_in_the_console(app) -> None:
    # Employees: 5 range buttons + back; "3" is three workers, not "50–100 người".
    await _console(app, "c1", ["#menu:elig", "#elig:a:entity_type:doanh_nghiep", "3"])
    async with app.db.transaction() as session:
        repo = CoreRepository(session)
        user_id = await repo.upsert_user("console", "c1", None, datetime.now(UTC))
        state = await repo.load_state(user_id)
    assert state.data["elig"]["answers"]["employees"] == 3
    # Intake: "1" báo giá on a step whose first button is "Bỏ qua".
    entries = [e for s, e in ANSWERS if s != "supplier_quotes"]
    cut = [s for s, _ in ANSWERS].index("supplier_quotes")
    lines = ["#menu:intake", "#intake:consent_yes", *entries[:cut], "1", *entries[cut:]]
    replies = await _console(app, "c2", lines)
    assert "Số báo giá: 1" in replies[-1]["text"]


# --- the console greets and remembers its buttons across processes ----------------------------


async def test_console_greets_and_keeps_button_numbers_across_processes(app) -> None:
    first = await _console(app, "c3", ["2"], greet=True)
    assert "Em là Trợ lý Khuyến công" in first[0]["text"]
    assert [b["payload"] for b in first[0]["buttons"]][1] == "menu:elig"
    assert "loại hình" in first[-1]["text"]
    second = await _console(app, "c3", ["1"])  # "1" of the reply the first process showed
    assert "Xưởng sản xuất" in second[-1]["text"]
    third = await _console(app, "c3", [], greet=True)
    assert "Xưởng sản xuất" in third[0]["text"], "a returning user sees their last reply"


# --- the sector is kept and reaches nganh: audiences -------------------------------------------


async def _sector_of(app, user: str) -> str | None:
    async with app.db.transaction() as session:
        row = (await session.execute(select(User).where(User.external_id == user))).scalar_one()
    return row.sector


@pytest.mark.parametrize(
    ("how", "steps", "sector"),
    [
        (
            "eligibility button",
            [
                "#elig:a:entity_type:ho_kinh_doanh",
                "#elig:a:site_area:xa",
                "#elig:a:sector:tieu_thu_cong_nghiep",
            ],
            "tieu_thu_cong_nghiep",
        ),
        (
            "eligibility free text",
            ["hộ kinh doanh làm bún ở xã", "đúng rồi"],
            "che_bien_nong_lam_thuy_san",
        ),
    ],
)
async def test_sector_is_stored_and_reaches_sector_broadcasts(app, how, steps, sector) -> None:
    owner = Chat(app.dispatcher, user="owner-s")
    await owner.press("menu:rem")
    await owner.press("rem:sub")
    await owner.press("menu:elig")
    for step in steps:
        await send(owner, step)
    assert await _sector_of(app, "owner-s") == sector, how
    other = Chat(app.dispatcher, user="owner-other")  # subscribed, sector unknown
    await other.press("menu:rem")
    await other.press("rem:sub")
    officer = Chat(app.dispatcher, user="officer")
    await officer.say(f"/phatthanh nganh:{sector} | Hội chợ làng nghề")
    assert "Sẽ gửi tới 1 người" in officer.text, how


async def test_intake_sector_answer_is_stored(chat: Chat, app) -> None:
    await start_with_consent(chat)
    await answer_all(chat)
    assert await _sector_of(app, "owner-1") == "che_bien_nong_lam_thuy_san"


LOOSE_SECTORS = (
    [
        ("tieu_thu_cong_nghiep", "tieu_thu_cong_nghiep"),
        ("tieu thu cong nghiep", "tieu_thu_cong_nghiep"),
        ("Tiểu thủ công nghiệp", "tieu_thu_cong_nghiep"),
        ("chế biến nông sản", "che_bien_nong_lam_thuy_san"),
        ("che bien nong lam thuy san", "che_bien_nong_lam_thuy_san"),
        ("vlxd", "hoa_chat_vat_lieu_xay_dung"),
        ("co khi", "co_khi_dien_tu_cnht"),
    ],
)


async def test_officer_types_a_sector_loosely(app) -> None:
    officer = Chat(app.dispatcher, user="officer")
    for typed, code in LOOSE_SECTORS[0]:
        await officer.say(f"/phatthanh nganh:{typed} | Hội chợ làng nghề")
        assert code in officer.text, (typed, officer.text)
        assert "không có trong danh mục" not in officer.text


async def test_unknown_sector_is_refused(app) -> None:
    officer = Chat(app.dispatcher, user="officer")
    await officer.say("/phatthanh nganh:xyzxyz | Hội chợ")
    assert "không có trong danh mục" in officer.text


# --- "nhắc tôi …" anywhere; asking before subscribing -----------------------------------------


@pytest.mark.parametrize(
    ("text", "is_request"),
    [
        ("nhắc tôi ngày 15/6 nộp báo cáo", True),
        ("nhắc em thứ 6 tuần sau họp HTX", True),
        ("nhac toi thu 2 di ngan hang", True),
        ("Nhắc em ngày mai nộp thuế", True),
        ("nhắc tôi chủ nhật đi chợ", True),
        ("hỗ trợ máy móc bao nhiêu", False),
        ("nhắc lại giúp em mức hỗ trợ", False),
        ("ngày 15/6 có hội chợ không", False),
    ],
)
def test_reminder_requests_are_recognised(text: str, is_request: bool) -> None:
    assert is_reminder_request(text) is is_request


@pytest.mark.parametrize(
    ("text", "days", "title"),
    [
        ("nhắc em thứ 6 tuần sau họp HTX", None, "họp HTX"),
        ("nhắc em ngày mai nộp thuế", 1, "nộp thuế"),
        ("nhắc tôi ngày kia đi tập huấn", 2, "đi tập huấn"),
    ],
)
def test_relative_days(text: str, days: int | None, title: str) -> None:
    today = date(2026, 11, 21)  # a Saturday
    day, rest = relative_day(text, today)
    expected = date(2026, 11, 27) if days is None else today + timedelta(days=days)
    assert day == expected
    assert title in rest


async def _at_menu(chat: Chat) -> None:
    await chat.say("/start")


async def _in_reminders(chat: Chat) -> None:
    await chat.press("menu:rem")


async def _after_an_answer(chat: Chat) -> None:
    await chat.say("hỗ trợ máy móc bao nhiêu")


async def _inside_the_intake(chat: Chat) -> None:
    await start_with_consent(chat)


PLACES = (
    [
        ("at the menu", _at_menu),
        ("inside Nhắc hạn", _in_reminders),
        ("after an answer", _after_an_answer),
        ("inside the intake", _inside_the_intake),
    ],
)
REQUESTS = (
    [
        ("nhắc tôi ngày 15/6 nộp báo cáo", "«nộp báo cáo», hạn ngày 15/06/2027"),
        ("nhắc em thứ 6 tuần sau họp HTX", "«họp HTX», hạn ngày 27/11/2026"),
    ],
)


async def test_reminder_request_anywhere(app) -> None:
    for n, ((where, setup), (text, shown)) in enumerate(
        (p, r) for p in PLACES[0] for r in REQUESTS[0]
    ):
        chat = Chat(app.dispatcher, user=f"nhac-{n}")
        await setup(chat)
        await chat.say(text)
        assert shown in chat.text, (where, text, chat.text)
        assert "rem:add_ok" in chat.payloads


async def test_personal_reminder_asks_before_subscribing(app, chat: Chat) -> None:
    await chat.say("nhắc tôi ngày 15/6 nộp báo cáo")
    await chat.press("rem:add_ok")
    assert "đã lưu nhắc hạn" in chat.text
    assert "thông báo của chương trình khuyến công" in chat.text
    async with app.db.transaction() as session:
        assert (await session.execute(select(Subscription))).first() is None
    await chat.press("rem:sub")
    async with app.db.transaction() as session:
        sub = (await session.execute(select(Subscription))).scalar_one()
    assert sub.status == "subscribed"


# --- owner text without diacritics --------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "restored"),
    [
        (
            "Dang phoi bun thu cong, mua nhieu thi hong hang",
            "Đang phơi bún thủ công, mưa nhiều thì hỏng hàng",
        ),
        ("Ho kinh doanh Bun kho Minh Anh", "Hộ kinh doanh Bún khô Minh Anh"),
        ("xa Tan Hoa, tinh Phu Tho", "xã Tân Hòa, tỉnh Phú Thọ"),
        ("Nguyen Van An", "Nguyễn Văn An"),
        ("May say bun bang nhiet 500 kg/me", "Máy sấy bún bằng nhiệt 500 kg/mẻ"),
        ("Tăng sản lượng, them 5 lao dong", "Tăng sản lượng, thêm 5 lao động"),
    ],
)
def test_restorer_puts_diacritics_back(typed: str, restored: str) -> None:
    restorer = load_knowledge().restorer
    assert restorer is not None
    assert restorer.restore(typed).text == restored


OFFERED_BACK = (
    [
        ("#intake:restore_yes", "Nguyễn Văn An"),
        ("dung", "Nguyễn Văn An"),
        ("#intake:restore_no", "Nguyen Van An"),
        ("Trần Thị Bình", "Trần Thị Bình"),
    ],
)


async def test_unaccented_answer_is_offered_back(app) -> None:
    for n, (answer, kept) in enumerate(OFFERED_BACK[0]):
        chat = Chat(app.dispatcher, user=f"accent-{n}")
        await start_with_consent(chat)
        await chat.say("Nguyen Van An")
        assert "“Nguyễn Văn An”" in chat.text
        await send(chat, answer)
        assert "số điện thoại" in chat.text, answer
        await chat.press("intake:back")
        assert f"Hiện đang ghi: {kept}" in chat.text, (answer, chat.text)


def test_memory_path_is_safe() -> None:
    assert memory_path("/d", "../x y").name == "___x_y.json"
    assert Path(memory_path("/d", "a")).parent == Path("/d/console")
