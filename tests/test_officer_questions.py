"""Unanswered questions on the officers' web page: one click opens a ticket for the owner who
asked (the officer's answer reaches them through the outbox on their channel)."""

from __future__ import annotations

import re

from sqlalchemy import select

from bot.db.models_officer import OfficerAudit, OfficerTicket
from tests.intake_helpers import deliver
from tests.test_officer_web import sign_in, web_client  # noqa: F401 - the fixture

QUESTION = "con mèo nhà em bị ốm thì sao"


async def test_unanswered_question_opens_a_ticket_for_whoever_asked(web_client, app, chat):  # noqa: F811
    await chat.say(QUESTION)
    assert "officer:ask" in chat.payloads  # the bot abstained
    csrf = await sign_in(web_client)
    page = await (await web_client.get("/officer/cauhoi")).text()
    assert "Mở câu hỏi cán bộ để trả lời riêng" in page
    ident = re.search(r'action="/officer/cauhoi/ticket".*?name="id" value="(\d+)"', page, re.S)[1]
    response = await web_client.post("/officer/cauhoi/ticket", data={"id": ident})
    assert response.status == 403  # no CSRF token
    response = await web_client.post("/officer/cauhoi/ticket", data={"csrf": csrf, "id": "999"})
    assert response.status == 404
    response = await web_client.post("/officer/cauhoi/ticket", data={"csrf": csrf, "id": ident})
    assert str(response.url).endswith("/officer/hopthu/1") or "/officer/hopthu/1?" in str(
        response.url
    )
    page = await response.text()
    assert "Đã mở YC-1 cho người hỏi" in page
    assert QUESTION in page
    assert "đang xử lý" in page
    assert "(1 lượt hỏi)" in page
    async with app.db.transaction() as session:
        [ticket] = list((await session.execute(select(OfficerTicket))).scalars())
    assert ticket.owner_target == "console:owner-1"
    assert ticket.status == "in_progress"
    assert (await deliver(app))["telegram"].sent == []  # no notice: an officer holds it

    response = await web_client.post(
        "/officer/hopthu/1/reply", data={"csrf": csrf, "text": "Dạ, việc thú y anh hỏi UBND xã ạ."}
    )
    assert "đã trả lời" in await response.text()
    [(owner, answer)] = (await deliver(app))["console"].sent
    assert owner == "owner-1"
    assert f"YC-1 của anh/chị («{QUESTION}»)" in answer.text
    assert "UBND xã" in answer.text
    async with app.db.transaction() as session:
        actions = [a.action for a in (await session.execute(select(OfficerAudit))).scalars()]
    assert "ticket.open_for_owner" in actions
    assert "web.ticket_from_question" in actions


async def test_overview_charts_questions_answered_and_abstained_per_week(web_client, app, chat):  # noqa: F811
    await chat.say("hỗ trợ máy móc bao nhiêu")  # answered
    await chat.say("hỗ trợ máy móc bao nhiêu")
    await chat.say(QUESTION)  # abstained
    await sign_in(web_client)
    html = await (await web_client.get("/officer/")).text()
    assert html.count("<svg") == 5
    chart = html[html.index("Câu hỏi theo tuần") :]
    chart = chart[: chart.index("</svg>")]
    assert "Bot trả lời được" in chart
    assert "Chưa trả lời được" in chart
    # Saturday 21/11/2026 is in the week of Monday 16/11; 2 answered, 1 not.
    assert "Tuần 16/11" in chart
    values = re.findall(r'class="chart-value small">(\d+)<', chart)
    assert values == ["2", "1"]
    assert "Lượt hỏi bot trả lời được" in html


async def test_assigned_question_is_answered_by_ask_and_kb_build(web_client, app, subprocess_env):  # noqa: F811
    import asyncio
    import json
    import subprocess
    import sys

    def cli(*args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "bot", *args],
            capture_output=True, text=True, env=subprocess_env, timeout=300, check=True,
        )  # fmt: skip
        return done.stdout

    before = json.loads(await asyncio.to_thread(cli, "ask", "--json", QUESTION))
    assert before["topic"] is None
    csrf = await sign_in(web_client)
    topic = "ho_so_de_an" if "ho_so_de_an" in app.kb.topics else next(iter(app.kb.topics)).id
    response = await web_client.post(
        "/officer/cauhoi/assign", data={"csrf": csrf, "topic": topic, "text": QUESTION}
    )
    assert "Đã gán vào chủ đề" in await response.text()
    # A separate process reads the officer examples from the database at build time.
    built = await asyncio.to_thread(cli, "kb", "build")
    assert "officer examples: included" in built
    after = json.loads(await asyncio.to_thread(cli, "ask", "--json", QUESTION))
    assert after["topic"] == topic
    assert app.kb.topics[topic].title.split()[0] in after["answer"]
