"""Nhắc hạn as owners and officers see it, through the dispatcher on a real database."""

import asyncio
import sys
from datetime import date

import pytest

from bot.db.repositories import SqlStore
from handlers.deadlines import submission_milestones
from handlers.reminders import split_personal
from tests.fakes import RecordingSender
from tests.remkit import HCM, jobs_for, local, officer, outbox_rows


async def test_menu_entry_subscribe_and_upcoming(chat):
    await chat.press("menu:rem")
    assert "Nhắc hạn" in chat.text
    assert "chưa bật nhắc hạn" in chat.text
    await chat.press_label("Bật nhắc hạn")
    assert "đã bật nhắc hạn" in chat.text
    await chat.press("menu:rem")
    assert "rem:unsub" in chat.payloads
    await chat.press_label("Hạn sắp tới")
    assert "chưa có hạn nào" in chat.text


async def test_add_a_personal_reminder_in_free_text(app, chat, clock):
    await chat.press("menu:rem")
    await chat.press_label("Thêm nhắc hạn riêng")
    await chat.say("nhắc tôi nộp hồ sơ")
    assert "chưa thấy ngày" in chat.text
    await chat.say("ngày 31/2 nộp hồ sơ")
    assert "không có trên lịch" in chat.text
    await chat.say("15/11/2026 nộp hồ sơ")
    assert "đã qua" in chat.text
    await chat.say("nhắc tôi ngày 15/6")
    assert "gõ thêm việc" in chat.text
    await chat.say("Nhắc tôi ngày 15/6 nộp hồ sơ 🙂")
    assert "«nộp hồ sơ 🙂», hạn ngày 15/06/2027" in chat.text
    assert chat.payloads == ["rem:add_ok", "rem:add_retry", "rem:add_no"]
    await chat.press_label("Đồng ý")
    assert "đã lưu nhắc hạn «nộp hồ sơ 🙂» ngày 15/06/2027" in chat.text
    await chat.press("rem:add_ok")
    assert "không có nhắc hạn nào đang chờ" in chat.text, "a second press saves nothing twice"
    await chat.press("rem:list")
    assert "15/06/2027 — nộp hồ sơ 🙂" in chat.text
    sender = RecordingSender()
    jobs = jobs_for(app, clock, sender)
    await jobs.tick(local(2027, 6, 1, 8))
    assert [c for c, _ in sender.sent] == ["owner-1"]
    assert "Còn 14 ngày" in sender.sent[0][1].text


async def test_nhachan_command_and_cancel(chat):
    await chat.say("/nhachan 20/12 họp tổng kết")
    assert "«họp tổng kết», hạn ngày 20/12/2026" in chat.text
    await chat.press("rem:add_no")
    assert "không lưu" in chat.text
    await chat.press("rem:list")
    assert "họp tổng kết" not in chat.text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("nhắc tôi ngày 15/6 nộp hồ sơ", ("15/6", "nộp hồ sơ")),
        ("nộp báo cáo vào ngày 24/07/2027", ("24/07/2027", "nộp báo cáo")),
        ("nhac toi 1-9 nghiem thu", ("1-9", "nghiem thu")),
        ("không có ngày", (None, "không có ngày")),
    ],
)
def test_split_personal(text, expected):
    assert split_personal(text) == expected


async def test_bad_payloads_get_a_polite_answer(chat):
    for payload in ("rem:done:abc", "rem:snooze:", "rem:zzz", "rem:done:" + "9" * 40):
        await chat.press(payload)
        assert "nút này đã cũ" in chat.text


