"""The faq capability through the dispatcher: answers, buttons, abstention, /cauhoi."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from sqlalchemy import select

from bot.app import App
from bot.db.models_faq import AbstainedQuestionRow
from tests.transcript import Chat

ROOT = Path(__file__).resolve().parents[1]


def _events(app: App) -> list[str]:
    seen: list[str] = []
    app.dispatcher.on_events = lambda _message, events: seen.extend(events)
    return seen


async def test_free_text_gets_answer_with_sources_and_buttons(chat: Chat, app: App) -> None:
    events = _events(app)
    await chat.say("ho tro may moc bao nhieu")
    assert "300 triệu đồng" in chat.text
    assert "Căn cứ: khoản 3 Điều 4 Nghị định 45/2012/NĐ-CP" in chat.text
    assert "Thông tư 64/2024/TT-BTC" in chat.text
    assert chat.payloads[0] == "faq:more:may_moc_thiet_bi"
    assert "menu:elig" in chat.payloads
    assert "menu:intake" in chat.payloads
    assert "faq:t:mo_hinh_trinh_dien" in chat.payloads
    assert chat.payloads[-1] == "menu:show"
    assert len(chat.payloads) <= 6
    assert events == ["faq.answered"]


async def test_next_step_buttons_follow_the_topic(chat: Chat) -> None:
    await chat.say("đề án gồm những phần gì")
    assert "menu:intake" in chat.payloads
    assert "menu:elig" not in chat.payloads
    await chat.say("nghị định nào đang áp dụng cho khuyến công")
    assert "menu:intake" not in chat.payloads


async def test_topic_button_opens_the_answer(chat: Chat) -> None:
    await chat.press("faq:t:dnnvv")
    assert "Siêu nhỏ" in chat.text
    assert "Nghị định 80/2021/NĐ-CP" in chat.text
    await chat.press_label("Xem thêm")
    assert "Thương mại – dịch vụ" in chat.text
    assert "faq:more:dnnvv:2" not in chat.payloads  # one page only


async def test_more_pages_chain(chat: Chat) -> None:
    await chat.press("faq:t:san_pham_tieu_bieu")
    await chat.press("faq:more:san_pham_tieu_bieu")
    assert "03 ảnh màu" in chat.text
    assert "faq:more:san_pham_tieu_bieu:2" in chat.payloads
    await chat.press("faq:more:san_pham_tieu_bieu:2")
    assert "70 điểm" in chat.text
    await chat.press("faq:more:san_pham_tieu_bieu:9")
    assert "nút này đã cũ" in chat.text


async def test_stale_or_malformed_faq_buttons_are_polite(chat: Chat) -> None:
    for payload in ("faq:t:khong_co", "faq:t:", "faq:more:", "faq:zzz", "faq:more:ocop:x"):
        await chat.press(payload)
        assert "nút này đã cũ" in chat.text, payload


async def test_out_of_scope_abstains_with_closest_topics(chat: Chat, app: App) -> None:
    events = _events(app)
    await chat.say("Thời tiết ngày mai có mưa không, số em 0912 345 678")
    assert "không trả lời" in chat.text or "không phải khuyến công" in chat.text
    topic_buttons = [p for p in chat.payloads if p.startswith("faq:t:")]
    assert len(topic_buttons) == 3
    assert chat.payloads[-1] == "officer:ask"  # the hand-off, handlers/tickets.py
    assert chat.buttons[-1] == "Hỏi cán bộ"
    assert events == ["faq.abstained"]
    await chat.press_label("Hỏi cán bộ")
    assert "gõ câu hỏi cho cán bộ" in chat.text
    await chat.press(topic_buttons[0])
    assert "Căn cứ:" in chat.text


async def test_abstained_questions_are_stored_redacted_and_counted(chat: Chat, app: App) -> None:
    await chat.say("Giá vàng hôm nay bao nhiêu? gọi 0912345678")
    await chat.say("gia vang hom nay bao nhieu, goi 0912 345 678")
    await chat.say("hỗ trợ máy móc bao nhiêu")
    async with app.db.transaction() as session:
        rows = (await session.execute(select(AbstainedQuestionRow))).scalars().all()
    assert len(rows) == 1
    assert rows[0].count == 2
    assert "0912" not in rows[0].text
    assert "<số>" in rows[0].text
    assert rows[0].reason == "out_of_scope"


async def test_officer_lists_most_frequent_abstentions(chat: Chat, app: App) -> None:
    for _ in range(3):
        await chat.say("con mèo ngủ trên mái nhà")
    await chat.say("xyzzy plugh")
    officer = Chat(app.dispatcher, user="officer")
    await officer.say("/cauhoi")
    lines = officer.text.splitlines()
    assert "chưa trả lời được" in lines[0]
    assert '1. "con mèo ngủ trên mái nhà" — 3 lần, gần nhất 21/11/2026' in lines[1]
    assert lines[2].startswith('2. "xyzzy plugh" — 1 lần')


async def test_officer_list_when_empty_and_with_limit(app: App) -> None:
    officer = Chat(app.dispatcher, user="officer")
    await officer.say("/cauhoi")
    assert "chưa có câu hỏi" in officer.text
    await officer.say("/cauhoi 999")
    assert "chưa có câu hỏi" in officer.text


async def test_officer_command_refused_for_owners(chat: Chat) -> None:
    await chat.say("con mèo ngủ trên mái nhà")
    await chat.say("/cauhoi")
    assert "chỉ dành cho cán bộ" in chat.text
    assert "con mèo" not in chat.text


async def test_faq_menu_entry_prompts(chat: Chat) -> None:
    await chat.press("menu:faq")
    assert "gõ câu hỏi" in chat.text


def test_ask_cli_json_lines_same_as_kb(subprocess_env: dict[str, str]) -> None:
    questions = "hỗ trợ máy móc bao nhiêu\nthoi tiet hom nay\nhtx co dc ko\n"
    done = subprocess.run(
        [sys.executable, "-m", "bot", "ask", "--json", "-"],
        cwd=ROOT,
        env=subprocess_env,
        input=questions,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    assert [r["topic"] for r in rows] == ["may_moc_thiet_bi", None, "doi_tuong"]
    assert rows[1]["sources"] == []
    assert len(rows[1]["alternatives"]) == 3
    assert all(0 <= r["confidence"] <= 1 for r in rows)


def test_ask_cli_province_and_plain(subprocess_env: dict[str, str]) -> None:
    env = subprocess_env | {"BOT_PROVINCE": "quang_ninh"}
    done = subprocess.run(
        [sys.executable, "-m", "bot", "ask", "nộp hồ sơ khuyến công ở đâu"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "Tại Quảng Ninh" in done.stdout
    assert not done.stdout.lstrip().startswith("{")


async def test_greetings_are_answered_as_greetings_not_topics(chat):
    for text in ("xin chào", "alo", "cam on nhe"):
        await chat.say(text)
        assert chat.text.startswith("Dạ, em chào anh/chị")
