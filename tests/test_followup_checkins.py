"""Issue 14: a dossier from intake (with baseline) through "supported" to three check-ins,
with a frozen clock, through the real outbox; a restart in the middle; refusal; erasure."""

from __future__ import annotations

from bot.app import build_app
from tests.followup_helpers import (
    Pusher,
    by_key,
    checkins,
    go_payload,
    local,
    restart,
    supported_dossier,
    supports,
)
from tests.transcript import Chat


async def _answer_first_checkin(chat: Chat, reply) -> None:
    await chat.press(go_payload(reply))
    assert "Câu 1/7" in chat.text
    assert "còn hoạt động" in chat.text
    await chat.press("chk:ans:operating:yes")
    assert "bao nhiêu lao động" in chat.text
    assert "Lúc đăng ký anh/chị ghi: 12." in chat.text
    assert "Như cũ: 12" in chat.buttons
    await chat.say("15")
    assert "thu nhập bình quân" in chat.text
    await chat.say("không rõ")  # skipped, never stored as 0
    assert "doanh thu" in chat.text
    await chat.say("3 tỷ")
    await chat.press("chk:ans:new_markets:yes")
    await chat.press("chk:ans:machine_in_use:thuong_xuyen")
    assert "góp ý" in chat.text
    await chat.say("Máy chạy tốt, cần thêm hỗ trợ bao bì")
    assert "cảm ơn anh/chị đã trả lời" in chat.text