async def test_officer_calendar_add_list_edit_delete(app, chat, clock):
    await chat.press("rem:sub")
    boss = officer(app)
    await boss.say("/hanmoi")
    assert "Cú pháp" in boss.text
    await boss.say("/hanmoi 32/13/2026 | X")
    assert "không có trên lịch" in boss.text or "ngày/tháng/năm" in boss.text
    await boss.say("/hanmoi 20/06/2027 25:00 | X")
    assert "không hợp lệ" in boss.text
    await boss.say("/hanmoi 20/06/2027 | X | | | nganh:khong_co")
    assert "không có trong danh mục" in boss.text
    await boss.say(
        "/hanmoi 20/06/2027 17:00 | Nộp đăng ký đề án quốc gia | Nộp về Sở | TT 36/2013 Đ10 | "
        "tất cả"
    )
    assert "Đã thêm hạn #1: 20/06/2027 17:00 — Nộp đăng ký đề án quốc gia" in boss.text
    await boss.say("/danhsachhan")
    assert "#1 · 20/06/2027 17:00 — Nộp đăng ký đề án quốc gia" in boss.text
    jobs = jobs_for(app, clock)
    assert await jobs.materialize_due() == 5
    await boss.say("/suahan 1 ngay=25/06/2027")
    assert "Đã sửa hạn #1: 25/06/2027" in boss.text
    assert {r.status for r in await outbox_rows(app, kind="reminder")} == {"cancelled"}
    assert await jobs.materialize_due() == 5, "planned again for the new date"
    await boss.say("/suahan 1 tieude=")
    assert "Cú pháp" in boss.text
    await boss.say("/xoahan 1")
    assert "Đã xóa hạn #1" in boss.text
    assert [r.status for r in await outbox_rows(app, kind="reminder")].count("pending") == 0
    await boss.say("/xoahan 1")
    assert "Không có hạn #1" in boss.text
    await chat.say("/hanmoi 20/06/2027 | X")
    assert "chỉ dành cho cán bộ" in chat.text
    await chat.say("/phatthanh xin chào")
    assert "chỉ dành cho cán bộ" in chat.text
    await chat.press("rem:bc_ok")
    assert "chỉ dành cho cán bộ" in chat.text


async def test_broadcast_preview_confirm_and_figures(app, clock):
    from bot.channels.base import SendError, Unreachable
    from tests.transcript import Chat

    owners = [Chat(app.dispatcher, user=f"owner-{i}") for i in range(4)]
    for owner in owners:
        await owner.press("rem:sub")
    await owners[3].press("rem:off")
    boss = officer(app)
    await boss.say("/phatthanh Hội chợ làng nghề mở đăng ký đến 30/6.")
    assert "Sẽ gửi tới 3 người" in boss.text
    assert "📢 Thông báo từ cán bộ khuyến công" in boss.text
    assert boss.payloads == ["rem:bc_ok", "rem:bc_no"]
    await boss.press("rem:bc_ok")
    assert "#1 tới 3 người" in boss.text
    await boss.press("rem:bc_ok")
    assert "Không có tin phát thanh nào đang chờ" in boss.text
    sender = RecordingSender()
    sender.fail_with = [Unreachable("blocked"), SendError("boom")]
    jobs = jobs_for(app, clock, sender, max_attempts=1)
    await jobs.dispatch()
    await boss.say("/ketquaphat 1")
    assert "3 người nhận — đã gửi 1, lỗi 1, không liên lạc được 1, đang chờ 0" in boss.text
    await boss.say("/phatthanh nganh:tieu_thu_cong_nghiep | Tin ngành")
    assert "Không có ai thuộc đối tượng" in boss.text
    await boss.say("/ketquaphat")
    assert "Phát thanh #1" in boss.text


def test_submission_milestones_follow_tt36(app):
    drafts = submission_milestones(
        app.kb.ui,
        "HS-7",
        start=date(2027, 3, 10),
        end=date(2027, 8, 20),
        policy=app.kb.reminders,
        acceptance=date(2027, 9, 1),
    )
    days = [(d.title, d.due_on) for d in drafts]
    assert days[0] == ("Bắt đầu thực hiện đề án", date(2027, 3, 10))
    reports = [day for title, day in days if "báo cáo tiến độ" in title]
    assert reports == [date(2027, m, 24) for m in (3, 4, 5, 6, 7)]
    assert (
        "Nộp hồ sơ quyết toán (chậm nhất 15 ngày sau nghiệm thu cơ sở)",
        date(2027, 9, 16),
    ) in days
    assert days[-1][1] == date(2028, 1, 22)
    assert {d.audience.value for d in drafts} == {"HS-7"}
    with pytest.raises(ValueError, match="end before"):
        submission_milestones(
            app.kb.ui,
            "x",
            start=date(2027, 3, 10),
            end=date(2027, 1, 1),
            policy=app.kb.reminders,
        )


