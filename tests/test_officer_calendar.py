"""The "Nhắc hạn & phát thanh" web page through a real aiohttp server: deadlines by month
(add, edit, delete with the same validation as /hanmoi /suahan /xoahan), the broadcast
composer (audience count and preview, then confirm), delivery results grouped by the
outbox's statuses, CSRF on every form and the audit log."""

from __future__ import annotations

import re

from sqlalchemy import select

from bot.channels.base import SendError, Unreachable
from bot.db.models import OutboxMessage
from bot.db.models_officer import OfficerAudit
from bot.db.models_reminders import Deadline
from tests.fakes import RecordingSender
from tests.remkit import jobs_for
from tests.test_officer_web import sign_in, web_client  # noqa: F401 - the fixture
from tests.transcript import Chat


async def _deadlines(app):
    async with app.db.transaction() as session:
        return list((await session.execute(select(Deadline).order_by(Deadline.id))).scalars())


async def _audit(app):
    async with app.db.transaction() as session:
        return [
            (a.action, a.subject) for a in (await session.execute(select(OfficerAudit))).scalars()
        ]


async def test_deadlines_by_month_add_edit_delete(web_client, app):  # noqa: F811
    csrf = await sign_in(web_client)
    page = await (await web_client.get("/officer/nhachan")).text()
    assert "Lịch hạn sắp tới" in page
    assert "Chưa có hạn nào sắp tới" in page

    form = {"date": "20/06/2027", "time": "17:00", "title": "Nộp đăng ký đề án khuyến công",
            "description": "Nộp về Sở Công Thương", "source": "TT 36/2013/TT-BCT Đ10",
            "audience": ""}  # fmt: skip
    response = await web_client.post("/officer/nhachan/han", data=form)
    assert response.status == 403  # no CSRF token
    response = await web_client.post("/officer/nhachan/han", data=form | {"csrf": csrf})
    page = await response.text()
    assert "Đã thêm hạn #1: 20/06/2027 17:00" in page
    assert "Tháng 06/2027" in page
    more = form | {"csrf": csrf, "date": "5/1/2027", "time": "", "title": "Báo cáo năm",
                   "audience": "nganh:tieu_thu_cong_nghiep"}  # fmt: skip
    page = await (await web_client.post("/officer/nhachan/han", data=more)).text()
    assert page.index("Tháng 01/2027") < page.index("Tháng 06/2027")  # grouped, in order
    assert "Ngành: " in page

    # The commands' validation: a past date, a bad time, an unknown sector; values kept.
    for changes, words in (
        ({"date": "01/01/2020"}, "đã qua"),
        ({"time": "25:00"}, "không hợp lệ"),
        ({"audience": "nganh:khong_co"}, "khong_co"),
        ({"title": "  "}, "Cú pháp"),
    ):
        response = await web_client.post("/officer/nhachan/han", data=more | changes)
        assert response.status == 400, changes
        page = await response.text()
        assert words in page, changes
        assert 'value="Báo cáo năm"' in page or changes.get("title")
    assert len(await _deadlines(app)) == 2

    page = await (await web_client.get("/officer/nhachan?sua=2")).text()
    assert "Sửa hạn #2" in page
    assert 'value="05/01/2027"' in page
    assert 'value="nganh:tieu_thu_cong_nghiep" selected' in page
    edit = more | {"date": "10/01/2027", "title": "Báo cáo năm 2026"}
    page = await (await web_client.post("/officer/nhachan/han/2", data=edit)).text()
    assert "Đã sửa hạn #2: 10/01/2027" in page
    response = await web_client.post("/officer/nhachan/han/99", data=edit)
    assert response.status == 400
    assert "Không có hạn #99" in await response.text()

    response = await web_client.post("/officer/nhachan/han/1/xoa", data={})
    assert response.status == 403
    page = await (await web_client.post("/officer/nhachan/han/1/xoa", data={"csrf": csrf})).text()
    assert "Đã xóa hạn #1" in page
    listed = page[page.index('id="lich-han"') : page.index('id="form-han"')]
    assert "Báo cáo năm 2026" in listed
    assert "Nộp đăng ký" not in listed
    assert [a for a, _ in await _audit(app)] == [
        "web.signin", "web.deadline_add", "web.deadline_add", "web.deadline_edit",
        "web.deadline_delete",
    ]  # fmt: skip


async def test_broadcast_count_preview_confirm_and_results(web_client, app, clock):  # noqa: F811
    for i in range(3):
        await Chat(app.dispatcher, user=f"owner-{i}").press("rem:sub")
    csrf = await sign_in(web_client)
    text = "Hội chợ làng nghề mở đăng ký đến 30/6."
    response = await web_client.post(
        "/officer/nhachan/phatthanh/xem", data={"csrf": csrf, "audience": "", "text": text}
    )
    page = await response.text()
    assert response.status == 200
    assert "<strong>3</strong> người sẽ nhận" in page
    assert "📢 Thông báo từ cán bộ khuyến công:\n" + text in page
    assert "Xác nhận gửi tới 3 người" in page
    async with app.db.transaction() as session:
        assert (await session.execute(select(OutboxMessage))).first() is None  # preview only

    response = await web_client.post(
        "/officer/nhachan/phatthanh/xem",
        data={"csrf": csrf, "audience": "nganh:tieu_thu_cong_nghiep", "text": text},
    )
    assert response.status == 400
    assert "Không có ai thuộc đối tượng" in await response.text()
    response = await web_client.post(
        "/officer/nhachan/phatthanh/gui", data={"audience": "", "text": text}
    )
    assert response.status == 403

    page = await (
        await web_client.post(
            "/officer/nhachan/phatthanh/gui", data={"csrf": csrf, "audience": "", "text": text}
        )
    ).text()
    assert "Đã xếp gửi tin phát thanh #1 tới 3 người" in page
    assert re.search(r'data-status="pending">Đang chờ gửi: 3<', page)

    sender = RecordingSender()
    sender.fail_with = [Unreachable("blocked"), SendError("boom")]
    await jobs_for(app, clock, sender, max_attempts=1).dispatch()
    page = await (await web_client.get("/officer/nhachan")).text()
    results = page[page.index('id="ket-qua"') :]
    shown = re.findall(r'data-status="(\w+)">([^<]+)<', results)
    assert shown == [
        ("sent", "Đã gửi: 1"), ("failed", "Gửi lỗi: 1"), ("unreachable", "Không liên lạc được: 1"),
    ]  # fmt: skip
    assert ("web.broadcast", "bc:1") in await _audit(app)
