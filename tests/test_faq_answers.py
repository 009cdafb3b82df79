"""The answerer: every topic reachable, abstention, SPEC §1 JSON, the province overlay."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from knowledge import KnowledgeBase, load_knowledge
from knowledge.topics import SPEC_TOPIC_IDS

# Written for the tests: phrasings that are neither example phrasings nor dev questions.
UNSEEN = Path(__file__).resolve().parents[1] / "bench" / "data" / "held_out.jsonl"


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return load_knowledge()


@pytest.fixture(scope="module")
def quang_ninh() -> KnowledgeBase:
    return load_knowledge(province="quang_ninh")


def _unseen() -> list[tuple[str, str | None]]:
    rows = [json.loads(line) for line in UNSEEN.read_text(encoding="utf-8").splitlines()]
    return [(row["q"], row["topic"]) for row in rows]


def test_unseen_phrasings_are_not_example_phrasings(kb: KnowledgeBase) -> None:
    assert kb.topics is not None
    examples = {e.lower() for t in kb.topics for e in t.examples}
    assert not [q for q, _ in _unseen() if q.lower() in examples]


def test_every_topic_is_answerable_by_an_unseen_phrasing(kb: KnowledgeBase) -> None:
    answered = {topic for q, topic in _unseen() if topic and kb.answer(q).topic == topic}
    assert sorted(set(SPEC_TOPIC_IDS) - answered) == []


def test_unseen_in_scope_accuracy_is_high(kb: KnowledgeBase) -> None:
    rows = [(q, t) for q, t in _unseen() if t]
    right = sum(kb.answer(q).topic == t for q, t in rows)
    assert right / len(rows) >= 0.85


@pytest.mark.parametrize(
    ("question", "topic"),
    [
        ("ho tro may moc bao nhieu", "may_moc_thiet_bi"),
        ("htx co dc khong", "doi_tuong"),
        ("hạn nộp?", "thoi_han"),
        ("khuyeens cong laf gi", "khuyen_cong_la_gi"),
        ("HỘI CHỢ NƯỚC NGOÀI ĐƯỢC HỖ TRỢ GÌ", "hoi_cho_trien_lam"),
        ("ocop", "ocop"),
    ],
)
def test_short_informal_questions(kb: KnowledgeBase, question: str, topic: str) -> None:
    result = kb.answer(question)
    assert result.topic == topic
    assert 0 <= result.confidence <= 1
    assert result.sources


@pytest.mark.parametrize(
    ("question", "subject"),
    [
        ("thời tiết Hạ Long cuối tuần này", "doi_song"),
        ("vay ngan hang mua xe lai suat may phan tram", "vay_ngan_hang"),
        ("khuyen nong ho tro giong ca", "khuyen_nong"),
        ("nộp thuế giá trị gia tăng quý này", "thue"),
    ],
)
def test_out_of_scope_abstains_with_pointer(
    kb: KnowledgeBase, question: str, subject: str
) -> None:
    result = kb.answer(question)
    assert result.topic is None
    assert result.reason == "out_of_scope"
    assert result.out_of_scope == subject
    assert len(result.alternatives) == 3
    assert result.sources == ()


@pytest.mark.parametrize("question", ["xyzzy qwerty plugh", "?? !!", "con mèo ngủ trên mái nhà"])
def test_unknown_questions_abstain(kb: KnowledgeBase, question: str) -> None:
    result = kb.answer(question)
    assert result.topic is None
    assert result.confidence < kb.qa.threshold  # type: ignore[union-attr]
    assert len(result.alternatives) == 3
    assert "không dám trả lời sai" in result.answer or "chưa đọc được" in result.answer


def test_json_has_exactly_the_spec_fields(kb: KnowledgeBase) -> None:
    data = kb.answer("hỗ trợ máy móc bao nhiêu").to_json()
    assert list(data) == [
        "question",
        "topic",
        "confidence",
        "answer",
        "sources",
        "alternatives",
    ]
    assert data["topic"] == "may_moc_thiet_bi"
    assert "300 triệu đồng" in data["answer"]
    assert "TT 28/2018/TT-BTC Đ8 k4" in data["sources"]
    assert data["topic"] not in data["alternatives"]
    json.dumps(data)


def test_answers_carry_status_lines(kb: KnowledgeBase) -> None:
    answer = kb.answer("mức hỗ trợ khuyến công là bao nhiêu").answer
    assert "Thông tư 64/2024/TT-BTC" in answer
    assert "Thông tư 139/2026/TT-BTC" in answer
    assert "Sở Công Thương" in answer
    assert "Căn cứ:" in answer


def test_unconfirmed_figures_are_said_so(kb: KnowledgeBase) -> None:
    answer = kb.answer("đăng ký thương hiệu được hỗ trợ bao nhiêu tiền").answer
    assert "chưa có số liệu được xác nhận" in answer
    assert "triệu" not in answer


def test_province_overlay_adds_local_regulation(quang_ninh: KnowledgeBase) -> None:
    result = quang_ninh.answer("mức hỗ trợ của tỉnh có giống trung ương không")
    assert result.topic == "quoc_gia_dia_phuong"
    assert "QĐ 41/2018/QĐ-UBND" in result.answer
    assert "Trung tâm Xúc tiến và Phát triển công thương" in result.answer
    assert "QĐ 41/2018/QĐ-UBND tỉnh Quảng Ninh" in result.sources


def test_no_overlay_without_province(kb: KnowledgeBase) -> None:
    assert "QĐ 41/2018" not in kb.answer("mức hỗ trợ của tỉnh có giống trung ương không").answer


def test_contact_text_uses_overlay_and_invents_nothing(
    kb: KnowledgeBase, quang_ninh: KnowledgeBase
) -> None:
    generic = kb.contact_text()
    local = quang_ninh.contact_text()
    assert "Quảng Ninh" not in generic
    assert "Sở Công Thương tỉnh Quảng Ninh" in local
    assert "Trung tâm Xúc tiến và Phát triển công thương" in local
    assert "QĐ 41/2018/QĐ-UBND ngày 28/12/2018" in local
    # No phone number is in our sources: the bot says where to find it instead.
    assert "chưa có trong dữ liệu" in local
    assert re.search(r"\d[\d .]{7,}\d", local) is None  # nothing shaped like a phone number


def test_every_faq_payload_fits_telegram_callback_data(kb: KnowledgeBase) -> None:
    assert kb.topics is not None
    for topic in kb.topics:
        payloads = [f"faq:t:{topic.id}", f"faq:more:{topic.id}:{max(1, len(topic.more))}"]
        assert all(len(p.encode()) <= 64 for p in payloads)
        assert len(topic.title) <= 40




SHARED_EVAL = Path(__file__).resolve().parents[2] / "shared" / "eval"
# Our own held-out sets (bench/data/holdout_quality.jsonl; probe_accented.jsonl: accented
# paraphrases without the topics' keywords; probe_long.jsonl: stories whose question only
# points at their subject), written without the examples in view: guarded
# like the dev sets so that examples never copy them either.
GUARDED_SETS = [
    SHARED_EVAL / "dev.jsonl",
    SHARED_EVAL / "dev2.jsonl",
    UNSEEN.with_name("holdout_quality.jsonl"),
    UNSEEN.with_name("probe_accented.jsonl"),
    UNSEEN.with_name("probe_long.jsonl"),
]


@pytest.mark.parametrize("dev", GUARDED_SETS, ids=lambda p: p.name)
def test_example_phrasings_are_not_copied_from_the_dev_sets(kb: KnowledgeBase, dev: Path) -> None:
    """The dev sets measure generalisation only if their questions stay out of the examples
    (topic files, knowledge/examples/ and the out-of-scope examples alike)."""
    from rapidfuzz import fuzz

    from knowledge.search.normalise import fold

    if not dev.is_file():
        pytest.skip(f"{dev} is not beside this checkout")
    assert kb.topics is not None
    assert kb.lexicon is not None
    lines = dev.read_text(encoding="utf-8").splitlines()
    questions = [fold(json.loads(line)["q"]).strip(" ?.") for line in lines if line.strip()]
    examples = [fold(e) for t in kb.topics for e in t.examples]
    examples += [fold(e) for s in kb.lexicon.out_of_scope for e in s.examples]
    close = [(q, e) for q in questions for e in examples if fuzz.ratio(q, e) >= 85]
    assert [e for _, e in close] == []