async def test_submission_holder_gets_milestone_reminders(app, chat, clock):
    await chat.say("xin chào")
    drafts = submission_milestones(
        app.kb.ui, "HS-9", start=date(2026, 12, 1), end=date(2027, 2, 28), policy=app.kb.reminders
    )
    async with app.db.transaction() as session:
        store = SqlStore(session, clock.now()).reminders
        user_id = await store.find_user("console", "owner-1")
        await store.add_submission_milestones("HS-9", user_id, drafts, clock.now())
    sender = RecordingSender()
    jobs = jobs_for(app, clock, sender)
    await jobs.tick(local(2026, 12, 21, 8))
    assert [r.text.split("\n")[0] for _, r in sender.sent] == [
        "⏰ Dạ, em nhắc anh/chị: Gửi báo cáo tiến độ tháng 12/2026 (trước ngày 25)"
        " — hạn 24/12/2026."
    ]
    await chat.press("rem:list")
    assert "24/12/2026 — Gửi báo cáo tiến độ tháng 12/2026" in chat.text


async def test_reminders_dispatch_command(app, chat, clock, subprocess_env):
    await chat.press("rem:sub")
    await officer(app).say("/hanmoi 10/12/2026 | Nộp hồ sơ")
    for now, expect in (
        ("2026-12-03T08:00:00+07:00", "sent=1"),
        ("2026-12-03T09:00", "sent=0"),
    ):
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "reminders",
            "dispatch",
            "--now",
            now,
            env=subprocess_env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await proc.communicate()
        assert proc.returncode == 0, err.decode()
        text = out.decode()
        assert expect in text
    rows = await outbox_rows(app, status="sent")
    assert len(rows) == 1
    assert rows[0].sent_at.astimezone(HCM) == local(2026, 12, 3, 8)
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "reminders",
        "dispatch",
        "--now",
        "hôm qua",
        env=subprocess_env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, _ = await proc.communicate()
    assert proc.returncode == 2
    assert "không hợp lệ" in out.decode()


async def test_free_text_after_the_menu_goes_to_the_faq(chat):
    await chat.press("menu:rem")
    await chat.say("hỗ trợ máy móc bao nhiêu")
    assert "Nhắc hạn" not in chat.text
    await chat.press("rem:add")
    await chat.say("15/6 nộp hồ sơ")
    await chat.press("rem:add_ok")
    await chat.say("hỗ trợ máy móc bao nhiêu")
    assert "chưa thấy ngày" not in chat.text


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("/suahan abc", "Cú pháp"),
        ("/suahan 5 ngay=01/01/2027", "Không có hạn #5"),
        ("/suahan 5 mau=do", "Cú pháp"),
        ("/xoahan", "Cú pháp"),
        ("/ketquaphat x", "Cú pháp"),
        ("/ketquaphat 9", "Chưa có tin phát thanh"),
        ("/phatthanh", "Cú pháp"),
        ("/phatthanh nguoi:zalo:404 | chào", "Không tìm thấy người dùng"),
        ("/hanmoi 20/06/2027 | " + "Đ" * 5000, "Dạ, tin nhắn dài quá"),
        ("/hanmoi 🙂 | tiêu đề", "ngày/tháng/năm"),
        ("/danhsachhan", "Chưa có hạn nào"),
    ],
)
async def test_malformed_officer_commands_get_a_polite_answer(app, command, expected):
    boss = officer(app)
    await boss.say(command)
    assert expected in boss.text
