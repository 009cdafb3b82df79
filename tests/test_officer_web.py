"""The officers' web page through a real aiohttp server and client: sign-in by one-time code,
sessions, CSRF, rate limits, and the pages and actions (dossiers, inbox, questions, exports)."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from openpyxl import load_workbook
from sqlalchemy import select

from bot.db.models_officer import OfficerAudit, OfficerLoginCode
from bot.officer_web import build_officer_app
from bot.officer_web.auth import CODE_TTL
from tests.fakes import RecordingSender
from tests.intake_helpers import deliver, full_intake
from tests.transcript import Chat

OFFICER = "telegram:9001"


@pytest.fixture
async def web_client(app):
    sender = RecordingSender("telegram")
    root = web.Application()
    root.add_subapp("/officer/", build_officer_app(app, {"telegram": sender}))
    client = TestClient(TestServer(root))
    await client.start_server()
    client.sender = sender  # type: ignore[attr-defined]
    yield client
    await client.close()


def _code(sender: RecordingSender) -> str:
    chat_id, reply = sender.sent[-1]
    assert chat_id == "9001"
    match = re.search(r"\b(\d{6})\b", reply.text)
    assert match is not None
    return match[1]


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match is not None
    return match[1]


async def sign_in(client) -> str:
    """Sign in as OFFICER; the CSRF token of the session."""
    response = await client.post("/officer/signin/code", data={"officer_id": OFFICER})
    assert response.status == 200
    code = _code(client.sender)
    response = await client.post(
        "/officer/signin/verify",
        data={"officer_id": OFFICER, "code": code},
        allow_redirects=False,
    )
    assert response.status == 303
    set_cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in set_cookie
    assert "SameSite=Strict" in set_cookie
    assert "Max-Age=28800" in set_cookie
    assert "Path=/officer/" in set_cookie
    html = await (await client.get("/officer/")).text()
    assert "Tổng quan" in html
    return _csrf(html)


async def test_no_page_or_action_without_a_session(web_client):
    for path in ("/officer/", "/officer/hoso", "/officer/hoso/1", "/officer/hopthu",
                 "/officer/cauhoi", "/officer/coso", "/officer/coso.xlsx"):  # fmt: skip
        response = await web_client.get(path, allow_redirects=False)
        assert response.status == 303, path
        assert response.headers["Location"] == "/officer/signin"
    for path in ("/officer/hoso/1/ack", "/officer/hopthu/1/reply", "/officer/cauhoi/assign",
                 "/officer/signout"):  # fmt: skip
        response = await web_client.post(path, data={"csrf": "x"})
        assert response.status == 401, path
    forged = {"kc_officer": "abc.def"}
    response = await web_client.get("/officer/hoso", cookies=forged, allow_redirects=False)
    assert response.status == 303


async def test_non_officer_gets_no_code_and_the_same_answer(web_client, app):
    response = await web_client.post("/officer/signin/code", data={"officer_id": "telegram:1"})
    stranger = await response.text()
    assert response.status == 200
    assert web_client.sender.sent == []
    response = await web_client.post("/officer/signin/code", data={"officer_id": OFFICER})
    officer = await response.text()
    assert len(web_client.sender.sent) == 1
    assert stranger.replace("telegram:1", OFFICER) == officer
    async with app.db.transaction() as session:
        stored = list((await session.execute(select(OfficerLoginCode))).scalars())
    assert [row.officer_id for row in stored] == [OFFICER]
    assert _code(web_client.sender) not in stored[0].code_hash  # hashed at rest
    assert len(stored[0].code_hash) == 64


async def test_replayed_or_expired_code_is_refused(web_client, clock):
    await web_client.post("/officer/signin/code", data={"officer_id": OFFICER})
    code = _code(web_client.sender)
    data = {"officer_id": OFFICER, "code": code}
    response = await web_client.post("/officer/signin/verify", data=data, allow_redirects=False)
    assert response.status == 303
    web_client.session.cookie_jar.clear()
    response = await web_client.post("/officer/signin/verify", data=data, allow_redirects=False)
    assert response.status == 403  # replayed
    await web_client.post("/officer/signin/code", data={"officer_id": OFFICER})
    late = {"officer_id": OFFICER, "code": _code(web_client.sender)}
    clock.advance(CODE_TTL + timedelta(seconds=1))
    response = await web_client.post("/officer/signin/verify", data=late, allow_redirects=False)
    assert response.status == 403  # expired
    assert "hết hạn" in await response.text()


async def test_csrf_missing_is_403_and_signout_ends_the_session(web_client, app):
    csrf = await sign_in(web_client)
    cookie = web_client.session.cookie_jar.filter_cookies(web_client.make_url("/officer/"))
    morsel = cookie["kc_officer"]
    response = await web_client.post("/officer/cauhoi/assign", data={"topic": "x", "text": "y"})
    assert response.status == 403
    response = await web_client.post("/officer/signout", data={"csrf": csrf})
    assert response.status == 200
    stolen = {"kc_officer": morsel.value}
    response = await web_client.get("/officer/hoso", cookies=stolen, allow_redirects=False)
    assert response.status == 303  # the old cookie is of no use after sign-out
    async with app.db.transaction() as session:
        actions = [a.action for a in (await session.execute(select(OfficerAudit))).scalars()]
    assert actions == ["web.signin", "web.signout"]


async def test_code_requests_are_rate_limited(web_client):
    statuses = []
    for _ in range(5):
        response = await web_client.post("/officer/signin/code", data={"officer_id": OFFICER})
        statuses.append(response.status)
    assert statuses == [200, 200, 200, 429, 429]
    assert len(web_client.sender.sent) == 3
    for _ in range(6):
        response = await web_client.post("/officer/signin/code", data={"officer_id": "zalo:x"})
    assert response.status == 429  # per client address, any id


async def test_dossier_inbox_questions_and_exports(web_client, app, chat):
    await full_intake(chat)
    await deliver(app)
    await chat.say("/hoicanbo Em cần mẫu hợp đồng mua máy ạ")
    await chat.say("con mèo nhà em bị ốm thì sao")
    csrf = await sign_in(web_client)

    html = await (await web_client.get("/officer/hoso?status=submitted")).text()
    assert "Bún khô Minh Anh" in html
    html = await (await web_client.get("/officer/hoso/1")).text()
    assert "Yêu cầu bổ sung" in html
    response = await web_client.get("/officer/hoso/1/docx")
    assert response.status == 200
    assert (await response.read())[:2] == b"PK"
    response = await web_client.post("/officer/hoso/1/more",
                                     data={"note": "Thiếu báo giá máy sấy"})  # fmt: skip
    assert response.status == 403
    response = await web_client.post(
        "/officer/hoso/1/more", data={"csrf": csrf, "note": "Thiếu báo giá máy sấy"}
    )
    assert "Cần bổ sung" in await response.text()
    [(owner, request)] = (await deliver(app))["console"].sent
    assert owner == "owner-1"
    assert "Thiếu báo giá máy sấy" in request.text

    html = await (await web_client.get("/officer/hopthu")).text()
    assert "YC-1" in html
    response = await web_client.post(
        "/officer/hopthu/1/reply", data={"csrf": csrf, "text": "Dạ, mẫu có ở Trung tâm ạ."}
    )
    assert "đã trả lời" in await response.text()
    [(_, answer)] = (await deliver(app))["console"].sent
    assert "mẫu có ở Trung tâm" in answer.text

    html = await (await web_client.get("/officer/cauhoi")).text()
    assert "con mèo nhà em bị ốm" in html
    topic = next(iter(app.kb.topics)).id
    response = await web_client.post(
        "/officer/cauhoi/assign",
        data={"csrf": csrf, "topic": topic, "text": "con mèo nhà em bị ốm thì sao"},
    )
    assert "Đã gán vào chủ đề" in await response.text()
    # The in-process answer model now answers it (`ask` builds its own model at start).
    assert app.kb.answer("con mèo nhà em bị ốm thì sao").topic == topic
    again = Chat(app.dispatcher, user="owner-9")
    await again.say("con mèo nhà em bị ốm thì sao")
    assert app.kb.topics[topic].title.split()[0] in again.text

    response = await web_client.get("/officer/coso.xlsx")
    assert response.status == 200
    sheet = load_workbook(io.BytesIO(await response.read())).active
    header, first = [c.value for c in sheet[1]], [c.value for c in sheet[2]]
    assert header[:3] == ["Mã hồ sơ", "Cơ sở", "Loại hình"]
    assert "Bún khô Minh Anh" in first[1]
    assert isinstance(first[header.index("Đề nghị hỗ trợ (đồng)")], int)
    html = await (await web_client.get("/officer/")).text()
    assert html.count("<svg") == 5
