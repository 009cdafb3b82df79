"""Occurrences: offsets at 08:00 local, quiet hours, expiry after downtime, snooze, done."""

from datetime import date, time, timedelta

from bot.config import QuietHours
from handlers.deadlines import plan_occurrences
from tests.fakes import RecordingSender
from tests.remkit import HCM, jobs_for, local, officer, outbox_rows

AT_8 = time(8, 0)  # knowledge/reminders/policy.yaml remind_at


async def test_offsets_are_14_7_3_1_and_the_day_at_8_local(app, chat, clock):
    await chat.press("rem:sub")
    boss = officer(app)
    await boss.say("/hanmoi 15/12/2026 | Nộp hồ sơ bình chọn sản phẩm tiêu biểu")
    assert "Đã thêm hạn #1" in boss.text
    sender = RecordingSender()
    jobs = jobs_for(app, clock, sender)
    assert await jobs.materialize_due() == 5
    assert await jobs.materialize_due() == 0, "materializing again adds nothing"
    rows = await outbox_rows(app, kind="reminder")
    assert [r.due_at.astimezone(HCM) for r in rows] == [
        local(2026, 12, 1),
        local(2026, 12, 8),
        local(2026, 12, 12),
        local(2026, 12, 14),
        local(2026, 12, 15),
    ]
    clock.set(local(2026, 12, 1, 7, 59))
    assert (await jobs.dispatch()).sent == []
    clock.set(local(2026, 12, 1, 8, 0))
    assert len((await jobs.dispatch()).sent) == 1
    chat_id, reply = sender.sent[0]
    assert chat_id == "owner-1"
    assert "Nộp hồ sơ bình chọn" in reply.text
    assert "Còn 14 ngày" in reply.text
    assert [b.payload for b in reply.buttons] == ["rem:done:1", "rem:snooze:1", "rem:off"]
    assert [b.label for b in reply.buttons] == ["Đã xong", "Nhắc lại sau", "Tắt nhắc hạn"]
    clock.set(local(2026, 12, 15, 9))
    await jobs.dispatch()
    assert len(sender.sent) == 2, "the 7/3/1-day ones expired at their day's end; the day's sent"
    assert "Hôm nay là hạn chót" in sender.sent[1][1].text


def test_quiet_hours_move_the_reminder_to_the_window_end():
    quiet = QuietHours(6, 9)
    plan = plan_occurrences(date(2027, 3, 10), None, (1, 0), HCM, quiet, remind_at=AT_8)
    assert [o.due_at for o in plan] == [local(2027, 3, 9, 9), local(2027, 3, 10, 9)]
    early = plan_occurrences(
        date(2027, 3, 10), time(7, 0), (0,), HCM, QuietHours(21, 7), remind_at=AT_8
    )
    assert early == [], "a deadline at 07:00 is gone before the 08:00 reminder"
    assert plan_occurrences(
        date(2027, 3, 10), None, (0,), HCM, QuietHours(21, 7), remind_at=AT_8
    )[0].due_at == (
        local(2027, 3, 10)
    )


async def test_quiet_hours_hold_broadcasts_but_not_officer_notices(app, chat, clock):
    await chat.press("rem:sub")
    clock.set(local(2026, 11, 21, 22, 30))
    boss = officer(app)
    await boss.say("/phatthanh Hội chợ làng nghề mở đăng ký")
    await boss.press("rem:bc_ok")
    assert "Đã xếp gửi tin phát thanh #1 tới 1 người" in boss.text
    from bot.db.repositories import SqlStore
    from handlers.messages import Reply, Target

    async with app.db.transaction() as session:
        outbox = SqlStore(session, clock.now()).outbox
        notice = Reply("Hồ sơ mới")
        await outbox.enqueue(
            key="n1", target=Target("console", "-100"), reply=notice, due_at=clock.now()
        )
    sender = RecordingSender()
    jobs = jobs_for(app, clock, sender)
    report = await jobs.dispatch()
    assert [c for c, _ in sender.sent] == ["-100"], "the officer notice goes at once"
    assert report.deferred == 1
    clock.set(local(2026, 11, 22, 6, 59))
    assert (await jobs.dispatch()).sent == []
    clock.set(local(2026, 11, 22, 7, 0))
    assert len((await jobs.dispatch()).sent) == 1
    assert sender.sent[1][0] == "owner-1"
    assert "Hội chợ làng nghề" in sender.sent[1][1].text


async def test_reminders_missed_while_down_expire_instead_of_arriving_late(app, chat, clock):
    await chat.press("rem:sub")
    await officer(app).say("/hanmoi 25/11/2026 17:00 | Nộp báo cáo")
    sender = RecordingSender()
    jobs = jobs_for(app, clock, sender)
    await jobs.materialize_due()
    clock.set(local(2026, 11, 24, 9, 30))  # down since the 3-day reminder of 22/11
    report = await jobs.dispatch()
    assert len(report.expired) == 1
    assert len(report.sent) == 1
    assert "Còn 1 ngày" in sender.sent[0][1].text
    clock.set(local(2026, 11, 25, 17, 1))  # down again until after the deadline
    report = await jobs.dispatch()
    assert report.sent == []
    assert len(report.expired) == 1
    statuses = [r.status for r in await outbox_rows(app, kind="reminder")]
    assert statuses == ["expired", "sent", "expired"]