async def test_intake_to_supported_to_three_checkins_with_a_restart(app, chat, clock):
    officer = await supported_dossier(app, chat)
    assert "Dạ, đã ghi nhận hồ sơ #1" in officer.text
    assert "300.000.000 đồng" in officer.text
    assert "520.000.000 đồng" in officer.text
    assert "15/02/2027, 15/05/2027, 15/11/2027" in officer.text
    [support] = await supports(app)
    assert support.baseline["workers"] == 12
    assert support.baseline["wage"] == 6_000_000
    assert support.baseline["revenue"] == 2_400_000_000
    keys = await by_key(app)
    assert set(keys) == {
        "chk:1:notice", "chk:1:3", "chk:1:3:rem", "chk:1:6", "chk:1:6:rem",
        "chk:1:12", "chk:1:12:rem",
    }  # fmt: skip
    assert keys["chk:1:3"].due_at == local(2027, 2, 15, 9)
    assert keys["chk:1:3:rem"].due_at == local(2027, 2, 22, 9)
    await officer.say("/dshoso dahotro")
    assert "Đã được hỗ trợ" in officer.text

    push = Pusher(app, clock)
    sent = await push.at(local(2026, 11, 21, 10, 5))
    assert any("hoàn thành đề án khuyến công ngày 15/11/2026" in r.text for r in sent)
    # Quiet hours (21–7) hold the check-in even when it is due.
    clock.set(local(2027, 2, 15, 9))
    assert not push.checkin_messages()
    assert not [r for r in await push.at(local(2027, 2, 16, 6, 30)) if "tháng" in r.text]
    [invite] = [r for r in await push.at(local(2027, 2, 16, 7, 1)) if "chk:go" in str(r)]
    assert "Đã khoảng 3 tháng" in invite.text
    assert "7 câu" in invite.text
    assert "/xoadulieu" in invite.text
    assert [b.label for b in invite.buttons] == ["Trả lời ngay", "Không nhận hỏi thăm nữa"]
    await _answer_first_checkin(chat, invite)
    # Answered: its one reminder never goes.
    assert "chk:1:3:rem" not in await by_key(app)
    assert await push.at(local(2027, 2, 23, 10)) == []
    await officer.say("/xemhoso 1")
    assert "Đã hỗ trợ: 300.000.000 đồng; vốn đối ứng thực tế: 520.000.000 đồng" in officer.text
    assert "Hỏi thăm 3 tháng (15/02/2027): đã trả lời." in officer.text
    assert "Hỏi thăm 6 tháng: dự kiến gửi 15/05/2027." in officer.text

    # 6 months: sent by this instance, then the service restarts.
    [invite6] = [r for r in await push.at(local(2027, 5, 15, 9, 1)) if "chk:go" in str(r)]
    app2 = await restart(app, clock)
    try:
        push2 = Pusher(app2, clock)
        assert await push2.at(local(2027, 5, 15, 9, 2)) == []  # nothing sent twice
        owner = Chat(app2.dispatcher, user="owner-1")
        await owner.press(go_payload(invite6))
        await owner.press("chk:ans:operating:yes")
        await owner.say("16")
        await owner.say("/huy")
        assert "lưu các câu" in owner.text
        app3 = await restart(app2, clock)
        app2 = app3
        owner = Chat(app3.dispatcher, user="owner-1")
        await owner.press(go_payload(invite6))  # resumes where it stopped, nothing lost
        assert "trả lời tiếp" in owner.text
        assert "thu nhập bình quân" in owner.text
        for _ in range(5):
            if "cảm ơn anh/chị đã trả lời" in owner.text:
                break
            await owner.press("chk:skip")
        assert "cảm ơn anh/chị đã trả lời" in owner.text
        push3 = Pusher(app3, clock)
        assert await push3.at(local(2027, 5, 23, 9)) == []  # its reminder was dropped

        # 12 months: no answer → exactly one polite reminder, then nothing.
        [invite12] = [r for r in await push3.at(local(2027, 11, 15, 9)) if "chk:go" in str(r)]
        [reminder] = await push3.at(local(2027, 11, 22, 9))
        assert "nhắc nhẹ một lần" in reminder.text
        assert "12 tháng" in reminder.text
        for day in (23, 30):
            assert await push3.at(local(2027, 11, day, 9)) == []
        await owner.press(go_payload(reminder))
        await owner.press("chk:ans:operating:no")
        assert "góp ý" in owner.text  # the figures are not asked of a closed establishment
        await owner.press("chk:skip")
        assert "cảm ơn anh/chị đã trả lời" in owner.text
        await owner.press(go_payload(invite12))
        assert "đã trả lời rồi" in owner.text

        rows = await checkins(app3)
        assert [r.offset_months for r in rows] == [3, 6, 12]
        assert rows[0].answers == {
            "operating": "yes", "workers": 15, "revenue": 3_000_000_000,
            "new_markets": "yes", "machine_in_use": "thuong_xuyen",
            "comment": "Máy chạy tốt, cần thêm hỗ trợ bao bì",
        }  # fmt: skip
        assert rows[1].answers == {"operating": "yes", "workers": 16}
        assert rows[2].answers == {"operating": "no"}
        assert all(r.completed_at is not None for r in rows)
        statuses = {k: r.status for k, r in (await by_key(app3)).items()}
        assert statuses == {
            "chk:1:notice": "sent", "chk:1:3": "sent", "chk:1:6": "sent",
            "chk:1:12": "sent", "chk:1:12:rem": "sent",
        }  # fmt: skip

        boss = Chat(app3.dispatcher, user="officer")
        await boss.say("/hieuqua")
        text = boss.text
        assert "TỔNG CỘNG (1 cơ sở)" in text
        assert "520 triệu đồng ÷ 300 triệu đồng ≈ 1,7 (trên 1 cơ sở)" in text
        assert "Lao động: 12 → 16" in text
        assert "chỉ 1 cơ sở" in text
        assert "%" not in text.split("THEO TỈNH")[0].replace("tính %", "")
        assert "Ngừng hoạt động (1): Hộ kinh doanh Bún khô Minh Anh" in text
        assert "Trả lời hỏi thăm: 3/3 lần hỏi" in text
    finally:
        await app2.close()


async def test_owner_refuses_checkins_with_the_button(app, chat, clock):
    await supported_dossier(app, chat)
    push = Pusher(app, clock)
    sent = await push.at(local(2026, 11, 21, 10, 5))
    [notice] = [r for r in sent if "chk:stop" in str(r)]
    stop = next(b.payload for b in notice.buttons)
    assert stop == "chk:stop:1"
    stranger = Chat(app.dispatcher, user="someone-else")
    await stranger.press(stop)
    assert "không hỏi thăm nữa" not in stranger.text
    assert (await supports(app))[0].refused_at is None
    await chat.press(stop)
    assert "không hỏi thăm nữa" in chat.text
    assert (await supports(app))[0].refused_at is not None
    assert set(await by_key(app)) == {"chk:1:notice"}
    for month in (2, 5, 11):
        assert await push.at(local(2027, month, 16, 10)) == []


