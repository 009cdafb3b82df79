"""`kb check` and load-time validation: the first invalid entry is named with file and line."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from knowledge import KnowledgeError, load_knowledge
from knowledge.base import KNOWLEDGE_DIR

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def knowledge_copy(tmp_path: Path) -> Path:
    target = tmp_path / "knowledge"
    for sub in ("ui", "lexicon", "topics", "provinces"):
        shutil.copytree(KNOWLEDGE_DIR / sub, target / sub)
    return target


def _edit(path: Path, old: str, new: str) -> int:
    """Replace once; return the 1-based line where the new text starts."""
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    start = text.index(old)
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return text.count("\n", 0, start) + 1


def _error(root: Path) -> KnowledgeError:
    with pytest.raises(KnowledgeError) as info:
        load_knowledge(root)
    return info.value


def test_shipped_knowledge_is_valid() -> None:
    kb = load_knowledge(province="quang_ninh")
    assert kb.counts()["topics"] == 36


def test_unknown_topic_id(knowledge_copy: Path) -> None:
    path = knowledge_copy / "topics" / "chung.yaml"
    line = _edit(path, "- id: ocop\n", "- id: ocop_moi\n")
    error = _error(knowledge_copy)
    assert (error.path, error.line) == (str(path), line)
    assert "unknown topic id 'ocop_moi'" in str(error)


def test_missing_spec_topic(knowledge_copy: Path) -> None:
    path = knowledge_copy / "topics" / "chung.yaml"
    text = path.read_text(encoding="utf-8")
    start = text.index("- id: ocop\n")
    end = text.index("- id: tro_giup\n")
    path.write_text(text[:start] + text[end:], encoding="utf-8")
    # Related links to the missing topic would also fail; the missing topic is named first.
    error = _error(knowledge_copy)
    assert "missing SPEC topic 'ocop'" in str(error)
    assert error.path == str(knowledge_copy / "topics")


def test_topic_without_sources(knowledge_copy: Path) -> None:
    path = knowledge_copy / "topics" / "doi_tuong.yaml"
    line = _edit(
        path,
        '  sources: ["NĐ 80/2021/NĐ-CP Đ5–Đ10", "Luật 04/2017/QH14 Đ4"]\n',
        "  sources: []\n",
    )
    error = _error(knowledge_copy)
    assert (error.path, error.line) == (str(path), line)
    assert "dnnvv: 'sources' needs at least 1 entry" in str(error)


def test_broken_related_link(knowledge_copy: Path) -> None:
    path = knowledge_copy / "topics" / "kinh_phi.yaml"
    line = _edit(
        path,
        "  related: [nghiem_thu_quyet_toan, doi_ung]\n",
        "  related: [nghiem_thu, doi_ung]\n",
    )
    error = _error(knowledge_copy)
    assert (error.path, error.line) == (str(path), line)
    assert "tam_ung: broken related topic 'nghiem_thu'" in str(error)


def test_answer_too_long(knowledge_copy: Path) -> None:
    path = knowledge_copy / "topics" / "thu_tuc.yaml"
    long_answer = "  answer: " + "Dạ, câu trả lời rất dài. " * 200 + "\n"
    text = path.read_text(encoding="utf-8")
    block = re.search(r"- id: bao_cao\n  title: .*\n  answer: \|\n(?:    .*\n)+", text)
    assert block is not None
    header = block.group(0).split("  answer: |\n")[0]
    path.write_text(text.replace(block.group(0), header + long_answer), encoding="utf-8")
    line = text.count("\n", 0, block.start()) + 3
    error = _error(knowledge_copy)
    assert (error.path, error.line) == (str(path), line)
    assert "bao_cao: 'answer' has" in str(error)


def test_province_note_for_unknown_topic(knowledge_copy: Path) -> None:
    path = knowledge_copy / "provinces" / "quang_ninh.yaml"
    line = _edit(path, "  thoi_han: ", "  thoi_han_nop: ")
    error = _error(knowledge_copy)
    assert (error.path, error.line) == (str(path), line)
    assert "unknown topic 'thoi_han_nop'" in str(error)


def test_abbreviation_expanding_to_an_abbreviation(knowledge_copy: Path) -> None:
    path = knowledge_copy / "lexicon" / "abbreviations.yaml"
    line = _edit(path, "  ko: không\n", "  ko: dc\n")
    error = _error(knowledge_copy)
    assert (error.path, error.line) == (str(path), line)


def test_unknown_province_setting() -> None:
    with pytest.raises(KnowledgeError, match="not one of the 34 province codes"):
        load_knowledge(province="ha_giang")


def test_cli_kb_check_ok_and_failure(knowledge_copy: Path, subprocess_env: dict[str, str]) -> None:
    ok = subprocess.run(
        [sys.executable, "-m", "bot", "kb", "check"],
        cwd=ROOT,
        env=subprocess_env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert ok.returncode == 0, ok.stderr
    assert "topics: 36" in ok.stdout
    path = knowledge_copy / "topics" / "noi_dung.yaml"
    line = _edit(path, "  related: [ocop, hoi_cho_trien_lam, uu_tien]\n", "  related: [ocopp]\n")
    bad = subprocess.run(
        [sys.executable, "-m", "bot", "kb", "check", "--root", str(knowledge_copy)],
        cwd=ROOT,
        env=subprocess_env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert bad.returncode == 1
    assert f"{path}:{line}: san_pham_tieu_bieu: broken related topic 'ocopp'" in bad.stderr
