"""Two-tier wording guard: since 01/7/2025 there are only provinces and communes (xã, phường,
đặc khu). User-facing text (topics, UI, intake form, eligibility rules, đề án template) may
name a district-level unit only in a sentence that marks it as past: the sentence contains
one of HISTORICAL_MARKERS ("trước 01/7/2025", "không còn cấp huyện"), or the unit is written
with "cũ" right after it ("thị xã cũ"). Input vocabularies (`words`, `examples`, `keywords`)
are what users type and are not checked."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from knowledge.base import KNOWLEDGE_DIR
from knowledge.yamlfile import LineDict, load_yaml

HISTORICAL_MARKERS = ("trước 01/7/2025", "không còn cấp huyện")
# District-level units and bodies that no longer exist (Luật 72/2025/QH15).
DISTRICT_TERMS = re.compile(
    r"\b(?:huyện|quận|thị trấn|thị xã|UBND cấp huyện|Phòng Kinh tế huyện|cấp huyện)\b(?! cũ)",
    flags=re.IGNORECASE,
)
USER_FACING = ("topics", "ui", "forms", "rules", "templates", "provinces")
NOT_SHOWN = frozenset({"words", "examples", "keywords", "aliases", "context_only", "id"})
SENTENCE = re.compile(r"[^.!?\n]+[.!?]?")


def _texts(node: object, where: str) -> Iterator[tuple[str, str]]:
    if isinstance(node, LineDict):
        for key, value in node.items():
            if str(key) not in NOT_SHOWN:
                line = node.line_of(str(key))
                yield from _texts(value, f"{where.split(':')[0]}:{line}")
    elif isinstance(node, list):
        for item in node:
            yield from _texts(item, where)
    elif isinstance(node, str):
        yield where, node


def _user_facing_texts(root: Path) -> Iterator[tuple[str, str]]:
    for folder in USER_FACING:
        for path in sorted((root / folder).glob("*.yaml")):
            yield from _texts(load_yaml(path), f"{path.relative_to(root)}:1")


def current_district_mentions(root: Path) -> list[str]:
    """Sentences that name a district-level unit as if it still existed."""
    found = []
    for where, text in _user_facing_texts(root):
        for sentence in SENTENCE.findall(text):
            if DISTRICT_TERMS.search(sentence) and not any(
                m in sentence for m in HISTORICAL_MARKERS
            ):
                found.append(f"{where}: {sentence.strip()}")
    return found


def test_no_user_facing_text_names_a_district_level_body_as_current() -> None:
    assert current_district_mentions(KNOWLEDGE_DIR) == []


@pytest.mark.parametrize(
    ("sentence", "flagged"),
    [
        ("Anh/chị nộp hồ sơ cho UBND cấp huyện.", True),
        ("Liên hệ Phòng Kinh tế huyện để được hướng dẫn.", True),
        ("Xưởng ở thị trấn thì được hỗ trợ.", True),
        ("Từ 01/7/2025 không còn cấp huyện nên quy định này chưa rõ.", False),
        ("Theo địa chỉ trước 01/7/2025: huyện, thị xã, thị trấn.", False),
        ("Phường của thành phố loại 2, 3 hoặc thị xã cũ.", False),
        ("Anh/chị hỏi UBND xã/phường nơi đặt xưởng.", False),
    ],
)
def test_the_guard_tells_current_from_historical_wording(
    tmp_path: Path, sentence: str, flagged: bool
) -> None:
    (tmp_path / "ui").mkdir()
    (tmp_path / "ui" / "x.yaml").write_text(f'x:\n  a: "{sentence}"\n', encoding="utf-8")
    assert bool(current_district_mentions(tmp_path)) is flagged