async def test_erasure_removes_checkin_answers(app, chat, clock):
    await supported_dossier(app, chat)
    push = Pusher(app, clock)
    [invite] = [r for r in await push.at(local(2027, 2, 15, 9)) if "chk:go" in str(r)]
    await _answer_first_checkin(chat, invite)
    await chat.say("/xoadulieu")
    assert "hỏi thăm" in chat.text
    await chat.press("intake:erase_yes")
    rows = await checkins(app)
    assert all(r.answers == {} for r in rows)
    [support] = await supports(app)
    assert support.baseline == {}
    assert support.user_id is None
    assert support.submission_id is None
    assert "Bún khô" not in support.establishment
    assert support.state_support == 300_000_000  # the officers' money figures stay
    assert set(await by_key(app)) == {"chk:1:notice", "chk:1:3"}
    assert await push.at(local(2027, 5, 15, 9)) == []
    await chat.press(go_payload(invite))
    assert "Câu 1/7" not in chat.text


async def test_officer_commands_are_refused_to_owners_and_explain_bad_input(app, chat):
    await chat.say("/dahotro 1 300tr 520tr 15/11/2026")
    assert "chỉ dành cho cán bộ" in chat.text
    await chat.say("/hieuqua")
    assert "chỉ dành cho cán bộ" in chat.text
    officer = Chat(app.dispatcher, user="officer")
    await officer.say("/dahotro")
    assert "/dahotro <mã hồ sơ>" in officer.text
    assert "3, 6, 12" in officer.text
    for argument, expected in (
        ("abc 300tr 520tr 15/11/2026", "mã hồ sơ “abc” không đúng"),
        ("1 300tr 15/11/2026", "cách ghi nhận"),
        ("1 ba tram 520tr 15/11/2026", "chưa đọc được số tiền"),
        ("1 300tr 520tr 31/02/2026", "ngày hoàn thành"),
        ("1 300tr 520tr 15/11/2027", "còn ở tương lai"),
        ("7 300tr 520tr 15/11/2026", "không tìm thấy hồ sơ #7"),
    ):
        await officer.say(f"/dahotro {argument}")
        assert expected in officer.text, (argument, officer.text)
    await officer.say("/hieuqua")
    assert "chưa có cơ sở nào" in officer.text
    await officer.say("/hieuqua ??")
    assert "/hieuqua [mã tỉnh] [năm]" in officer.text


async def test_rejected_and_repeated_marking(app, chat):
    officer = await supported_dossier(app, chat, "1 300 triệu 520 triệu 15/11/2026")
    assert "Em sẽ hỏi thăm" in officer.text
    await officer.say("/dahotro 1 300tr 520tr 15/11/2026")
    assert "đã được ghi nhận hỗ trợ (hoàn thành 15/11/2026)" in officer.text
    owner2 = Chat(app.dispatcher, user="owner-2")
    from tests.intake_helpers import full_intake

    await full_intake(owner2)
    await officer.press("sub:rej:2")
    await officer.say("Không thuộc ngành nghề được hỗ trợ")
    await officer.say("/dahotro 2 300tr 520tr 15/11/2026")
    assert "Không phù hợp" in officer.text


async def test_an_old_completion_records_but_sends_no_stale_checkins(app, chat, clock):
    officer = await supported_dossier(app, chat, "1 300tr 520tr 01/12/2025")
    # 3 months (01/03/2026) and 6 months (01/06/2026) are long past their expiry.
    assert "quá hạn từ lâu (01/03/2026, 01/06/2026)" in officer.text
    assert "vào các ngày: 01/12/2026" in officer.text
    assert set(await by_key(app)) == {"chk:1:notice", "chk:1:12", "chk:1:12:rem"}
    assert len(await checkins(app)) == 3


async def test_two_instances_send_a_due_checkin_once(settings, clock):
    """Two instances on one database dispatch a due check-in once."""
    first = await build_app(settings, clock=clock, migrate=False)
    second = await build_app(settings, clock=clock, migrate=False)
    try:
        await supported_dossier(first, Chat(first.dispatcher, user="owner-1"))
        one, two = Pusher(first, clock), Pusher(second, clock)
        when = local(2027, 2, 15, 9)
        sent = [r for r in await one.at(when) + await two.at(when) if "chk:go" in str(r)]
        assert len(sent) == 1
    finally:
        await first.close()
        await second.close()
