"""Every legal fact has a source and a status shown in plain words; citations an owner can
read; "văn bản nào quy định?" after an answer; kb check enforces it all."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from knowledge import KnowledgeError, load_knowledge
from knowledge.base import KNOWLEDGE_DIR, KnowledgeBase
from knowledge.citations import readable
from knowledge.templates.de_an import compose
from knowledge.topics import STATUS_KEYS
from tests.transcript import Chat

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return load_knowledge()


@pytest.fixture
def root(tmp_path: Path) -> Path:
    target = tmp_path / "knowledge"
    for sub in ("ui", "lexicon", "topics", "provinces", "rules", "forms", "templates"):
        shutil.copytree(KNOWLEDGE_DIR / sub, target / sub)
    return target


def _replace(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.mark.parametrize(
    ("compact", "owner"),
    [
        ("NĐ 45/2012/NĐ-CP Đ4 k3", "khoản 3 Điều 4 Nghị định 45/2012/NĐ-CP"),
        ("NĐ 45/2012/NĐ-CP Đ1 k2 a, b", "điểm a, b khoản 2 Điều 1 Nghị định 45/2012/NĐ-CP"),
        ("TT 46/2012/TT-BCT Đ3 k1, k2", "khoản 1, 2 Điều 3 Thông tư 46/2012/TT-BCT"),
        ("NĐ 45/2012/NĐ-CP Đ11–Đ13", "Điều 11 đến Điều 13 Nghị định 45/2012/NĐ-CP"),
        ("NĐ 80/2021/NĐ-CP Đ5 k1–3", "khoản 1 đến khoản 3 Điều 5 Nghị định 80/2021/NĐ-CP"),
        (
            "TT 36/2013/TT-BCT Đ10 k1 b (sửa bởi TT 17/2018/TT-BCT)",
            "điểm b khoản 1 Điều 10 Thông tư 36/2013/TT-BCT (sửa bởi Thông tư 17/2018/TT-BCT)",
        ),
        ("TTLT 26/2014/TTLT-BTC-BCT Đ7", "Điều 7 Thông tư liên tịch 26/2014/TTLT-BTC-BCT"),
        ("QĐ 2646/QĐ-BCT", "Quyết định 2646/QĐ-BCT"),
        ("Luật 04/2017/QH14 Đ4", "Điều 4 Luật 04/2017/QH14"),
        ("Hướng dẫn sử dụng Trợ lý Khuyến công", "Hướng dẫn sử dụng Trợ lý Khuyến công"),
    ],
)
def test_citations_read_in_vietnamese_order(compact: str, owner: str) -> None:
    assert readable(compact) == owner


def test_every_topic_has_sources_status_and_review_date(kb: KnowledgeBase) -> None:
    assert kb.topics is not None
    for topic in kb.topics:
        assert topic.sources
        assert topic.statuses
        assert set(topic.statuses) <= set(STATUS_KEYS)


def test_status_lines_are_plain_words(kb: KnowledgeBase) -> None:
    assert kb.qa is not None
    assert kb.topics is not None
    machines = kb.qa.render(kb.topics["may_moc_thiet_bi"])
    assert "300 triệu đồng" in machines
    assert "Thông tư 139/2026/TT-BTC (25/9/2026)" in machines
    assert "Nghị định 235/2025/NĐ-CP (27/8/2025)" in machines
    assert "Căn cứ: khoản 3 Điều 4 Nghị định 45/2012/NĐ-CP" in machines
    advance = kb.qa.render(kb.topics["tam_ung"])
    assert "Thông tư 66/2026/TT-BCT (06/10/2026)" in advance
    assert "đang có hiệu lực" in kb.qa.render(kb.topics["dnnvv"])
    guide = kb.qa.render(kb.topics["tro_giup"])
    assert "Tình trạng" not in guide
    model = kb.qa.render(kb.topics["mo_hinh_trinh_dien"])
    assert "không còn cấp huyện" in model


def test_dia_ban_gives_the_ward_rule(kb: KnowledgeBase) -> None:
    assert kb.qa is not None
    assert kb.topics is not None
    answer = kb.qa.render(kb.topics["dia_ban"])
    assert "Xưởng ở xã" in answer
    assert "phường hoặc đặc khu: chưa rõ" in answer
    assert "trước 01/7/2025" in answer
    assert "Sở Công Thương" in answer
    # Through the same path as `ask` (passes with this branch's ranking).
    result = kb.answer("toi lam bun o phuong thi co dc ko")
    assert result.topic == "dia_ban"


def test_van_ban_phap_ly_explains_the_chain(kb: KnowledgeBase) -> None:
    assert kb.qa is not None
    assert kb.topics is not None
    topic = kb.topics["van_ban_phap_ly"]
    text = kb.qa.render(topic) + "\n".join(topic.more)
    for part in (
        "Nghị định 45/2012/NĐ-CP (21/5/2012)",
        "Nghị định 235/2025/NĐ-CP (27/8/2025)",
        "Thông tư 139/2026/TT-BTC (25/9/2026)",
        "Thông tư 66/2026/TT-BCT (06/10/2026)",
        "chưa xác nhận",
        "Quyết định 2646/QĐ-BCT (23/9/2025) — đã xác nhận",
        "Cục Công nghiệp",
        "không còn cấp huyện",
    ):
        assert part in text, part
    assert kb.answer("văn bản nào quy định về khuyến công").topic == "van_ban_phap_ly"


def test_nganh_nghe_does_not_adopt_the_draft_list(kb: KnowledgeBase) -> None:
    assert kb.topics is not None
    topic = kb.topics["nganh_nghe"]
    assert "công nghệ cao" not in topic.answer
    assert "Em không áp dụng dự thảo" in topic.more[0]


async def test_which_text_follow_up_lists_the_topic_sources(chat: Chat) -> None:
    await chat.press("faq:t:may_moc_thiet_bi")
    await chat.say("văn bản nào quy định vậy em?")
    assert 'phần "Máy móc thiết bị, công nghệ"' in chat.text
    assert "• khoản 4 Điều 8 Thông tư 28/2018/TT-BTC" in chat.text
    assert "Thông tư 139/2026/TT-BTC" in chat.text
    assert "faq:t:van_ban_phap_ly" in chat.payloads
    await chat.say("căn cứ đâu")
    assert "• khoản 4 Điều 8 Thông tư 28/2018/TT-BTC" in chat.text


async def test_which_text_without_a_previous_answer_is_a_question(chat: Chat) -> None:
    await chat.say("luật nào quy định khuyến công")
    assert "Nghị định 45/2012/NĐ-CP (21/5/2012)" in chat.text


def test_draft_prints_the_status_of_its_legal_basis(kb: KnowledgeBase) -> None:
    assert kb.de_an is not None
    statuses = {key: kb.ui.text(f"faq.status.{key}") for key in STATUS_KEYS}
    text = compose(kb.de_an, {}, {}, {}, "x", statuses).plain_text()
    assert "Thông tư 139/2026/TT-BTC" in text
    assert "Thông tư 66/2026/TT-BCT" in text


def test_kb_check_refuses_a_topic_without_status(root: Path) -> None:
    path = root / "topics" / "doi_tuong.yaml"
    _replace(path, "  status: in_force\n", "")
    with pytest.raises(KnowledgeError, match="dnnvv: 'status' is required"):
        load_knowledge(root)


def test_kb_check_refuses_an_unknown_status_and_a_missing_review_date(root: Path) -> None:
    path = root / "topics" / "doi_tuong.yaml"
    _replace(path, "  status: in_force\n", "  status: [in_force, tt139]\n")
    with pytest.raises(KnowledgeError, match="in_force and guide stand alone"):
        load_knowledge(root)
    _replace(path, "  status: [in_force, tt139]\n  reviewed: 2026-12-04\n", "  status: tt999\n")
    with pytest.raises(KnowledgeError, match="unknown status 'tt999'"):
        load_knowledge(root)


def test_kb_check_refuses_a_rule_and_a_template_block_without_status(root: Path) -> None:
    rules = root / "rules" / "eligibility.yaml"
    _replace(rules, "    legal_status: [in_force]\n", "")
    with pytest.raises(KnowledgeError, match="legal_status"):
        load_knowledge(root)
    shutil.copy(KNOWLEDGE_DIR / "rules" / "eligibility.yaml", rules)
    template = root / "templates" / "de_an.yaml"
    _replace(template, "        status: [tt66]\n", "")
    with pytest.raises(KnowledgeError, match="a legal fact needs source and status"):
        load_knowledge(root)


def test_kb_check_prints_the_review_dates(subprocess_env: dict[str, str]) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bot", "kb", "check"],
        cwd=ROOT,
        env=subprocess_env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "  dia_ban: 04/12/2026 [nd235, district]" in done.stdout


async def test_a_new_subject_with_which_text_is_a_new_question(chat: Chat) -> None:
    await chat.press("faq:t:dnnvv")
    await chat.say("hỗ trợ máy móc bao nhiêu, luật nào")
    assert "300 triệu đồng" in chat.text
