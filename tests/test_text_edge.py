"""Text at the core's edge: Unicode spaces, invisible marks and full-width digits (issue 15)."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.app import App
from knowledge.text_edge import edge_text
from tests.intake_helpers import start_with_consent
from tests.transcript import Chat


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Nguyễn\u00a0Văn\u00a0An", "Nguyễn Văn An"),
        ("ho\u2007tro\u202fmay\u3000moc", "ho tro may moc"),
        ("hỗ\u200btrợ\u200c máy\u200d\u2060\ufeff", "hỗtrợ máy"),
        ("\u200e\u200fđề án\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069", "đề án"),
        ("０９１２ ３４５ ６７８", "0912 345 678"),
        ("٣٠٠ triệu", "300 triệu"),  # Arabic-Indic digits
        ("Ho\u0302\u0303 tro", "Hỗ tro"),  # NFD in, NFC out: diacritics kept
        ("Hỗ trợ Đắk Lắk", "Hỗ trợ Đắk Lắk"),  # already clean: unchanged
        ("ＡＢＣ nhà", "ＡＢＣ nhà"),  # only digits are folded, not full-width letters
        ("dòng 1\ndòng 2\r\n\tdòng 3\u2028dòng 4", "dòng 1 dòng 2 dòng 3 dòng 4"),
        ("  ho\x00 tro\x07  ", "ho tro"),
        ("\u00a0\u200b\u3000", ""),
        ("", ""),
        (None, ""),
    ],
)
def test_edge_text_table(raw: str | None, expected: str) -> None:
    assert edge_text(raw) == expected


@given(st.text())
def test_edge_text_is_idempotent_and_clean(raw: str) -> None:
    once = edge_text(raw)
    assert edge_text(once) == once
    assert once == once.strip()
    assert "  " not in once
    for ch in once:
        category = unicodedata.category(ch)
        assert category not in ("Zl", "Zp", "Cf", "Cc")
        assert category != "Zs" or ch == " "
        assert category != "Nd" or ch in "0123456789"


@pytest.mark.parametrize(
    "question",
    ["ho tro may moc bao nhieu", "ho\u00a0tro\u00a0may\u202fmoc\u3000bao\u200bnhieu"],
    ids=["plain", "no-break-spaces"],
)
async def test_question_with_no_break_spaces_is_answered_like_the_plain_one(
    chat: Chat, app: App, question: str
) -> None:
    await chat.say(question)
    assert "300 triệu đồng" in chat.text
    assert "Căn cứ: khoản 3 Điều 4 Nghị định 45/2012/NĐ-CP" in chat.text


async def test_name_typed_with_no_break_spaces_keeps_its_spaces_in_the_intake(chat: Chat) -> None:
    await start_with_consent(chat)
    await chat.say("Nguyễn\u00a0Văn\u2060\u00a0An")
    assert "điện thoại" in chat.text
    await chat.say("０９１２\u00a0３４５\u00a0６７８")
    assert "Cơ sở" in chat.text or "tên" in chat.text.lower()
    await chat.press("intake:back")
    assert "Hiện đang ghi: 0912345678" in chat.text
    await chat.press("intake:back")
    assert "Hiện đang ghi: Nguyễn Văn An" in chat.text