async def test_snooze_reminds_again_a_day_later(app, chat, clock):
    await chat.press("rem:sub")
    await officer(app).say("/hanmoi 30/11/2026 | Nộp hồ sơ")
    sender = RecordingSender()
    jobs = jobs_for(app, clock, sender)
    await jobs.tick(local(2026, 11, 23, 8))
    clock.set(local(2026, 11, 23, 9))
    await jobs.dispatch()
    assert len(sender.sent) == 1, "the 7-day reminder"
    await chat.press("rem:snooze:1")
    assert "nhắc lại «Nộp hồ sơ» lúc 09:00 24/11/2026" in chat.text
    clock.set(local(2026, 11, 24, 8, 59))
    assert (await jobs.dispatch()).sent == []
    clock.set(local(2026, 11, 24, 9))
    await jobs.dispatch()
    assert len(sender.sent) == 2
    assert "Còn 6 ngày" in sender.sent[1][1].text
    clock.set(local(2026, 11, 30, 9))
    await chat.press("rem:snooze:1")
    assert "sẽ qua trước lúc đó" in chat.text


async def test_done_stops_this_deadline_only(app, chat, clock):
    await chat.press("rem:sub")
    boss = officer(app)
    await boss.say("/hanmoi 30/11/2026 | Nộp hồ sơ")
    await boss.say("/hanmoi 01/12/2026 | Nộp báo cáo")
    sender = RecordingSender()
    jobs = jobs_for(app, clock, sender)
    await jobs.materialize_due()
    await chat.press("rem:done:1")
    assert "đã xong «Nộp hồ sơ»" in chat.text
    await chat.press("rem:list")
    assert "Nộp hồ sơ" not in chat.text
    assert "Nộp báo cáo" in chat.text
    for day in range(22, 31):
        clock.set(local(2026, 11, day, 8))
        await jobs.dispatch()
    assert sender.sent, "the other deadline still reminds"
    assert all("Nộp báo cáo" in r.text for _, r in sender.sent)
    await chat.press("rem:done:999")  # unknown and foreign ids read alike (handlers/ownership)
    assert "không còn dùng được" in chat.text


async def test_unsubscribe_mutes_and_subscribing_again_revives(app, chat, clock):
    await chat.press("rem:sub")
    await officer(app).say("/hanmoi 10/12/2026 | Nộp hồ sơ")
    sender = RecordingSender()
    jobs = jobs_for(app, clock, sender)
    await jobs.materialize_due()
    await chat.press("rem:off")
    assert "đã tắt nhắc hạn" in chat.text
    clock.set(local(2026, 11, 26, 8))
    assert (await jobs.tick())[1].sent == []
    await chat.press("rem:sub")
    clock.set(local(2026, 12, 3, 8))
    await jobs.tick()
    assert len(sender.sent) == 1
    assert "Còn 7 ngày" in sender.sent[0][1].text


async def test_new_subscriber_is_caught_up_by_the_periodic_job(app, chat, clock):
    await officer(app).say("/hanmoi 10/12/2026 | Nộp hồ sơ")
    jobs = jobs_for(app, clock)
    assert await jobs.materialize_due() == 0, "nobody subscribed yet"
    await chat.press("rem:sub")
    assert await jobs.materialize_due() == 5
    clock.advance(timedelta(minutes=1))
    assert await jobs.materialize_due() == 0


class FakeTicker:
    def __init__(self):
        self.jobs = {}

    def add(self, name, job, seconds):
        self.jobs[name] = (job, seconds)


async def test_jobs_register_on_the_ticker_and_drain_sends_everything_due(app, chat, clock):
    from bot.reminders import register_reminder_jobs

    for i in range(5):
        await chat.say(f"/nhachan 23/11 việc {i}")
        await chat.press("rem:add_ok")
    sender = RecordingSender()
    jobs = jobs_for(app, clock, sender, batch=2)
    ticker = FakeTicker()
    register_reminder_jobs(ticker, jobs)
    assert {name: s for name, (_, s) in ticker.jobs.items()} == {
        "reminders.materialize": 60.0,
        "reminders.dispatch": 30.0,
    }
    materialize, _ = ticker.jobs["reminders.materialize"]
    dispatch, _ = ticker.jobs["reminders.dispatch"]
    assert await materialize() == 10, "1-day and on-the-day reminders of five deadlines"
    clock.set(local(2026, 11, 22, 8))
    assert await dispatch() == 5, "several passes of batch=2 until nothing is due"
