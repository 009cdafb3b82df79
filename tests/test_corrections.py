"""Edited messages are corrections (issue 15): the latest flow answer is re-applied and said so,
an older one is declined politely, anything else is read as new text."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.app import App
from bot.db.repositories import CoreRepository
from tests.intake_helpers import start_with_consent
from tests.transcript import Chat


async def _answers(app: App, flow: str, user: str = "owner-1") -> dict:
    async with app.db.transaction() as session:
        repo = CoreRepository(session)
        user_id = await repo.upsert_user("console", user, None, datetime.now(UTC))
        state = await repo.load_state(user_id)
    return state.data.get(flow, {}).get("answers", {})


# What the owner does before the edit: ("say", platform id, text) or ("press", payload).
NAME = [("say", "p1", "Nguyễn Văn An")]
NAME_PHONE = [*NAME, ("say", "p2", "0912 345 678")]
TO_ENTITY = [*NAME_PHONE, ("say", "p3", "Cơ sở Bún khô Minh Anh")]

# (id, steps before, edited id, new text, in the reply, not in the reply, answer expected)
INTAKE_ROWS = [
    (
        "last-answer-reapplied",
        NAME,
        "p1",
        "Nguyễn Văn Bình",
        ["Dạ, em đã sửa câu trả lời “Người đại diện” thành “Nguyễn Văn Bình”", "điện thoại"],
        [],
        ("owner_name", "Nguyễn Văn Bình"),
    ),
    (
        "last-answer-on-screen-phone",
        NAME_PHONE,
        "p2",
        "+84 (0) 987.654.321",
        ["đã sửa câu trả lời “Điện thoại”", "tên cơ sở"],
        [],
        ("phone", "0987654321"),
    ),
    (
        "older-answer-declined-politely",
        NAME_PHONE,
        "p1",
        "Nguyễn Văn Bình",
        ["câu trả lời “Người đại diện” ở bước trước", "Sửa thông tin", "tên cơ sở"],
        ["đã sửa"],
        ("owner_name", "Nguyễn Văn An"),
    ),
    (
        "invalid-value-quoted-old-kept",
        NAME_PHONE,
        "p2",
        "09xx gọi sau",
        ["em chưa ghi được “09xx gọi sau”", "vẫn giữ như cũ (0912345678)", "tên cơ sở"],
        ["đã sửa"],
        ("phone", "0912345678"),
    ),
    (
        "typed-choice-at-a-button-step-re-read",
        [*TO_ENTITY, ("say", "p4", "hộ kinh doanh")],
        "p4",
        "hợp tác xã",
        ["đã sửa câu trả lời “Loại hình”", "Hợp tác xã"],
        [],
        ("entity_type", "htx"),
    ),
    (
        "button-answer-after-it-makes-the-edit-older",
        [*TO_ENTITY, ("press", "intake:ans:entity_type:htx")],
        "p3",
        "Cơ sở Bún Minh Anh",
        ["câu trả lời “Tên cơ sở” ở bước trước"],
        ["đã sửa"],
        ("establishment_name", "Cơ sở Bún khô Minh Anh"),
    ),
    (
        "unknown-message-is-new-text",
        NAME,
        "p99",
        "0912 345 678",
        ["tên cơ sở"],
        ["đã sửa", "bước trước"],
        ("phone", "0912345678"),
    ),
]


@pytest.mark.parametrize(
    ("before", "edited", "new", "said", "unsaid", "answer"),
    [row[1:] for row in INTAKE_ROWS],
    ids=[row[0] for row in INTAKE_ROWS],
)
async def test_an_edit_in_the_intake(chat, app, before, edited, new, said, unsaid, answer):
    await start_with_consent(chat)
    for action, *args in before:
        if action == "say":
            await chat.say(args[1], platform_id=args[0])
        else:
            await chat.press(args[0])
    await chat.edit(edited, new)
    for part in said:
        assert part in chat.text, chat.text
    for part in unsaid:
        assert part not in chat.text, chat.text
    step, value = answer
    assert (await _answers(app, "intake"))[step] == value


async def test_an_edit_outside_a_flow_is_answered_as_a_question(chat):
    await chat.say("xin chào", platform_id="q1")
    await chat.edit("q1", "hỗ trợ máy móc bao nhiêu")
    assert "300 triệu đồng" in chat.text


# Buttons up to the workforce question, the first one answered by typing.
TO_EMPLOYEES = ["menu:elig", "elig:a:entity_type:dnnvv", "elig:a:site_area:xa"]


async def _elig_to_employees(chat: Chat) -> None:
    for payload in [*TO_EMPLOYEES, "elig:a:sector:che_bien_nong_lam_thuy_san"]:
        await chat.press(payload)
    assert "lao động" in chat.text, chat.text


# (id, edited text, in the reply, employees stored)
ELIG_ROWS = [
    ("last-answer-reapplied", "45", ["đã sửa câu trả lời “Lao động” thành “45 người”"], 45),
    ("invalid-value-quoted", "nhiều lắm", ["chưa đọc được “nhiều lắm”", "35 người"], 30),
]


@pytest.mark.parametrize(
    ("new", "said", "employees"), [r[1:] for r in ELIG_ROWS], ids=[r[0] for r in ELIG_ROWS]
)
async def test_an_edit_in_the_eligibility_check(chat, app, new, said, employees):
    await _elig_to_employees(chat)
    await chat.say("30", platform_id="e1")
    await chat.edit("e1", new)
    for part in said:
        assert part in chat.text, chat.text
    assert (await _answers(app, "elig"))["employees"] == employees


async def test_transcript_a_verdict_is_evaluated_again_after_its_last_answer_is_edited(chat):
    """Owner answers the check to the end by typing, then edits the last answer: the bot says
    what it corrected and gives the new verdict."""
    await _elig_to_employees(chat)
    await chat.say("30", platform_id="e1")
    assert "Doanh thu" in chat.text
    await chat.say("20 tỷ", platform_id="e2")
    await chat.say("không", platform_id="e3")
    await chat.say("chưa", platform_id="e4")
    assert "THUỘC DIỆN" in chat.text
    assert "intake:from_elig" in chat.payloads
    await chat.edit("e4", "rồi, đã nhận")
    assert chat.replies[0].text == (
        "Dạ, em đã sửa câu trả lời “Đã nhận ngân sách cho cùng nội dung” thành “Có”."
    )
    assert "CHƯA thuộc diện" in chat.text
    assert "intake:from_elig" not in chat.payloads
    # An earlier answer is not re-applied behind the verdict's back.
    await chat.edit("e2", "500 tỷ")
    assert "em chỉ sửa được câu trả lời gửi sau cùng" in chat.text


async def test_transcript_the_intake_corrects_the_last_answer_and_carries_on(chat, app):
    """Name, phone, a typo in the establishment's name fixed by editing, then onwards."""
    await start_with_consent(chat)
    await chat.say("Nguyễn Văn An", platform_id="t1")
    await chat.say("0912 345 678", platform_id="t2")
    await chat.say("Cơ sở Bún khô Minh Ang", platform_id="t3")
    assert "loại hình" in chat.text.lower()
    await chat.edit("t3", "Cơ sở Bún khô Minh Anh")
    assert chat.text.startswith(
        "Dạ, em đã sửa câu trả lời “Tên cơ sở” thành “Cơ sở Bún khô Minh Anh”."
    )
    assert "loại hình" in chat.text.lower(), "the question on screen is asked again"
    await chat.press("intake:ans:entity_type:ho_kinh_doanh")
    answers = await _answers(app, "intake")
    assert answers["establishment_name"] == "Cơ sở Bún khô Minh Anh"
    assert answers["entity_type"] == "ho_kinh_doanh"
