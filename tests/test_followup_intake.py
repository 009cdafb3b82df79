"""Issue 14 at intake and on Zalo: the optional baseline ("không rõ" skips), its place in the
officers' summary and the draft; a check-in outside Zalo's 48-hour window is held, not lost."""

from __future__ import annotations

from bot.channels.base import OutsideWindow
from bot.channels.zalo.client import OUTSIDE_WINDOW_REASON
from bot.channels.zalo.held import held_recipients
from bot.channels.zalo.repository import ZaloConversations
from bot.reminders import ReminderJobs
from tests.fakes import RecordingSender
from tests.followup_helpers import by_key, local, supported_dossier
from tests.intake_helpers import ANSWERS, deliver, docx_sections, full_intake, send
from tests.transcript import Chat


async def test_baseline_is_optional_and_reaches_summary_and_draft(app, chat):
    path = await full_intake(chat)
    [(_, notice)] = (await deliver(app))["telegram"].sent
    assert "Số lao động hiện nay: 12" in notice.text
    assert "Doanh thu một năm: 2.400.000.000 đồng" in notice.text
    sections = docx_sections(path)
    first = next(text for title, text in sections.items() if title.startswith("I."))
    assert (
        "12 lao động; thu nhập bình quân 6.000.000 đồng/người/tháng; doanh thu "
        "2.400.000.000 đồng/năm; sản lượng 120 tấn bún khô/năm; thị trường chính: cả ngoài tỉnh"
    ) in first


async def test_baseline_accepts_khong_ro_and_skips(app):
    owner = Chat(app.dispatcher, user="owner-9")
    await owner.press("menu:intake")
    await owner.press("intake:consent_yes")
    for step, entry in ANSWERS:
        if step == "workers":
            break
        await send(owner, entry)
    assert "bao nhiêu lao động" in owner.text
    await owner.say("không rõ")
    assert "thu nhập bình quân" in owner.text
    await owner.say("ko biet")
    assert "sản lượng một năm" in owner.text
    for _ in range(5):
        await owner.press("intake:skip")
    assert "xem lại thông tin" in owner.text
    assert "Số lao động hiện nay: (bỏ qua)" in owner.text
    await owner.press("intake:submit")
    [(_, notice)] = (await deliver(app))["telegram"].sent
    assert "Số lao động hiện nay" not in notice.text  # a skipped figure is not a zero


async def test_checkin_outside_the_zalo_window_is_held_then_sent(app, clock):
    owner = Chat(app.dispatcher, user="z-owner", channel="zalo")
    await supported_dossier(app, owner)
    sender = RecordingSender("zalo")
    jobs = ReminderJobs(app.db, app.kb, app.settings, clock, {"zalo": sender})
    clock.set(local(2026, 11, 21, 11))
    await jobs.dispatch()  # the owner notice goes while the window is open
    sender.sent.clear()
    sender.fail_with = [OutsideWindow(f"{OUTSIDE_WINDOW_REASON} (test)")]
    clock.set(local(2027, 2, 15, 9))
    report = await jobs.dispatch()
    assert len(report.held) == 1
    assert (await by_key(app))["chk:1:3"].status == "held"
    [held] = await held_recipients(app.db)
    assert held.zalo_user_id == "z-owner"
    clock.set(local(2027, 2, 16, 9))
    assert not (await jobs.dispatch()).sent  # held rows wait for the owner
    now = clock.now()
    await ZaloConversations(app.db).record_inbound("z-owner", now, "zmsg-1", now)
    clock.set(local(2027, 2, 16, 9, 1))
    await jobs.dispatch()
    assert [r.text.split(".")[0] for _, r in sender.sent] == ["Dạ, em chào anh/chị"]
    assert (await by_key(app))["chk:1:3"].status == "sent"
