"""The 34 provinces since 01/7/2025: overlays, old→new names, BOT_PROVINCE, and the new
province named in answers, the eligibility dialogue and the intake's site address."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from bot.app import App
from bot.config import ConfigError, load_settings
from bot.db.repositories import CoreRepository
from knowledge import KnowledgeError, load_knowledge
from knowledge.base import KNOWLEDGE_DIR, KnowledgeBase
from knowledge.province_names import ProvinceNames
from knowledge.provinces import PROVINCE_CODES, check_province_code
from knowledge.search.normalise import fold
from tests.intake_helpers import ANSWERS, send, start_with_consent
from tests.transcript import Chat

ROOT = Path(__file__).resolve().parents[1]
SHARED_MAP = ROOT.parents[1] / "shared" / "provinces-2025.yaml"
# The 63 provinces before 01/7/2025 and their new unit (NQ 202/2025/QH15), written out here
# so the test does not read the data it checks.
OLD_TO_NEW = {
    "Hà Nội": "ha_noi", "Cao Bằng": "cao_bang", "Tuyên Quang": "tuyen_quang",
    "Hà Giang": "tuyen_quang", "Điện Biên": "dien_bien", "Lai Châu": "lai_chau",
    "Sơn La": "son_la", "Lào Cai": "lao_cai", "Yên Bái": "lao_cai",
    "Thái Nguyên": "thai_nguyen", "Bắc Kạn": "thai_nguyen", "Lạng Sơn": "lang_son",
    "Quảng Ninh": "quang_ninh", "Bắc Ninh": "bac_ninh", "Bắc Giang": "bac_ninh",
    "Phú Thọ": "phu_tho", "Vĩnh Phúc": "phu_tho", "Hòa Bình": "phu_tho",
    "Hải Phòng": "hai_phong", "Hải Dương": "hai_phong", "Hưng Yên": "hung_yen",
    "Thái Bình": "hung_yen", "Ninh Bình": "ninh_binh", "Hà Nam": "ninh_binh",
    "Nam Định": "ninh_binh", "Thanh Hóa": "thanh_hoa", "Nghệ An": "nghe_an",
    "Hà Tĩnh": "ha_tinh", "Quảng Trị": "quang_tri", "Quảng Bình": "quang_tri",
    "Thừa Thiên Huế": "hue", "Đà Nẵng": "da_nang", "Quảng Nam": "da_nang",
    "Quảng Ngãi": "quang_ngai", "Kon Tum": "quang_ngai", "Gia Lai": "gia_lai",
    "Bình Định": "gia_lai", "Khánh Hòa": "khanh_hoa", "Ninh Thuận": "khanh_hoa",
    "Đắk Lắk": "dak_lak", "Phú Yên": "dak_lak", "Lâm Đồng": "lam_dong",
    "Đắk Nông": "lam_dong", "Bình Thuận": "lam_dong", "Đồng Nai": "dong_nai",
    "Bình Phước": "dong_nai", "Hồ Chí Minh": "ho_chi_minh", "Bình Dương": "ho_chi_minh",
    "Bà Rịa - Vũng Tàu": "ho_chi_minh", "Tây Ninh": "tay_ninh", "Long An": "tay_ninh",
    "Đồng Tháp": "dong_thap", "Tiền Giang": "dong_thap", "Vĩnh Long": "vinh_long",
    "Bến Tre": "vinh_long", "Trà Vinh": "vinh_long", "An Giang": "an_giang",
    "Kiên Giang": "an_giang", "Cần Thơ": "can_tho", "Sóc Trăng": "can_tho",
    "Hậu Giang": "can_tho", "Cà Mau": "ca_mau", "Bạc Liêu": "ca_mau",
}  # fmt: skip


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return load_knowledge()


@pytest.fixture(scope="module")
def names(kb: KnowledgeBase) -> ProvinceNames:
    assert kb.places is not None
    return kb.places


def test_the_table_has_63_old_provinces_and_34_new_ones() -> None:
    assert len(OLD_TO_NEW) == 63
    assert set(OLD_TO_NEW.values()) == set(PROVINCE_CODES)
    assert len(PROVINCE_CODES) == 34


def test_overlays_agree_with_the_shared_map(kb: KnowledgeBase) -> None:
    if not SHARED_MAP.is_file():
        pytest.skip("shared/provinces-2025.yaml is not beside this checkout")
    shared = yaml.safe_load(SHARED_MAP.read_text(encoding="utf-8"))
    assert [p["code"] for p in shared["provinces"]] == list(PROVINCE_CODES)
    assert set(kb.provinces) == set(PROVINCE_CODES)
    for entry in shared["provinces"]:
        province = kb.provinces[entry["code"]]
        assert province.name == entry["name"]
        assert len(province.merged_from) == len(entry["merged_from"])


@pytest.mark.parametrize("old", sorted(OLD_TO_NEW))
def test_every_old_name_maps_to_its_new_province(names: ProvinceNames, old: str) -> None:
    code = OLD_TO_NEW[old]
    plain = fold(old).replace("-", " ")
    for typed in (f"tỉnh {old} cũ", f"tinh {plain} cu", f"xưởng ở {old}", f"o {plain.upper()}"):
        found = names.find(typed)
        assert [m.province.code for m in found] == [code], typed
    assert names.new_province(old) is not None
    assert names.new_province(plain).code == code  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("text", "codes"),
    [
        ("máy đa năng cho xưởng", []),  # "đa năng" is not Đà Nẵng
        ("may da nang", []),
        ("sống hòa bình", []),
        ("diễn biến thị trường", []),
        ("trồng hoa huệ", []),
        ("tp.hcm và Bình Dương", ["ho_chi_minh", "ho_chi_minh"]),
        ("tphcm", ["ho_chi_minh"]),
        ("brvt", ["ho_chi_minh"]),
        ("Thừa Thiên - Huế", ["hue"]),
        ("tỉnh Điện Biên", ["dien_bien"]),
        ("dak lak va daklak", ["dak_lak"]),
        ("Sóc Trăng, Bạc Liêu", ["can_tho", "ca_mau"]),
    ],
)
def test_ambiguous_words_and_variants(names: ProvinceNames, text: str, codes: list[str]) -> None:
    assert [m.province.code for m in names.find(text)] == codes


def test_province_note_names_the_new_unit(kb: KnowledgeBase) -> None:
    note = kb.province_note("toi o Soc Trang")
    assert "Sóc Trăng (tỉnh cũ) nay thuộc thành phố Cần Thơ" in note
    assert "Sở Công Thương thành phố Cần Thơ" in note
    assert kb.province_note("xưởng ở Quảng Ninh") == ""  # not merged: nothing to say
    assert kb.province_note("tôi ở Huế") == ""  # the new name itself
    assert "nay là thành phố Huế" in kb.province_note("tỉnh Thừa Thiên Huế")


def test_ask_names_vinh_long_for_old_ben_tre(subprocess_env: dict[str, str]) -> None:
    question = "xuong tui o Ben Tre cu, nhap tinh roi thi nop ho so khuyen cong o dau"
    done = subprocess.run(
        [sys.executable, "-m", "bot", "ask", "--json", question],
        cwd=ROOT,
        env=subprocess_env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert "Bến Tre (tỉnh cũ) nay thuộc tỉnh Vĩnh Long" in data["answer"]
    assert data["topic"] == "noi_nop"
    assert "TT 36/2013/TT-BCT Đ8 k1, Đ10" in data["sources"]  # compact for officers
    assert "điểm b khoản 3 Điều 8 Thông tư 46/2012/TT-BCT" in data["answer"]


async def test_chat_answer_carries_the_province_line(chat: Chat) -> None:
    await chat.say("tôi ở Hậu Giang, nộp hồ sơ khuyến công ở đâu")
    assert "Hậu Giang (tỉnh cũ) nay thuộc thành phố Cần Thơ" in chat.text


async def test_eligibility_names_the_new_province_and_the_ward_rule(chat: Chat) -> None:
    await chat.press("menu:elig")
    await chat.say("hộ kinh doanh làm bún ở phường, tỉnh Quảng Bình cũ")
    text = "\n".join(r.text for r in chat.replies)
    assert "Quảng Bình (tỉnh cũ) nay thuộc tỉnh Quảng Trị" in text
    assert "trước 01/7/2025" in text
    assert "Sở Công Thương" in text


async def test_intake_site_address_gets_the_new_province(app: App) -> None:
    chat = Chat(app.dispatcher, user="owner-site")
    await start_with_consent(chat)
    for step, entry in ANSWERS:
        if step == "site_address":
            break
        await send(chat, entry)
    await chat.say("xã Tân Hòa, tỉnh Sóc Trăng cũ")
    text = "\n".join(r.text for r in chat.replies)
    assert "Sóc Trăng (tỉnh cũ) nay thuộc thành phố Cần Thơ" in text
    async with app.db.transaction() as session:
        repo = CoreRepository(session)
        user_id = await repo.upsert_user("console", "owner-site", None, datetime.now(UTC))
        state = await repo.load_state(user_id)
    address = state.data["intake"]["answers"]["site_address"]
    assert address == "xã Tân Hòa, tỉnh Sóc Trăng cũ (nay thuộc thành phố Cần Thơ)"


@pytest.mark.parametrize("code", PROVINCE_CODES)
def test_every_code_is_accepted_and_shows_its_contact(kb: KnowledgeBase, code: str) -> None:
    check_province_code(code)  # what settings and load_knowledge(province=code) check
    local = replace(kb, province=code)  # the same knowledge, configured for this province
    info = local.province_info
    assert info is not None
    assert info.code == code
    text = local.contact_text()
    assert info.display in text
    assert info.agency in text
    if not info.centre:
        assert "chưa có nguồn xác nhận" in text  # the unit is not invented
    assert "UBND xã/phường" in text


def test_can_tho_contact_lists_its_old_provinces(kb: KnowledgeBase) -> None:
    text = replace(kb, province="can_tho").contact_text()
    assert "thành phố Cần Thơ" in text
    assert "Cần Thơ, Sóc Trăng, Hậu Giang" in text
    assert "do thành phố Cần Thơ quy định" in text


def test_unknown_province_is_refused_with_the_variable_named(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("BOT_PROVINCE", "soc_trang")
    with pytest.raises(ConfigError, match="BOT_PROVINCE.*soc_trang.*can_tho"):
        load_settings(_env_file=None)
    with pytest.raises(KnowledgeError, match="not one of the 34 province codes"):
        load_knowledge(province="soc_trang")


def test_kb_check_refuses_an_old_province_file(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    path = root / "provinces" / "soc_trang.yaml"
    text = (root / "provinces" / "can_tho.yaml").read_text(encoding="utf-8")
    path.write_text(text.replace("code: can_tho", "code: soc_trang"), encoding="utf-8")
    with pytest.raises(KnowledgeError, match="unknown province code 'soc_trang'"):
        load_knowledge(root)


def test_kb_check_refuses_a_missing_province_and_unsourced_contacts(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    (root / "provinces" / "ca_mau.yaml").unlink()
    with pytest.raises(KnowledgeError, match="no file for province 'ca_mau'"):
        load_knowledge(root)
    root = _copy(tmp_path / "b")
    path = root / "provinces" / "hue.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("  phone: ''", "  phone: '0234 000 000'"), encoding="utf-8")
    with pytest.raises(KnowledgeError, match="contacts need 'contacts_source'"):
        load_knowledge(root)


def test_the_bot_starts_with_can_tho(subprocess_env: dict[str, str]) -> None:
    env = {**subprocess_env, "BOT_PROVINCE": "can_tho"}
    done = subprocess.run(
        [sys.executable, "-m", "bot", "chat", "--json", "--user", "ct"],
        cwd=ROOT,
        env=env,
        input="/start\n#menu:contact\n",
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "Sở Công Thương thành phố Cần Thơ" in done.stdout


def _copy(tmp_path: Path) -> Path:
    import shutil

    target = tmp_path / "knowledge"
    for sub in ("ui", "lexicon", "topics", "provinces", "rules", "forms", "templates"):
        shutil.copytree(KNOWLEDGE_DIR / sub, target / sub)
    return target
