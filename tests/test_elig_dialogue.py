"""The "Kiểm tra điều kiện" dialogue through the dispatcher on a real database."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.app import App, build_app
from bot.clock import FrozenClock
from bot.config import Settings
from bot.db.repositories import CoreRepository
from tests.transcript import Chat

NOTE_WORDS = ("Nghị định 235/2025/NĐ-CP", "Sở Công Thương")


async def stored(app: App, user: str = "owner-1") -> tuple[str | None, str | None, dict]:
    async with app.db.transaction() as session:
        repo = CoreRepository(session)
        user_id = await repo.upsert_user("console", user, None, datetime.now(UTC))
        state = await repo.load_state(user_id)
    return state.flow, state.step, state.data.get("elig", {})


def assert_result(chat: Chat, eligible: bool) -> None:
    headline = "THUỘC DIỆN" if eligible else "CHƯA thuộc diện"
    assert headline in chat.text
    for word in NOTE_WORDS:
        assert word in chat.text
    assert ("intake:from_elig" in chat.payloads) is eligible
    assert "elig:back" in chat.payloads
    assert "menu:show" in chat.payloads


async def test_buttons_to_eligible(chat: Chat, app: App) -> None:
    await chat.press("menu:elig")
    assert "loại hình" in chat.text
    assert "elig:a:entity_type:ho_kinh_doanh" in chat.payloads
    await chat.press_label("Hộ kinh doanh")
    assert "trụ sở ở đâu cũng được" in chat.text  # the one-line area rule
    await chat.press("elig:a:site_area:xa")
    assert "làm bún, miến, nước mắm" in chat.text
    assert "→ chế biến nông, lâm, thủy sản, thực phẩm" in chat.text
    await chat.press_label("Chế biến nông")
    assert "vùng khó khăn" in chat.text
    await chat.press("elig:a:difficult_area:true")
    assert "ngân sách nhà nước" in chat.text
    await chat.press("elig:a:other_state_funding_same_content:false")
    assert_result(chat, eligible=True)
    assert len(chat.replies[-1].text) <= 900
    await chat.press("elig:details")
    assert "khoản 1 Điều 6 Nghị định 45/2012/NĐ-CP" in chat.text  # the difficult-area priority
    await chat.press("menu:elig")
    assert "kết quả kiểm tra lần trước" in chat.text
    assert "faq:t:may_moc_thiet_bi" in chat.payloads
    assert "faq:t:dao_tao_nghe" in chat.payloads
    flow, _, bucket = await stored(app)
    assert flow is None  # after the verdict, typed questions go to the FAQ again
    assert bucket["answers"] == {
        "entity_type": "ho_kinh_doanh",
        "site_area": "xa",
        "sector": "che_bien_nong_lam_thuy_san",
        "difficult_area": True,
        "other_state_funding_same_content": False,
    }


async def test_buttons_to_not_eligible_unregistered(chat: Chat) -> None:
    await chat.press("menu:elig")
    await chat.press("elig:a:entity_type:chua_dang_ky")
    assert_result(chat, eligible=False)
    assert "Đăng ký hộ kinh doanh" in chat.text
    assert not [p for p in chat.payloads if p.startswith("faq:t:")]


async def test_buttons_trade_and_brick_kiln(chat: Chat) -> None:
    await chat.press("menu:elig")
    await chat.press("elig:a:entity_type:htx")
    await chat.press("elig:a:site_area:xa")
    await chat.press("elig:a:sector:gach_nung_thu_cong")
    assert_result(chat, eligible=False)
    assert "khoản 1 Điều 5 Thông tư 46/2012/TT-BCT" in chat.text
    await chat.press("elig:back")  # back from the verdict re-asks the sector
    assert "elig:a:sector:thuong_mai_dich_vu" in chat.payloads
    await chat.press("elig:a:sector:thuong_mai_dich_vu")
    assert_result(chat, eligible=False)


async def test_large_firm_asked_size_then_cleaner_production(chat: Chat) -> None:
    await chat.press("menu:elig")
    await chat.press("elig:a:entity_type:doanh_nghiep")
    assert "bảo hiểm xã hội" in chat.text
    assert "Trên 200 người" in chat.buttons
    await chat.press("elig:a:employees:201")
    # Over 200 staff: the site cannot change anything now, so it is not asked.
    assert "elig:a:sector:co_khi_dien_tu_cnht" in chat.payloads
    await chat.press("elig:a:sector:co_khi_dien_tu_cnht")
    assert "sản xuất sạch hơn" in chat.text
    await chat.press("elig:a:cleaner_production:true")
    await chat.press("elig:a:other_state_funding_same_content:false")
    assert_result(chat, eligible=True)
    supports = [p for p in chat.payloads if p.startswith("faq:t:")]
    assert supports == ["faq:t:san_xuat_sach_hon", "faq:t:mo_hinh_trinh_dien"]


async def test_sme_one_financial_criterion(chat: Chat, app: App) -> None:
    await chat.press("menu:elig")
    await chat.press("elig:a:entity_type:doanh_nghiep")
    await chat.press("elig:a:employees:200")
    assert "Doanh thu" in chat.text
    await chat.press("elig:a:revenue_billion:201")
    assert "tổng nguồn vốn" in chat.text
    assert "200 tỷ đồng" in chat.text
    await chat.press("elig:a:capital_billion:100")
    assert "Xưởng sản xuất" in chat.text
    _, _, bucket = await stored(app)
    assert bucket["answers"]["entity_type"] == "dnnvv"


async def test_free_text_to_eligible(chat: Chat) -> None:
    await chat.press("menu:elig")
    await chat.say("hộ kinh doanh làm bún ở xã")
    assert "em hiểu là" in chat.text
    assert "Hộ kinh doanh" in chat.text
    assert "chế biến" in chat.text.lower()
    await chat.say("đúng rồi")
    assert "vùng khó khăn" in chat.text
    await chat.say("không")
    await chat.say("chưa")
    assert_result(chat, eligible=True)


async def test_free_text_to_not_eligible(chat: Chat) -> None:
    await chat.press("menu:elig")
    await chat.say("tôi buôn bán tạp hóa, hộ kinh doanh ở xã")
    assert "Chỉ buôn bán, dịch vụ" in chat.text
    await chat.press("elig:ok")
    assert_result(chat, eligible=False)
    assert "sản xuất" in chat.text


async def test_free_text_large_firm_in_city_with_cleaner_production(chat: Chat) -> None:
    await chat.press("menu:elig")
    await chat.say("cong ty 500 cong nhan lam co khi o noi thanh, co ap dung san xuat sach hon")
    assert "500 người" in chat.text
    await chat.press("elig:ok")
    await chat.say("chưa nhận")
    assert_result(chat, eligible=True)


async def test_short_typed_answers_need_no_confirmation(chat: Chat) -> None:
    await chat.press("menu:elig")
    await chat.say("hợp tác xã")
    assert "Xưởng sản xuất" in chat.text
    await chat.say("xa")
    assert "chế biến gì" in chat.text


async def test_wrong_reading_can_be_refused(chat: Chat) -> None:
    await chat.press("menu:elig")
    await chat.say("hộ kinh doanh làm bún ở xã")
    await chat.press("elig:retry")
    assert "loại hình" in chat.text


async def test_not_understood_keeps_the_question(chat: Chat, app: App) -> None:
    await chat.press("menu:elig")
    await chat.press("elig:a:entity_type:htx")
    before = chat.payloads
    for text in ("asdfgh", "1234567", "x" * 3000):
        await chat.say(text)
        assert "chưa hiểu" in chat.text
        assert chat.payloads == before
    await chat.say("🙂🙂")  # no words at all: the core answers, the step stays
    _, step, _ = await stored(app)
    assert step == "site_area"
    await chat.say("ở xã")
    assert "chế biến gì" in chat.text


async def test_back_walks_the_answers_back_then_leaves(chat: Chat, app: App) -> None:
    await chat.press("menu:elig")
    await chat.press("elig:a:entity_type:htx")
    await chat.press("elig:a:site_area:phuong_noi_thanh")
    await chat.press("elig:back")
    assert "Xưởng sản xuất" in chat.text
    _, _, bucket = await stored(app)
    assert bucket["answers"] == {"entity_type": "htx"}
    await chat.press("elig:back")
    assert "loại hình" in chat.text
    await chat.press("elig:back")
    assert "menu:elig" in chat.payloads
    flow, _, _ = await stored(app)
    assert flow is None


async def test_cancel_keeps_answers_and_resumes(chat: Chat, app: App) -> None:
    await chat.press("menu:elig")
    await chat.press("elig:a:entity_type:to_hop_tac")
    await chat.say("/huy")
    assert "đã dừng kiểm tra điều kiện" in chat.text
    flow, _, bucket = await stored(app)
    assert flow is None
    assert bucket["answers"] == {"entity_type": "to_hop_tac"}
    await chat.say("hỗ trợ máy móc bao nhiêu")  # outside the flow: not read as an answer
    await chat.press("menu:elig")
    assert "kiểm tra dở" in chat.text
    assert "Tổ hợp tác" in chat.text
    await chat.press("elig:resume")
    assert "Xưởng sản xuất" in chat.text
    await chat.say("/huy")
    await chat.press("menu:elig")
    await chat.press("elig:restart")
    assert "chắc chắn" in chat.text, "restarting erases answers: asked first"
    _, _, bucket = await stored(app)
    assert bucket["answers"] != {}
    await chat.press("elig:restart_yes")
    assert "loại hình" in chat.text
    _, _, bucket = await stored(app)
    assert bucket["answers"] == {}


async def test_resume_after_restart_with_a_new_app(
    settings: Settings, clock: FrozenClock, app: App
) -> None:
    first = Chat(app.dispatcher, user="owner-2")
    await first.press("menu:elig")
    await first.press("elig:a:entity_type:ho_kinh_doanh")
    await first.press("elig:a:site_area:xa")
    await app.close()
    second_app = await build_app(settings, clock=clock, migrate=False)
    try:
        second = Chat(second_app.dispatcher, user="owner-2")
        await second.say("làm nước mắm")
        assert "vùng khó khăn" in second.text
        await second.press("elig:a:difficult_area:false")
        await second.press("elig:a:other_state_funding_same_content:false")
        assert_result(second, eligible=True)
    finally:
        await second_app.close()


@pytest.mark.parametrize(
    "payload",
    [
        "elig:a:sector:nuoi_ca",
        "elig:a:employees:nan",
        "elig:a:employees:inf",
        "elig:a:employees:-3",
        "elig:a:revenue_billion:1e309",
        "elig:a:unknown:1",
        "elig:a:",
        "elig:zzz",
        "elig:ok",
    ],
)
async def test_forged_or_stale_payloads(chat: Chat, app: App, payload: str) -> None:
    await chat.press("menu:elig")
    await chat.press("elig:a:entity_type:htx")
    before = await stored(app)
    await chat.press(payload)
    assert "nút này đã cũ" in chat.text
    assert await stored(app) == before


async def test_every_button_payload_fits_telegram(chat: Chat) -> None:
    await chat.press("menu:elig")
    seen = list(chat.payloads)
    for payload in (
        "elig:a:entity_type:doanh_nghiep",
        "elig:a:employees:200",
        "elig:a:revenue_billion:201",
        "elig:a:capital_billion:101",
        "elig:a:sector:san_xuat_sach_hon_xu_ly_o_nhiem",
        "elig:a:cleaner_production:true",
        "elig:a:other_state_funding_same_content:false",
    ):
        await chat.press(payload)
        seen += chat.payloads
    assert "intake:from_elig" in seen
    assert all(len(p.encode()) <= 64 for p in seen)
